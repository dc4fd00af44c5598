// Progress against the syllabus, the final assessment and its certificate and uploads.
#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "outbox/http_records.hpp"
#include "training/progress.hpp"
#include "tta/uplink/http_api.hpp"

namespace tta::agent {
namespace {

namespace fs = std::filesystem;
using store::CourseTotals;

constexpr std::string_view kStudent = "3201000000000101";
constexpr std::int64_t kT0 = 1'795'786'200'000;  // 2026-11-27 21:30 GMT+8

config::SyllabusPart part(std::uint32_t n, std::uint32_t classroom, std::uint32_t practical,
                          double km = 0, std::vector<std::string> courses = {}) {
  return config::SyllabusPart{.part = n, .classroom_min = classroom, .practical_min = practical,
                              .mileage_km = km, .courses = std::move(courses)};
}

config::SyllabusProgramme c1() {
  return {.programme = "C1", .kind = "licence", .title = "C1 licence",
          .parts = {part(1, 720, 0), part(2, 0, 960), part(3, 0, 1440, 300), part(4, 600, 0)}};
}
/// C1 at a hundredth of the hours, so a store test trains it all in a second.
config::SyllabusProgramme small_c1() {
  return {.programme = "C1", .kind = "licence", .title = "C1 licence",
          .parts = {part(1, 12, 0), part(2, 0, 16), part(3, 0, 24, 5), part(4, 10, 0)}};
}
config::SyllabusProgramme freight() {
  return {.programme = "freight", .kind = "freight", .title = "freight",
          .parts = {part(1, 60, 0, 0, {"2??19?0000"}), part(2, 0, 30, 0, {"1??39?0000"})}};
}
config::SyllabusProgramme ce() {
  return {.programme = "ce", .kind = "continuing", .title = "ce", .cycle_days = 730,
          .parts = {part(1, 90, 0, 0, {"2??18?0000"})}};
}

CourseTotals veh(std::string code, std::int64_t min, std::int64_t hm, std::int64_t no_mileage = 0) {
  return {.course_code = std::move(code), .mode = "vehicle", .counted_minutes = min,
          .mileage_hm = hm, .minutes_without_mileage = no_mileage};
}
CourseTotals cls(std::string code, std::int64_t min) {
  return {.course_code = std::move(code), .mode = "classroom", .counted_minutes = min,
          .mileage_hm = 0, .minutes_without_mileage = min};
}

TEST(Progress, CourseCodePatterns) {
  struct Case {
    const char* pattern;
    const char* code;
    bool match;
  } cases[] = {
      {"?212??0000", "1212110000", true},  {"?212??0000", "2212990000", true},
      {"?212??0000", "1213110000", false}, {"?212??0000", "121211000", false},
      {"?212??0000", "12121100000", false}, {"??????????", "12a2110000", false},
      {"1212110000", "1212110000", true},  {"", "", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(course_matches(c.pattern, c.code), c.match) << c.pattern << " " << c.code;
  }
  EXPECT_EQ(part_patterns(c1(), c1().parts[1]), std::vector<std::string>{"?212??0000"});
  EXPECT_EQ(part_patterns(freight(), freight().parts[0]), std::vector<std::string>{"2??19?0000"});
}

TEST(Progress, MinutesAndMileageAgainstTheSyllabus) {
  const std::vector<config::SyllabusProgramme> all{c1()};
  const auto p = measure(c1(), all,
                         {veh("1212110000", 480, 900), veh("1213010000", 1440, 3012),
                          cls("2211010000", 720), cls("2214010000", 300),
                          veh("1222110000", 999, 999)});  // C2: not C1's
  ASSERT_EQ(p.parts.size(), 4u);
  EXPECT_EQ(p.parts[0].classroom_min, 720);
  EXPECT_TRUE(p.parts[0].complete);
  EXPECT_EQ(p.parts[0].percent, 100);
  EXPECT_EQ(p.parts[1].practical_min, 480);
  EXPECT_EQ(p.parts[1].percent, 50);
  EXPECT_FALSE(p.parts[1].complete);
  EXPECT_EQ(p.parts[2].mileage_hm, 3012);
  EXPECT_EQ(p.parts[2].required_mileage_hm, 3000);
  EXPECT_TRUE(p.parts[2].complete);
  EXPECT_EQ(p.parts[3].percent, 50);
  EXPECT_FALSE(p.complete);
  // Requirements: 720/720, 480/960, 1440/1440, 300/300 km, 300/600 → (1+.5+1+1+.5)/5 = 80 %.
  EXPECT_EQ(p.percent, 80);
}

TEST(Progress, AlmostIsNotComplete) {
  const std::vector<config::SyllabusProgramme> all{c1()};
  auto p = measure(c1(), all, {veh("1212110000", 959, 1)});
  EXPECT_EQ(p.parts[1].percent, 99) << "never 100 % before the last minute";
  EXPECT_FALSE(p.parts[1].complete);
  p = measure(c1(), all, {veh("1212110000", 960, 1), veh("1212120000", 5, 1)});
  EXPECT_EQ(p.parts[1].practical_min, 965);
  EXPECT_EQ(p.parts[1].percent, 100);
  EXPECT_TRUE(p.parts[1].complete);
}

TEST(Progress, MileageWithoutAnyRecordIsUnknownAndNeverMeetsARequirement) {
  const std::vector<config::SyllabusProgramme> all{c1()};
  auto p = measure(c1(), all, {veh("1213110000", 1440, 0, 1440)});
  EXPECT_EQ(p.parts[2].mileage_hm, std::nullopt);
  EXPECT_EQ(p.parts[2].minutes_without_mileage, 1440);
  EXPECT_FALSE(p.parts[2].complete);
  EXPECT_EQ(p.parts[2].percent, 50);
  // Some known: the known sum counts, the rest is reported.
  p = measure(c1(), all, {veh("1213110000", 1440, 3000, 10)});
  EXPECT_EQ(p.parts[2].mileage_hm, 3000);
  EXPECT_EQ(p.parts[2].minutes_without_mileage, 10);
  EXPECT_TRUE(p.parts[2].complete);
  // No vehicle minutes at all: nothing driven, which is 0 km and known.
  p = measure(c1(), all, {});
  EXPECT_EQ(p.parts[2].mileage_hm, 0);
  const auto j = progress_json(StudentProgress{.programmes = {measure(c1(), all, {veh("1213110000", 5, 0, 5)})}});
  EXPECT_TRUE(j["programmes"][0]["parts"][2]["counted"]["mileage_km"].is_null()) << j.dump();
}

TEST(Progress, ExplicitCoursesTakeCodesFromDerivedOnes) {
  const std::vector<config::SyllabusProgramme> all{c1(), freight()};
  const std::vector<CourseTotals> t{cls("2211900000", 60), cls("2211010000", 100)};
  const auto lic = measure(c1(), all, t);
  EXPECT_EQ(lic.parts[0].classroom_min, 100) << "2211900000 belongs to the freight programme";
  const auto fr = measure(freight(), all, t);
  EXPECT_EQ(fr.parts[0].classroom_min, 60);
  EXPECT_TRUE(fr.parts[0].complete);
  EXPECT_FALSE(fr.complete);
}

// ---- with a store ----------------------------------------------------------------------------

class ProgressStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-progress-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cfg_.source = dir_ / "agent.toml";
    cfg_.store.database = dir_ / "tta.db";
    cfg_.store.key_file = dir_ / "store.key";
    cfg_.terminal.institution_code = "3201000000000001";
    cfg_.terminal.serial = "0000001";
    cfg_.syllabus = {small_c1(), freight(), ce()};
    ASSERT_TRUE(store::init_store(cfg_.store));
    auto s = store::Store::open(cfg_.store);
    ASSERT_TRUE(s) << s.error().message;
    store_.emplace(std::move(*s));
    ASSERT_TRUE(store_->people().add({.role = store::Role::student,
                                    .national_no = std::string(kStudent),
                                    .id_card = "320106199003071234", .name = "张三",
                                    .licence_class = "C1"},
                                   1));
    ASSERT_TRUE(store_->people().add({.role = store::Role::coach, .national_no = "3201000000000201",
                                    .id_card = "320106199003071234", .name = "李",
                                    .licence_class = "C1"},
                                   1));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  /// `n` counted minutes of one session from `start_ms`, each with `hm` mileage (or none).
  void train(std::string course, std::string mode, int n, std::optional<std::uint16_t> hm,
             std::int64_t start_ms = kT0, bool counted = true) {
    static std::uint32_t class_id = 1;
    store::TrainingSession s{.class_id = class_id++, .mode = mode, .student_no = std::string(kStudent),
                             .coach_no = mode == "vehicle" ? "3201000000000201" : "",
                             .course_code = std::move(course), .started_ms = start_ms};
    auto sid = store_->begin_session(s);
    ASSERT_TRUE(sid) << sid.error().message;
    for (int i = 0; i < n; ++i) {
      store::MinuteRecord m;
      m.record_no = "R" + std::to_string(s.class_id) + "-" + std::to_string(i);
      m.session_id = *sid;
      m.minute_ms = start_ms + i * 60'000LL;
      m.mileage_hm = hm;
      m.counted = counted;
      m.status = counted ? 0 : 1;
      ASSERT_TRUE(store_->add_minute(m, {.kind = "tcp.0203", .key = m.record_no, .payload = {1}}));
    }
  }

  /// Everything C1 needs.
  void train_all_of_c1() {
    train("2211010000", "classroom", 12, std::nullopt);
    train("1212110000", "vehicle", 16, 2);
    train("1213110000", "vehicle", 24, 3);  // 7.2 km
    train("2214010000", "classroom", 10, std::nullopt);
  }

  fs::path dir_;
  config::Config cfg_;
  std::optional<store::Store> store_;
};

TEST_F(ProgressStore, UnknownStudentOrCoachIsNotFound) {
  auto p = progress(*store_, cfg_, "3201000000000999", kT0);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::not_found);
  EXPECT_NE(p.error().message.find("3201000000000999"), std::string::npos);
  EXPECT_FALSE(progress(*store_, cfg_, "3201000000000201", kT0));
}

TEST_F(ProgressStore, OwnProgrammeFirstOthersOnlyWithMinutes) {
  train("1212110000", "vehicle", 30, 4);
  train("1212110000", "vehicle", 10, 4, kT0 + 86'400'000, false);  // not counted
  train("2111110000", "classroom", 7, std::nullopt);  // A1 part 1: no programme
  auto p = progress(*store_, cfg_, kStudent, kT0);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->programmes.size(), 1u);
  EXPECT_EQ(p->programmes[0].programme, "C1");
  EXPECT_EQ(p->programmes[0].parts[1].practical_min, 30);
  EXPECT_EQ(p->programmes[0].parts[1].mileage_hm, 120);
  EXPECT_EQ(p->unmatched_min, 7);
  train("2121800000", "classroom", 45, std::nullopt, kT0 - 800LL * 86'400'000);  // ce, old
  train("2121810000", "classroom", 30, std::nullopt, kT0 - 10LL * 86'400'000);   // ce, recent
  p = progress(*store_, cfg_, kStudent, kT0);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->programmes.size(), 2u);
  EXPECT_EQ(p->programmes[1].programme, "ce");
  EXPECT_EQ(p->programmes[1].parts[0].classroom_min, 30) << "only the last 730 days count";
  ASSERT_TRUE(p->programmes[1].window_from_ms);
  EXPECT_EQ(*p->programmes[1].window_from_ms, kT0 - 730LL * 86'400'000);
  const auto j = progress_json(*p);
  EXPECT_EQ(j["student"], kStudent);
  EXPECT_EQ(j["programmes"][0]["parts"][1]["counted"]["practical_min"], 30);
  EXPECT_EQ(j["programmes"][0]["parts"][1]["counted"]["mileage_km"], 12.0);
  EXPECT_EQ(j["programmes"][0]["parts"][2]["required"]["mileage_km"], 5.0);
  EXPECT_TRUE(j["programmes"][1].contains("window_from"));
  EXPECT_EQ(j["unmatched_min"], 7);
}

