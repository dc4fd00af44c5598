#pragma once
/// Mileage from GNSS fixes, and the per-minute figures of the 0x0203 training-hour record
/// (terminal-protocol.md §1.2: max speed in 0.1 km/h from the satellite, mileage in 0.1 km in
/// this minute, GNSS sampled at second 30). The vehicle's own speed sensor is a separate,
/// optional input whose values are kept apart and never mixed with GNSS values.

#include <cstdint>
#include <optional>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/gps/fix.hpp"

namespace tta::gps {

/// Thresholds for trusting a fix and for rejecting stationary drift.
struct OdometerConfig {
  double max_hdop = 5.0;              ///< fixes with a higher HDOP are rejected
  std::uint32_t min_satellites = 4;   ///< fixes with fewer satellites used are rejected
  double stationary_speed_kmh = 1.5;  ///< below this GNSS speed the vehicle is standing
  double noise_m_per_hdop = 5.0;      ///< without speed: noise radius = max(HDOP,1) × this
  double max_vehicle_speed_kmh = 200; ///< a step implying more is a jump, not distance
  double max_speed_gap_s = 5.0;       ///< a fix's speed judges the step only after a gap this short
};

/// Odometer settings from the [gps] config section.
[[nodiscard]] OdometerConfig odometer_config(const config::GpsConfig& cfg);

/// Why a fix did not add distance.
enum class StepResult : std::uint8_t {
  counted,        ///< distance added (possibly 0 for the first fix)
  no_fix,         ///< no position or the receiver says the fix is invalid
  poor_hdop,      ///< HDOP above max_hdop
  few_satellites, ///< fewer than min_satellites
  stationary,     ///< standing (slow, or no speed and within the noise radius): ignored
  jump,           ///< implied speed above max_vehicle_speed_kmh: re-anchored, not counted
};

/// Result of feeding one fix.
struct OdometerStep {
  StepResult result = StepResult::no_fix;
  double distance_m = 0;     ///< added by this fix
  [[nodiscard]] bool good_fix() const {
    return result == StepResult::counted || result == StepResult::stationary ||
           result == StepResult::jump;
  }
};

/// Accumulates distance between successive good fixes.
///
/// Rule (documented for auditors): a fix is *good* when `Fix::has_fix()` holds, its HDOP (when
/// known) is at most `max_hdop` and its satellite count (when known) is at least
/// `min_satellites`. Distance is measured from an *anchor*, the last good fix that counted.
/// A step is ignored as stationary drift when the GNSS speed over ground is known and below
/// `stationary_speed_kmh` (whatever the displacement: a parked receiver's position wanders by
/// metres while its Doppler speed stays near zero) and the previous good fix is at most
/// `max_speed_gap_s` old; otherwise (no speed, or a gap) when the
/// displacement from the anchor is within the noise radius `max(HDOP,1) × noise_m_per_hdop`
/// (HDOP unknown: 2 × noise_m_per_hdop). The anchor does not move on an ignored step, so what
/// a creeping vehicle covers below the threshold is counted by the first step above it (as the
/// straight line from the anchor): nothing is lost, and nothing is invented.
/// A step whose implied speed from the previous good fix exceeds
/// `max_vehicle_speed_kmh` adds nothing and re-anchors (the plausibility monitor flags it).
class Odometer {
 public:
  explicit Odometer(OdometerConfig cfg = {}) : cfg_(cfg) {}
  /// Feed the next fix.
  OdometerStep update(const Fix& fix);
  /// Is this fix good enough to use (no distance logic)?
  [[nodiscard]] StepResult classify(const Fix& fix) const;
  /// Total distance so far.
  [[nodiscard]] double total_m() const { return total_m_; }
  [[nodiscard]] const OdometerConfig& config() const { return cfg_; }

 private:
  OdometerConfig cfg_;
  double total_m_ = 0;
  std::optional<Fix> anchor_;  ///< last fix that counted: distance is measured from here
  std::optional<Fix> prev_;    ///< last good fix: jumps are measured from here
};

/// One minute of the 0x0203 record.
struct MinuteRecord {
  WallTime minute_start;                      ///< UTC, whole minute
  std::optional<double> max_speed_kmh;        ///< GNSS, good fixes only; nullopt = no speed
  std::uint16_t max_speed_dkmh = 0;          ///< the record's WORD (0.1 km/h), 0 when none
  std::uint16_t mileage_hm = 0;             ///< the record's WORD (0.1 km) in this minute
  double distance_m = 0;                      ///< exact GNSS distance counted in this minute
  std::optional<Fix> sample;                  ///< good fix nearest second 30
  std::uint32_t good_fixes = 0;
  std::optional<double> max_sensor_speed_kmh; ///< vehicle sensor, kept separate
};

/// Cuts the fix stream into UTC minutes. Mileage per minute is taken from the cumulative
/// distance (floor(total/100 m) at the end minus at the start), so rounding never loses or
/// invents distance across minutes.
class MinuteAccumulator {
 public:
  /// Feed a fix with its odometer step. Fixes without a UTC time are ignored. Returns the
  /// previous minute when this fix starts a new one.
  std::optional<MinuteRecord> add(const Fix& fix, const OdometerStep& step);
  /// A vehicle-sensor speed sample at a UTC time (pulse/OBD). Separate from GNSS speed.
  std::optional<MinuteRecord> add_sensor_speed(WallTime at, double speed_kmh);
  /// Time passes with no fix at all (the receiver is gone, gpsd is down): the open minute is
  /// closed when `at` is in a later minute, and a minute with nothing in it is opened, so
  /// that each minute without fixes is still made (with no sample: no position).
  std::optional<MinuteRecord> add_time(WallTime at);
  /// Close the open minute.
  std::optional<MinuteRecord> flush();
  /// The open minute as it stands (mileage and top speed so far), for live warnings; nullopt
  /// before the first fix. Nothing is closed.
  [[nodiscard]] std::optional<MinuteRecord> open_minute() const;

 private:
  std::optional<MinuteRecord> roll_to(WallTime minute);
  std::optional<MinuteRecord> cur_;
  double total_m_ = 0;        ///< cumulative distance fed
  double total_at_start_m_ = 0;
  std::int64_t sample_err_ms_ = 0;
};

}  // namespace tta::gps
