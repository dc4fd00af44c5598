#pragma once
/// SIMULATED GNSS for the demo and tests — never for a real terminal: a vehicle driving laps
/// of a rectangle inside a teaching area at a set speed, with a stop at each corner, or a
/// receiver standing still (a classroom), as 1 Hz fixes or as NMEA 0183 text (RMC + GGA, talker GN, checksums right). The NMEA carries no
/// hidden marker, so the agent's own parser reads it like a receiver's output; the file it is
/// written to should say "simulated" in its name and its first (comment) line does.

#include <string>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/gps/fix.hpp"

namespace tta::gps {

struct RouteOptions {
  WallTime start{};              ///< time of the first fix (whole second)
  int seconds = 3600;            ///< how many 1 Hz fixes
  double speed_kmh = 30;         ///< while driving
  int corner_stop_s = 5;         ///< standing at each corner
  /// The rectangle driven: a quarter of the fence's bounding box, centred in it.
  config::Fence area;
};

/// 1 Hz fixes along the route.
[[nodiscard]] std::vector<Fix> simulate_route(const RouteOptions& opt);

/// 1 Hz fixes of a receiver standing still at (lat_deg, lon_deg) for `seconds` from `start`:
/// a classroom kiosk's.
[[nodiscard]] std::vector<Fix> simulate_stay(WallTime start, int seconds, double lat_deg,
                                             double lon_deg);

/// NMEA text for fixes (one RMC and one GGA per fix), with a leading comment line.
[[nodiscard]] std::string to_nmea(const std::vector<Fix>& fixes);

}  // namespace tta::gps
