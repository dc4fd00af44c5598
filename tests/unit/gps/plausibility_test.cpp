// Plausibility signals: flagged with evidence, values untouched.
#include <gtest/gtest.h>

#include "fix_builder.hpp"
#include "tta/gps/plausibility.hpp"

namespace tta::gps {
namespace {

using namespace std::chrono_literals;
using test::good_fix;
using test::north_deg;

const MonoTime kT0{};

TEST(gps_Plausibility, NormalDrivingRaisesNothing) {
  PlausibilityMonitor m;
  for (int i = 0; i < 30; ++i) {
    const auto r = m.on_fix(good_fix(i * 1000LL, 30 + north_deg(15.0 * i), 104, 54.0), kT0);
    EXPECT_FALSE(r.any()) << i;
  }
}

TEST(gps_Plausibility, PositionJump) {
  PlausibilityMonitor m;
  m.on_fix(good_fix(0, 30, 104, 50), kT0);
  const auto r = m.on_fix(good_fix(1000, 30 + north_deg(100), 104, 50), kT0);  // 360 km/h
  EXPECT_TRUE(r.has(kSignalPositionJump));
  EXPECT_NEAR(r.implied_speed_kmh, 360.0, 0.1);
}

TEST(gps_Plausibility, FrozenFixAfterNIdenticalMovingEpochs) {
  PlausibilityConfig cfg;
  cfg.frozen_epochs = 5;
  PlausibilityMonitor m(cfg);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(m.on_fix(good_fix(i * 1000LL, 30, 104, 40.0), kT0).has(kSignalFrozenFix)) << i;
  }
  const auto r = m.on_fix(good_fix(4000, 30, 104, 40.0), kT0);
  EXPECT_TRUE(r.has(kSignalFrozenFix));
  EXPECT_EQ(r.identical_epochs, 5U);
}

TEST(gps_Plausibility, ParkedIdenticalFixesAreNotFrozen) {
  PlausibilityMonitor m;
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(m.on_fix(good_fix(i * 1000LL, 30, 104, 0.0), kT0).any());
  }
}

TEST(gps_Plausibility, TimeRunningBackwards) {
  PlausibilityMonitor m;
  m.on_fix(good_fix(10'000, 30, 104, 0), kT0);
  EXPECT_TRUE(m.on_fix(good_fix(9'000, 30, 104, 0), kT0).has(kSignalTimeBackwards));
  EXPECT_FALSE(m.on_fix(good_fix(11'000, 30, 104, 0), kT0).has(kSignalTimeBackwards));
}

TEST(gps_Plausibility, SensorSpeedDisagreementBothWays) {
  PlausibilityMonitor m;
  // A pulse generator: the sensor says 40 km/h while GNSS says parked.
  m.on_sensor_speed(kT0, 40.0);
  auto r = m.on_fix(good_fix(0, 30, 104, 0.2), kT0 + 500ms);
  EXPECT_TRUE(r.has(kSignalSpeedMismatch));
  EXPECT_DOUBLE_EQ(r.sensor_speed_kmh, 40.0);
  EXPECT_DOUBLE_EQ(r.gnss_speed_kmh, 0.2);  // reported as measured, not adjusted
  // Agreement within 15 km/h.
  m.on_sensor_speed(kT0 + 1s, 35.0);
  r = m.on_fix(good_fix(1000, 30 + north_deg(11), 104, 40.0), kT0 + 1500ms);
  EXPECT_FALSE(r.has(kSignalSpeedMismatch));
  // A stale sensor sample is not compared.
  r = m.on_fix(good_fix(2000, 30 + north_deg(11), 104, 90.0), kT0 + 10s);
  EXPECT_FALSE(r.has(kSignalSpeedMismatch));
  EXPECT_TRUE(std::isnan(r.sensor_speed_kmh));
}

}  // namespace
}  // namespace tta::gps
