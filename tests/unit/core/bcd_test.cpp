#include <gtest/gtest.h>

#include "tta/core/bcd.hpp"
#include "tta/core/time_util.hpp"

namespace tta {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Bcd, EncodesPhoneLeftPadded) {
  auto b = bcd_encode("18637237929", 8);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (Bytes{0x00, 0x00, 0x01, 0x86, 0x37, 0x23, 0x79, 0x29}));
}

TEST(Bcd, RejectsNonDigitsAndOverflow) {
  EXPECT_FALSE(bcd_encode("12a4", 2));
  EXPECT_FALSE(bcd_encode("12345", 2));
}

TEST(Bcd, DecodesAndRejectsBadNibbles) {
  const Bytes good{0x12, 0x12, 0x11, 0x00, 0x00};
  EXPECT_EQ(*bcd_decode(good), "1212110000");
  const Bytes bad{0x12, 0x1A};
  auto r = bcd_decode(bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("byte 1"), std::string::npos);
}

TEST(BcdTime, IsChinaLocalTime) {
  // 2026-11-27T15:30:05Z is 23:30:05 in GMT+8.
  auto t = from_civil({2026, 11, 27, 15, 30, 5}, std::chrono::seconds{0});
  ASSERT_TRUE(t);
  EXPECT_EQ(bcd_time6(*t), (Bytes{0x26, 0x11, 0x27, 0x23, 0x30, 0x05}));
  auto back = parse_bcd_time6(bcd_time6(*t));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *t);
}

TEST(BcdTime, CrossesMidnightIntoNextLocalDay) {
  auto t = from_civil({2026, 12, 31, 16, 0, 0}, std::chrono::seconds{0});
  ASSERT_TRUE(t);
  EXPECT_EQ(bcd_time6(*t), (Bytes{0x27, 0x01, 0x01, 0x00, 0x00, 0x00}));
}

TEST(BcdTime, RejectsImpossibleDates) {
  EXPECT_FALSE(parse_bcd_time6(Bytes{0x26, 0x02, 0x30, 0x00, 0x00, 0x00}));  // Feb 30
  EXPECT_FALSE(parse_bcd_time6(Bytes{0x26, 0x01, 0x01, 0x24, 0x00, 0x00}));  // 24:00
  EXPECT_FALSE(parse_bcd_time6(Bytes{0x26, 0x01, 0x01, 0x00, 0x00}));        // 5 bytes
}

}  // namespace
}  // namespace tta
