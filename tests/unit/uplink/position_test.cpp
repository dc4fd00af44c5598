// 28-byte basic block, 38-byte attached block, 0x0200 TLVs (terminal-protocol.md §1.2).
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.hpp"
#include "tta/uplink/position.hpp"

namespace tta::uplink {
namespace {
using test::hex;

TEST(UplinkPositionBlock, GoldenBytes) {
  const Bytes golden = hex(test::kSamplePositionHex);
  ASSERT_EQ(golden.size(), 28U);
  EXPECT_EQ(encode_position_block(test::sample_position()), golden);
  auto back = decode_position_block(golden);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, test::sample_position());
  EXPECT_NEAR(*back->latitude_deg(), 30.123456, 1e-9);
  EXPECT_NEAR(*back->longitude_deg(), 120.654321, 1e-9);
}

TEST(UplinkPositionBlock, HemispheresComeFromStatusBits) {
  PositionBlock p;
  p.set_latitude_deg(-33.5);
  p.set_longitude_deg(-70.25);
  EXPECT_EQ(p.status_flags & (kStatusSouth | kStatusWest), kStatusSouth | kStatusWest);
  EXPECT_EQ(*p.latitude_udeg, 33500000U);
  auto back = decode_position_block(encode_position_block(p)).value();
  EXPECT_DOUBLE_EQ(*back.latitude_deg(), -33.5);
  EXPECT_DOUBLE_EQ(*back.longitude_deg(), -70.25);
}

TEST(UplinkPositionBlock, NonFiniteOrOutOfRangeDegreesStayMissing) {
  PositionBlock p;
  p.set_latitude_deg(std::nan(""));
  p.set_longitude_deg(181.0);
  EXPECT_FALSE(p.latitude_udeg);
  EXPECT_FALSE(p.longitude_udeg);
  EXPECT_TRUE(p.has_missing());
}

TEST(UplinkPositionBlock, MissingValuesAreExplicitAndWrittenAsZero) {
  PositionBlock p = test::sample_position();
  EXPECT_FALSE(p.has_missing());
  p.vehicle_speed_dkmh.reset();  // no speed sensor
  p.time.reset();
  EXPECT_TRUE(p.has_missing());
  const Bytes wire = encode_position_block(p);
  // vehicle speed at offset 16 and the time at 22 are zero; nothing else changed.
  EXPECT_EQ(wire, hex("00000000 00000003 01cba5c0 073109f1 0000 019a 005a 000000000000"));
  auto back = decode_position_block(wire).value();
  EXPECT_EQ(back.vehicle_speed_dkmh, std::optional<std::uint16_t>(0));  // 0 on the wire
  EXPECT_FALSE(back.time);                       // an all-zero time is no date: missing
  EXPECT_EQ(back.status_flags, p.status_flags);  // the codec never touches the status
}

TEST(UplinkPositionBlock, RejectsWrongSizeAndBadTime) {
  EXPECT_FALSE(decode_position_block(Bytes(27)));
  auto bad = hex("00000000 00000003 01cba5c0 073109f1 0190 019a 005a 261327092930");  // month 13
  auto r = decode_position_block(bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("position time"), std::string::npos);
}

TEST(UplinkAttachedGnss, GoldenBytes) {
  const Bytes golden = hex(test::kSampleAttachedHex);
  ASSERT_EQ(golden.size(), 38U);
  EXPECT_EQ(encode_attached_gnss(test::sample_attached()), golden);
  auto back = decode_attached_gnss(golden);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, test::sample_attached());
}

TEST(UplinkAttachedGnss, MissingTlvValuesAreZeroOnTheWire) {
  AttachedGnss a = test::sample_attached();
  a.engine_speed_rpm.reset();
  EXPECT_TRUE(a.has_missing());
  const Bytes wire = encode_attached_gnss(a);
  ASSERT_EQ(wire.size(), 38U);
  EXPECT_EQ(Bytes(wire.end() - 4, wire.end()), hex("05 02 0000"));
}

TEST(UplinkAttachedGnss, AcceptsSwappedTlvOrderRejectsOthers) {
  Bytes swapped = hex(test::kSamplePositionHex);
  const Bytes tail = hex("05 02 07d0 01 04 0001e240");
  swapped.insert(swapped.end(), tail.begin(), tail.end());
  auto ok = decode_attached_gnss(swapped);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, test::sample_attached());

  Bytes wrong = hex(test::kSamplePositionHex);
  const Bytes tail2 = hex("01 04 0001e240 02 02 07d0");
  wrong.insert(wrong.end(), tail2.begin(), tail2.end());
  auto r = decode_attached_gnss(wrong);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unexpected TLV id 0x02 length 2 at offset 34"),
            std::string::npos)
      << r.error().message;
}

TEST(UplinkPositionReport, GoldenWithAllKnownAndOneUnknownTlv) {
  const Bytes golden = hex(std::string(test::kSamplePositionHex) +
                           "01 04 0001e240 02 02 0159 03 02 000c 05 02 07d0 25 03 010203");
  PositionReport rep;
  rep.basic = test::sample_position();
  rep.odometer_hm = 123456;
  rep.fuel_tenth_l = 345;
  rep.altitude_m = 12;
  rep.engine_speed_rpm = 2000;
  rep.other_items.push_back(RawTlv{0x25, {1, 2, 3}});
  EXPECT_EQ(rep.encode().value(), golden);
  auto back = PositionReport::decode(golden);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, rep);
}

TEST(UplinkPositionReport, MissingItemsAreOmitted) {
  PositionReport rep;
  rep.basic = test::sample_position();
  EXPECT_EQ(rep.encode().value(), hex(test::kSamplePositionHex));
  auto back = PositionReport::decode(hex(test::kSamplePositionHex)).value();
  EXPECT_FALSE(back.odometer_hm);
  EXPECT_FALSE(back.engine_speed_rpm);
}

TEST(UplinkPositionReport, FullFrameGolden) {
  // 0x0200 from 13800138000, serial 0x007E (escaped in the header), built by hand.
  const Bytes wire = hex(
      "7e80020000330000013800138000007d0200000000000000000301cba5c0073109f10190019a005a2611270929"
      "3001040001e240020201590302000c050207d02503010203527e");
  auto f = decode_frame(wire);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.serial, 0x7E);
  auto rep = PositionReport::decode(f->body);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rep->fuel_tenth_l, 345);
  ASSERT_EQ(rep->other_items.size(), 1U);
  EXPECT_EQ(rep->other_items[0].id, 0x25);
}

TEST(UplinkPositionReport, RejectsBadTlvs) {
  auto with = [](std::string_view tail) {
    return hex(std::string(test::kSamplePositionHex) + std::string(tail));
  };
  auto r1 = PositionReport::decode(with("01 03 000001"));
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().message, "TLV 0x01 at offset 28 has length 3, expected 4");
  auto r2 = PositionReport::decode(with("05 02 0001 05 02 0002"));
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "TLV 0x05 repeated at offset 32");
  auto r3 = PositionReport::decode(with("25 05 0102"));
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.error().message.find("truncated"), std::string::npos);
  EXPECT_FALSE(PositionReport::decode(Bytes(20)));
}

}  // namespace
}  // namespace tta::uplink
