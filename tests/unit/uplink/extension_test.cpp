// Driving-training extension (terminal-protocol.md §2.1 envelope, §2.4 messages).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::uplink {
namespace {
using test::expect_round_trip;
using test::hex;


template <class T>
void expect_round_trip(const T& value) {
  auto enc = value.encode();
  ASSERT_TRUE(enc) << enc.error().message;
  auto dec = T::decode(*enc);
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(*dec, value);
}

TrainingRecord sample_record() {
  TrainingRecord r;
  r.record_no = "12345678901234562611270930";
  r.report_type = 1;
  r.student_no = "STU0000000000001";
  r.coach_no = "COA0000000000001";
  r.class_id = 0x102;
  r.time_of_day_s = 9 * 3600 + 30 * 60;
  r.course_code = "1212110000";
  r.status = 0;
  r.max_speed_dkmh = 456;
  r.mileage_hm = 12;
  r.gnss = test::sample_attached();
  return r;
}

const std::string kRecordHex =
    "3132333435363738393031323334353632363131323730393330 01 "
    "53545530303030303030303030303031 434f4130303030303030303030303031 00000102 093000 "
    "1212110000 00 01c8 000c " +
    std::string(test::kSampleAttachedHex);

// The whole 0x0900 frame carrying the record above, built by hand from §1.1 and §2.1.
constexpr std::string_view kRecordFrame =
    "7e800900008d000001380013800000100013020300020001313233343536373839303132333435360000007231"
    "323334353637383930313233343536323631313237303933300153545530303030303030303030303031434f41"
    "303030303030303030303030310000010209300012121100000001c8000c000000000000000301cba5c0073109"
    "f10190019a005a26112709293001040001e240050207d0627e";

TEST(UplinkTrainingRecord, GoldenData) {
  const Bytes golden = hex(kRecordHex);
  ASSERT_EQ(golden.size(), 114U);
  expect_round_trip(sample_record(), golden);
}

TEST(UplinkTrainingRecord, RejectsBadTimeAndCourse) {
  Bytes bad = hex(kRecordHex);
  bad[63] = 0x24;  // hour 24
  auto r = TrainingRecord::decode(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "time at offset 63: not a time of day: 243000");
  Bytes bad_course = hex(kRecordHex);
  bad_course[66] = 0x1A;
  auto c = TrainingRecord::decode(bad_course);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "course_code at offset 66: byte 0 is not BCD");
  TrainingRecord long_no = sample_record();
  long_no.record_no += "1";
  EXPECT_FALSE(long_no.encode());
}

TEST(UplinkExtendedMessage, GoldenFrameWithRecord) {
  auto f = decode_frame(hex(kRecordFrame));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.msg_id, 0x0900);
  EXPECT_EQ(f->header.serial, 0x10);
  auto m = ExtendedMessage::decode(f->body);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ext_id, 0x0203);
  EXPECT_FALSE(m->resent);
  EXPECT_TRUE(m->ack_required);
  EXPECT_EQ(m->signature_algorithm, 0);
  EXPECT_EQ(m->packet_no, 1);
  EXPECT_EQ(m->terminal_no, "1234567890123456");
  EXPECT_TRUE(m->signature.empty());
  auto rec = TrainingRecord::decode(m->data);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(*rec, sample_record());

  // And the encoder builds the same bytes from the structs.
  auto ext = make_extended(sample_record(), 1, "1234567890123456");
  ASSERT_TRUE(ext);
  ext->ack_required = true;
  Frame out;
  out.header.msg_id = 0x0900;
  out.header.phone = "13800138000";
  out.header.serial = 0x10;
  out.body = ext->encode().value();
  EXPECT_EQ(to_hex(encode_frame(out).value()), to_hex(hex(kRecordFrame)));
}

TEST(UplinkExtendedMessage, AttributeBits) {
  ExtendedMessage m;
  m.resent = true;
  m.ack_required = true;
  m.signature_algorithm = 2;
  EXPECT_EQ(m.attributes(), 0x0023);  // the value seen on real terminals (§2.2)
  m.resent = false;
  EXPECT_EQ(m.attributes(), 0x0022);
}

