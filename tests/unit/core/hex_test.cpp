#include <gtest/gtest.h>

#include "tta/core/hex.hpp"

namespace tta {
namespace {

TEST(Hex, RoundTrips) {
  const std::vector<std::uint8_t> b{0x7E, 0x00, 0xFF, 0x7D};
  EXPECT_EQ(to_hex(b), "7e00ff7d");
  EXPECT_EQ(to_hex(b, true), "7E00FF7D");
  EXPECT_EQ(*from_hex("7E00FF7D"), b);
}

TEST(Hex, AllowsSeparatorsBetweenBytes) {
  auto r = from_hex("7e 00\nff:7d");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 4u);
}

TEST(Hex, RejectsOddAndForeignCharactersAndSplitBytes) {
  EXPECT_FALSE(from_hex("7e0"));
  auto r = from_hex("7g");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("position 2"), std::string::npos);
  EXPECT_FALSE(from_hex("7 e"));
}

}  // namespace
}  // namespace tta
