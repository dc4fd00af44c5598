#pragma once
/// `tta-agent run`: the terminal agent as a daemon. One Asio event loop owns the store, the
/// platform session, the outbox forwarders (TCP, and HTTPS when uplink.http.base_url is set),
/// the GNSS source, the training engine and the control API (loopback TCP or a 0600 Unix
/// socket); face checks (camera grabs and inference) run on one worker thread and post
/// their results back to the loop, so a check never blocks timing.
///
/// It answers the platform's commands (0x8501 set and 0x8503 query application parameters,
/// 0x8502 training ban, 0x8301 photo now, 0x8205 records on request), keeps the platform's
/// text for the screen (GET /messages), and queues each ended session's teaching log and
/// photo metadata for the HTTPS uplink (teaching_log.hpp).

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>

#include <memory>

#include "control/api.hpp"
#include "daemon/parts.hpp"
#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

class Daemon {
 public:
  /// The daemon of `cfg`, on `io`, keeping everything in `store`, on the time of `clock`
  /// (GNSS time carried forward by it once fixes come), reading the world through `parts`
  /// (real_parts(): the devices the config names; tests and the simulator: their own).
  /// `store` and `clock` must outlive it.
  Daemon(boost::asio::io_context& io, const config::Config& cfg, store::Store& store,
         const Clock& clock, DaemonParts parts, DaemonOptions options = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Start every component; fails on what cannot work at all (control token, GNSS URI).
  [[nodiscard]] Status start();
  void stop();
  /// The control API's bound port (useful when the config says port 0).
  [[nodiscard]] std::uint16_t control_port() const;
  /// A config reload (SIGHUP) was refused for `problem`: /status says so (config_reload).
  void config_reload_refused(const std::string& problem);
  /// What the control API and the screens ask of the terminal (check-in, check-out, status),
  /// for callers in the same process: the simulator and in-process tests. Loop thread only.
  [[nodiscard]] control::Backend& backend();
  /// The training engine's status (who is logged in, minutes made and counted).
  [[nodiscard]] EngineStatus training_status() const;
  /// Outbox entries sent to the platform and not acknowledged yet (TCP).
  [[nodiscard]] std::size_t deliveries_in_flight() const;
  /// Registered and authenticated with the timing platform.
  [[nodiscard]] bool online() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Create the control-API token file (0600, 32 random bytes as hex) when it is absent.
[[nodiscard]] Status ensure_control_token(const std::filesystem::path& file);

}  // namespace tta::agent
