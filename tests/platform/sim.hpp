#pragma once
// tta-platform-sim: the timing platform's side of the JT/T 808 driving-training protocol, as
// a test peer and an integrator's tool. Registration issues a PKCS#12 made on the fly;
// every signature is verified; minutes and photos are stored (SQLite) and deduplicated by
// record and photo number; a fault plan injects the failures real networks and platforms
// produce. An HTTP admin endpoint reports counts and sends platform commands.

#include <utility>  // before Asio (Boost 1.74 with GCC 12)

#include <boost/asio.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tta/core/result.hpp"
#include "tta/uplink/frame.hpp"

namespace tta::sim {

/// Failures to inject (all off by default).
struct FaultPlan {
  std::uint32_t drop_every = 0;     ///< close the connection on every Nth frame received (unanswered)
  std::chrono::milliseconds ack_delay{0};  ///< delay every reply by this much
  std::uint32_t refuse_every = 0;   ///< answer every Nth 0x0203 with ack result 1, not stored
  std::uint32_t corrupt_every = 0;  ///< break the checksum of every Nth frame sent
  std::uint32_t silent_after = 0;   ///< on each connection, ignore everything after N frames
};

struct SimOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t tcp_port = 0;    ///< 0 = pick a free port
  std::uint16_t admin_port = 0;  ///< 0 = pick a free port
  std::filesystem::path data_dir;
  std::string certificate_password = "tta-sim-p12";
  FaultPlan faults;
};

class PlatformSim {
 public:
  /// Bind both ports and open the database; serving starts when the io_context runs.
  static Result<std::unique_ptr<PlatformSim>> create(boost::asio::io_context& io,
                                                     SimOptions options);
  ~PlatformSim();

  [[nodiscard]] std::uint16_t tcp_port() const;
  [[nodiscard]] std::uint16_t admin_port() const;

  /// Counts, as served at GET /sim/summary.
  [[nodiscard]] nlohmann::json summary() const;

  /// Send an extended message (a platform command: 0x8501, 0x8502, 0x8301, 0x8205 …) to the
  /// connected terminal with this phone number. Errc::not_found when it is not connected.
  Status send_command(const std::string& phone, std::uint16_t ext_id, const uplink::Bytes& data);

  /// Replies the terminals sent to commands (0x0501, 0x0502, 0x0301 …), oldest first.
  [[nodiscard]] nlohmann::json responses() const;

  /// Stop accepting and close every connection.
  void stop();

  struct Impl;

 private:
  explicit PlatformSim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tta::sim
