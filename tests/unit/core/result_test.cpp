#include <gtest/gtest.h>

#include "tta/core/result.hpp"

namespace tta {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return fail(Errc::invalid_argument, std::to_string(v) + " is odd");
  return v / 2;
}

TEST(Result, CarriesValueOrError) {
  auto a = half(8);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 4);
  auto b = half(7);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Errc::invalid_argument);
  EXPECT_EQ(b.error().message, "7 is odd");
}

TEST(Result, ContextPrefixesMessageAndKeepsCode) {
  const Error e = Error(Errc::io, "disk on fire").context("writing minute 12");
  EXPECT_EQ(e.code, Errc::io);
  EXPECT_EQ(e.message, "writing minute 12: disk on fire");
}

TEST(Result, ErrcNamesAreStable) {
  EXPECT_EQ(to_string(Errc::wrong_key), "wrong_key");
  EXPECT_EQ(to_string(Errc::disk_full), "disk_full");
}

}  // namespace
}  // namespace tta
