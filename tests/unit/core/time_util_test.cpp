#include <gtest/gtest.h>

#include "tta/core/time_util.hpp"

namespace tta {
namespace {

TEST(TimeUtil, Iso8601) {
  EXPECT_EQ(iso8601_utc(from_unix_seconds(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(from_unix_seconds(1'795'786'205)), "2026-11-27T13:30:05Z");
  EXPECT_EQ(iso8601_utc(from_unix_seconds(1) + std::chrono::milliseconds(250)),
            "1970-01-01T00:00:01.250Z");
}

TEST(TimeUtil, CivilRoundTripAtOffset) {
  const auto t = from_unix_seconds(1'795'786'205);
  const CivilTime c = to_civil(t, kChinaUtcOffset);
  EXPECT_EQ(c.hour, 21);
  auto back = from_civil(c, kChinaUtcOffset);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, t);
}

TEST(TimeUtil, LeapDay) {
  EXPECT_TRUE(from_civil({2028, 2, 29, 0, 0, 0}, std::chrono::seconds{0}));
  EXPECT_FALSE(from_civil({2027, 2, 29, 0, 0, 0}, std::chrono::seconds{0}));
}

TEST(TimeUtil, YearsWallTimeCannotHoldAreRefusedNotOverflowed) {
  // 8026-11-27 (found by fuzz_admin_text) overflowed WallTime's 64-bit nanoseconds.
  for (int y : {8026, 2263, 2201, 1899, 1, 0, -1, 32767, 40000}) {  // 1900-2200 only
    auto r = from_civil({y, 1, 1, 0, 0, 0}, kChinaUtcOffset);
    ASSERT_FALSE(r) << y;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("outside"), std::string::npos) << r.error().message;
  }
  for (int y : {1900, 1970, 2200}) {
    auto r = from_civil({y, 12, 31, 23, 59, 59}, kChinaUtcOffset);
    ASSERT_TRUE(r) << y;
    EXPECT_EQ(to_civil(*r, kChinaUtcOffset).year, y);
  }
}

}  // namespace
}  // namespace tta