TEST(UplinkExtendedMessage, SignedLayoutHas256ByteSignature) {
  ExtendedMessage m;
  m.ext_id = 0x0205;
  m.signature_algorithm = 2;
  m.packet_no = 0x0203;
  m.terminal_no = "1234567890123456";
  m.data = {0x01};
  m.signature.assign(256, 0xAB);
  const Bytes body = m.encode().value();
  ASSERT_EQ(body.size(), 27U + 1 + 256);
  EXPECT_EQ(Bytes(body.begin(), body.begin() + 28),
            hex("13 0205 0020 0203 31323334353637383930313233343536 00000001 01"));
  EXPECT_EQ(ExtendedMessage::decode(body).value(), m);
  auto signed_part = m.signed_bytes().value();
  EXPECT_EQ(signed_part, Bytes(body.begin() + 1, body.begin() + 28));

  m.signature.resize(255);
  EXPECT_FALSE(m.encode());
  auto cut = body;
  cut.pop_back();
  auto r = ExtendedMessage::decode(cut);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "data length 1 in the extended message but 256 bytes follow (including a 256-byte "
            "signature)");
}

TEST(UplinkExtendedMessage, OldWordLengthDraftFailsClearly) {
  // type, id, attrs, packet no, terminal no, WORD length 0x0001, data 0x01.
  const Bytes old = hex("13 0205 0002 0001 31323334353637383930313233343536 0001 01");
  auto r = ExtendedMessage::decode(old);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::incompatible);
  EXPECT_NE(r.error().message.find("old draft's WORD"), std::string::npos) << r.error().message;
  // Longer data (body above 27 bytes), signed: still recognised.
  Bytes old_signed = hex("13 0205 0022 0001 31323334353637383930313233343536 0003 010203");
  old_signed.resize(old_signed.size() + 256, 0x5A);
  auto s = ExtendedMessage::decode(old_signed);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::incompatible) << s.error().message;
}

TEST(UplinkExtendedMessage, RejectsOtherTypesAndTruncation) {
  auto r = ExtendedMessage::decode(hex("f0 0102"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "pass-through type 0xf0 is not the driving-training extension (0x13)");
  auto t = ExtendedMessage::decode(hex("13 0205 0002"));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("needs 27 bytes"), std::string::npos);
}

TEST(UplinkExtendedMessage, ShortTerminalNoIsPadded) {
  ExtendedMessage m;
  m.ext_id = 0x0102;
  m.terminal_no = "ABC";
  auto b = m.encode().value();
  EXPECT_EQ(Bytes(b.begin() + 7, b.begin() + 23), hex("414243 00000000000000000000000000"));
  EXPECT_EQ(ExtendedMessage::decode(b).value().terminal_no, "ABC");
}

TEST(UplinkCoachLogin, GoldenWithFrontPaddedIdCard) {
  CoachLogin c{"COA0000000000001", "11010519491231002X", "C1", test::sample_position()};
  expect_round_trip(c, hex("434f4130303030303030303030303031 313130313035313934393132333130303258 "
                           "4331 " +
                           std::string(test::kSamplePositionHex)));
  CoachLogin short_id = c;
  short_id.id_card = "1234567890123456";  // 16 characters: two 0x00 in front
  auto enc = short_id.encode().value();
  EXPECT_EQ(enc[16], 0);
  EXPECT_EQ(enc[17], 0);
  EXPECT_EQ(enc[18], '1');
  EXPECT_EQ(CoachLogin::decode(enc).value().id_card, "1234567890123456");
}

