#pragma once
/// GBK text on the wire, UTF-8 everywhere else (terminal-protocol.md: "Strings are GBK").

#include <string>
#include <string_view>

#include "tta/core/result.hpp"

namespace tta {

/// UTF-8 → GBK. A character GBK cannot hold, or invalid UTF-8, is an error naming its offset.
[[nodiscard]] Result<std::string> utf8_to_gbk(std::string_view utf8);

/// GBK → UTF-8. Decodes the GB18030 superset, since some platforms send it; an invalid or
/// truncated sequence is an error naming its offset.
[[nodiscard]] Result<std::string> gbk_to_utf8(std::string_view gbk);

}  // namespace tta
