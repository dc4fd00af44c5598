#pragma once
/// Helpers shared by the command files.

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "tta/config/config.hpp"
#include "tta/core/result.hpp"

namespace tta::agent {

/// Load and validate a config; on failure print every diagnostic to stderr.
std::optional<config::Config> load_config_or_report(const std::string& file);

/// What `run` will need that a valid config can still lack: the store, files and devices it
/// names. `error`: `run` cannot work (check-config exits 2); else a warning (a hot-pluggable
/// device not plugged in now, an optional part missing).
struct Readiness {
  bool error = false;
  std::string key;
  std::string message;
};
[[nodiscard]] std::vector<Readiness> check_readiness(const config::Config& cfg);

/// The process exit code for an error value (see ExitCode).
int exit_code_for(const Error& e);

}  // namespace tta::agent
