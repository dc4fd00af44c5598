#pragma once
/// Trusted time (training-rules.md §6): GNSS time while it has a fix, carried forward on the
/// monotonic clock; otherwise the RTC, but only when it is not before the last trusted time
/// (which the agent persists: load it at start-up, save `last_trusted()` when convenient).
/// GPS week-rollover dates (1024-week jumps back) are corrected; a stamp is never earlier than
/// the last trusted time.

#include <chrono>
#include <cstdint>
#include <optional>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/gps/fix.hpp"

namespace tta::gps {

/// One GPS week-number rollover: 1024 weeks.
inline constexpr std::chrono::seconds kGpsRollover{1024LL * 7 * 86'400};

/// Settings of TrustedTime.
struct TrustedTimeConfig {
  /// No genuine time is earlier than this (the software's release): an earlier GNSS date is a
  /// week-rollover victim, an earlier RTC is unset. Default 2024-01-01T00:00:00Z.
  WallTime min_valid_utc = WallTime{std::chrono::seconds{1'704'067'200}};
  /// GNSS time may lag the last trusted time by this much (output latency) and still be used;
  /// stamps themselves never go back.
  std::chrono::milliseconds gnss_backward_tolerance{2000};
  /// GNSS time older than this is reported as `gnss_held` (extrapolated on the monotonic clock).
  std::chrono::seconds gnss_fresh{5};
};

/// Add 1024-week periods to a GNSS time earlier than `floor` until it is not (at most 4).
[[nodiscard]] WallTime correct_week_rollover(WallTime gnss_utc, WallTime floor);

/// Where a trusted stamp came from.
enum class TimeSource : std::uint8_t {
  gnss,       ///< a fixed GNSS time within `gnss_fresh`, carried on the monotonic clock
  gnss_held,  ///< an older GNSS time carried on the monotonic clock (fix lost since)
  rtc,        ///< the real-time clock, not before the last trusted time
};

/// A time fit for stamping a record.
struct TrustedStamp {
  WallTime utc;
  TimeSource source = TimeSource::rtc;
};

/// What happened to a fix's time.
enum class GnssTimeVerdict : std::uint8_t {
  accepted,
  rollover_corrected,   ///< accepted after adding 1024-week periods
  no_fix,               ///< no fix or no date+time: not used
  before_last_trusted,  ///< earlier than the last trusted time: rejected (flag it)
  implausible,          ///< still before the floor after correction: rejected
};

/// Decides the time to stamp records with.
class TrustedTime {
 public:
  explicit TrustedTime(const Clock& clock, TrustedTimeConfig cfg = {});
  /// The last trusted time the agent persisted (call once at start-up).
  void load_last_trusted(WallTime t);
  /// The latest trusted time handed out or learnt from GNSS; the agent persists it.
  [[nodiscard]] std::optional<WallTime> last_trusted() const { return last_trusted_; }
  /// Offer a fix's time.
  GnssTimeVerdict on_fix(const Fix& fix);
  /// The time to stamp with now. Fails with Errc::unavailable when there is no GNSS time and
  /// the RTC is before the last trusted time or before `min_valid_utc` (e.g. 1970).
  [[nodiscard]] Result<TrustedStamp> now();

 private:
  const Clock& clock_;
  TrustedTimeConfig cfg_;
  std::optional<WallTime> last_trusted_;
  std::optional<WallTime> anchor_utc_;
  MonoTime anchor_mono_{};
};

}  // namespace tta::gps
