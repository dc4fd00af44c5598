#pragma once
/// The terminal's TCP session with the timing platform (terminal-protocol.md §2.5):
/// connect (optionally TLS), register once (credentials kept by the caller's CredentialStore),
/// authenticate on every connection, heartbeat, signed extended messages matched to their
/// acks or replies with timeouts, sub-packets kept to serve 0x8003 re-send requests, and
/// reconnection with exponential backoff and full jitter.
///
/// Everything runs on the caller's io_context, on one thread; callbacks run on it too. The
/// session knows no SQL: delivery state (which record was acked) is the caller's, keyed by
/// record number or photo number, never by the wrapping serial number.

#include <utility>  // before Asio (Boost 1.74 with GCC 12)

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/subpacket.hpp"
#include "tta/uplink/position.hpp"

namespace tta::uplink {

/// What registration (0x8100) returned; the terminal keeps it for life.
struct Credentials {
  std::string platform_no;
  std::string institution_no;
  std::string terminal_no;
  std::string certificate_password;
  std::string certificate_base64;
};

/// Where the session keeps its credentials. The agent backs it with the encrypted store.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  [[nodiscard]] virtual Result<std::optional<Credentials>> load() = 0;
  [[nodiscard]] virtual Status save(const Credentials& c) = 0;
};

/// Receives what the platform sends on its own initiative, and connection changes.
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  /// Authenticated: requests can be sent.
  virtual void on_online() {}
  /// The connection ended; pending requests were failed with Errc::unavailable.
  virtual void on_offline(const Error& why) { (void)why; }
  /// A platform command in 0x8900 (0x8501, 0x8502, 0x8503, 0x8301, 0x8302, 0x8304, 0x8205 …).
  /// The session has already sent the general ack; the listener answers with send_extended.
  virtual void on_platform_command(const ExtendedMessage& m) = 0;
  /// A core command (0x8103, 0x8104, 0x8105, 0x8106). For 0x8103 and 0x8105 the return value
  /// is the general ack's result (0 ok, 1 fail, 3 unsupported), sent right after; 0x8104 and
  /// 0x8106 are answered by the listener with send_reply(0x0104, …). Whatever changes the
  /// connection (0x8105 reset) must be posted, not done inside this call.
  virtual std::uint8_t on_core_command(const Frame& f) {
    (void)f;
    return 0;
  }
  /// A 0x8900 the session refused (general ack result 2 or 3 sent back): for the log.
  virtual void on_refused_message(const Error& why) { (void)why; }
};

struct SessionOptions {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  std::filesystem::path ca_file;  ///< with tls; empty = the system store
  std::string phone;              ///< BCD[8] in every header
  Register registration;          ///< the 0x0100 body, sent once in the terminal's life
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds heartbeat{30'000};
  std::chrono::milliseconds ack_timeout{10'000};
  /// Registration waits longer: the platform issues a certificate for it.
  std::chrono::milliseconds register_timeout{30'000};
  std::chrono::milliseconds reconnect_min{1'000};
  std::chrono::milliseconds reconnect_max{300'000};
  std::size_t subpacket_bytes = 1000;
  /// Sent frames kept for 0x8003 re-send requests.
  std::size_t resend_cache_frames = 4096;
  /// Split messages from the platform (reassembly bounds; resend_after and
  /// max_resend_requests drive the terminal's own re-send requests).
  ReassemblyOptions reassembly;
  /// Message ID of the terminal's re-send request; 0 = never ask (config [uplink.tcp]).
  std::uint16_t resend_request_id = 0x0005;
  /// How often incomplete sets are looked at (asked for again, expired).
  std::chrono::milliseconds reassembly_tick{1000};

  /// Options from the agent's config (terminal identity and [uplink.tcp]).
  static SessionOptions from_config(const config::Config& cfg);
};

/// How a request ended: the general-ack result, or the extension reply.
struct Reply {
  std::uint8_t ack_result = 0;           ///< 0x8001 result (0 ok) when acked that way
  std::optional<ExtendedMessage> reply;  ///< the 0x8900 reply (0x8101, 0x8201, 0x8305 …)
};

struct SessionStats {
  std::uint64_t connects = 0;
  std::uint64_t registrations = 0;
  std::uint64_t authentications = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t bad_frames = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t resent_on_request = 0;
  std::uint64_t bad_messages = 0;  ///< 0x8900 bodies refused as malformed
  /// Incomplete sub-packet sets from the platform dropped: older than the reassembly timeout,
  /// or evicted to keep the connection's memory bounded.
  std::uint64_t incomplete_dropped = 0;
  /// Re-send requests the terminal sent for parts of the platform's split messages.
  std::uint64_t resend_requests_sent = 0;
  /// When the current (or last) connection was authenticated, on the session clock's
  /// monotonic time; unset before the first.
  std::optional<MonoTime> online_since;
};

class TerminalSession {
 public:
  using Done = std::function<void(Result<Reply>)>;

  /// `random01` returns uniform numbers in [0, 1) for the backoff jitter (tests pass a
  /// deterministic one). The referenced objects must outlive the session.
  TerminalSession(boost::asio::io_context& io, SessionOptions options, const Clock& clock,
                  CredentialStore& credentials, SessionListener& listener,
                  std::function<double()> random01 = {});
  ~TerminalSession();
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  /// Start connecting (and reconnecting) until stop().
  void start();
  /// Close the connection; pending requests fail with Errc::unavailable.
  void stop();

  [[nodiscard]] bool online() const;
  /// The terminal number from registration (empty before).
  [[nodiscard]] std::string terminal_no() const;
  [[nodiscard]] SessionStats stats() const;

  /// Sign and send an extended message in 0x0900. The session fills in the terminal number
  /// and the training packet number and signs it (set `resent` first: the flag is signed).
  /// `done` gets the 0x8001 ack or the matching 0x8900 reply, or Errc::timeout /
  /// Errc::unavailable. Offline: `done` fails at once, nothing is queued here.
  void send_extended(ExtendedMessage m, Done done);

  /// How many frames (sub-packets) a signed extended message with `ext_data_bytes` of data
  /// takes in 0x0900 — the "total packets" of a 0x0305 photo announcement.
  [[nodiscard]] std::uint16_t packets_for(std::size_t ext_data_bytes) const;

  /// Send a 0x0200 position report; `done` gets its ack.
  void send_position(const PositionReport& p, Done done);
  /// Send a core message that answers the platform (0x0104) as it is; dropped when offline.
  void send_reply(std::uint16_t msg_id, const Bytes& body);
  /// A new heartbeat interval, from the next beat on.
  void set_heartbeat(std::chrono::milliseconds interval);
  /// Close the connection and connect again (the platform's 0x8105 reset); `why` goes to
  /// on_offline.
  void reconnect(const std::string& why);

  /// The delay before reconnect attempt `attempt` (0-based): uniform in
  /// [0, min(max, min·2^attempt)) — "full jitter".
  [[nodiscard]] static std::chrono::milliseconds backoff(std::size_t attempt,
                                                         std::chrono::milliseconds min,
                                                         std::chrono::milliseconds max,
                                                         double random01);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tta::uplink
