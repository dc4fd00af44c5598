#pragma once
/// Hex text ↔ bytes, for logs, the CLI and test vectors.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"

namespace tta {

/// Lower-case hex by default, e.g. "7e0100".
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes, bool upper = false);

/// Parse hex; spaces, tabs, newlines and ':' between bytes are allowed. An odd count of
/// digits or a non-hex character is an error naming the position.
[[nodiscard]] Result<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace tta
