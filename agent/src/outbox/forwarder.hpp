#pragma once
/// The forwarder: store → outbox → TCP session (osquery's buffered forwarder, for JT/T 808).
/// Every training record, photo and login made on this terminal is written to the encrypted
/// store first with an outbox entry; the forwarder sends due entries, marks them acked only
/// when the platform acked them, and backs off (exponential, full jitter) on failure. Nothing
/// is deleted, and an entry's identity is its natural key (record number, photo number),
/// never the wrapping serial number.
///
/// What is in flight is known only in memory: after a crash every unacked entry is simply
/// due again and goes out once more, marked re-sent; the platform deduplicates by its key.
/// The delivery core (delivery.hpp) does the picking, batching, backoff and marking; this file
/// is how one entry goes over the JT/T 808 session.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "tta/core/clock.hpp"
#include "outbox/kinds.hpp"
#include "outbox/delivery.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/session.hpp"

namespace tta::agent {

/// What the TCP forwarder needs of the terminal's session: uplink::TerminalSession, or a fake
/// (tests/support/fake_terminal_link.hpp). Called on the loop thread only.
class TerminalLink {
 public:
  virtual ~TerminalLink() = default;
  [[nodiscard]] virtual bool online() const = 0;
  /// Only `authentications` and `online_since` are read: a new count is a new connection.
  [[nodiscard]] virtual uplink::SessionStats stats() const = 0;
  /// As TerminalSession::send_extended: `done` gets the ack or reply, or fails.
  virtual void send_extended(uplink::ExtendedMessage m, uplink::TerminalSession::Done done) = 0;
  /// As TerminalSession::packets_for.
  [[nodiscard]] virtual std::uint16_t packets_for(std::size_t ext_data_bytes) const = 0;
};

struct ForwarderOptions {
  std::size_t window = 64;                              ///< entries in flight at once
  std::chrono::milliseconds pump_interval{1000};        ///< how often due entries are looked for
  std::chrono::milliseconds retry_min{1000};            ///< backoff after a failure …
  std::chrono::milliseconds retry_max{300'000};         ///< … doubling up to this
  /// Longest time an ack waits to be written with others while more entries are in flight.
  std::chrono::milliseconds ack_flush_delay{50};
  /// uplink.tcp.test_platform: SIMULATED entries are sent (delivery.hpp).
  bool test_platform = false;
  /// A record the platform refuses (non-zero ack result) is tried this often in all, then
  /// kept refused ([uplink.tcp] max_refusals).
  int max_refusals = 5;
};

struct ForwarderStats {
  std::uint64_t sent = 0;            ///< entries put on the wire (a photo once)
  std::uint64_t acked = 0;
  std::uint64_t failed = 0;          ///< attempts that will be retried
  std::uint64_t resent_flagged = 0;  ///< sent with the re-sent (补传) flag
  std::uint64_t photos_sent = 0;     ///< photo bodies (0x0306) sent after a 0x8305 go-ahead
  std::int64_t last_ack_ms = 0;      ///< wall time of the last ack (0: none yet)
  std::string last_error;            ///< the last refusal's or failed attempt's reason
};

/// The TCP channel over the delivery core (delivery.hpp): "tcp." kinds as extended messages,
/// photos as 0x0305→0x8305→0x0306. A non-zero 0x8001 result is retried; a 0x8305 refusal, an
/// unknown kind or a photo that cannot be read is refused with the reason.
class Forwarder {
 public:
  /// `clock` stamps and schedules entries. Its monotonic time must be the session's (FixClock
  /// over the session's clock, as `run` and `simulate` wire it): the re-sent flag places the
  /// session's connection time on it. Store, session and clock must outlive the forwarder.
  Forwarder(boost::asio::io_context& io, store::Store& store, uplink::TerminalSession& session,
            const Clock& clock, ForwarderOptions options = {},
            std::function<double()> random01 = {});
  /// The same over any link (tests pass a fake).
  Forwarder(boost::asio::io_context& io, store::Store& store, TerminalLink& link,
            const Clock& clock, ForwarderOptions options = {},
            std::function<double()> random01 = {});
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Start pumping; call `poke()` after adding entries to send them without waiting.
  void start();
  /// Stop pumping and write pending acks; outcomes still arriving are recorded.
  void stop();
  void poke();
  /// Called with every extension reply the platform sends to a queued entry (0x8101, 0x8201 …),
  /// e.g. to keep the text they carry for the terminal's screen.
  void on_reply(std::function<void(const uplink::ExtendedMessage&)> fn);

  [[nodiscard]] ForwarderStats stats() const;
  [[nodiscard]] std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tta::agent
