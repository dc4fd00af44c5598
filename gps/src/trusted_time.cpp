#include "tta/core/time_util.hpp"
#include "tta/gps/trusted_time.hpp"

namespace tta::gps {

WallTime correct_week_rollover(WallTime gnss_utc, WallTime floor) {
  for (int i = 0; i < 4 && gnss_utc < floor; ++i) gnss_utc += kGpsRollover;
  return gnss_utc;
}

TrustedTime::TrustedTime(const Clock& clock, TrustedTimeConfig cfg) : clock_(clock), cfg_(cfg) {}

void TrustedTime::load_last_trusted(WallTime t) {
  if (!last_trusted_ || t > *last_trusted_) last_trusted_ = t;
}

GnssTimeVerdict TrustedTime::on_fix(const Fix& fix) {
  const auto raw = fix.utc();
  if (!fix.has_fix() || !raw) return GnssTimeVerdict::no_fix;
  const WallTime t = correct_week_rollover(*raw, cfg_.min_valid_utc);
  if (t < cfg_.min_valid_utc) return GnssTimeVerdict::implausible;
  if (last_trusted_ && t + cfg_.gnss_backward_tolerance < *last_trusted_) {
    return GnssTimeVerdict::before_last_trusted;
  }
  anchor_utc_ = t;
  anchor_mono_ = clock_.mono_now();
  if (!last_trusted_ || t > *last_trusted_) last_trusted_ = t;
  return t == *raw ? GnssTimeVerdict::accepted : GnssTimeVerdict::rollover_corrected;
}

Result<TrustedStamp> TrustedTime::now() {
  TrustedStamp s;
  if (anchor_utc_) {
    const auto age = clock_.mono_now() - anchor_mono_;
    s.utc = *anchor_utc_ + std::chrono::duration_cast<WallTime::duration>(age);
    s.source = age <= cfg_.gnss_fresh ? TimeSource::gnss : TimeSource::gnss_held;
  } else {
    const WallTime rtc = clock_.wall_now();
    if (rtc < cfg_.min_valid_utc) {
      return fail(Errc::unavailable, "no GNSS time and the RTC reads " + iso8601_utc(rtc) +
                                         ", before " + iso8601_utc(cfg_.min_valid_utc));
    }
    if (last_trusted_ && rtc < *last_trusted_) {
      return fail(Errc::unavailable, "no GNSS time and the RTC reads " + iso8601_utc(rtc) +
                                         ", before the last trusted time " +
                                         iso8601_utc(*last_trusted_));
    }
    s.utc = rtc;
    s.source = TimeSource::rtc;
  }
  if (last_trusted_ && s.utc < *last_trusted_) s.utc = *last_trusted_;
  last_trusted_ = s.utc;
  return s;
}

}  // namespace tta::gps
