#pragma once
/// Helpers shared by the command files.

#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "tta/config/config.hpp"
#include "tta/core/result.hpp"

namespace tta::agent {

/// Load and validate a config; on failure print every diagnostic to stderr.
std::optional<config::Config> load_config_or_report(const std::string& file);

/// The process exit code for an error value (see ExitCode).
int exit_code_for(const Error& e);

}  // namespace tta::agent
