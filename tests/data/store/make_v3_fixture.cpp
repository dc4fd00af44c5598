// Writes a store with the schema and the code of the last release whose schema was v3 (see
// make-v3-fixture.sh, which builds this file against that commit's tta_store: it is never
// compiled against the current tree). Every value is fixed, so that
// tests/unit/store/upgrade_test.cpp can check that an upgrade keeps each of them.
// Templates and photos are made-up bytes, not faces.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/store/store.hpp"

namespace {

using namespace tta;
using namespace tta::store;

constexpr std::int64_t kT0 = 1764560400000;  // 2025-12-01T03:40:00Z, the session's start

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

int check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "make_v3_fixture: %s failed\n", what);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_v3_fixture OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  config::StoreConfig cfg;
  cfg.database = out / "tta.db";
  cfg.key_file = out / "store.key";
  if (check(init_store(cfg).has_value(), "init_store")) return 1;
  auto opened = Store::open(cfg);
  if (check(opened.has_value(), "open")) return 1;
  Store& s = *opened;
  int bad = 0;

  Person coach{.role = Role::coach, .national_no = "3201000000000201",
               .id_card = "320106199003071234", .name = "王教练 (fixture)", .licence_class = "C1",
               .face_template = pattern(512, 1), .enrol_photo_jpeg = {}};
  Person student{.role = Role::student, .national_no = "3201000000000101",
                 .id_card = "11010519491231002X", .name = "李学员 (fixture)", .licence_class = "C1",
                 .face_template = pattern(512, 2), .enrol_photo_jpeg = {0xFF, 0xD8, 0xFF, 0xD9}};
  bad += check(s.add_person(coach, kT0 - 86400000).has_value(), "add coach");
  bad += check(s.add_person(student, kT0 - 86400000).has_value(), "add student");

  TrainingSession session{.class_id = 7001, .mode = "vehicle", .student_no = student.national_no,
                          .coach_no = coach.national_no, .course_code = "1212110000",
                          .started_ms = kT0};
  auto sid = s.begin_session(session);
  bad += check(sid.has_value(), "begin_session");
  if (!sid) return 1;

  // Minute 1: everything known, counted, acknowledged by the platform.
  MinuteRecord m1{.record_no = "00000010000001251201000001", .session_id = *sid,
                  .minute_ms = kT0, .status = 0, .max_speed_dkmh = 312, .mileage_hm = 4,
                  .lat_e6 = 32044000, .lon_e6 = 118785000, .gnss_speed_dkmh = 298,
                  .sensor_speed_dkmh = 301, .heading_deg = 90, .odometer_hm = 123456,
                  .engine_rpm = 1800, .gnss_time_ms = kT0 + 59000, .flags = "", .counted = true};
  // Minute 2: standing still, nothing from the vehicle: missing stays missing; refused.
  MinuteRecord m2{.record_no = "00000010000001251201000002", .session_id = *sid,
                  .minute_ms = kT0 + 60000, .status = 1, .max_speed_dkmh = 0, .mileage_hm = 0,
                  .lat_e6 = 32044100, .lon_e6 = 118785100, .gnss_speed_dkmh = 0,
                  .sensor_speed_dkmh = std::nullopt, .heading_deg = std::nullopt,
                  .odometer_hm = std::nullopt, .engine_rpm = std::nullopt,
                  .gnss_time_ms = kT0 + 119000, .flags = "stationary,engine_speed_missing",
                  .counted = false};
  // Minute 3: no position at all; still queued.
  MinuteRecord m3{.record_no = "00000010000001251201000003", .session_id = *sid,
                  .minute_ms = kT0 + 120000, .status = 1, .flags = "no_gnss", .counted = false};
  std::int64_t ids[3] = {};
  int i = 0;
  for (const MinuteRecord* m : {&m1, &m2, &m3}) {
    OutboxEntry e{.kind = "tcp.0203", .key = m->record_no, .payload = pattern(64, static_cast<std::uint8_t>(10 + i)),
                  .created_ms = m->minute_ms + 60000};
    bad += check(s.add_minute(*m, e).has_value(), "add_minute");
    auto entry = s.outbox_entry("tcp.0203", m->record_no);
    bad += check(entry && *entry, "outbox_entry");
    if (entry && *entry) ids[i] = (**entry).id;
    ++i;
  }
  bad += check(s.mark_acked(ids[0], kT0 + 125000).has_value(), "mark_acked");
  bad += check(s.mark_refused(ids[1], kT0 + 125000, "platform result 2: stationary minute").has_value(),
               "mark_refused");

  Photo photo{.photo_no = "0000000042", .person_no = student.national_no, .class_id = 7001,
              .event = 17, .size_code = 1, .taken_ms = kT0 + 30000, .confidence = 87,
              .lat_e6 = 32044000, .lon_e6 = 118785000, .jpeg = {0xFF, 0xD8, 0xFF, 0xD9}};
  bad += check(s.add_photo(photo, OutboxEntry{.kind = "tcp.photo", .key = photo.photo_no,
                                              .payload = pattern(32, 99)}).has_value(),
               "add_photo");
  bad += check(s.end_session(*sid, kT0 + 180000).has_value(), "end_session");

  Assessment a{.student_no = student.national_no, .programme = "C1", .passed = true,
               .assessor = "fixture", .assessed_on = "2025-12-02"};
  Certificate c{.number = "3201000000000001-2025-0001", .student_no = student.national_no,
                .programme = "C1", .kind = "licence", .institution_code = "3201000000000001",
                .granted_on = "2025-12-02", .classroom_min = 0, .practical_min = 1,
                .mileage_hm = 4};
  const OutboxEntry upload{.kind = "http.graduation", .key = c.number, .payload = pattern(16, 5)};
  bad += check(s.record_assessment(a, c, std::span<const OutboxEntry>(&upload, 1), kT0 + 86400000)
                   .has_value(),
               "record_assessment");
  bad += check(s.set_param("fixture.made_by", "tta schema v3", kT0).has_value(), "set_param");
  bad += check(s.log_event("fixture", "made by make_v3_fixture", kT0).has_value(), "log_event");
  auto v = s.schema_version();
  bad += check(v && *v == 3, "schema version 3");
  return bad == 0 ? 0 : 1;
}
