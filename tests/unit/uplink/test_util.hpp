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
  p.vehicle_speed_tenth_km_h = 400;
  p.gnss_speed_tenth_km_h = 410;
  p.direction_deg = 90;
  p.time = cst(2026, 11, 27, 9, 29, 30);
  return p;
}

inline constexpr std::string_view kSamplePositionHex =
    "00000000 00000003 01cba5c0 073109f1 0190 019a 005a 261127092930";

inline AttachedGnss sample_attached() {
  AttachedGnss a;
  a.basic = sample_position();
  a.odometer_tenth_km = 123456;
  a.engine_speed_rpm = 2000;
  return a;
}

inline constexpr std::string_view kSampleAttachedHex =
    "00000000 00000003 01cba5c0 073109f1 0190 019a 005a 261127092930 01 04 0001e240 05 02 07d0";

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
