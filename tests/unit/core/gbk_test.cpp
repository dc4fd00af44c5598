#include <gtest/gtest.h>

#include "tta/core/gbk.hpp"

namespace tta {
namespace {

TEST(Gbk, EncodesChineseToKnownBytes) {
  auto g = utf8_to_gbk("计时");  // GBK: BC C6 CA B1
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(*g, std::string("\xBC\xC6\xCA\xB1"));
}

TEST(Gbk, RoundTripsMixedText) {
  const std::string text = "京A12345 学员 ok";
  auto g = utf8_to_gbk(text);
  ASSERT_TRUE(g);
  auto back = gbk_to_utf8(*g);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, text);
}

TEST(Gbk, RejectsInvalidUtf8WithOffset) {
  auto g = utf8_to_gbk(std::string("ab\xFF", 3));
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::parse);
  EXPECT_NE(g.error().message.find("byte 2"), std::string::npos) << g.error().message;
}

TEST(Gbk, RejectsCharacterGbkCannotHold) {
  EXPECT_FALSE(utf8_to_gbk("\xF0\x9F\x98\x80"));  // an emoji
}

TEST(Gbk, RejectsTruncatedDoubleByte) {
  auto u = gbk_to_utf8(std::string("\xBC", 1));
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("truncated"), std::string::npos) << u.error().message;
}

}  // namespace
}  // namespace tta
