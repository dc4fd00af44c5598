#pragma once
/// The delivery core under both forwarders (osquery's buffered forwarder): what the TCP and
/// the HTTPS forwarder share, so that each is only the way its channel sends one entry.
///
///   lifecycle   start / stop / poke over a Pump (pump.hpp) on the event-loop thread
///   picking     due entries of the channel's kinds, oldest first, never one already in
///               flight here, at most `window` in flight at once
///   outcome     acked   → kept in flight until written; acks are written in batches (below)
///               refused → marked refused with the reason, never retried by itself (an
///                         administrator requeues); a SIMULATED entry is refused unsent
///                         unless the platform is a test platform
///               rejected→ the platform said no to this attempt (a non-zero ack result):
///                         retried with the backoff below up to `max_refusals` refusals in
///                         all, then refused with the reason (visible in `tta-agent outbox`
///                         and on the admin page, retryable by hand)
///               retry   → back in the queue after a full-jitter exponential backoff:
///                         uniform in [0, min(retry_max, retry_min·2^(attempt-1)))
///
/// Acks are written in one transaction per batch: at once when nothing else is in flight (a
/// minute sent as it is made is written at once), else when half the window is acked, or
/// `ack_flush_delay` after the first unwritten ack (0: at the end of the loop turn). Each
/// commit waits for the disk, so while a backlog drains this is one commit per half window.
///
/// What is in flight is known only in memory: after a crash every unacked entry is due again
/// and goes out once more; the platforms keep one per natural key. After stop() nothing new
/// is sent, and an outcome that still arrives is recorded at once (an ack written, a refusal
/// or retry marked), so a clean stop loses no ack it was told of.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "outbox/kinds.hpp"
#include "outbox/pump.hpp"
#include "tta/core/clock.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// What one attempt at an entry came to, as its channel judges it.
struct DeliveryOutcome {
  enum class Verdict : std::uint8_t {
    acked,    ///< the platform has it
    refused,  ///< the platform said no, or the entry can never be sent: kept with the reason
    retry,    ///< a transient failure (offline, timeout, 5xx): tried again, no cap
    rejected, ///< the platform refused this attempt: tried again up to max_refusals times
  };
  Verdict verdict = Verdict::retry;
  std::string reason;  ///< refused / retry: the outbox's last_error, for the administrator

  static DeliveryOutcome ack() { return {Verdict::acked, {}}; }
  static DeliveryOutcome refuse(std::string why) { return {Verdict::refused, std::move(why)}; }
  static DeliveryOutcome retry(std::string why) { return {Verdict::retry, std::move(why)}; }
  static DeliveryOutcome reject(std::string why) { return {Verdict::rejected, std::move(why)}; }
};

/// A channel's way of sending one entry (the TCP session, the HTTPS client). Called on the
/// loop thread only.
class DeliveryTransport {
 public:
  using Done = std::function<void(DeliveryOutcome)>;
  virtual ~DeliveryTransport() = default;

  /// Called once at every pump, before entries are picked: whether any can be sent now (the
  /// TCP session is online). Nothing is picked while it says no.
  [[nodiscard]] virtual bool ready() { return true; }
  /// Start sending `e` (`e.attempts` counts the attempts before this one). Call `done` exactly
  /// once, on the loop thread: later, or before returning for an entry that can never be sent.
  /// Calling it after the core is gone does nothing.
  virtual void send(const store::OutboxEntry& e, Done done) = 0;
};

struct DeliveryOptions {
  OutboxChannel channel = OutboxChannel::tcp;     ///< whose kinds are picked
  std::size_t window = 64;                        ///< entries in flight at once (≥ 1)
  std::chrono::milliseconds pump_interval{1000};  ///< how often due entries are looked for
  std::chrono::milliseconds retry_min{1000};      ///< backoff after a failure …
  std::chrono::milliseconds retry_max{300'000};   ///< … doubling up to this
  /// Longest time an ack waits to be written with others while more entries are in flight;
  /// 0: written at the end of the loop turn it arrived in.
  std::chrono::milliseconds ack_flush_delay{50};
  /// The platform is a test platform (uplink.*.test_platform): only then are entries marked
  /// SIMULATED sent; elsewhere each is refused unsent, with kSimulatedRefusal as the reason.
  bool test_platform = false;
  /// Refusals (`rejected` outcomes) an entry gets before it stays refused (≥ 1).
  int max_refusals = 5;
};

/// Why a SIMULATED entry stays in the outbox, unsent, on a platform that is not a test one.
inline constexpr std::string_view kSimulatedRefusal =
    "SIMULATED record (agent.simulated): sent only to a platform marked test_platform = true; "
    "never to a production platform as real";

struct DeliveryStats {
  std::uint64_t started = 0;  ///< entries handed to the transport
  std::uint64_t acked = 0;
  std::uint64_t refused = 0;
  std::uint64_t retried = 0;
  std::uint64_t rejected = 0;  ///< refusals that were tried again
  std::uint64_t ack_commits = 0;  ///< transactions that wrote acks
  std::int64_t last_ack_ms = 0;   ///< wall time of the last ack (0: none yet), for /status
  std::string last_error;         ///< the last refusal's or failed attempt's reason
  std::int64_t last_error_ms = 0;
};

class DeliveryCore {
 public:
  /// `random01` gives uniform numbers in [0, 1) for the jitter (default: a seeded mt19937_64).
  /// `clock` stamps and schedules entries (wall time). Store, transport and clock must
  /// outlive the core.
  DeliveryCore(boost::asio::io_context& io, store::Store& store, DeliveryTransport& transport,
               const Clock& clock, DeliveryOptions options,
               std::function<double()> random01 = {});
  /// Stops (writing pending acks). Outcomes arriving later are ignored.
  ~DeliveryCore();
  DeliveryCore(const DeliveryCore&) = delete;
  DeliveryCore& operator=(const DeliveryCore&) = delete;

  /// Start pumping; `poke()` after enqueuing sends without waiting for the next pump.
  void start();
  /// Stop pumping and write pending acks.
  void stop();
  void poke();
  [[nodiscard]] bool running() const { return pump_.running(); }

  [[nodiscard]] const DeliveryStats& stats() const { return stats_; }
  /// Entries sent and not settled (acks not yet written count).
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.size(); }
  [[nodiscard]] const DeliveryOptions& options() const { return opt_; }

 private:
  void pump();
  void send(const store::OutboxEntry& e);
  void finish(std::int64_t id, std::int32_t attempts, const DeliveryOutcome& outcome);
  void schedule_flush();
  void flush_acks();
  [[nodiscard]] std::int64_t now_ms() const { return unix_millis(clock_.wall_now()); }

  boost::asio::io_context& io_;
  store::Store& store_;
  DeliveryTransport& transport_;
  const Clock& clock_;
  DeliveryOptions opt_;
  std::function<double()> random01_;
  std::string name_;  // for the log: "tcp outbox", "http outbox"
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> acked_;  // acked, not yet written
  bool flush_posted_ = false;
  boost::asio::steady_timer flush_timer_;
  bool flush_timer_armed_ = false;
  std::uint64_t flush_gen_ = 0;
  DeliveryStats stats_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it
  Pump pump_;  // last: its handlers call pump()
};

}  // namespace tta::agent
