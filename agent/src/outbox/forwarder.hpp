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
/// Acks are written in one transaction per batch: as soon as nothing else is in flight (a
/// minute sent as it is made is written at once), else when half the window is acked or
/// `ack_flush_delay` after the first unwritten ack. Each commit waits for the disk, so while
/// a backlog drains this is one commit per half window instead of one per ack or two.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tta/core/clock.hpp"
#include "outbox/kinds.hpp"
#include "outbox/pump.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/session.hpp"

namespace tta::agent {

struct ForwarderOptions {
  std::size_t window = 64;                              ///< entries in flight at once
  std::chrono::milliseconds pump_interval{1000};        ///< how often due entries are looked for
  std::chrono::milliseconds retry_min{1000};            ///< backoff after a failure …
  std::chrono::milliseconds retry_max{300'000};         ///< … doubling up to this
  /// Longest time an ack waits to be written with others while more entries are in flight.
  std::chrono::milliseconds ack_flush_delay{50};
};

struct ForwarderStats {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t failed = 0;
  std::uint64_t resent_flagged = 0;
  std::uint64_t photos_sent = 0;
};

class Forwarder {
 public:
  /// `clock` stamps and schedules entries. Its monotonic time must be the session's (FixClock
  /// over the session's clock, as `run` and `simulate` wire it): the re-sent flag places the
  /// session's connection time on it.
  Forwarder(boost::asio::io_context& io, store::Store& store, uplink::TerminalSession& session,
            const Clock& clock, ForwarderOptions options = {},
            std::function<double()> random01 = {});

  /// Start pumping; call `poke()` after adding entries to send them without waiting.
  void start();
  void stop();
  void poke();
  /// Called with every extension reply the platform sends to a queued entry (0x8101, 0x8201 …),
  /// e.g. to keep the text they carry for the terminal's screen.
  void on_reply(std::function<void(const uplink::ExtendedMessage&)> fn) { on_reply_ = std::move(fn); }

  [[nodiscard]] const ForwarderStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.size(); }

 private:
  void pump();
  void send(const store::OutboxEntry& e);
  void send_photo(const store::OutboxEntry& e, bool resent);
  void finish(std::int64_t id, std::int32_t attempts, const Result<uplink::Reply>& r);
  void flush_acks();
  void schedule_flush();

  boost::asio::io_context& io_;
  store::Store& store_;
  uplink::TerminalSession& session_;
  const Clock& clock_;
  ForwarderOptions opt_;
  std::function<double()> random01_;
  std::function<void(const uplink::ExtendedMessage&)> on_reply_;
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> acked_;  // acked, not yet written
  bool flush_posted_ = false;
  boost::asio::steady_timer flush_timer_;
  bool flush_timer_armed_ = false;
  std::uint64_t flush_gen_ = 0;
  ForwarderStats stats_;
  // Re-sent (补传) means made while the platform was out of reach (terminal-protocol.md §2.1,
  // §2.5): an entry made before the current connection came up. The session counts its
  // authentications and says when the last one was, on the monotonic clock this forwarder's
  // clock shares with it (FixClock carries its base clock's); a new count is a new connection,
  // and its start is placed on this clock's wall time at the next pump.
  std::uint64_t seen_authentications_ = 0;
  std::int64_t online_since_ms_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it
  Pump pump_;  // last: its handlers call pump()
};

}  // namespace tta::agent
