#include <gtest/gtest.h>

#include "tta/core/clock.hpp"

namespace tta {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock(from_unix_seconds(1'800'000'000));
  const auto w0 = clock.wall_now();
  const auto m0 = clock.mono_now();
  EXPECT_EQ(clock.wall_now(), w0);
  clock.advance(90s);
  EXPECT_EQ(clock.wall_now() - w0, 90s);
  EXPECT_EQ(clock.mono_now() - m0, 90s);
  EXPECT_EQ(unix_seconds(clock.wall_now()), 1'800'000'090);
}

TEST(FakeClock, WallJumpLeavesMonotonicAlone) {
  FakeClock clock;
  const auto m0 = clock.mono_now();
  clock.set_wall(from_unix_seconds(0));
  EXPECT_EQ(unix_seconds(clock.wall_now()), 0);
  EXPECT_EQ(clock.mono_now(), m0);
}

TEST(SystemClock, MonotonicDoesNotGoBack) {
  SystemClock clock;
  const auto a = clock.mono_now();
  const auto b = clock.mono_now();
  EXPECT_LE(a, b);
  EXPECT_GT(unix_seconds(clock.wall_now()), 1'700'000'000);
}

}  // namespace
}  // namespace tta
