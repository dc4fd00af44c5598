#pragma once
/// Plausibility signals for anti-cheat rules (training-rules.md §5): a PC or simulator feeding
/// fake GNSS, or a pulse generator faking the speed sensor. The monitor only flags; it never
/// repairs or smooths a value.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/gps/fix.hpp"

namespace tta::gps {

/// Thresholds of the plausibility monitor.
struct PlausibilityConfig {
  double max_vehicle_speed_kmh = 200;   ///< a step implying more between good fixes is a jump
  std::uint32_t frozen_epochs = 10;     ///< this many identical moving fixes in a row = frozen
  double frozen_min_speed_kmh = 1.5;    ///< "moving" for the frozen test
  double speed_mismatch_kmh = 15;       ///< |GNSS − sensor| above this disagrees
  std::chrono::milliseconds sensor_max_age{2000};  ///< older sensor samples are not compared
};

/// Plausibility settings from the [gps] config section.
[[nodiscard]] PlausibilityConfig plausibility_config(const config::GpsConfig& cfg);

/// Signal bits.
enum PlausibilitySignal : std::uint8_t {
  kSignalPositionJump = 1U << 0,   ///< moved faster than a vehicle can
  kSignalFrozenFix = 1U << 1,      ///< identical position and speed for N epochs while moving
  kSignalTimeBackwards = 1U << 2,  ///< UTC earlier than the previous fix's
  kSignalSpeedMismatch = 1U << 3,  ///< GNSS speed and vehicle-sensor speed disagree
};

/// What one fix raised, with the evidence.
struct PlausibilityReport {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::uint8_t signals = 0;           ///< PlausibilitySignal bits
  double implied_speed_kmh = kNaN;    ///< from the previous good fix
  std::uint32_t identical_epochs = 0; ///< length of the run of identical moving fixes
  double gnss_speed_kmh = kNaN;
  double sensor_speed_kmh = kNaN;
  [[nodiscard]] bool any() const { return signals != 0; }
  [[nodiscard]] bool has(PlausibilitySignal s) const { return (signals & s) != 0; }
};

/// Watches the fix stream and the optional vehicle-sensor speed.
class PlausibilityMonitor {
 public:
  explicit PlausibilityMonitor(PlausibilityConfig cfg = {}) : cfg_(cfg) {}
  /// Check one fix, received at monotonic time `received` (for the sensor comparison).
  PlausibilityReport on_fix(const Fix& fix, MonoTime received);
  /// A vehicle-sensor speed sample.
  void on_sensor_speed(MonoTime at, double speed_kmh);

 private:
  PlausibilityConfig cfg_;
  std::optional<Fix> prev_good_;
  std::optional<Fix> prev_timed_;
  std::uint32_t identical_ = 0;
  std::optional<MonoTime> sensor_at_;
  double sensor_kmh_ = 0;
};

}  // namespace tta::gps
