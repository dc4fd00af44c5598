// The route simulator (SIMULATED GNSS for the demo and tests): its fixes, and its NMEA read
// back through the real decoder.
#include "tta/gps/route_sim.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <vector>

#include "tta/gps/fix.hpp"
#include "tta/gps/geo.hpp"

namespace tta::gps {
namespace {

const WallTime kStart = from_unix_seconds(1'767'231'000);  // 2026-01-01 01:30:00 UTC

std::vector<Fix> decode(const std::string& nmea) {
  std::vector<Fix> out;
  NmeaDecoder d(/*skip_comments=*/true);
  d.feed(std::span<const char>(nmea.data(), nmea.size()), [&](const Fix& f) { out.push_back(f); });
  d.finish([&](const Fix& f) { out.push_back(f); });
  return out;
}

TEST(RouteSimTest, StayStandsStillOncePerSecond) {
  const auto fixes = simulate_stay(kStart, 90, 32.0440, 118.7850);
  ASSERT_EQ(fixes.size(), 90u);
  for (std::size_t i = 0; i < fixes.size(); ++i) {
    ASSERT_TRUE(fixes[i].has_fix());
    EXPECT_EQ(fixes[i].utc(), kStart + std::chrono::seconds(i));
    EXPECT_DOUBLE_EQ(fixes[i].lat_deg, 32.0440);
    EXPECT_DOUBLE_EQ(fixes[i].lon_deg, 118.7850);
    EXPECT_EQ(fixes[i].speed_kmh, 0.0);
  }
  EXPECT_TRUE(simulate_stay(kStart, 0, 32.0, 118.0).empty());
  EXPECT_TRUE(simulate_stay(kStart, -5, 32.0, 118.0).empty());
}

TEST(RouteSimTest, StayReadsBackThroughTheDecoder) {
  const auto fixes = decode(to_nmea(simulate_stay(kStart, 10, 32.0440, 118.7850)));
  ASSERT_EQ(fixes.size(), 10u);
  for (std::size_t i = 0; i < fixes.size(); ++i) {
    EXPECT_EQ(fixes[i].utc(), kStart + std::chrono::seconds(i));
    // NMEA carries 1/10000 of a minute: a few decimetres.
    EXPECT_LT(haversine_m(fixes[i].lat_deg, fixes[i].lon_deg, 32.0440, 118.7850), 0.5);
    EXPECT_EQ(fixes[i].speed_kmh, 0.0);
  }
}

TEST(RouteSimTest, RouteDrivesInsideTheAreaAndStopsAtCorners) {
  RouteOptions opt;
  opt.start = kStart;
  opt.seconds = 600;
  opt.speed_kmh = 30;
  opt.area.points = {{32.040, 118.780}, {32.040, 118.790}, {32.050, 118.790}, {32.050, 118.780}};
  const auto fixes = simulate_route(opt);
  ASSERT_EQ(fixes.size(), 600u);
  int standing = 0;
  double metres = 0;
  for (std::size_t i = 0; i < fixes.size(); ++i) {
    EXPECT_EQ(fixes[i].utc(), kStart + std::chrono::seconds(i));
    EXPECT_GT(fixes[i].lat_deg, 32.040);
    EXPECT_LT(fixes[i].lat_deg, 32.050);
    EXPECT_GT(fixes[i].lon_deg, 118.780);
    EXPECT_LT(fixes[i].lon_deg, 118.790);
    if (fixes[i].speed_kmh == 0.0) ++standing;
    if (i > 0) {
      metres += haversine_m(fixes[i - 1].lat_deg, fixes[i - 1].lon_deg, fixes[i].lat_deg,
                            fixes[i].lon_deg);
    }
  }
  EXPECT_GT(standing, 0) << "a stop at each corner";
  // At most 30 km/h: never more than 8.4 m between two fixes one second apart.
  EXPECT_LE(metres, 600 * 30 / 3.6 + 1);
  EXPECT_GT(metres, (600 - standing - 10) * 30 / 3.6 * 0.9);
}

}  // namespace
}  // namespace tta::gps
