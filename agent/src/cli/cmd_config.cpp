#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "tta/config/config.hpp"
#include "tta/core/uri.hpp"

namespace tta::agent {

namespace fs = std::filesystem;

namespace {

/// Devices that come and go with a plug (USB receivers and adapters, cameras): absent now is
/// normal before they are plugged in. Any device missing is a warning, not a refusal: `run`
/// goes on without it (missing hardware is a state) and says so in /status.
bool hot_pluggable(std::string_view dev) {
  for (std::string_view p : {"/dev/ttyUSB", "/dev/ttyACM", "/dev/video", "/dev/serial/", "/dev/v4l/"}) {
    if (dev.starts_with(p)) return true;
  }
  return false;
}

struct Checker {
  std::vector<Readiness>& out;
  void error(std::string key, std::string msg) { out.push_back({true, std::move(key), std::move(msg)}); }
  void warn(std::string key, std::string msg) { out.push_back({false, std::move(key), std::move(msg)}); }

  void file(const std::string& key, const fs::path& p, std::string_view what) {
    if (p.empty()) return;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) error(key, std::string(what) + " " + p.string() + " does not exist");
  }
  /// A device the source opens: missing, a warning either way (`run` waits for it), worded
  /// for what is likely: not plugged in yet, or a device name that is wrong.
  void device(const std::string& key, const std::string& dev, std::string_view what) {
    std::error_code ec;
    if (fs::exists(dev, ec)) return;
    warn(key, std::string(what) + " " + dev +
                  (hot_pluggable(dev) ? " is not plugged in now; `run` starts anyway and waits "
                                        "for it"
                                      : " does not exist (is the device name right?); `run` "
                                        "starts anyway and keeps looking for it"));
  }
  /// A SIMULATED input (agent.simulated): `simulate` makes its own, so its absence is a
  /// warning; `run` would have nothing to read.
  void input(bool simulated, const std::string& key, const std::string& msg) {
    if (simulated) {
      warn(key, msg + " (`simulate` makes its own; `run` would have none)");
    } else {
      error(key, msg);
    }
  }
};

}  // namespace

