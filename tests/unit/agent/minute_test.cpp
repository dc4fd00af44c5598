// The minute's conversions (training/minute.*): gps → store → uplink, every field, and missing
// values staying missing on the way.
#include <gtest/gtest.h>

#include "training/minute.hpp"

namespace tta::agent {
namespace {

constexpr std::int64_t kMinuteMs = 1'795'738'200'000;  // 2026-11-27T08:10:00+08:00
const WallTime kMinute{std::chrono::milliseconds(kMinuteMs)};
constexpr const char* kRecordNo = "32010000000000012611270490";

/// A fix at second 30 of kMinute, south-west of the equator to exercise the signs.
gps::Fix fix_at_30() {
  gps::Fix f;
  f.set = gps::kFieldTime | gps::kFieldDate | gps::kFieldPosition | gps::kFieldSpeed |
          gps::kFieldCourse;
  f.date = {2026, 11, 27};
  f.time_of_day.ms = (10 * 60 + 30) * 1000;  // 00:10:30 UTC
  f.lat_deg = -32.0440004;
  f.lon_deg = -118.7850006;
  f.speed_kmh = 27.96;
  f.course_deg = 359.6;  // rounds to 360, which is 0
  return f;
}

gps::MinuteRecord full_gps_minute() {
  gps::MinuteRecord m;
  m.minute_start = kMinute;
  m.max_speed_kmh = 30.5;
  m.max_speed_dkmh = 305;
  m.mileage_hm = 5;
  m.distance_m = 512;
  m.sample = fix_at_30();
  m.good_fixes = 60;
  m.max_sensor_speed_kmh = 31.04;
  return m;
}

TEST(MinuteConversion, GpsToStoreTakesEveryField) {
  const vehicle::VehicleSample v{.at = kMinute + std::chrono::seconds(59), .ignition_on = true,
                                 .engine_rpm = 1800, .sensor_speed_kmh = 12.0};
  const store::MinuteRecord r = stored_minute(full_gps_minute(), kRecordNo, 7, 12'345, v);
  EXPECT_EQ(r.record_no, kRecordNo);
  EXPECT_EQ(r.session_id, 7);
  EXPECT_EQ(r.minute_ms, kMinuteMs);
  EXPECT_EQ(r.max_speed_dkmh, 305);
  EXPECT_EQ(r.mileage_hm, 5);
  EXPECT_EQ(r.lat_e6, -32'044'000);
  EXPECT_EQ(r.lon_e6, -118'785'001);
  EXPECT_EQ(r.gnss_speed_dkmh, 280);
  EXPECT_EQ(r.sensor_speed_dkmh, 310);  // the minute's top sensor speed, not the sample's
  EXPECT_EQ(r.heading_deg, 0);
  EXPECT_EQ(r.odometer_hm, 12'345u);
  EXPECT_EQ(r.engine_rpm, 1800);
  EXPECT_EQ(r.gnss_time_ms, kMinuteMs + 30'000);
  // The rules' verdict is not the conversion's.
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.flags, "");
  EXPECT_TRUE(r.counted);
}

TEST(MinuteConversion, GpsToStoreLeavesMissingMissing) {
  gps::MinuteRecord m;
  m.minute_start = kMinute;
  const store::MinuteRecord bare = stored_minute(m, kRecordNo, 7, std::nullopt, std::nullopt);
  EXPECT_EQ(bare.max_speed_dkmh, std::nullopt);
  EXPECT_EQ(bare.mileage_hm, 0);  // a minute without fixes went nowhere
  EXPECT_EQ(bare.lat_e6, std::nullopt);
  EXPECT_EQ(bare.lon_e6, std::nullopt);
  EXPECT_EQ(bare.gnss_speed_dkmh, std::nullopt);
  EXPECT_EQ(bare.sensor_speed_dkmh, std::nullopt);
  EXPECT_EQ(bare.heading_deg, std::nullopt);
  EXPECT_EQ(bare.odometer_hm, std::nullopt);
  EXPECT_EQ(bare.engine_rpm, std::nullopt);
  EXPECT_EQ(bare.gnss_time_ms, std::nullopt);

  // A sample without speed, course or date; a sensor speed but no fresh vehicle sample.
  m = full_gps_minute();
  m.sample->set = gps::kFieldTime | gps::kFieldPosition;
  m.sample->speed_kmh = gps::Fix::kNaN;
  m.sample->course_deg = gps::Fix::kNaN;
  const store::MinuteRecord partial = stored_minute(m, kRecordNo, 7, 1, std::nullopt);
  EXPECT_EQ(partial.lat_e6, -32'044'000);
  EXPECT_EQ(partial.gnss_time_ms, std::nullopt);
  EXPECT_EQ(partial.gnss_speed_dkmh, std::nullopt);
  EXPECT_EQ(partial.heading_deg, std::nullopt);
  EXPECT_EQ(partial.sensor_speed_dkmh, std::nullopt);  // stale vehicle: nothing claimed
  EXPECT_EQ(partial.engine_rpm, std::nullopt);

  // A fresh vehicle sample without engine speed.
  const store::MinuteRecord no_rpm =
      stored_minute(full_gps_minute(), kRecordNo, 7, 1, vehicle::VehicleSample{.at = kMinute});
  EXPECT_EQ(no_rpm.engine_rpm, std::nullopt);
  EXPECT_EQ(no_rpm.sensor_speed_dkmh, 310);
}

store::MinuteRecord full_store_minute() {
  store::MinuteRecord m{.record_no = kRecordNo, .session_id = 7, .minute_ms = kMinuteMs,
                        .status = 1};
  m.max_speed_dkmh = 305;
  m.mileage_hm = 5;
  m.lat_e6 = -32'044'000;
  m.lon_e6 = 118'785'001;
  m.gnss_speed_dkmh = 280;
  m.sensor_speed_dkmh = 310;
  m.heading_deg = 90;
  m.odometer_hm = 12'345;
  m.engine_rpm = 1800;
  m.gnss_time_ms = kMinuteMs + 30'000;
  m.flags = "stationary";
  m.counted = false;
  return m;
}

const RecordHeader kHeader{.student_no = "3201000000000101", .coach_no = "3201000000000201",
                           .class_id = 42, .course_code = "1212110000", .report_type = 1,
                           .ignition_on = true};

TEST(MinuteConversion, StoreToUplinkTakesEveryField) {
  const uplink::TrainingRecord r = training_record(full_store_minute(), kHeader);
  EXPECT_EQ(r.record_no, kRecordNo);
  EXPECT_EQ(r.report_type, 1);
  EXPECT_EQ(r.student_no, kHeader.student_no);
  EXPECT_EQ(r.coach_no, kHeader.coach_no);
  EXPECT_EQ(r.class_id, 42u);
  EXPECT_EQ(r.time_of_day_s, 8u * 3600 + 10 * 60);  // GMT+8
  EXPECT_EQ(r.course_code, kHeader.course_code);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.max_speed_dkmh, 305);
  EXPECT_EQ(r.mileage_hm, 5);
  const uplink::PositionBlock& b = r.gnss.basic;
  EXPECT_EQ(b.status_flags, uplink::kStatusAccOn | uplink::kStatusPositioned | uplink::kStatusSouth);
  EXPECT_EQ(b.latitude_udeg, 32'044'000u);
  EXPECT_EQ(b.longitude_udeg, 118'785'001u);
  EXPECT_EQ(b.gnss_speed_dkmh, 280);
  EXPECT_EQ(b.vehicle_speed_dkmh, 310);
  EXPECT_EQ(b.direction_deg, 90);
  EXPECT_EQ(b.time, WallTime{std::chrono::milliseconds(kMinuteMs + 30'000)});
  EXPECT_EQ(r.gnss.odometer_hm, 12'345u);
  EXPECT_EQ(r.gnss.engine_speed_rpm, 1800);
  EXPECT_EQ(b.alarm_flags, 0u);
  // And it encodes (a 26-character number, a valid course code).
  EXPECT_TRUE(r.encode());
}

TEST(MinuteConversion, StoreToUplinkLeavesMissingMissing) {
  const store::MinuteRecord bare{.record_no = kRecordNo, .session_id = 7, .minute_ms = kMinuteMs};
  const uplink::TrainingRecord r =
      training_record(bare, {.student_no = "3201000000000101", .class_id = 42,
                             .course_code = "1212110000", .report_type = 2});
  EXPECT_EQ(r.report_type, 2);
  EXPECT_EQ(r.coach_no, "");
  EXPECT_EQ(r.max_speed_dkmh, 0);  // no missing form on the wire
  EXPECT_EQ(r.mileage_hm, 0);
  EXPECT_EQ(r.gnss.basic.status_flags, 0u);  // not positioned, ignition not known on
  EXPECT_TRUE(r.gnss.has_missing());
  EXPECT_EQ(r.gnss.basic.latitude_udeg, std::nullopt);
  EXPECT_EQ(r.gnss.basic.longitude_udeg, std::nullopt);
  EXPECT_EQ(r.gnss.basic.gnss_speed_dkmh, std::nullopt);
  EXPECT_EQ(r.gnss.basic.vehicle_speed_dkmh, std::nullopt);
  EXPECT_EQ(r.gnss.basic.direction_deg, std::nullopt);
  EXPECT_EQ(r.gnss.basic.time, std::nullopt);
  EXPECT_EQ(r.gnss.odometer_hm, std::nullopt);
  EXPECT_EQ(r.gnss.engine_speed_rpm, std::nullopt);

  // Half a position is no position.
  store::MinuteRecord half = bare;
  half.lat_e6 = 32'000'000;
  EXPECT_EQ(training_record(half, kHeader).gnss.basic.latitude_udeg, std::nullopt);
  EXPECT_EQ(training_record(half, kHeader).gnss.basic.status_flags & uplink::kStatusPositioned, 0u);
}

TEST(MinuteConversion, SessionHeaderAndRoundTrip) {
  const store::TrainingSession s{.id = 7, .class_id = 42, .mode = "vehicle",
                                 .student_no = "3201000000000101",
                                 .coach_no = "3201000000000201", .course_code = "1212110000",
                                 .started_ms = kMinuteMs - 600'000};
  const RecordHeader h = record_header(s);
  EXPECT_EQ(h.student_no, s.student_no);
  EXPECT_EQ(h.coach_no, s.coach_no);
  EXPECT_EQ(h.class_id, s.class_id);
  EXPECT_EQ(h.course_code, s.course_code);
  EXPECT_EQ(h.report_type, 1);
  EXPECT_FALSE(h.ignition_on);

  // gps → store → uplink → bytes → uplink: what was sampled is what the platform reads.
  const store::MinuteRecord stored = stored_minute(
      full_gps_minute(), kRecordNo, 7, 12'345,
      vehicle::VehicleSample{.at = kMinute, .ignition_on = false, .engine_rpm = 900});
  auto bytes = training_record(stored, h).encode();
  ASSERT_TRUE(bytes);
  auto back = uplink::TrainingRecord::decode(*bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->gnss.basic.latitude_deg(), -32.044);
  EXPECT_EQ(back->gnss.basic.longitude_deg(), -118.785001);
  EXPECT_EQ(back->gnss.basic.gnss_speed_dkmh, 280);
  EXPECT_EQ(back->gnss.basic.vehicle_speed_dkmh, 310);
  EXPECT_EQ(back->gnss.basic.direction_deg, 0);
  EXPECT_EQ(back->gnss.basic.time, WallTime{std::chrono::milliseconds(kMinuteMs + 30'000)});
  EXPECT_EQ(back->gnss.engine_speed_rpm, 900);
  EXPECT_EQ(back->gnss.odometer_hm, 12'345u);
  EXPECT_EQ(back->max_speed_dkmh, 305);
  EXPECT_EQ(back->mileage_hm, 5);
}

}  // namespace
}  // namespace tta::agent
