// Framing, escaping, checksum and header layouts (terminal-protocol.md §1, §1.1, §3).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "tta/uplink/frame.hpp"
#include "tta/uplink/messages.hpp"

namespace tta::uplink {
namespace {
using test::hex;

// §3: platform-to-platform login 0x01F0, real frame from a public implementation.
constexpr std::string_view kSpecLogin =
    "7E8001F0001100000888999900000001004130303431313233343536373800BC614E3E7E";
// §3: platform general ack 0x8001 to terminal 18637237929 for a 0x0200 with serial 0x004C.
constexpr std::string_view kSpecAck = "7E80800100050000018637237929004C3C004C020000F97E";

TEST(UplinkFrame, DecodesSpecLoginFrame) {
  auto f = decode_frame(hex(kSpecLogin));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.variant, HeaderVariant::training);
  EXPECT_EQ(f->header.version, 0x80);
  EXPECT_EQ(f->header.msg_id, 0x01F0);
  EXPECT_EQ(f->header.phone, "0000088899990000");
  EXPECT_EQ(f->header.serial, 1);
  EXPECT_EQ(f->header.reserved, 0);
  EXPECT_FALSE(f->header.subpacket);
  EXPECT_EQ(f->body, hex("4130303431313233343536373800BC614E"));
}

TEST(UplinkFrame, DecodesSpecAckFrameAndBody) {
  auto f = decode_frame(hex(kSpecAck));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.msg_id, msgid::kPlatformAck);
  EXPECT_EQ(f->header.phone, "0000018637237929");
  EXPECT_EQ(f->header.serial, 0x004C);
  EXPECT_EQ(f->header.reserved, 0x3C);
  auto ack = GeneralAck::decode(f->body);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->reply_serial, 0x004C);
  EXPECT_EQ(ack->reply_msg_id, 0x0200);
  EXPECT_EQ(ack->result, 0);
}

TEST(UplinkFrame, ReEncodesSpecFramesByteForByte) {
  for (auto v : {kSpecLogin, kSpecAck}) {
    auto f = decode_frame(hex(v));
    ASSERT_TRUE(f);
    auto again = encode_frame(*f);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, hex(v));
  }
}

TEST(UplinkFrame, EncodesHandBuiltAckFrame) {
  Frame f;
  f.header.msg_id = msgid::kPlatformAck;
  f.header.phone = "18637237929";
  f.header.serial = 0x004C;
  f.header.reserved = 0x3C;
  f.body = GeneralAck{0x004C, 0x0200, 0}.encode().value();
  EXPECT_EQ(encode_frame(f).value(), hex(kSpecAck));
}

TEST(UplinkEscape, EscapesBothSpecialBytesAndRoundTrips) {
  const Bytes raw{0x30, 0x7E, 0x08, 0x7D, 0x55, 0x7D, 0x02};
  const Bytes esc = escape(raw);
  EXPECT_EQ(esc, (Bytes{0x30, 0x7D, 0x02, 0x08, 0x7D, 0x01, 0x55, 0x7D, 0x01, 0x02}));
  EXPECT_EQ(unescape(esc).value(), raw);
}

TEST(UplinkEscape, BadEscapeNamesBytesAndOffset) {
  auto r = unescape(hex("01 02 7d 05 03"), 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "bad escape 7d 05 at offset 12");
}

TEST(UplinkChecksum, IsXorOfHeaderAndBody) {
  EXPECT_EQ(xor_checksum(hex("8080010005000001863723792900 4C3C004C020000")), 0xF9);
  EXPECT_EQ(xor_checksum(Bytes{}), 0);
}

// A frame whose checksum is 0x7E: the checksum must be escaped too (§1, "never copy" the bug).
TEST(UplinkFrame, ChecksumByteIsEscaped) {
  const auto golden = hex("7e808001000500000186372379297d027d01b07d027d010900007d027e");
  auto f = decode_frame(golden);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.serial, 0x7E7D);
  EXPECT_EQ(f->header.reserved, 176);
  EXPECT_EQ(f->body, hex("7e7d 0900 00"));
  EXPECT_EQ(encode_frame(*f).value(), golden);
}

TEST(UplinkFrame, UnescapedChecksumFromBuggyEncoderIsRejected) {
  // Same frame with the checksum 0x7E written raw: the splitter/decoder sees a 0x7E inside.
  auto r = decode_frame(hex("7e808001000500000186372379297d027d01b07d027d01090000 7e 7e"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0x7e"), std::string::npos) << r.error().message;
}

TEST(UplinkHeader, Jt808_2013IsDetected) {
  auto f = decode_frame(hex("7e000200000139123456780007357e"));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.variant, HeaderVariant::jt808_2013);
  EXPECT_EQ(f->header.msg_id, msgid::kHeartbeat);
  EXPECT_EQ(f->header.phone, "013912345678");
  EXPECT_EQ(f->header.serial, 7);
  EXPECT_TRUE(f->body.empty());
  EXPECT_EQ(encode_frame(*f).value(), hex("7e000200000139123456780007357e"));
}

TEST(UplinkHeader, Jt808_2013FrameStartingWith0x80IsNotTakenForTraining) {
  // 0x8001 in a 2013 header starts with 0x80 like a training header; the length decides.
  const auto golden = hex("7e8001000501391234567800080007000200b97e");
  auto f = decode_frame(golden);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.variant, HeaderVariant::jt808_2013);
  EXPECT_EQ(f->header.msg_id, 0x8001);
  EXPECT_EQ(f->header.serial, 8);
  EXPECT_EQ(f->body, hex("0007 0002 00"));
  EXPECT_EQ(encode_frame(*f).value(), golden);
}

