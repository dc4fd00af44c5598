// `gnss-replay`: decode a captured NMEA log as fast as possible and summarise it.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/replay_summary.hpp"

namespace tta::agent {
namespace {

nlohmann::json time_or_null(const std::optional<WallTime>& t) {
  return t ? nlohmann::json(iso8601_utc(*t)) : nlohmann::json(nullptr);
}

template <typename T>
nlohmann::json value_or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const gps::ReplaySummary& s) {
  const auto& lex = s.decode.lex;
  nlohmann::json j = {
      {"sentences", lex.sentences},
      {"bad_checksum", lex.bad_checksum},
      {"no_checksum", lex.no_checksum},
      {"truncated", lex.truncated},
      {"overlong", lex.overlong},
      {"garbage_bytes", lex.garbage_bytes},
      {"parse_errors", s.decode.parse_errors},
      {"unsupported", s.decode.unsupported},
      {"epochs", s.decode.epochs},
      {"fixes", s.decode.fixes},
      {"good_fixes", s.good_fixes},
      {"poor_quality_fixes", s.poor_quality},
      {"distance_m", s.distance_m},
      {"max_speed_kmh", value_or_null(s.max_speed_kmh)},
      {"first_fix_utc", time_or_null(s.first_fix_utc)},
      {"last_fix_utc", time_or_null(s.last_fix_utc)},
      {"minutes", s.minutes},
      {"position_jumps", s.position_jumps},
      {"frozen_fixes", s.frozen_fixes},
      {"time_backwards", s.time_backwards},
  };
  if (s.outside_fence_s) j["outside_fence_s"] = *s.outside_fence_s;
  return j;
}

void print_text(const gps::ReplaySummary& s) {
  const auto& lex = s.decode.lex;
  std::cout << "sentences " << lex.sentences << " (bad checksum " << lex.bad_checksum
            << ", no checksum " << lex.no_checksum << ", truncated " << lex.truncated
            << ", parse errors " << s.decode.parse_errors << ")\n"
            << "epochs " << s.decode.epochs << ", fixes " << s.decode.fixes << ", good fixes "
            << s.good_fixes << "\n"
            << "distance " << s.distance_m << " m, max speed ";
  if (s.max_speed_kmh) {
    std::cout << *s.max_speed_kmh << " km/h\n";
  } else {
    std::cout << "unknown\n";
  }
  std::cout << "first fix " << (s.first_fix_utc ? iso8601_utc(*s.first_fix_utc) : "none")
            << ", last fix " << (s.last_fix_utc ? iso8601_utc(*s.last_fix_utc) : "none") << "\n";
  if (s.outside_fence_s) std::cout << "outside every fence " << *s.outside_fence_s << " s\n";
  if (s.position_jumps + s.frozen_fixes + s.time_backwards > 0) {
    std::cout << "plausibility: " << s.position_jumps << " jump(s), " << s.frozen_fixes
              << " frozen, " << s.time_backwards << " time step(s) backwards\n";
  }
}

}  // namespace

void add_gnss_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("gnss-replay", "Decode a captured NMEA log and summarise it");
  struct Opts {
    std::string nmea;
    std::string config;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--nmea", o->nmea, "NMEA log file")->required();
  cmd->add_option("--config", o->config, "TOML config (odometer thresholds, fences)");
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->callback([o, &exit_code] {
    config::GpsConfig gps_cfg;
    if (!o->config.empty()) {
      auto cfg = load_config_or_report(o->config);
      if (!cfg) {
        exit_code = kExitUsage;
        return;
      }
      gps_cfg = cfg->gps;
    }
    auto summary = gps::summarize_nmea_file(o->nmea, gps_cfg);
    if (!summary) {
      std::cerr << "gnss-replay: " << summary.error().message << '\n';
      exit_code = summary.error().code == Errc::not_found ? kExitUsage : kExitFailure;
      return;
    }
    if (o->json) {
      std::cout << to_json(*summary).dump() << '\n';
    } else {
      print_text(*summary);
    }
    exit_code = kExitOk;
  });
}

}  // namespace tta::agent