std::vector<Readiness> check_readiness(const config::Config& cfg) {
  std::vector<Readiness> out;
  Checker c{out};
  std::error_code ec;
  // The store: `init` makes it; `run` refuses to start without it.
  if (!fs::exists(cfg.store.key_file, ec)) {
    c.warn("store.key_file", cfg.store.key_file.string() + " does not exist: run `tta-agent init "
                              "--config FILE`");
  }
  if (!fs::exists(cfg.store.database, ec)) {
    c.warn("store.database", cfg.store.database.string() + " does not exist: run `tta-agent "
                              "init --config FILE`");
  }
  if (!fs::exists(cfg.agent.control_token_file, ec)) {
    c.warn("agent.control_token_file", cfg.agent.control_token_file.string() +
                                           " does not exist: `init` or `run` creates it");
  }
  // GNSS
  if (!cfg.gps.source.empty()) {
    if (auto u = parse_uri(cfg.gps.source, "GNSS source")) {
      if (u->scheme == "serial") c.device("gps.source", u->path, "GNSS receiver");
      std::error_code e2;
      if (u->scheme == "replay" && !fs::is_regular_file(u->path, e2)) {
        c.input(cfg.agent.simulated, "gps.source", "receiver log " + u->path + " does not exist");
      }
    }
  }
  // Camera
  if (cfg.face.camera.empty()) {
    c.warn("face.camera", "no camera: every check-in answers 503 camera_unavailable");
  } else if (auto u = parse_uri(cfg.face.camera, "camera")) {
    if (u->scheme == "v4l2") c.device("face.camera", u->path, "camera");
    if (u->scheme == "file") c.file("face.camera", u->path, "video file");
    if (u->scheme == "dir") {
      if (!fs::is_directory(u->path, ec)) {
        c.input(cfg.agent.simulated, "face.camera", "image folder " + u->path + " does not exist");
      } else if (fs::directory_iterator(u->path, ec) == fs::directory_iterator()) {
        c.input(cfg.agent.simulated, "face.camera",
                "image folder " + u->path + " is empty: no frame to check");
      } else if (u->query.contains("loop") && u->query.at("loop") == "0") {
        c.warn("face.camera", "dir:// with loop=0 gives each image once, then no more frames "
                              "until a restart (leave loop out to go round again)");
      }
    }
  }
  if (!fs::is_directory(cfg.face.models_dir, ec)) {
    c.warn("face.models_dir", cfg.face.models_dir.string() + " does not exist: face checks "
                              "will fail (timing goes on)");
  }
  // Vehicle signals
  for (const auto& [key, uri] : {std::pair<std::string, const std::string*>{"vehicle.ignition", &cfg.vehicle.ignition},
                                 {"vehicle.obd", &cfg.vehicle.obd},
                                 {"vehicle.pulses", &cfg.vehicle.pulses}}) {
    if (uri->empty()) continue;
    auto u = parse_uri(*uri, "vehicle source");
    if (!u) continue;
    if (u->scheme == "elm327") c.device(key, u->path, "OBD adapter");
    if (u->scheme == "sysfs" && !fs::exists(u->path, ec)) {
      c.warn(key, u->path + " does not exist now (a GPIO or counter not exported yet?): its "
                            "values are recorded as missing until it does");
    }
    if (u->scheme == "socketcan" && !fs::exists("/sys/class/net/" + u->path, ec)) {
      c.warn(key, "CAN interface " + u->path + " does not exist now: engine speed is missing "
                  "until it does");
    }
  }
  // Uplinks and the administrator's pages
  if (cfg.uplink.tcp.tls) c.file("uplink.tcp.ca_file", cfg.uplink.tcp.ca_file, "CA file");
  c.file("uplink.http.ca_bundle", cfg.uplink.http.ca_bundle, "CA bundle");
  c.file("uplink.http.client_cert", cfg.uplink.http.client_cert, "client certificate");
  c.file("uplink.http.client_key", cfg.uplink.http.client_key, "client key");
  if (!cfg.agent.admin_listen.empty()) {
    c.file("agent.admin_tls_cert", cfg.agent.admin_tls_cert, "certificate");
    c.file("agent.admin_tls_key", cfg.agent.admin_tls_key, "key");
  }
  if (cfg.uplink.http.base_url.empty()) {
    c.warn("uplink.http.base_url", "empty: teaching logs are kept in the outbox, not uploaded");
  }
  if (cfg.agent.simulated) {
    c.warn("agent.simulated", std::string("SIMULATED terminal: its records go only to a test "
                                          "platform (uplink.tcp.test_platform = ") +
                                  (cfg.uplink.tcp.test_platform ? "true" : "false") + ")");
  }
  return out;
}

void add_config_commands(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "check-config",
      "Validate a config file and check what `run` needs (store, devices, files); print every "
      "problem");
  auto file = std::make_shared<std::string>();
  cmd->add_option("--config", *file, "TOML config file")->required();
  cmd->callback([file, &exit_code] {
    auto cfg = load_config_or_report(*file);
    if (!cfg) {
      exit_code = kExitUsage;
      return;
    }
    const auto found = check_readiness(*cfg);
    for (const auto& r : found) {
      std::cerr << *file << ": " << (r.error ? "error" : "warning") << ": " << r.key << ": "
                << r.message << '\n';
    }
    const auto errors = std::count_if(found.begin(), found.end(), [](const Readiness& r) { return r.error; });
    if (errors > 0) {
      std::cerr << errors << " problem(s): `run` cannot work with " << *file << " as it is\n";
      exit_code = kExitUsage;
      return;
    }
    std::cout << config::summary(*cfg) << '\n';
    exit_code = kExitOk;
  });
}

}  // namespace tta::agent
