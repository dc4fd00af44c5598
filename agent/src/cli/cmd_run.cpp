#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <vector>

#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "daemon/daemon.hpp"
#include "cli/logging.hpp"
#include "daemon/sd_notify.hpp"
#include "tta/core/clock.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

namespace {

/// This process's own command line (/proc/self/cmdline), for the re-exec of a reload.
std::vector<std::string> own_command_line() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(f, arg, '\0')) args.push_back(arg);
  return args;
}

/// SIGHUP: the config file is read again. A config with any problem is refused, with every
/// problem logged, and the running one is kept. A good one is applied by a clean stop (all
/// data is in the store) and an exec of the same command line: the same process (PID, so
/// systemd's Type=notify sees RELOADING=1, then READY=1 from the new start), new config.
/// True when the new config is good and the agent should restart with it; else `problem`.
bool reload_wanted(const std::string& file, const config::Config& running, std::string& problem) {
  auto next = config::load_config(file);
  if (!next) {
    for (const auto& d : next.error()) spdlog::error("config reload: {}", d.to_string());
    spdlog::error("SIGHUP: {} has problems; the running config is kept", file);
    problem = next.error().empty() ? "invalid config" : next.error().front().to_string();
    return false;
  }
  if (next->store.database != running.store.database || next->store.key_file != running.store.key_file) {
    problem = "[store] paths changed: that needs a restart, not a reload";
    spdlog::error("SIGHUP: {} (the running config is kept)", problem);
    return false;
  }
  spdlog::info("SIGHUP: {} is good; restarting the agent with it", file);
  return true;
}

/// One run of the agent: until a signal stops it; `reexec` when SIGHUP brought a good config.
void run_once(const std::shared_ptr<std::string>& file, const std::shared_ptr<bool>& check_only,
              int& exit_code, bool& reexec);

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the terminal agent");
  auto file = std::make_shared<std::string>();
  auto check_only = std::make_shared<bool>(false);
  cmd->add_option("--config", *file, "TOML config file")->required();
  cmd->add_flag("--check-only", *check_only, "check config and store, then stop");
  cmd->callback([file, check_only, &exit_code] {
    bool reexec = false;
    run_once(file, check_only, exit_code, reexec);
    if (!reexec) return;
    // Everything is closed (store, sockets, devices): start again as the same process.
    const auto args = own_command_line();
    if (args.empty()) {
      spdlog::error("SIGHUP: cannot read this process's command line; stopping (systemd restarts it)");
      return;
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    spdlog::default_logger()->flush();
    ::execv("/proc/self/exe", argv.data());
    spdlog::error("SIGHUP: exec failed ({}); stopping (systemd restarts it)", std::strerror(errno));
  });
}

namespace {

void run_once(const std::shared_ptr<std::string>& file, const std::shared_ptr<bool>& check_only,
              int& exit_code, bool& reexec) {
  {
    // The agent refuses to start on an invalid config: every problem is printed first.
    auto cfg = load_config_or_report(*file);
    if (!cfg) {
      std::cerr << "tta-agent run: refusing to start with an invalid config\n";
      exit_code = kExitUsage;
      return;
    }
    init_logging(cfg->agent.log_level);
    spdlog::info("config {}", config::summary(*cfg));
    // What check-config would say of the set-up (absent devices, missing files), in the log.
    for (const auto& r : check_readiness(*cfg)) {
      spdlog::warn("set-up: {}: {}", r.key, r.message);
    }
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
    auto parts = real_parts(io, *cfg, clock);
    if (!parts) {
      spdlog::error("{}", parts.error().message);
      exit_code = exit_code_for(parts.error());
      return;
    }
    Daemon daemon(io, *cfg, *st, clock, std::move(*parts));
    if (auto started = daemon.start(); !started) {
      spdlog::error("{}", started.error().message);
      exit_code = exit_code_for(started.error());
      return;
    }
    sd::ServiceNotifier systemd(io);  // READY=1 once the loop runs, then the watchdog
    systemd.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    bool reload = false;
    auto stop_all = [&] {
      systemd.stop();
      daemon.stop();
      io.stop();
    };
    signals.async_wait([&](const boost::system::error_code&, int sig) {
      spdlog::info("signal {}: stopping", sig);
      stop_all();
    });
    boost::asio::signal_set hup(io, SIGHUP);
    std::function<void()> on_hup = [&] {
      hup.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        std::string problem;
        if (!reload_wanted(*file, *cfg, problem)) {
          daemon.config_reload_refused(problem);
          return on_hup();
        }
        (void)sd::notify("RELOADING=1");
        reload = true;
        stop_all();
      });
    };
    on_hup();
    io.run();
    exit_code = kExitOk;
    if (reload) reexec = true;
  }
}

}  // namespace

}  // namespace tta::agent
