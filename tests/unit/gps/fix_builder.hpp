#pragma once
// Builds synthetic fixes for odometer, time and plausibility tests.
#include <cmath>
#include <limits>

#include "tta/gps/fix.hpp"

namespace tta::gps::test {

/// A good 3D GPS fix at `t_ms` after 2026-01-01T08:00:00Z.
inline Fix good_fix(std::int64_t t_ms, double lat, double lon, double speed_kmh = std::numeric_limits<double>::quiet_NaN(),
                    double hdop = 0.9, std::uint8_t sats = 10) {
  Fix f;
  const std::int64_t tod = 8LL * 3600 * 1000 + t_ms;
  f.time_of_day.ms = static_cast<std::int32_t>(tod % 86'400'000);
  f.date = Date{2026, 1, static_cast<std::int8_t>(1 + tod / 86'400'000)};
  f.set = kFieldTime | kFieldDate | kFieldPosition | kFieldStatus | kFieldQuality | kFieldMode;
  f.lat_deg = lat;
  f.lon_deg = lon;
  f.status_valid = true;
  f.quality = FixQuality::gps;
  f.mode = FixMode::fix_3d;
  if (!std::isnan(speed_kmh)) {
    f.speed_kmh = speed_kmh;
    f.set |= kFieldSpeed;
  }
  if (!std::isnan(hdop)) {
    f.hdop = hdop;
    f.set |= kFieldHdop;
  }
  f.sats_used = sats;
  f.set |= kFieldSatsUsed;
  return f;
}

/// Metres north as degrees of latitude (mean sphere).
inline double north_deg(double m) { return m / 6'371'008.8 * 180.0 / 3.14159265358979323846; }

}  // namespace tta::gps::test
