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
#include <vector>

#include <nlohmann/json.hpp>

#include "sim_audit.hpp"
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
  /// Lose part 2 of every Nth split message received and ask for it again with 0x8003.
  std::uint32_t lose_subpacket_every = 0;
  /// Ask for lost parts by their 1-based index instead of their serial (the other reading of
  /// JT/T 808's "重传包 ID 列表"; terminal-protocol.md §1.2 says serials).
  bool resend_by_index = false;
  /// Replies (0x8101, 0x8201, 0x8305 …) carry training packet number 0 instead of echoing the
  /// request's (§2.1 marks the echo [one]).
  bool reply_without_echo = false;
  /// Ack a split message against the serial of its last sub-packet, not its first.
  bool ack_last_serial = false;
  // HTTPS side (sim_https.cpp); request numbers count across connections.
  std::uint32_t http_5xx_every = 0;     ///< answer every Nth HTTPS request with 503, not stored
  std::chrono::milliseconds http_delay{0};  ///< delay every HTTPS response by this much
  std::uint32_t http_reset_every = 0;   ///< store every Nth upload, then reset mid-response-body
  std::uint32_t http_refuse_every = 0;  ///< answer every Nth with errorcode 9, not stored
};

struct SimOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t tcp_port = 0;    ///< 0 = pick a free port
  std::uint16_t admin_port = 0;  ///< 0 = pick a free port
  std::filesystem::path data_dir;
  /// With both set, the terminal port speaks TLS with this certificate chain and key (PEM).
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  std::string certificate_password = "tta-sim-p12";
  FaultPlan faults;
  /// The supervision platform's HTTPS interface (platform-http.md) on loopback. It serves
  /// tls_cert_file/tls_key_file when set; otherwise a CA and a server certificate for
  /// localhost/127.0.0.1 are made at start and the CA written to data_dir/https-ca.pem.
  bool https = false;
  std::uint16_t https_port = 0;  ///< 0 = pick a free port
  /// Certificates (PEM) whose keys may sign HTTPS requests, besides registered terminals'.
  std::vector<std::filesystem::path> http_client_certs;
  /// The platform's audit rules (training-rules.md §4) applied to everything received.
  AuditRules audit;
};

class PlatformSim {
 public:
  /// Bind both ports and open the database; serving starts when the io_context runs.
  static Result<std::unique_ptr<PlatformSim>> create(boost::asio::io_context& io,
                                                     SimOptions options);
  ~PlatformSim();

  [[nodiscard]] std::uint16_t tcp_port() const;
  [[nodiscard]] std::uint16_t admin_port() const;
  /// With options.https: the HTTPS port and the CA file clients must trust (empty when the
  /// certificate was given).
  [[nodiscard]] std::uint16_t https_port() const;
  [[nodiscard]] std::filesystem::path https_ca_file() const;
  /// HTTPS uploads stored, as served at GET /sim/http: resource, key, sha256, bytes.
  [[nodiscard]] nlohmann::json http_uploads() const;

  /// Counts, as served at GET /sim/summary; minutes_valid counts the minutes the platform's
  /// audit accepts, minutes_void the reasons of the others.
  [[nodiscard]] nlohmann::json summary() const;
  /// Every stored minute with the audit's verdict, as served at GET /sim/minutes.
  [[nodiscard]] nlohmann::json minutes() const;
  /// Every session (student login/logout) with the audit's verdict, GET /sim/sessions.
  [[nodiscard]] nlohmann::json sessions() const;

  /// Send an extended message (a platform command: 0x8501, 0x8502, 0x8301, 0x8205 …) to the
  /// connected terminal with this phone number. Errc::not_found when it is not connected.
  Status send_command(const std::string& phone, std::uint16_t ext_id, const uplink::Bytes& data);
  /// Send a core JT/T 808 command (0x8103, 0x8104, 0x8105, 0x8106) as it is.
  Status send_core_command(const std::string& phone, std::uint16_t msg_id,
                           const uplink::Bytes& body);

  /// Replies the terminals sent to commands (0x0501, 0x0502, 0x0301 …), oldest first.
  [[nodiscard]] nlohmann::json responses() const;

  /// Replace the fault plan; the next frame or request received follows the new one (the
  /// soak test changes faults as it goes).
  void set_faults(const FaultPlan& faults);

  /// Stop accepting and close every connection.
  void stop();

  struct Impl;

 private:
  explicit PlatformSim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tta::sim
