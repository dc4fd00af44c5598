#pragma once
/// One reading of the vehicle's signals, as the training engine consumes it.

#include <cstdint>
#include <optional>

#include "tta/core/clock.hpp"

namespace tta::vehicle {

/// The latest vehicle signals (ignition, OBD, speed pulses). Missing stays missing.
struct VehicleSample {
  WallTime at{};
  std::optional<bool> ignition_on;
  std::optional<std::uint16_t> engine_rpm;
  std::optional<double> sensor_speed_kmh;
};

}  // namespace tta::vehicle
