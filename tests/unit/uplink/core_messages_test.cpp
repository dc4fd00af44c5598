// Core messages of terminal-protocol.md §1.2: golden bodies built by hand from the table.
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "tta/uplink/messages.hpp"

namespace tta::uplink {
namespace {
using test::expect_round_trip;
using test::hex;


TEST(UplinkGeneralAck, TerminalAckGolden) {
  expect_round_trip(GeneralAck{0x1234, 0x8103, 0}, hex("1234 8103 00"));
}

TEST(UplinkGeneralAck, RejectsTruncatedAndTrailing) {
  auto r = GeneralAck::decode(hex("1234 81"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "truncated at offset 2: reply_msg_id needs 2 bytes, 1 left");
  auto t = GeneralAck::decode(hex("1234 8103 00 ff"));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "1 unexpected trailing bytes at offset 5");
}

TEST(UplinkRegister, GoldenWithGbkPlate) {
  Register r;
  r.province_id = 44;
  r.city_id = 300;
  r.maker_id = "70001";
  r.model = "TTA-1";
  r.terminal_serial = "1234567";
  r.imei = "860000000000001";
  r.plate_colour = 1;
  r.plate = "粤B12345";
  expect_round_trip(r, hex("002c 012c 3730303031 5454412d31000000000000000000000000000000 "
                           "31323334353637 383630303030303030303030303031 01 d4c1423132333435"));
}

TEST(UplinkRegister, RejectsOverlongFields) {
  Register r;
  r.maker_id = "123456";
  EXPECT_FALSE(r.encode());
  r.maker_id = "12345";
  r.plate = "\xF0\x9F\x98\x80";  // an emoji has no GBK code
  EXPECT_FALSE(r.encode());
}

TEST(UplinkRegisterReply, GoldenSuccessWithCertificate) {
  RegisterReply r;
  r.reply_serial = 1;
  r.result = 0;
  r.platform_no = "12345";
  r.institution_no = "4400000000000001";
  r.terminal_no = "1234567890123456";
  r.certificate_password = "abc123";
  r.certificate_base64 = "TUlJQg==";
  expect_round_trip(r, hex("0001 00 3132333435 34343030303030303030303030303031 "
                           "31323334353637383930313233343536 616263313233000000000000 "
                           "54556c4a51673d3d 00"));
}

TEST(UplinkRegisterReply, FailureHasNoCredentials) {
  RegisterReply r;
  r.reply_serial = 9;
  r.result = 3;
  expect_round_trip(r, hex("0009 03"));
}

TEST(UplinkAuthenticate, Golden) {
  Authenticate a;
  a.timestamp_s = 0x5F5E1000;
  for (std::size_t i = 0; i < 256; ++i)
    a.signature[i] = static_cast<std::uint8_t>(i);
  Bytes golden = hex("5f5e1000");
  for (int i = 0; i < 256; ++i)
    golden.push_back(static_cast<std::uint8_t>(i));
  expect_round_trip(a, golden);
  EXPECT_FALSE(Authenticate::decode(hex("5f5e1000 0102")));
}

TEST(UplinkTerminalParams, SetParamsGolden) {
  SetTerminalParams s;
  s.params.push_back({0x0001, hex("0000001e")});                      // heartbeat interval 30 s
  s.params.push_back({0x0013, {'1', '.', '2', '.', '3', '.', '4'}});  // main server address
  expect_round_trip(s, hex("02 00000001 04 0000001e 00000013 07 312e322e332e34"));
}

TEST(UplinkTerminalParams, QueryReplyGolden) {
  QueryTerminalParamsReply q;
  q.reply_serial = 0x0102;
  q.params.push_back({0x0029, hex("0000003c")});
  expect_round_trip(q, hex("0102 01 00000029 04 0000003c"));
}

TEST(UplinkTerminalParams, ControlAndQuerySomeGolden) {
  expect_round_trip(TerminalControl{4, ""}, hex("04"));
  expect_round_trip(TerminalControl{1, "url;apn"}, hex("01 75726c3b61706e"));
  expect_round_trip(QuerySomeTerminalParams{{0x0001, 0x0013}}, hex("02 00000001 00000013"));
}

TEST(UplinkTerminalParams, TruncatedListIsAnError) {
  auto r = SetTerminalParams::decode(hex("02 00000001 04 0000001e"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
}

TEST(UplinkResendRequest, Golden) {
  expect_round_trip(ResendRequest{0x0010, {0x0011, 0x0013}}, hex("0010 02 0011 0013"));
  EXPECT_FALSE(ResendRequest::decode(hex("0010 03 0011 0013")));
}

TEST(UplinkPassThrough, Golden) {
  expect_round_trip(PassThrough{0xF0, {1, 2}}, hex("f0 0102"));
  EXPECT_FALSE(PassThrough::decode({}));
}

TEST(UplinkMessageNames, KnownAndUnknown) {
  EXPECT_EQ(message_name(0x0200), "position report");
  EXPECT_EQ(message_name(0x7777), "");
}

}  // namespace
}  // namespace tta::uplink