TEST(UplinkCoachLoginReply, GoldenGbkExtra) {
  expect_round_trip(CoachLoginReply{1, "COA0000000000001", 1, "欢迎"},
                    hex("01 434f4130303030303030303030303031 01 04 bbb6d3ad"));
  auto r = CoachLoginReply::decode(hex("01 434f4130303030303030303030303031 01 05 bbb6d3ad"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "truncated at offset 19: extra needs 5 bytes, 4 left");
}

TEST(UplinkStudentLogout, Golden) {
  StudentLogout s;
  s.student_no = "STU0000000000001";
  s.logout_time = test::cst(2026, 11, 27, 10, 30, 0);
  s.minutes = 60;
  s.mileage_hm = 250;
  s.class_id = 0x102;
  s.gnss = test::sample_position();
  expect_round_trip(s, hex("53545530303030303030303030303031 261127103000 003c 00fa 00000102 " +
                           std::string(test::kSamplePositionHex)));
}

TEST(UplinkRecordRequest, Golden) {
  RecordRequest r{1, test::cst(2026, 11, 27, 8, 0, 0), test::cst(2026, 11, 27, 12, 0, 0), 0};
  expect_round_trip(r, hex("01 261127080000 261127120000 0000"));
  RecordRequest by_count{2, std::nullopt, std::nullopt, 10};
  expect_round_trip(by_count, hex("02 000000000000 000000000000 000a"));
}

TEST(UplinkPhotoUploadInit, Golden) {
  PhotoUploadInit p;
  p.photo_no = "0000000123";
  p.person_no = "STU0000000000001";
  p.upload_mode = 129;
  p.channel = 0;
  p.size_code = 1;
  p.event = 17;
  p.total_packets = 64;
  p.photo_size_bytes = 65536;
  p.class_id = 0x102;
  p.gnss = test::sample_attached();
  p.face_confidence = 88;
  expect_round_trip(p, hex("30303030303030313233 53545530303030303030303030303031 81 00 01 11 "
                           "0040 00010000 00000102 " +
                           std::string(test::kSampleAttachedHex) + " 58"));
}

TEST(UplinkPhotoQueryResult, Golden) {
  expect_round_trip(PhotoQueryResult{true, 2, {"0000000001", "0000000002"}},
                    hex("01 02 02 30303030303030303031 30303030303030303032"));
}

TEST(UplinkAppParams, SetGolden) {
  SetAppParams s;
  s.param_no = 0;
  s.params = AppParams{15, 1, 1, 5, 3600, 150, 30, 2, 1, 10};
  expect_round_trip(s, hex("00 0f 01 01 05 0e10 0096 001e 02 01 000a"));
  QueryAppParamsReply q{0, s.params};
  expect_round_trip(q, hex("00 0f 01 01 05 0e10 0096 001e 02 01 000a"));
}

TEST(UplinkIdentityInfoReply, GoldenDwordLengthGbk) {
  expect_round_trip(IdentityInfoReply{7, 1, "张三"}, hex("0007 01 00000004 d5c5c8fd"));
}

TEST(UplinkPhotoData, CarriesWholeJpeg) {
  PhotoData p{"0000000123", {0xFF, 0xD8, 0x7E, 0x7D, 0xFF, 0xD9}};
  expect_round_trip(p, hex("30303030303030313233 ffd87e7dffd9"));
}

TEST(UplinkExtension, EveryMessageRoundTrips) {
  expect_round_trip(CoachLogout{"COA0000000000001", test::sample_position()});
  expect_round_trip(CoachLogoutReply{2, "COA0000000000001"});
  expect_round_trip(StudentLogin{"STU0000000000001", "COA0000000000001", "1212110000", 77,
                                 test::sample_position()});
  expect_round_trip(StudentLoginReply{4, "STU0000000000001", 600, 120, 1234, 345, 2, "区域外"});
  expect_round_trip(StudentLogoutReply{1, "STU0000000000001"});
  expect_round_trip(RecordRequestReply{3});
  expect_round_trip(TakePhoto{255, 1, 2});
  expect_round_trip(TakePhotoReply{4, 1, 0, 2});
  expect_round_trip(PhotoQuery{1, test::cst(2026, 1, 1, 0, 0, 0), test::cst(2026, 1, 2, 0, 0, 0)});
  expect_round_trip(PhotoQueryReply{9});
  expect_round_trip(UploadPhoto{"0000000042"});
  expect_round_trip(UploadPhotoReply{1});
  expect_round_trip(PhotoUploadInitReply{255});
  expect_round_trip(SetAppParamsReply{2});
  expect_round_trip(SetTrainingBan{2, "禁止培训"});
  expect_round_trip(SetTrainingBanReply{1, 2, "已禁训"});
  expect_round_trip(QueryAppParams{});
  expect_round_trip(IdentityInfoRequest{1, 2, "11010519491231002X"});
  expect_round_trip(NationalNumberRequest{1, "11010519491231002X"});
  expect_round_trip(NationalNumberReply{3, 1, "STU0000000000001", "C1"});
}

TEST(UplinkExtension, EmptyMessageRejectsBytes) {
  EXPECT_TRUE(QueryAppParams::decode({}));
  EXPECT_FALSE(QueryAppParams::decode(hex("00")));
}

TEST(UplinkExtension, Names) {
  EXPECT_EQ(extended_message_name(0x0203), "training-hour record");
  EXPECT_EQ(extended_message_name(0x0102), "coach logout");
  EXPECT_EQ(extended_message_name(0x7777), "");
}

}  // namespace
}  // namespace tta::uplink
