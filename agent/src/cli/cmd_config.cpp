#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "tta/config/config.hpp"

namespace tta::agent {

void add_config_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check-config", "Validate a config file; print every problem");
  auto file = std::make_shared<std::string>();
  cmd->add_option("--config", *file, "TOML config file")->required();
  cmd->callback([file, &exit_code] {
    auto cfg = load_config_or_report(*file);
    if (!cfg) {
      exit_code = kExitUsage;
      return;
    }
    std::cout << config::summary(*cfg) << '\n';
    exit_code = kExitOk;
  });
}

}  // namespace tta::agent