TEST(UplinkHeader, Jt808_2019IsDetected) {
  const auto golden = hex("7e0002400001000000000139123456780001727e");
  auto f = decode_frame(golden);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.variant, HeaderVariant::jt808_2019);
  EXPECT_EQ(f->header.version, 1);
  EXPECT_EQ(f->header.phone, "00000000013912345678");
  EXPECT_EQ(f->header.serial, 1);
  EXPECT_EQ(encode_frame(*f).value(), golden);
}

TEST(UplinkHeader, ForcedVariantOverridesDetection) {
  auto f = decode_frame(hex("7e000200000139123456780007357e"), VariantDetection::training);
  ASSERT_FALSE(f);
}

TEST(UplinkHeader, SubPacketFieldsRoundTrip) {
  Frame f;
  f.header.msg_id = 0x0900;
  f.header.phone = "0000013800138000";  // decoding keeps all 16 digits
  f.header.serial = 9;
  f.header.subpacket = SubPacket{3, 2};
  f.body = {1, 2, 3};
  auto wire = encode_frame(f);
  ASSERT_TRUE(wire);
  // attributes: length 3 | bit 13 = 0x2003; total 3, index 2 after the reserved byte.
  EXPECT_EQ(*wire, hex("7e 80 0900 2003 0000013800138000 0009 00 0003 0002 010203 "
                       "08 7e"));
  auto back = decode_frame(*wire);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, f);
  EXPECT_EQ(header_size(HeaderVariant::training, true), 20U);
}

TEST(UplinkHeader, EncodeRejectsOversizedBodyAndBadPhone) {
  Frame f;
  f.header.phone = "1";
  f.body.resize(1024);
  EXPECT_FALSE(encode_frame(f));
  f.body.resize(1023);
  EXPECT_TRUE(encode_frame(f));
  f.header.phone = "12345678901234567";  // 17 digits do not fit BCD[8]
  EXPECT_FALSE(encode_frame(f));
  f.header.phone = "1380013800a";
  EXPECT_FALSE(encode_frame(f));
}

TEST(UplinkHeader, EncryptionBitsAreKept) {
  Frame f;
  f.header.msg_id = 0x0200;
  f.header.phone = "1";
  f.header.encryption = 1;
  f.body = {0xAA};
  auto back = decode_frame(encode_frame(f).value());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->header.encryption, 1);
}

struct BadFrame {
  const char* name;
  const char* hex;
  const char* message;  // exact expected reason
};

class UplinkMalformedFrame : public ::testing::TestWithParam<BadFrame> {};

TEST_P(UplinkMalformedFrame, IsRejectedWithPreciseReason) {
  auto r = decode_frame(hex(GetParam().hex));
  ASSERT_FALSE(r) << GetParam().name;
  EXPECT_EQ(r.error().message, GetParam().message) << GetParam().name;
  EXPECT_EQ(r.error().code, Errc::parse);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UplinkMalformedFrame,
    ::testing::Values(
        BadFrame{"bad checksum", "7E80800100050000018637237929004C3C004C020000F87E",
                 "checksum mismatch: computed 0xf9, frame has 0xf8"},
        BadFrame{"bad escape", "7E80800100050000018637237929004C3C7D05004C020000F97E",
                 "bad escape 7d 05 at offset 17"},
        BadFrame{"escape at end", "7E80800100050000018637237929004C3C004C0200007D7E",
                 "frame ends inside an escape (7d at offset 22)"},
        BadFrame{"missing opening flag", "80800100050000018637237929004C3C004C020000F97E",
                 "frame does not start with 0x7e"},
        BadFrame{"missing closing flag", "7E80800100050000018637237929004C3C004C020000F9",
                 "frame does not end with 0x7e (truncated?)"},
        // Body cut by two bytes, checksum recomputed so only the length disagrees.
        BadFrame{"length mismatch", "7E80800100050000018637237929004C3C004C02F97E",
                 "length 5 in attributes but body has 3 bytes"},
        BadFrame{"truncated header", "7E808001007E",
                 "checksum mismatch: computed 0x01, frame has 0x00"},
        BadFrame{"truncated header good sum", "7E8080010005047E",
                 "truncated header: training header needs 16 bytes, frame has 5"},
        BadFrame{"empty", "7E7E", "empty frame"},
        BadFrame{"flag inside", "7E80807E0100050000018637237929004C3C004C020000F97E",
                 "unexpected 0x7e at offset 3"},
        BadFrame{"bad phone bcd", "7E8080010005000001863723792A004C3C004C020000FA7E",
                 "phone number: byte 7 is not BCD"},
        BadFrame{"bit 14 in training", "7E8080014005000001863723792900 4C3C004C020000B97E",
                 "attribute bit 14 is set in a driving-training header"}),
    [](const auto& param_info) {
      std::string n = param_info.param.name;
      for (auto& c : n) {
        if (c == ' ') c = '_';
      }
      return n;
    });

}  // namespace
}  // namespace tta::uplink
