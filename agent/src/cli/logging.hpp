#pragma once
/// Logging set-up shared by the commands: spdlog to stderr, level from the config.

#include <string_view>

namespace tta::agent {

/// Send log lines to stderr at `level` (trace, debug, info, warn, error).
void init_logging(std::string_view level);

}  // namespace tta::agent
