// Trusted time (training-rules.md §6) on a FakeClock: no sleeps.
#include <gtest/gtest.h>

#include "fix_builder.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/trusted_time.hpp"

namespace tta::gps {
namespace {

using namespace std::chrono_literals;
using test::good_fix;

TEST(gps_WeekRollover, AddsWholeRolloverPeriods) {
  const WallTime floor = from_unix_seconds(1'704'067'200);  // 2024-01-01
  // 2026-01-01 reported 1024 weeks early by a receiver with the rollover bug → 2006-05-18.
  const WallTime real = from_unix_seconds(1'767'225'600);
  EXPECT_EQ(correct_week_rollover(real - kGpsRollover, floor), real);
  EXPECT_EQ(correct_week_rollover(real - 2 * kGpsRollover, floor), real);
  EXPECT_EQ(correct_week_rollover(real, floor), real);
  EXPECT_EQ(iso8601_utc(real - kGpsRollover), "2006-05-18T00:00:00Z");
}

TEST(gps_TrustedTime, GnssTimeCarriedOnMonotonicClock) {
  FakeClock clock(from_unix_seconds(0));  // RTC says 1970: must never be used
  TrustedTime tt(clock);
  EXPECT_FALSE(tt.now());  // nothing trusted yet, RTC in 1970
  const Fix f = good_fix(0, 30, 104, 0);
  EXPECT_EQ(tt.on_fix(f), GnssTimeVerdict::accepted);
  clock.advance(3s);
  auto s = tt.now();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->source, TimeSource::gnss);
  EXPECT_EQ(s->utc, *f.utc() + 3s);
  clock.advance(60s);  // fix lost for a minute: still GNSS-derived, marked held
  s = tt.now();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->source, TimeSource::gnss_held);
  EXPECT_EQ(s->utc, *f.utc() + 63s);
  EXPECT_EQ(tt.last_trusted(), s->utc);
}

TEST(gps_TrustedTime, RolloverDateIsCorrected) {
  FakeClock clock;
  TrustedTime tt(clock);
  Fix f = good_fix(0, 30, 104, 0);  // 2026-01-01T08:00:00Z
  const WallTime real = *f.utc();
  const CivilTime c = to_civil(real - kGpsRollover, std::chrono::seconds{0});
  f.date = Date{static_cast<std::int16_t>(c.year), static_cast<std::int8_t>(c.month),
                static_cast<std::int8_t>(c.day)};
  EXPECT_EQ(tt.on_fix(f), GnssTimeVerdict::rollover_corrected);
  EXPECT_EQ(tt.now()->utc, real);
}

TEST(gps_TrustedTime, NoFixTimeIsIgnored) {
  FakeClock clock;
  TrustedTime tt(clock);
  Fix f = good_fix(0, 30, 104, 0);
  f.status_valid = false;
  EXPECT_EQ(tt.on_fix(f), GnssTimeVerdict::no_fix);
  auto s = tt.now();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->source, TimeSource::rtc);
}

TEST(gps_TrustedTime, RtcCheckedAgainstPersistedLastTrusted) {
  FakeClock clock(from_unix_seconds(1'767'225'600));  // RTC 2026-01-01
  TrustedTime tt(clock);
  tt.load_last_trusted(from_unix_seconds(1'767'225'600 + 3600));  // persisted: an hour later
  auto s = tt.now();
  ASSERT_FALSE(s);  // RTC is behind: it was reset, do not stamp with it
  EXPECT_EQ(s.error().code, Errc::unavailable);
  clock.set_wall(from_unix_seconds(1'767'225'600 + 7200));
  s = tt.now();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->source, TimeSource::rtc);
  EXPECT_EQ(unix_seconds(*tt.last_trusted()), 1'767'225'600 + 7200);
}

TEST(gps_TrustedTime, NeverBeforeLastTrusted) {
  FakeClock clock;
  TrustedTime tt(clock);
  const Fix f1 = good_fix(60'000, 30, 104, 0);
  ASSERT_EQ(tt.on_fix(f1), GnssTimeVerdict::accepted);
  const auto s1 = tt.now();
  // A spoofed fix ten minutes in the past is rejected…
  const Fix back = good_fix(-540'000, 30, 104, 0);
  EXPECT_EQ(tt.on_fix(back), GnssTimeVerdict::before_last_trusted);
  // …a fix one second behind (output latency) is accepted but stamps do not go back.
  const Fix late = good_fix(59'000, 30, 104, 0);
  EXPECT_EQ(tt.on_fix(late), GnssTimeVerdict::accepted);
  const auto s2 = tt.now();
  ASSERT_TRUE(s1 && s2);
  EXPECT_GE(s2->utc, s1->utc);
}

TEST(gps_TrustedTime, ImplausibleEvenAfterCorrection) {
  FakeClock clock;
  TrustedTimeConfig cfg;
  cfg.min_valid_utc = from_unix_seconds(7'258'118'400);  // 2200: beyond four rollovers of 2026
  TrustedTime tt(clock, cfg);
  EXPECT_EQ(tt.on_fix(good_fix(0, 30, 104, 0)), GnssTimeVerdict::implausible);
}

}  // namespace
}  // namespace tta::gps
