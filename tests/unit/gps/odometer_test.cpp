// Odometer: good-fix selection, stationary drift, jumps, and the per-minute 0x0203 figures.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "fix_builder.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/odometer.hpp"
#include "tta/gps/plausibility.hpp"

namespace tta::gps {
namespace {

using test::good_fix;
using test::north_deg;

constexpr double kLat = 30.0, kLon = 104.0;
constexpr double kNoSpeed = std::numeric_limits<double>::quiet_NaN();

TEST(gps_Odometer, StraightDriveCountsEveryMetre) {
  Odometer odo;
  // 10 m/s (36 km/h) north for 60 s, 1 Hz.
  for (int i = 0; i <= 60; ++i) odo.update(good_fix(i * 1000, kLat + north_deg(10.0 * i), kLon, 36.0));
  EXPECT_NEAR(odo.total_m(), 600.0, 0.01);
}

TEST(gps_Odometer, RejectsPoorQualityFixes) {
  Odometer odo;
  EXPECT_EQ(odo.update(good_fix(0, kLat, kLon, 36.0)).result, StepResult::counted);
  EXPECT_EQ(odo.update(good_fix(1000, kLat + north_deg(10), kLon, 36.0, 6.0)).result,
            StepResult::poor_hdop);
  EXPECT_EQ(odo.update(good_fix(2000, kLat + north_deg(20), kLon, 36.0, 0.9, 3)).result,
            StepResult::few_satellites);
  Fix nofix = good_fix(3000, kLat + north_deg(30), kLon, 36.0);
  nofix.status_valid = false;
  EXPECT_EQ(odo.update(nofix).result, StepResult::no_fix);
  nofix = good_fix(3500, kLat + north_deg(35), kLon, 36.0);
  nofix.quality = FixQuality::estimated;
  EXPECT_EQ(odo.update(nofix).result, StepResult::no_fix);
  EXPECT_DOUBLE_EQ(odo.total_m(), 0.0);
  // The next good fix measures from the last good one: the distance is not lost.
  const auto step = odo.update(good_fix(4000, kLat + north_deg(40), kLon, 36.0));
  EXPECT_EQ(step.result, StepResult::counted);
  EXPECT_NEAR(step.distance_m, 40.0, 0.01);
}

TEST(gps_Odometer, ThresholdsAreConfigurable) {
  OdometerConfig cfg;
  cfg.max_hdop = 10;
  cfg.min_satellites = 2;
  Odometer odo(cfg);
  odo.update(good_fix(0, kLat, kLon, 36.0, 8.0, 3));
  EXPECT_EQ(odo.update(good_fix(1000, kLat + north_deg(10), kLon, 36.0, 8.0, 3)).result,
            StepResult::counted);
}

TEST(gps_Odometer, ParkedReceiverDriftAddsNothing) {
  // An hour of 1 Hz fixes wandering around one spot (Gaussian, σ 1.5 m per axis) with a speed
  // of |N(0, 0.3 km/h)|, twice the spread of the parked receivers in ../shared (max 0.56 km/h).
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0.0, 1.5);
  std::normal_distribution<double> speed_noise(0.0, 0.3);
  const auto spd = [&](std::mt19937& r) { return std::abs(speed_noise(r)); };
  Odometer odo;
  for (int i = 0; i < 3600; ++i) {
    odo.update(good_fix(i * 1000LL, kLat + north_deg(noise(rng)), kLon + north_deg(noise(rng)),
                        spd(rng), 1.0));
  }
  EXPECT_LT(odo.total_m(), 20.0);  // the target: under 20 m per hour
}

TEST(gps_Odometer, CreepingVehicleStillGetsItsDistance) {
  // 1 km/h (0.28 m/s) for 2 minutes: below the stationary speed, so nothing counts yet, but the
  // anchor stays; the first step at 10 km/h counts the whole way from the anchor.
  Odometer odo;
  for (int i = 0; i <= 120; ++i) {
    const auto step = odo.update(good_fix(i * 1000LL, kLat + north_deg(0.2778 * i), kLon, 1.0, 1.0));
    if (i > 0) {
      EXPECT_EQ(step.result, StepResult::stationary);
    }
  }
  EXPECT_DOUBLE_EQ(odo.total_m(), 0.0);
  const auto step = odo.update(good_fix(121'000, kLat + north_deg(0.2778 * 120 + 2.78), kLon, 10.0));
  EXPECT_EQ(step.result, StepResult::counted);
  EXPECT_NEAR(odo.total_m(), 0.2778 * 120 + 2.78, 0.01);
}

TEST(gps_Odometer, UnknownSpeedUsesDisplacementOnly) {
  Odometer odo;
  odo.update(good_fix(0, kLat, kLon, kNoSpeed, 1.0));
  EXPECT_EQ(odo.update(good_fix(1000, kLat + north_deg(3), kLon, kNoSpeed, 1.0)).result,
            StepResult::stationary);
  EXPECT_EQ(odo.update(good_fix(2000, kLat + north_deg(30), kLon, kNoSpeed, 1.0)).result,
            StepResult::counted);
  EXPECT_NEAR(odo.total_m(), 30.0, 0.01);
}

TEST(gps_Odometer, JumpIsNotDistanceEvenAfterALongStop) {
  Odometer odo;
  odo.update(good_fix(0, kLat, kLon, 0.0));
  for (int i = 1; i < 3600; ++i) odo.update(good_fix(i * 1000LL, kLat, kLon, 0.0));
  // Teleport 10 km in one second.
  EXPECT_EQ(odo.update(good_fix(3600 * 1000LL, kLat + north_deg(10'000), kLon, 50.0)).result,
            StepResult::jump);
  EXPECT_DOUBLE_EQ(odo.total_m(), 0.0);
  // Driving on from the new place counts again.
  EXPECT_EQ(odo.update(good_fix(3601 * 1000LL, kLat + north_deg(10'010), kLon, 36.0)).result,
            StepResult::counted);
  EXPECT_NEAR(odo.total_m(), 10.0, 0.01);
}

TEST(gps_Odometer, TimeGoingBackwardsMeasuresNothing) {
  Odometer odo;
  odo.update(good_fix(10'000, kLat, kLon, 36.0));
  EXPECT_EQ(odo.update(good_fix(5'000, kLat + north_deg(50), kLon, 36.0)).result, StepResult::jump);
  EXPECT_DOUBLE_EQ(odo.total_m(), 0.0);
}

TEST(gps_MinuteAccumulator, MaxSpeedMileageAndSecond30Sample) {
  Odometer odo;
  MinuteAccumulator acc;
  std::vector<MinuteRecord> minutes;
  // Two minutes at 1 Hz starting at 08:00:00: 10 m/s in minute 0, 20 m/s in minute 1.
  double north = 0;
  for (int i = 0; i < 120; ++i) {
    const double v = i < 60 ? 10.0 : 20.0;
    if (i > 0) north += v;
    const Fix f = good_fix(i * 1000LL, kLat + north_deg(north), kLon, v * 3.6);
    if (auto m = acc.add(f, odo.update(f))) minutes.push_back(*m);
  }
  if (auto m = acc.flush()) minutes.push_back(*m);
  ASSERT_EQ(minutes.size(), 2U);
  EXPECT_EQ(iso8601_utc(minutes[0].minute_start), "2026-01-01T08:00:00Z");
  EXPECT_EQ(minutes[0].max_speed_dkmh, 360);
  EXPECT_EQ(minutes[1].max_speed_dkmh, 720);
  EXPECT_NEAR(minutes[0].distance_m, 590.0, 0.01);
  EXPECT_NEAR(minutes[1].distance_m, 1200.0, 0.01);
  EXPECT_EQ(minutes[0].mileage_hm, 5);   // 590 m → 0.5 km (90 m carried)
  EXPECT_EQ(minutes[1].mileage_hm, 12);  // 1790 m total → 17 - 5
  ASSERT_TRUE(minutes[0].sample);
  EXPECT_EQ(minutes[0].sample->time_of_day.ms % 60'000, 30'000);
  EXPECT_EQ(minutes[0].good_fixes, 60U);
  EXPECT_FALSE(minutes[0].max_sensor_speed_kmh);
}

TEST(gps_MinuteAccumulator, NoSpeedIsNoneNotZeroAndSensorIsSeparate) {
  MinuteAccumulator acc;
  Odometer odo;
  const Fix f = good_fix(5'000, kLat, kLon);  // no speed field
  EXPECT_FALSE(acc.add(f, odo.update(f)));
  EXPECT_FALSE(acc.add_sensor_speed(*f.utc() + std::chrono::seconds{1}, 42.0));
  const auto m = acc.flush();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->max_speed_kmh);
  EXPECT_EQ(m->max_speed_dkmh, 0);
  EXPECT_EQ(*m->max_sensor_speed_kmh, 42.0);
}

TEST(gps_MinuteAccumulator, SampleNearestSecond30AmongGoodFixes) {
  MinuteAccumulator acc;
  Odometer odo;
  for (const std::int64_t ms : {1'000LL, 28'500LL, 32'000LL, 59'000LL}) {
    const Fix f = good_fix(ms, kLat, kLon, 0.0);
    (void)acc.add(f, odo.update(f));
  }
  Fix bad = good_fix(30'000, kLat, kLon, 0.0);
  bad.status_valid = false;
  (void)acc.add(bad, odo.update(bad));
  const auto m = acc.flush();
  ASSERT_TRUE(m && m->sample);
  EXPECT_EQ(m->sample->time_of_day.ms % 60'000, 28'500);
}

}  // namespace
}  // namespace tta::gps


namespace tta::gps {
namespace {

TEST(gps_OdometerConfig, ThresholdsComeFromTheGpsSection) {
  std::ifstream in(std::string(TTA_SOURCE_DIR) + "/config/agent.example.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("max_hdop = 5.0", "max_hdop = 3.5");
  replace("min_satellites = 4", "min_satellites = 6");
  replace("frozen_epochs = 10", "frozen_epochs = 7");
  auto cfg = config::parse_config(text, "/etc/tta/agent.toml");
  ASSERT_TRUE(cfg) << (cfg ? "" : cfg.error().front().to_string());
  const OdometerConfig o = odometer_config(cfg->gps);
  EXPECT_DOUBLE_EQ(o.max_hdop, 3.5);
  EXPECT_EQ(o.min_satellites, 6U);
  EXPECT_EQ(plausibility_config(cfg->gps).frozen_epochs, 7U);
  replace("max_hdop = 3.5", "max_hdop = -1");
  auto bad = config::parse_config(text, "/etc/tta/agent.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().front().to_string().find("gps.max_hdop"), std::string::npos);
}

}  // namespace
}  // namespace tta::gps
