// Haversine and point-in-polygon, with edges and vertices counting as inside.
#include <gtest/gtest.h>

#include "tta/gps/geo.hpp"

namespace tta::gps {
namespace {

using P = config::Fence::Point;

TEST(gps_Haversine, KnownDistances) {
  EXPECT_NEAR(haversine_m(0, 0, 0, 1), 111'195.1, 1.0);           // 1° of equator
  EXPECT_NEAR(haversine_m(39.9, 116.4, 39.9, 116.4), 0.0, 1e-9);
  // Beijing Tiananmen → Shanghai People's Square ≈ 1067 km (great circle, sphere).
  EXPECT_NEAR(haversine_m(39.9087, 116.3975, 31.2304, 121.4737) / 1000.0, 1067.0, 5.0);
  EXPECT_NEAR(haversine_m(30, 120, 30.001, 120), 111.19, 0.05);   // 0.001° latitude
}

// A 0.01° square teaching area near Chengdu.
const std::vector<P> kSquare = {{30.00, 104.00}, {30.00, 104.01}, {30.01, 104.01}, {30.01, 104.00}};

struct PipCase {
  const char* name;
  double lat, lon;
  bool inside;
};
class PointInPolygon : public ::testing::TestWithParam<PipCase> {};
TEST_P(PointInPolygon, Square) {
  EXPECT_EQ(point_in_polygon(GetParam().lat, GetParam().lon, kSquare), GetParam().inside);
}
INSTANTIATE_TEST_SUITE_P(
    gps, PointInPolygon,
    ::testing::Values(PipCase{"centre", 30.005, 104.005, true},
                      PipCase{"outside_east", 30.005, 104.02, false},
                      PipCase{"outside_north", 30.02, 104.005, false},
                      PipCase{"on_south_edge", 30.00, 104.005, true},
                      PipCase{"on_east_edge", 30.005, 104.01, true},
                      PipCase{"on_north_edge", 30.01, 104.005, true},
                      PipCase{"on_west_edge", 30.005, 104.00, true},
                      PipCase{"vertex_sw", 30.00, 104.00, true},
                      PipCase{"vertex_ne", 30.01, 104.01, true},
                      PipCase{"just_outside_edge", 30.005, 104.0100001, false},
                      PipCase{"just_inside_edge", 30.005, 104.0099999, true},
                      PipCase{"ray_through_vertex_level", 30.01, 103.99, false},
                      PipCase{"ray_through_vertex_level_inside", 30.00, 104.001, true}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(gps_PointInPolygonConcave, NotchIsOutsideAndItsEdgesInside) {
  // A "U": the notch between the arms is outside.
  const std::vector<P> u = {{0, 0}, {0, 3}, {3, 3}, {3, 2}, {1, 2}, {1, 1}, {3, 1}, {3, 0}};
  EXPECT_TRUE(point_in_polygon(0.5, 1.5, u));
  EXPECT_FALSE(point_in_polygon(2, 1.5, u));  // in the notch
  EXPECT_TRUE(point_in_polygon(2, 1, u));     // on the notch's lower edge
  EXPECT_TRUE(point_in_polygon(1, 1.5, u));   // on the notch's bottom
  EXPECT_TRUE(point_in_polygon(2.5, 2.5, u));
  EXPECT_FALSE(point_in_polygon(1, 2, std::vector<P>{{0, 0}, {1, 1}}));  // degenerate
}

TEST(gps_FenceMonitor, EnterAndLeaveEvents) {
  FenceMonitor m({config::Fence{"yard", kSquare}});
  EXPECT_FALSE(m.inside_any());
  auto ev = m.update(30.02, 104.005);
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].kind, FenceEvent::Kind::left);
  EXPECT_TRUE(ev[0].initial);
  EXPECT_EQ(m.inside_any(), false);
  EXPECT_TRUE(m.update(30.03, 104.005).empty());
  ev = m.update(30.01, 104.005);  // onto the edge: inside
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].kind, FenceEvent::Kind::entered);
  EXPECT_FALSE(ev[0].initial);
  EXPECT_TRUE(m.update(30.005, 104.005).empty());
  ev = m.update(30.005, 104.011);
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].kind, FenceEvent::Kind::left);
  EXPECT_EQ(m.inside(0), false);
}

}  // namespace
}  // namespace tta::gps
