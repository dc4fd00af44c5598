#include <algorithm>
#include <cmath>

#include "tta/gps/geo.hpp"
#include "tta/gps/odometer.hpp"

namespace tta::gps {
namespace {

std::optional<double> seconds_between(const Fix& a, const Fix& b) {
  const auto ta = a.utc();
  const auto tb = b.utc();
  if (ta && tb) return std::chrono::duration<double>(*tb - *ta).count();
  if (a.has(kFieldTime) && b.has(kFieldTime)) {
    // Same day assumed when dates are missing; a wrap at midnight is +24 h.
    int ms = b.time_of_day.ms - a.time_of_day.ms;
    if (ms < -43'200'000) ms += 86'400'000;
    return ms / 1000.0;
  }
  return std::nullopt;
}

WallTime floor_minute(WallTime t) {
  return std::chrono::floor<std::chrono::minutes>(t);
}

}  // namespace

OdometerConfig odometer_config(const config::GpsConfig& cfg) {
  OdometerConfig o;
  o.max_hdop = cfg.max_hdop;
  o.min_satellites = cfg.min_satellites;
  o.stationary_speed_kmh = cfg.stationary_speed_kmh;
  o.noise_m_per_hdop = cfg.noise_m_per_hdop;
  o.max_vehicle_speed_kmh = cfg.max_vehicle_speed_kmh;
  return o;  // max_speed_gap_s keeps its default
}

StepResult Odometer::classify(const Fix& fix) const {
  if (!fix.has_fix()) return StepResult::no_fix;
  if (fix.has(kFieldHdop) && !(fix.hdop <= cfg_.max_hdop)) return StepResult::poor_hdop;
  if (fix.has(kFieldSatsUsed) && fix.sats_used < cfg_.min_satellites) {
    return StepResult::few_satellites;
  }
  return StepResult::counted;
}

OdometerStep Odometer::update(const Fix& fix) {
  const StepResult cls = classify(fix);
  if (cls != StepResult::counted) return {cls, 0};
  if (!anchor_) {
    anchor_ = fix;
    prev_ = fix;
    return {StepResult::counted, 0};
  }
  // The jump test uses the previous good fix (not the anchor, which may be an hour old after a
  // stop and would hide a teleport); the distance is measured from the anchor.
  const Fix prev = *prev_;
  prev_ = fix;
  const auto dt = seconds_between(prev, fix);
  if (dt && *dt <= 0) {
    anchor_ = fix;  // time went backwards or repeated: nothing can be measured
    return {StepResult::jump, 0};
  }
  const double step_m = haversine_m(prev.lat_deg, prev.lon_deg, fix.lat_deg, fix.lon_deg);
  if (dt && step_m / *dt * 3.6 > cfg_.max_vehicle_speed_kmh) {
    anchor_ = fix;
    return {StepResult::jump, 0};
  }
  const double d = haversine_m(anchor_->lat_deg, anchor_->lon_deg, fix.lat_deg, fix.lon_deg);
  const double radius_m = (fix.has(kFieldHdop) ? std::max(fix.hdop, 1.0) : 2.0) * cfg_.noise_m_per_hdop;
  // The speed of a fix speaks for the step only when the previous good fix is recent; across a
  // gap (fix lost, trimmed log) only the displacement can tell.
  const bool speed_covers_step = fix.has(kFieldSpeed) && dt && *dt <= cfg_.max_speed_gap_s;
  if (speed_covers_step) {
    // The receiver's Doppler speed is far less noisy than its position: below the threshold
    // the vehicle is treated as standing, whatever the position wanders. The anchor stays, so
    // what a creeping vehicle covers is counted by the first step above the threshold.
    if (fix.speed_kmh < cfg_.stationary_speed_kmh) return {StepResult::stationary, 0};
  } else if (d <= radius_m) {
    return {StepResult::stationary, 0};  // only the noise radius can tell
  }
  total_m_ += d;
  anchor_ = fix;
  return {StepResult::counted, d};
}

std::optional<MinuteRecord> MinuteAccumulator::roll_to(WallTime minute) {
  std::optional<MinuteRecord> done;
  if (cur_ && cur_->minute_start == minute) return done;
  if (cur_) {
    const auto before = static_cast<std::int64_t>(std::floor(total_at_start_m_ / 100.0));
    const auto after = static_cast<std::int64_t>(std::floor(total_m_ / 100.0));
    cur_->mileage_hm = static_cast<std::uint16_t>(std::clamp<std::int64_t>(after - before, 0, 0xFFFF));
    if (cur_->max_speed_kmh) {
      cur_->max_speed_dkmh = static_cast<std::uint16_t>(
          std::clamp(std::lround(*cur_->max_speed_kmh * 10.0), 0L, 0xFFFFL));
    }
    total_at_start_m_ = total_m_;
    done = std::move(cur_);
  }
  cur_ = MinuteRecord{};
  cur_->minute_start = minute;
  sample_err_ms_ = 0;
  return done;
}

std::optional<MinuteRecord> MinuteAccumulator::add(const Fix& fix, const OdometerStep& step) {
  const auto t = fix.utc();
  if (!t) return std::nullopt;
  const WallTime minute = floor_minute(*t);
  if (cur_ && minute < cur_->minute_start) return std::nullopt;  // time went back: not ours
  auto done = roll_to(minute);
  total_m_ += step.distance_m;
  cur_->distance_m += step.distance_m;
  if (step.good_fix()) {
    ++cur_->good_fixes;
    if (fix.has(kFieldSpeed)) {
      cur_->max_speed_kmh = std::max(cur_->max_speed_kmh.value_or(fix.speed_kmh), fix.speed_kmh);
    }
    const auto in_minute_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(*t - minute).count();
    const std::int64_t err = std::abs(in_minute_ms - 30'000);
    if (!cur_->sample || err < sample_err_ms_) {
      cur_->sample = fix;
      sample_err_ms_ = err;
    }
  }
  return done;
}

std::optional<MinuteRecord> MinuteAccumulator::add_sensor_speed(WallTime at, double speed_kmh) {
  const WallTime minute = floor_minute(at);
  if (cur_ && minute < cur_->minute_start) return std::nullopt;
  auto done = roll_to(minute);
  cur_->max_sensor_speed_kmh = std::max(cur_->max_sensor_speed_kmh.value_or(speed_kmh), speed_kmh);
  return done;
}

std::optional<MinuteRecord> MinuteAccumulator::add_time(WallTime at) {
  const WallTime minute = floor_minute(at);
  if (cur_ && minute < cur_->minute_start) return std::nullopt;
  return roll_to(minute);
}

std::optional<MinuteRecord> MinuteAccumulator::open_minute() const {
  if (!cur_) return std::nullopt;
  MinuteRecord m = *cur_;
  const auto before = static_cast<std::int64_t>(std::floor(total_at_start_m_ / 100.0));
  const auto after = static_cast<std::int64_t>(std::floor(total_m_ / 100.0));
  m.mileage_hm = static_cast<std::uint16_t>(std::clamp<std::int64_t>(after - before, 0, 0xFFFF));
  if (m.max_speed_kmh) {
    m.max_speed_dkmh =
        static_cast<std::uint16_t>(std::clamp(std::lround(*m.max_speed_kmh * 10.0), 0L, 0xFFFFL));
  }
  return m;
}

std::optional<MinuteRecord> MinuteAccumulator::flush() {
  if (!cur_) return std::nullopt;
  auto done = roll_to(cur_->minute_start + std::chrono::minutes{1});
  cur_.reset();
  return done;
}

}  // namespace tta::gps
