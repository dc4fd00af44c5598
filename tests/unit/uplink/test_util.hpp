#pragma once
// Helpers for the uplink tests: golden vectors are written as hex text.
#include <gtest/gtest.h>

#include <string_view>

#include "tta/core/hex.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/frame.hpp"
#include "tta/uplink/position.hpp"

namespace tta::uplink::test {

inline Bytes hex(std::string_view text) {
  auto b = from_hex(text);
  EXPECT_TRUE(b) << (b ? "" : b.error().message);
  return b ? *b : Bytes{};
}

/// Encoding `value` gives exactly `golden`, and decoding `golden` gives `value` back.
template <class T>
void expect_round_trip(const T& value, const Bytes& golden) {
  auto enc = value.encode();
  ASSERT_TRUE(enc) << enc.error().message;
  EXPECT_EQ(to_hex(*enc), to_hex(golden));
  auto dec = T::decode(golden);
  ASSERT_TRUE(dec) << dec.error().message;
  EXPECT_EQ(*dec, value);
}

/// GMT+8 wall time.
inline WallTime cst(int y, int mo, int d, int h, int mi, int s) {
  auto t = from_civil(CivilTime{y, mo, d, h, mi, s}, kChinaUtcOffset);
  EXPECT_TRUE(t);
  return *t;
}

/// The 28-byte block the golden vectors use (see gold values in each test).
inline PositionBlock sample_position() {
  PositionBlock p;
  p.alarm_flags = 0;
  p.status_flags = kStatusAccOn | kStatusPositioned;
  p.latitude_udeg = 30123456;
  p.longitude_udeg = 120654321;
  p.vehicle_speed_dkmh = 400;
  p.gnss_speed_dkmh = 410;
  p.direction_deg = 90;
  p.time = cst(2026, 11, 27, 9, 29, 30);
  return p;
}

inline constexpr std::string_view kSamplePositionHex =
    "00000000 00000003 01cba5c0 073109f1 0190 019a 005a 261127092930";

inline AttachedGnss sample_attached() {
  AttachedGnss a;
  a.basic = sample_position();
  a.odometer_hm = 123456;
  a.engine_speed_rpm = 2000;
  return a;
}

inline constexpr std::string_view kSampleAttachedHex =
    "00000000 00000003 01cba5c0 073109f1 0190 019a 005a 261127092930 01 04 0001e240 05 02 07d0";

// A 0x0201 student login in 0x0900 as a real terminal sent it: quoted as a captured frame in a
// public Java supervision-platform implementation (package com.bjxc.supervise). Checksum 0xB4
// verifies; one 0x7E in the signature is escaped (7D 02). Header reserved byte 0x3C, then the
// body `13 0201 0022 …`: ONE type byte, then the extended ID, attributes 0x0022 (ack required,
// SHA-256 signature).
inline constexpr std::string_view kRealStudentLogin =
    "7E8009000160000001589887765106833C130201002201663331343334323234353736333830343600000045"
    "3331343335343130353230363634383333343030343532363333363433373538121211000000000064000000"
    "01000000010260841506EA60D6006F0066003817011511094210EA7F57D690A197861DAEC5A40B4529ACCC88"
    "3D1884DB5F840A4E8111D7630B4C89A9359E7319B1B48BD1004FE8B11321179E4643AE2064CC8478B6A87669"
    "ACF944660881B799ADFDADC410529B1BF2CFD599E03869CC7553FDD563040575F6C0D9EE3329E65D67133367"
    "3930F54D280457911E2191522B0CEDB39F0A07ED8F5595FCD00FF0045FA86BFC11C897CEDD8163C751E491C1"
    "A368DC1765FFFE65863A5B62730960B1260A14C2E0DA61052843ABDB15F15EDCF0084B847D02716313479E45"
    "FD137F81AF9F8A95340F379196B7E36BB2405908E3F5613B264511F50FE9F263750B470278EBB687194856AE"
    "BEF9D1E64E863C716E294223516CEB3485D6B47E";

/// One unsigned extended message of every §2.4 type, terminal no. "1234567890123456", packet 1.
inline std::vector<ExtendedMessage> every_extended_message() {
  const auto pos = sample_position();
  const auto att = sample_attached();
  auto ext = [](const auto& inner) { return make_extended(inner, 1, "1234567890123456").value(); };
  return {
      ext(CoachLogin{"COA0000000000001", "11010519491231002X", "C1", pos}),
      ext(CoachLoginReply{1, "COA0000000000001", 0, "ok"}),
      ext(CoachLogout{"COA0000000000001", pos}),
      ext(CoachLogoutReply{1, "COA0000000000001"}),
      ext(StudentLogin{"STU0000000000001", "COA0000000000001", "1212110000", 1, pos}),
      ext(StudentLoginReply{1, "STU0000000000001", 1, 2, 3, 4, 0, ""}),
      ext(StudentLogout{"STU0000000000001", cst(2026, 1, 1, 8, 0, 0), 1, 2, 3, pos}),
      ext(StudentLogoutReply{1, "STU0000000000001"}),
      ext(TrainingRecord{"12345678901234562611270930", 1, "STU0000000000001", "COA0000000000001",
                         0x102, 9 * 3600 + 30 * 60, "1212110000", 0, 456, 12, att}),
      ext(RecordRequest{2, std::nullopt, std::nullopt, 5}),
      ext(RecordRequestReply{1}),
      ext(TakePhoto{1, 0, 1}),
      ext(TakePhotoReply{1, 1, 0, 1}),
      ext(PhotoQuery{1, cst(2026, 1, 1, 8, 0, 0), cst(2026, 1, 1, 9, 0, 0)}),
      ext(PhotoQueryReply{1}),
      ext(PhotoQueryResult{true, 1, {"0000000001"}}),
      ext(UploadPhoto{"0000000001"}),
      ext(UploadPhotoReply{0}),
      ext(PhotoUploadInit{"0000000001", "STU0000000000001", 129, 0, 1, 19, 3, 2000, 1, att, 90}),
      ext(PhotoUploadInitReply{0}),
      ext(PhotoData{"0000000001", {0xFF, 0xD8}}),
      ext(SetAppParams{0, AppParams{}}),
      ext(SetAppParamsReply{1}),
      ext(SetTrainingBan{2, "禁训"}),
      ext(SetTrainingBanReply{1, 2, "禁训"}),
      ext(QueryAppParams{}),
      ext(QueryAppParamsReply{0, AppParams{}}),
      ext(IdentityInfoRequest{1, 1, "11010519491231002X"}),
      ext(IdentityInfoReply{1, 1, "信息"}),
      ext(NationalNumberRequest{1, "11010519491231002X"}),
      ext(NationalNumberReply{1, 1, "STU0000000000001", "C1"}),
  };
}

}  // namespace tta::uplink::test