TEST_F(ProgressStore, CompleteRefusesShortHoursAndWritesNothing) {
  train("2211010000", "classroom", 12, std::nullopt);
  train("1212110000", "vehicle", 15, 2);
  auto r = complete(*store_, cfg_,
                    {.student_no = std::string(kStudent), .passed = true, .assessor = "王",
                     .date = "2026-11-27"},
                    kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::refused);
  EXPECT_NE(r.error().message.find("part 2: 15 of 16 practical minutes"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("part 3: 0 of 24 practical minutes"), std::string::npos);
  EXPECT_NE(r.error().message.find("0.0 of 5.0 km"), std::string::npos);
  EXPECT_TRUE(store_->assessments(kStudent)->empty());
  EXPECT_EQ(store_->outbox().counts("http.graduation")->queued, 0);
}

TEST_F(ProgressStore, CompleteRefusalsForBadRequests) {
  const auto ask = [&](CompletionRequest req) { return complete(*store_, cfg_, req, kT0); };
  const CompletionRequest good{.student_no = std::string(kStudent), .passed = false,
                               .assessor = "王", .date = "2026-11-27"};
  auto r = ask({.student_no = "3201000000000999", .passed = true, .assessor = "王", .date = "2026-11-27"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  for (const char* bad : {"2026-02-30", "2026-1-27", "27.11.2026", "", "2026-11-27x"}) {
    CompletionRequest req = good;
    req.date = bad;
    if (std::string_view(bad).empty()) continue;  // empty = today
    r = ask(req);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
  CompletionRequest req = good;
  req.programme = "B2";
  r = ask(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("not in the syllabus"), std::string::npos);
  req.programme = "ce";
  r = ask(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no completion certificate"), std::string::npos);
  req = good;
  req.assessor = "";
  r = ask(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_TRUE(store_->assessments(kStudent)->empty());
}

TEST_F(ProgressStore, FailIsRecordedWithoutCertificateOrUploads) {
  auto r = complete(*store_, cfg_,
                    {.student_no = std::string(kStudent), .passed = false, .assessor = "王",
                     .date = "2026-11-27"},
                    kT0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->certificate);
  EXPECT_TRUE(r->queued.empty());
  EXPECT_GT(r->assessment.id, 0);
  EXPECT_EQ(store_->assessments(kStudent)->size(), 1u);
  EXPECT_TRUE(store_->certificates(kStudent)->empty());
}

TEST_F(ProgressStore, PassIssuesTheCertificateAndQueuesItsUploads) {
  train_all_of_c1();
  auto r = complete(*store_, cfg_,
                    {.student_no = std::string(kStudent), .passed = true, .assessor = "王",
                     .date = "2026-11-27"},
                    kT0);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->certificate);
  EXPECT_EQ(r->certificate->number, "3201000000000001-C1-2026-0000001-0001");
  EXPECT_EQ(r->certificate->practical_min, 40);
  EXPECT_EQ(r->certificate->classroom_min, 22);
  EXPECT_EQ(r->certificate->mileage_hm, 16 * 2 + 24 * 3);
  ASSERT_EQ(r->queued.size(), 5u);
  EXPECT_EQ(r->queued[0].kind, kStageHoursKind);
  EXPECT_EQ(r->queued[1].key, std::string(kStudent) + "/2");
  EXPECT_EQ(r->queued[4].kind, kGraduationKind);
  EXPECT_EQ(r->queued[4].key, r->certificate->number);
  EXPECT_EQ(store_->outbox().counts("http.stagetrainningtime")->queued, 4);
  EXPECT_EQ(store_->outbox().counts("http.graduation")->queued, 1);

  const auto grad = nlohmann::json::parse(r->queued[4].payload);
  EXPECT_EQ(grad, (nlohmann::json{{"stunum", kStudent},
                                  {"autinscode", "3201000000000001"},
                                  {"gracertnum", r->certificate->number},
                                  {"grantdate", "20261127"}}));
  const auto stage1 = nlohmann::json::parse(r->queued[0].payload);
  EXPECT_EQ(stage1["subject"], 1);
  EXPECT_EQ(stage1["classtime"], 12);
  EXPECT_EQ(stage1["vehicletime"], 0);
  EXPECT_EQ(stage1["totaltime"], 12);
  EXPECT_EQ(stage1["mileage"], 0.0) << "no vehicle minutes in part 1: 0 km driven";
  const auto stage3 = nlohmann::json::parse(r->queued[2].payload);
  EXPECT_EQ(stage3["mileage"], 7.2);
  EXPECT_EQ(stage3["examresult"], "1");

  // The platform's request builder takes them (no unknown field) with the same natural key.
  config::HttpUplinkConfig http;
  http.base_url = "https://platform.example.cn/api";
  auto api = uplink::HttpApi::create(http);
  ASSERT_TRUE(api);
  for (const auto& e : r->queued) {
    const std::string resource = e.kind.substr(5);
    auto body = api->body(resource, e.payload);
    ASSERT_TRUE(body) << resource << ": " << body.error().message;
    EXPECT_EQ(*api->natural_key(resource, e.payload), e.key);
  }

  // Shown in the progress; a second completion is refused and writes nothing.
  auto p = progress(*store_, cfg_, kStudent, kT0);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->programmes[0].complete);
  EXPECT_EQ(p->programmes[0].percent, 100);
  ASSERT_EQ(p->certificates.size(), 1u);
  auto again = complete(*store_, cfg_,
                        {.student_no = std::string(kStudent), .passed = true, .assessor = "王",
                         .date = "2026-11-28"},
                        kT0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_NE(again.error().message.find(r->certificate->number), std::string::npos);
  EXPECT_EQ(store_->assessments(kStudent)->size(), 1u);
}

TEST_F(ProgressStore, CertificateNumbersCountPerProgrammeAndYear) {
  EXPECT_EQ(certificate_number(cfg_, "C1", "2026-11-27", 1), "3201000000000001-C1-2026-0000001-0001");
  EXPECT_EQ(certificate_number(cfg_, "freight", "2027-01-02", 12345),
            "3201000000000001-freight-2027-0000001-12345");
}

TEST(HttpRecords, UnknownMileageIsLeftOut) {
  const auto j = stagetrainningtime_payload({.institution_code = "3201000000000001",
                                             .student_no = "3201000000000101", .subject = 3,
                                             .practical_min = 10, .classroom_min = 0,
                                             .mileage_hm = std::nullopt, .passed = true});
  EXPECT_FALSE(j.contains("mileage")) << j.dump();
  EXPECT_EQ(j["totaltime"], 10);
}

}  // namespace
}  // namespace tta::agent
