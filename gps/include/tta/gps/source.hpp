#pragma once
/// GNSS sources behind one interface, chosen by a URI:
///  - `replay:///path/log.nmea?rate=1`: a captured log, paced by the given Clock (rate = speed-up
///    factor; `rate=0` = as fast as possible);
///  - `serial:///dev/ttyS1?baud=9600`: a receiver on a serial port; reopened when it vanishes;
///  - `gpsd://127.0.0.1:2947`: a gpsd daemon's JSON WATCH protocol with raw NMEA; reconnects.
/// All run on the one `boost::asio::io_context` passed in; no threads of their own. Fix handlers
/// are called on that context's thread.

#include <utility>  // before Asio (Boost 1.74 with GCC 12 in C++20)

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/core/scheduler.hpp"
#include "tta/core/uri.hpp"
#include "tta/gps/fix.hpp"

namespace tta::gps {

/// Counters of a source.
struct SourceStats {
  DecodeStats decode;
  std::uint64_t connects = 0;      ///< successful opens/connections
  std::uint64_t disconnects = 0;   ///< device vanished / connection lost
  std::uint64_t json_lines = 0;    ///< gpsd: JSON reports received (VERSION, DEVICES, WATCH …)
  bool connected = false;
  std::uint64_t failed_attempts = 0;  ///< opens/connects that failed (device absent, gpsd down)
  std::int64_t next_retry_ms = 0;  ///< the last back-off chosen (jittered), for /status and tests
  bool finished = false;           ///< replay: the whole log has been delivered
  std::string last_error;          ///< most recent I/O problem, for logs
};

/// A stream of fixes.
class GnssSource {
 public:
  using FixHandler = std::function<void(const Fix&)>;
  virtual ~GnssSource() = default;
  /// Begin delivering fixes to `on_fix` (via the io_context). An error here is final
  /// (e.g. a replay file that does not exist); a missing serial device or gpsd is not: the
  /// source keeps retrying and reports it in `stats()`.
  virtual Status start(FixHandler on_fix) = 0;
  /// Stop delivering; pending operations are cancelled. Idempotent.
  virtual void stop() = 0;
  [[nodiscard]] virtual SourceStats stats() const = 0;
};

/// A parsed source URI (tta/core/uri.hpp) with gpsd's host and port taken out of the path.
struct SourceUri : Uri {
  // scheme: "replay", "serial" or "gpsd"; path: replay/serial: file or device path (gpsd: empty)
  std::string host;  ///< gpsd
  std::uint16_t port = 2947;
};

/// Parse `scheme://…?k=v&…`. Unknown schemes and malformed ports are errors.
[[nodiscard]] Result<SourceUri> parse_source_uri(std::string_view uri);

/// Build the source a URI names. Query options: replay `rate` (default 1); serial `baud`
/// (default 9600), `reconnect_ms` (default 1000); gpsd `reconnect_ms` (default 1000).
/// A live source retries after a jittered back-off (uniform in [b/2, b], b doubling from
/// reconnect_ms to 30 s) on `timers` when given (the daemon's Scheduler: virtual time in
/// tests; it must outlive the source), else on an Asio timer; it logs each connect, loss and
/// the first of a run of failed attempts.
[[nodiscard]] Result<std::unique_ptr<GnssSource>> make_source(std::string_view uri,
                                                              boost::asio::io_context& io,
                                                              const Clock& clock,
                                                              Scheduler* timers = nullptr);

/// Replays a captured NMEA log (`#` lines are comments).
///
/// Paced (`rate > 0`): a fix is released when `clock.mono_now()` has advanced, since `start()`,
/// by the fix's UTC offset from the first fix divided by `rate` (times that run backwards add no
/// delay). `poll()` releases what is due; `start()` also runs a timer on the io_context that polls
/// at the next due time (at least every 20 ms), so with a real clock nothing else is needed, and
/// tests on a FakeClock call `poll()`.
/// As fast as possible (`rate == 0`): chunks are decoded in posted handlers until the end.
class ReplaySource final : public GnssSource {
 public:
  ReplaySource(boost::asio::io_context& io, const Clock& clock, std::filesystem::path path,
               double rate);
  ~ReplaySource() override;
  Status start(FixHandler on_fix) override;
  void stop() override;
  [[nodiscard]] SourceStats stats() const override;
  /// Release every fix that is due (with rate 0: every fix); returns true while fixes remain.
  bool poll();

 private:
  bool fill();  ///< decode the next chunk into pending_; false at end of input
  void run_fast();
  void arm_timer();

  boost::asio::io_context& io_;
  const Clock& clock_;
  std::filesystem::path path_;
  double rate_;
  std::ifstream in_;
  std::vector<char> chunk_;
  NmeaDecoder decoder_{true};
  std::deque<std::pair<std::int64_t, Fix>> pending_;  ///< (virtual ms, fix)
  FixHandler on_fix_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_;
  bool running_ = false;
  bool eof_ = false;
  MonoTime start_mono_{};
  std::optional<MonoTime> next_due_;  ///< when the first pending fix is due
  std::optional<std::int32_t> last_tod_ms_;
  std::int64_t virtual_ms_ = 0;  ///< UTC elapsed since the first fix (never decreasing)
};

}  // namespace tta::gps
