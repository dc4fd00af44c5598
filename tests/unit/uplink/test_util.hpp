#pragma once
// Helpers for the uplink tests: golden vectors are written as hex text.
#include <gtest/gtest.h>

#include <string_view>

#include "tta/core/hex.hpp"
#include "tta/core/time_util.hpp"
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

}  // namespace tta::uplink::test
