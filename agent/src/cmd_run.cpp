#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "common.hpp"
#include "daemon.hpp"
#include "logging.hpp"
#include "sd_notify.hpp"
#include "tta/core/clock.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the terminal agent");
  auto file = std::make_shared<std::string>();
  auto check_only = std::make_shared<bool>(false);
  cmd->add_option("--config", *file, "TOML config file")->required();
  cmd->add_flag("--check-only", *check_only, "check config and store, then stop");
  cmd->callback([file, check_only, &exit_code] {
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
    // The quick check at start-up (seconds on a years-old store); `db-check` runs the full one.
    auto integrity = st->quick_check();
    if (!integrity || *integrity != "ok") {
      spdlog::error("store {} fails its quick check (run `tta-agent db-check` for the full "
                    "integrity check): {}",
                    cfg->store.database.string(),
                    integrity ? *integrity : integrity.error().message);
      exit_code = kExitStoreDamaged;
      return;
    }
    SystemClock clock;
    (void)st->log_event("agent.start", "checked config and store", unix_millis(clock.wall_now()));
    if (*check_only) {
      spdlog::info("config and store are good (--check-only)");
      exit_code = kExitOk;
      return;
    }
    boost::asio::io_context io;
    Daemon daemon(io, *cfg, *st);
    if (auto started = daemon.start(); !started) {
      spdlog::error("{}", started.error().message);
      exit_code = exit_code_for(started.error());
      return;
    }
    sd::ServiceNotifier systemd(io);  // READY=1 once the loop runs, then the watchdog
    systemd.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int sig) {
      spdlog::info("signal {}: stopping", sig);
      systemd.stop();
      daemon.stop();
      io.stop();
    });
    io.run();
    exit_code = kExitOk;
  });
}

}  // namespace tta::agent
