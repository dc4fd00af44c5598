// CSV export and dates of the administrator's commands: quoting, missing values, local days.
#include <gtest/gtest.h>

#include "training/admin_export.hpp"

namespace tta::agent {
namespace {

constexpr std::int64_t kMidnight = 1'795'708'800'000;  // 2026-11-27T00:00:00+08:00

TEST(Export, CsvFieldsAreQuotedOnlyWhenNeeded) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"line\nbreak", "\"line\nbreak\""},
      {"cr\rlf", "\"cr\rlf\""},
      {" lead", "\" lead\""},
      {"trail ", "\"trail \""},
      {"苏A12345学", "苏A12345学"},
      {"stationary,no_gnss", "\"stationary,no_gnss\""},
  };
  for (const auto& c : cases) EXPECT_EQ(csv_field(c.in), c.out) << c.in;
  EXPECT_EQ(csv_record({"a", "", "b,c"}), "a,,\"b,c\"\r\n");
}

TEST(Export, DatesAreLocalDaysOrClearErrors) {
  auto d = local_day_start_ms("2026-11-27");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, kMidnight);
  EXPECT_EQ(local_time_text(*d), "2026-11-27T00:00:00+08:00");
  for (const char* bad : {"", "2026-11-31", "2026-13-01", "2026-1-01", "2026/11/27", "20261127",
                          "2026-11-27 ", "1969-12-31", "abcd-ef-gh", "2026-11-2\xff",
                          // a dash where a digit belongs (found by fuzz_admin_text: it read as
                          // 2026-11-17)
                          "2026-11-2-", "2026--1-01", "-026-11-27",
                          // past what a WallTime holds (it overflowed)
                          "8026-11-27", "9999-12-31"}) {
    auto r = local_day_start_ms(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("YYYY-MM-DD"), std::string::npos);
  }
}

store::MinuteRecord full_minute() {
  store::MinuteRecord m;
  m.record_no = "32010000000000012611270490";
  m.session_id = 7;
  m.minute_ms = kMidnight + 8 * 3'600'000LL + 10 * 60'000;  // 08:10 local
  m.status = 1;
  m.max_speed_dkmh = 305;
  m.mileage_hm = 5;
  m.lat_e6 = 32'044'000;
  m.lon_e6 = -118'785'001;
  m.gnss_speed_dkmh = 280;
  m.heading_deg = 90;
  m.odometer_hm = 12'345;
  m.engine_rpm = 1800;
  m.gnss_time_ms = m.minute_ms + 30'000;
  m.flags = "stationary,engine_speed_missing";
  m.counted = false;
  return m;
}

TEST(Export, MinutesCsvLeavesMissingValuesEmpty) {
  store::TrainingSession s{.id = 7, .class_id = 42, .mode = "vehicle",
                           .student_no = "3201000000000101", .coach_no = "3201000000000201",
                           .course_code = "1212110000", .started_ms = 0};
  store::MinuteRecord bare;
  bare.record_no = "R2";
  bare.session_id = 99;  // its session is not in the map
  bare.minute_ms = full_minute().minute_ms + 60'000;
  const std::string csv = minutes_csv({full_minute(), bare}, {{7, s}});
  const std::string header =
      "record_no,student_no,coach_no,class_id,course_code,mode,minute_start,status,counted,"
      "max_speed_kmh,mileage_km,lat,lon,gnss_speed_kmh,sensor_speed_kmh,heading_deg,odometer_km,"
      "engine_rpm,gnss_time,flags\r\n";
  const std::string row1 =
      "32010000000000012611270490,3201000000000101,3201000000000201,42,1212110000,vehicle,"
      "2026-11-27T08:10:00+08:00,1,0,30.5,0.5,32.044000,-118.785001,28.0,,90,1234.5,1800,"
      "2026-11-27T08:10:30+08:00,\"stationary,engine_speed_missing\"\r\n";
  const std::string row2 = "R2,,,,,,2026-11-27T08:11:00+08:00,0,1,,,,,,,,,,,\r\n";
  EXPECT_EQ(csv, header + row1 + row2);
}

TEST(Export, SessionsCsvAndJsonKeepMissingMissing) {
  store::SessionSummary open{.session = {.id = 3, .class_id = 9, .mode = "classroom",
                                         .student_no = "3201000000000101", .coach_no = "",
                                         .course_code = "2211010000",
                                         .started_ms = kMidnight},
                             .minutes = 2, .counted_minutes = 1, .mileage_hm = std::nullopt,
                             .flags = "no_gnss"};
  EXPECT_EQ(sessions_csv({open}),
            "session_id,class_id,mode,student_no,coach_no,course_code,started,ended,minutes,"
            "counted_minutes,mileage_km,flags\r\n"
            "3,9,classroom,3201000000000101,,2211010000,2026-11-27T00:00:00+08:00,,2,1,,no_gnss\r\n");
  const auto j = session_json(open);
  EXPECT_TRUE(j["coach_no"].is_null());
  EXPECT_TRUE(j["ended"].is_null());
  EXPECT_TRUE(j["mileage_km"].is_null());
  EXPECT_EQ(j["counted_minutes"], 1);
}

}  // namespace
}  // namespace tta::agent
