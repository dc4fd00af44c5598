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

}  // namespace
}  // namespace tta
