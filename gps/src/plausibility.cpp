#include <cmath>

#include "tta/gps/geo.hpp"
#include "tta/gps/plausibility.hpp"

namespace tta::gps {
namespace {

/// Seconds from a to b; when dates are missing, time of day (a wrap at midnight is +24 h).
std::optional<double> dt_s(const Fix& a, const Fix& b) {
  const auto ta = a.utc(), tb = b.utc();
  if (ta && tb) return std::chrono::duration<double>(*tb - *ta).count();
  if (!a.has(kFieldTime) || !b.has(kFieldTime)) return std::nullopt;
  int ms = b.time_of_day.ms - a.time_of_day.ms;
  if (ms < -43'200'000) ms += 86'400'000;
  return ms / 1000.0;
}

}  // namespace

PlausibilityConfig plausibility_config(const config::GpsConfig& cfg) {
  PlausibilityConfig p;
  p.max_vehicle_speed_kmh = cfg.max_vehicle_speed_kmh;
  p.frozen_epochs = cfg.frozen_epochs;
  p.frozen_min_speed_kmh = cfg.stationary_speed_kmh;
  p.speed_mismatch_kmh = cfg.speed_mismatch_kmh;
  return p;
}

void PlausibilityMonitor::on_sensor_speed(MonoTime at, double speed_kmh) {
  sensor_at_ = at;
  sensor_kmh_ = speed_kmh;
}

PlausibilityReport PlausibilityMonitor::on_fix(const Fix& fix, MonoTime received) {
  PlausibilityReport r;
  if (fix.has(kFieldTime)) {
    if (prev_timed_) {
      if (const auto dt = dt_s(*prev_timed_, fix); dt && *dt < 0) r.signals |= kSignalTimeBackwards;
    }
    prev_timed_ = fix;
  }
  if (!fix.has_fix()) return r;
  if (prev_good_) {
    const auto dt = dt_s(*prev_good_, fix);
    const double d = haversine_m(prev_good_->lat_deg, prev_good_->lon_deg, fix.lat_deg, fix.lon_deg);
    if (dt && *dt > 0) {
      r.implied_speed_kmh = d / *dt * 3.6;
      if (r.implied_speed_kmh > cfg_.max_vehicle_speed_kmh) r.signals |= kSignalPositionJump;
    }
    const bool moving = fix.has(kFieldSpeed) && fix.speed_kmh > cfg_.frozen_min_speed_kmh;
    const bool same = prev_good_->has(kFieldSpeed) && fix.has(kFieldSpeed) &&
                      prev_good_->lat_deg == fix.lat_deg && prev_good_->lon_deg == fix.lon_deg &&
                      prev_good_->speed_kmh == fix.speed_kmh;
    identical_ = (moving && same) ? identical_ + 1 : 0;
    // identical_ counts repeats; the run is that many plus the first.
    if (identical_ > 0 && identical_ + 1 >= cfg_.frozen_epochs) {
      r.signals |= kSignalFrozenFix;
    }
    r.identical_epochs = identical_ > 0 ? identical_ + 1 : 0;
  }
  prev_good_ = fix;
  if (fix.has(kFieldSpeed) && sensor_at_ && received >= *sensor_at_ &&
      received - *sensor_at_ <= cfg_.sensor_max_age) {
    r.gnss_speed_kmh = fix.speed_kmh;
    r.sensor_speed_kmh = sensor_kmh_;
    if (std::abs(fix.speed_kmh - sensor_kmh_) > cfg_.speed_mismatch_kmh) {
      r.signals |= kSignalSpeedMismatch;
    }
  }
  return r;
}

}  // namespace tta::gps
