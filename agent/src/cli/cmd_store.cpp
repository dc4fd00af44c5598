#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "daemon/daemon.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

void add_store_commands(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand("init", "Create the key file and the encrypted database");
    auto file = std::make_shared<std::string>();
    cmd->add_option("--config", *file, "TOML config file")->required();
    cmd->callback([file, &exit_code] {
      auto cfg = load_config_or_report(*file);
      if (!cfg) {
        exit_code = kExitUsage;
        return;
      }
      if (auto st = store::init_store(cfg->store); !st) {
        std::cerr << "tta-agent init: " << st.error().message << '\n';
        exit_code = exit_code_for(st.error());
        return;
      }
      if (auto st = ensure_control_token(cfg->agent.control_token_file); !st) {
        std::cerr << "tta-agent init: control-API token: " << st.error().message << '\n';
        exit_code = exit_code_for(st.error());
        return;
      }
      std::cout << "store ready: " << cfg->store.database.string() << " (key "
                << cfg->store.key_file.string() << ", schema "
                << store::current_schema_version() << ")\n";
      exit_code = kExitOk;
    });
  }
  {
    auto* cmd = app.add_subcommand("db-check", "Open the store, run an integrity check");
    auto file = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("--config", *file, "TOML config file")->required();
    cmd->add_flag("--json", *json, "print one JSON object");
    cmd->callback([file, json, &exit_code] {
      auto cfg = load_config_or_report(*file);
      if (!cfg) {
        exit_code = kExitUsage;
        return;
      }
      auto st = store::Store::open(cfg->store);
      if (!st) {
        std::cerr << "tta-agent db-check: " << st.error().message << '\n';
        exit_code = exit_code_for(st.error());
        return;
      }
      auto version = st->schema_version();
      auto integrity = st->integrity_check();
      auto cipher = st->cipher_summary();
      auto counts = st->outbox().counts();
      if (!version || !integrity || !cipher || !counts) {
        const Error& e = !version     ? version.error()
                         : !integrity ? integrity.error()
                         : !cipher    ? cipher.error()
                                      : counts.error();
        std::cerr << "tta-agent db-check: " << e.message << '\n';
        exit_code = exit_code_for(e);
        return;
      }
      const bool good = *integrity == "ok";
      // Records made on SIMULATED inputs (schema v5); unknown only if the count fails.
      const auto simulated = st->simulated_counts();
      if (*json) {
        nlohmann::json j{{"database", cfg->store.database.string()},
                         {"schema_version", *version},
                         {"integrity", *integrity},
                         {"cipher", *cipher},
                         {"outbox",
                          {{"queued", counts->queued},
                           {"in_flight", counts->in_flight},
                           {"acked", counts->acked},
                           {"refused", counts->refused}}}};
        j["simulated"] = simulated ? nlohmann::json{{"minutes", simulated->minutes},
                                                    {"photos", simulated->photos},
                                                    {"outbox", simulated->outbox}}
                                   : nlohmann::json(nullptr);
        std::cout << j.dump() << '\n';
      } else {
        std::cout << cfg->store.database.string() << ": schema version " << *version
                  << ", integrity " << *integrity << "\n  cipher: " << *cipher
                  << "\n  outbox: " << counts->queued << " queued, " << counts->in_flight
                  << " in flight, " << counts->acked << " acked, " << counts->refused
                  << " refused\n";
        if (simulated && (simulated->minutes + simulated->photos + simulated->outbox) > 0) {
          std::cout << "  SIMULATED records: " << simulated->minutes << " minutes, "
                    << simulated->photos << " photos, " << simulated->outbox
                    << " outbox entries\n";
        }
      }
      exit_code = good ? kExitOk : kExitStoreDamaged;
    });
  }
}

}  // namespace tta::agent
