#include <iostream>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "common.hpp"
#include "logging.hpp"
#include "tta/core/clock.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the terminal agent");
  auto file = std::make_shared<std::string>();
  cmd->add_option("--config", *file, "TOML config file")->required();
  cmd->callback([file, &exit_code] {
    // The agent refuses to start on an invalid config: every problem is printed first.
    auto cfg = load_config_or_report(*file);
    if (!cfg) {
      std::cerr << "tta-agent run: refusing to start with an invalid config\n";
      exit_code = kExitUsage;
      return;
    }
    init_logging(cfg->agent.log_level);
    spdlog::info("config {}", config::summary(*cfg));
    auto st = store::Store::open(cfg->store);
    if (!st) {
      spdlog::error("store: {}", st.error().message);
      exit_code = exit_code_for(st.error());
      return;
    }
    auto integrity = st->integrity_check();
    if (!integrity || *integrity != "ok") {
      spdlog::error("store {} fails its integrity check: {}", cfg->store.database.string(),
                    integrity ? *integrity : integrity.error().message);
      exit_code = kExitStoreDamaged;
      return;
    }
    auto version = st->schema_version();
    auto counts = st->outbox_counts();
    if (!version || !counts) {
      spdlog::error("store: {}", (!version ? version.error() : counts.error()).message);
      exit_code = kExitFailure;
      return;
    }
    SystemClock clock;
    (void)st->log_event("agent.start", "checked config and store", unix_millis(clock.wall_now()));
    spdlog::info("store {}: schema {}, integrity ok, outbox {} queued / {} refused",
                 cfg->store.database.string(), *version, counts->queued, counts->refused);
    // The session engine (issue 7) starts here; until it exists, run stops after checking.
    spdlog::info("initialised and checked; the training-session engine is not built yet");
    exit_code = kExitOk;
  });
}

}  // namespace tta::agent
