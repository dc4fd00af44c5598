// The classroom engine on virtual time: overlapping students, one record per student per
// minute, the daily cap, random re-checks and their failures, continuing education, refusals,
// and resume after a restart. Time is whatever the test passes to on_tick.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <unistd.h>

#include "training/classroom.hpp"
#include "outbox/forwarder.hpp"
#include "support/engine_fixture.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kLecturer = testing::kCoach;
using testing::kTerminal;
constexpr const char* kCourse = "2212110000";
constexpr const char* kCeCourse = "2211800000";  // matches the "ce" programme below
const std::vector<std::string> kStudents = {"3201000000000101", "3201000000000102",
                                            "3201000000000103", "3201000000000104"};

config::Config make_config(const std::string& classroom_extra = "",
                           const std::string& training_extra = "") {
  const std::string classroom = R"toml([classroom]
latitude = 32.0440
longitude = 118.7850
course_code = "2212110000"
recheck_min_interval_min = 5
recheck_max_interval_min = 9
)toml" + classroom_extra + R"toml(
[[syllabus]]
programme = "ce"
kind = "continuing"
[[syllabus.part]]
part = 1
classroom_min = 1440
courses = ["2??18?0000"]
)toml";
  return testing::test_config({.terminal = "mode = \"classroom\"\n",
                               .training = "photo_interval_min = 15\n" + training_extra,
                               .sections = classroom});
}

FaceEvidence good_face() { return testing::good_face(95); }

FaceEvidence other_face() {
  FaceEvidence f = good_face();
  f.matched = false;
  f.outcome = "face does not match";
  return f;
}

class ClassroomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-classroom-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::StoreConfig sc{dir_ / "tta.db", dir_ / "store.key"};
    ASSERT_TRUE(store::init_store(sc));
    auto s = store::Store::open(sc);
    ASSERT_TRUE(s);
    store_.emplace(std::move(*s));
    ASSERT_TRUE(store_->people().add({.role = store::Role::coach, .national_no = kLecturer,
                                    .id_card = "320106199003071234", .name = "讲师",
                                    .licence_class = "C1"}, 0));
    for (const auto& no : kStudents) {
      ASSERT_TRUE(store_->people().add({.role = store::Role::student, .national_no = no,
                                      .id_card = "11010519491231002X", .name = "学员",
                                      .licence_class = "C1"}, 0));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  void make_engine(const std::string& classroom_extra = "", const std::string& training_extra = "") {
    cfg_ = make_config(classroom_extra, training_extra);
    engine_ = std::make_unique<ClassroomEngine>(*store_, cfg_, kTerminal, 42);
    engine_->on_recheck_due([this](const std::string& no) {
      rechecks_.push_back(no);
      if (answer_rechecks_) {
        (void)engine_->recheck(no, fail_rechecks_of_ == no ? other_face() : good_face(), now_);
      }
    });
    engine_->on_photo_due([this](const std::string& no) {
      (void)engine_->add_timed_photo(no, good_face(), now_);
    });
  }

  /// 10:00 local (02:00 UTC) on 2026-11-27.
  static WallTime morning() { return *from_civil({2026, 11, 27, 2, 0, 0}, 0s); }

  /// Tick every second from now_ to `until`.
  void run_until(WallTime until) {
    while (now_ < until) {
      now_ += 1s;
      engine_->on_tick(now_);
    }
  }

  std::vector<store::MinuteRecord> minutes() {
    std::vector<store::MinuteRecord> out;
    const auto numbers = store_->minute_record_numbers();
    for (const auto& no : *numbers) out.push_back(**store_->find_minute(no));
    return out;
  }

  std::map<std::string, std::vector<store::MinuteRecord>> minutes_by_student() {
    std::map<std::string, std::vector<store::MinuteRecord>> out;
    for (const auto& m : minutes()) {
      auto s = store_->find_session(m.session_id);
      out[(*s)->student_no].push_back(m);
    }
    for (auto& [no, v] : out) {
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.minute_ms < b.minute_ms; });
    }
    return out;
  }

  std::vector<store::OutboxEntry> outbox(const std::string& kind) {
    std::vector<store::OutboxEntry> out;
    auto due = store_->outbox().due(std::numeric_limits<std::int64_t>::max() / 2, 100000);
    for (auto& e : *due) {
      if (e.kind == kind) out.push_back(std::move(e));
    }
    return out;
  }

  fs::path dir_;
  std::optional<store::Store> store_;
  config::Config cfg_;
  std::unique_ptr<ClassroomEngine> engine_;
  WallTime now_ = morning();
  std::vector<std::string> rechecks_;
  bool answer_rechecks_ = true;
  std::string fail_rechecks_of_;
};

TEST_F(ClassroomTest, OverlappingStudentsGetOneRecordPerWholeMinuteEach) {
  make_engine();
  const WallTime t0 = morning();
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), t0 + 10s));
  run_until(t0 + 2min + 30s);
  ASSERT_TRUE(engine_->student_login(kStudents[1], "", good_face(), now_));
  ASSERT_TRUE(engine_->student_login(kStudents[2], "", good_face(), now_));
  EXPECT_EQ(engine_->status().students.size(), 3u);
  run_until(t0 + 6min + 20s);
  ASSERT_TRUE(engine_->student_logout(kStudents[0], good_face(), now_));
  run_until(t0 + 9min + 5s);
  ASSERT_TRUE(engine_->student_logout(kStudents[1], good_face(), now_));
  ASSERT_TRUE(engine_->student_logout(kStudents[2], good_face(), now_));

  auto by = minutes_by_student();
  // Whole minutes only: 10:01-10:05 for the first; 10:03-10:08 for the other two.
  EXPECT_EQ(by[kStudents[0]].size(), 5u);
  EXPECT_EQ(by[kStudents[1]].size(), 6u);
  EXPECT_EQ(by[kStudents[2]].size(), 6u);
  EXPECT_EQ(by[kStudents[1]].front().minute_ms, unix_millis(t0 + 3min));
  std::set<std::string> numbers;
  for (const auto& m : minutes()) {
    EXPECT_EQ(m.status, 0) << m.record_no << " " << m.flags;
    EXPECT_TRUE(m.counted);
    EXPECT_EQ(m.lat_e6, 32'044'000);
    EXPECT_EQ(m.lon_e6, 118'785'000);
    EXPECT_FALSE(m.mileage_hm.has_value()) << "no vehicle: nothing claimed";
    EXPECT_FALSE(m.engine_rpm.has_value());
    EXPECT_EQ(m.record_no.substr(0, 22), std::string(kTerminal) + "261127");
    numbers.insert(m.record_no);
  }
  EXPECT_EQ(numbers.size(), 17u) << "several students in one minute: distinct record numbers";
  const auto records = outbox(tcp_kind(0x0203));
  ASSERT_EQ(records.size(), 17u);
  for (const auto& e : records) {
    auto r = uplink::TrainingRecord::decode(e.payload);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->course_code, kCourse);
    EXPECT_EQ(r->coach_no, "") << "no lecturer";
    ASSERT_TRUE(r->gnss.basic.latitude_deg());
    EXPECT_NEAR(*r->gnss.basic.latitude_deg(), 32.044, 1e-6);
  }
  // Class IDs are distinct although two students checked in within the same second.
  std::set<std::uint32_t> classes;
  for (const auto& e : outbox(tcp_kind(0x0201))) classes.insert(uplink::StudentLogin::decode(e.payload)->class_id);
  EXPECT_EQ(classes.size(), 3u);
  // Each check-out carries that student's minutes.
  std::map<std::string, int> logout_minutes;
  for (const auto& e : outbox(tcp_kind(0x0202))) {
    auto lo = uplink::StudentLogout::decode(e.payload);
    logout_minutes[lo->student_no] = lo->minutes;
  }
  EXPECT_EQ(logout_minutes[kStudents[0]], 5);
  EXPECT_EQ(logout_minutes[kStudents[2]], 6);
  EXPECT_TRUE(engine_->status().students.empty());
  auto photos = *store_->photos().counts();
  EXPECT_EQ(photos[17], 3);
  EXPECT_EQ(photos[18], 3);
}

TEST_F(ClassroomTest, TheDailyCapStopsCountingAndRefusesTheNextCheckIn) {
  make_engine("", "daily_classroom_max_min = 3\n");
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  run_until(morning() + 6min + 10s);
  int counted = 0, over = 0;
  for (const auto& m : minutes()) {
    counted += m.counted;
    over += m.flags.find(flag::kOverDailyCap) != std::string::npos;
  }
  EXPECT_EQ(counted, 3);
  EXPECT_EQ(over, 3) << "recorded, marked, never counted";
  ASSERT_TRUE(engine_->student_logout(kStudents[0], good_face(), now_));
  auto again = engine_->student_login(kStudents[0], "", good_face(), now_ + 1min);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("daily cap"), std::string::npos);
  // The cap is per student: another one checks in.
  EXPECT_TRUE(engine_->student_login(kStudents[1], "", good_face(), now_ + 1min));
}

TEST_F(ClassroomTest, RechecksComeAtSeededRandomMomentsWithinTheBounds) {
  make_engine();
  answer_rechecks_ = false;
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  std::vector<WallTime> at;
  engine_->on_recheck_due([&](const std::string&) { at.push_back(now_); });
  run_until(morning() + 60min);
  ASSERT_GE(at.size(), 6u) << "every 5-9 minutes for an hour";
  ASSERT_LE(at.size(), 12u);
  WallTime prev = morning();
  std::set<std::int64_t> gaps;
  for (auto t : at) {
    EXPECT_GE(t - prev, 5min);
    EXPECT_LE(t - prev, 9min);
    gaps.insert(std::chrono::duration_cast<std::chrono::seconds>(t - prev).count());
    prev = t;
  }
  EXPECT_GT(gaps.size(), 1u) << "random, not periodic";
  // The same seed gives the same moments (relative to the check-in).
  const WallTime t1 = now_;
  make_engine();
  std::vector<WallTime::duration> again;
  engine_->on_recheck_due([&](const std::string&) { again.push_back(now_ - t1); });
  ASSERT_TRUE(engine_->student_login(kStudents[1], "", good_face(), now_));
  run_until(t1 + 60min);
  ASSERT_EQ(again.size(), at.size());
  for (std::size_t i = 0; i < at.size(); ++i) EXPECT_EQ(again[i], at[i] - morning());
}

TEST_F(ClassroomTest, AFailedRecheckFlagsThatStudentsMinutesUntilAPassingOne) {
  make_engine();
  fail_rechecks_of_ = kStudents[0];
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  ASSERT_TRUE(engine_->student_login(kStudents[1], "", good_face(), now_));
  run_until(morning() + 20min);
  ASSERT_FALSE(rechecks_.empty());
  auto by = minutes_by_student();
  int failed0 = 0;
  for (const auto& m : by[kStudents[0]]) {
    if (m.flags.find(flag::kRecheckFailed) != std::string::npos) {
      ++failed0;
      EXPECT_FALSE(m.counted);
      EXPECT_EQ(m.status, 1);
    }
  }
  EXPECT_GT(failed0, 0);
  EXPECT_EQ(by[kStudents[0]].front().flags, "") << "before the first re-check";
  for (const auto& m : by[kStudents[1]]) EXPECT_TRUE(m.counted) << m.flags;
  EXPECT_TRUE(engine_->status().students.at(0).recheck_failed);
  // A passing check restarts the clock.
  ASSERT_TRUE(engine_->recheck(kStudents[0], good_face(), now_));
  fail_rechecks_of_.clear();
  const auto before = by[kStudents[0]].size();
  run_until(morning() + 23min);
  by = minutes_by_student();
  ASSERT_GT(by[kStudents[0]].size(), before);
  EXPECT_TRUE(by[kStudents[0]].back().counted) << by[kStudents[0]].back().flags;
  auto photos = *store_->photos().counts();
  EXPECT_GT(photos[19], 0) << "re-check photos are event 19";
}

TEST_F(ClassroomTest, Refusals) {
  make_engine();
  auto out = engine_->student_logout(kStudents[0], good_face(), now_);
  ASSERT_FALSE(out) << "logout without login";
  EXPECT_NE(out.error().message.find("not checked in"), std::string::npos);
  EXPECT_FALSE(engine_->student_login(kStudents[0], "", other_face(), now_)) << "face mismatch";
  EXPECT_FALSE(engine_->student_login(kLecturer, "", good_face(), now_)) << "a coach is no student";
  EXPECT_FALSE(engine_->student_login(kStudents[0], "1212110000", good_face(), now_))
      << "a vehicle course in a classroom";
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  EXPECT_FALSE(engine_->student_login(kStudents[0], "", good_face(), now_)) << "twice";
  EXPECT_FALSE(engine_->student_logout(kStudents[0], other_face(), now_ + 1min));
  ASSERT_TRUE(engine_->lecturer_login(kLecturer, good_face(), now_));
  EXPECT_FALSE(engine_->lecturer_logout(good_face(), now_)) << "students first";
  engine_->set_ban(true, "禁训", now_ + 2min);
  EXPECT_TRUE(engine_->status().students.empty()) << "the ban checks everyone out";
  EXPECT_FALSE(engine_->student_login(kStudents[1], "", good_face(), now_ + 3min));
  EXPECT_TRUE(engine_->lecturer_logout(good_face(), now_ + 3min));
  ClassroomEngine unregistered(*store_, cfg_, "", 1);
  EXPECT_EQ(unregistered.student_login(kStudents[2], "", good_face(), now_).error().code,
            Errc::unavailable);
}

TEST_F(ClassroomTest, ALecturerCanBeRequiredAndGoesIntoTheRecords) {
  make_engine("require_lecturer = true\n");
  auto r = engine_->student_login(kStudents[0], "", good_face(), now_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("lecturer"), std::string::npos);
  ASSERT_TRUE(engine_->lecturer_login(kLecturer, good_face(), now_));
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_ + 5s));
  run_until(morning() + 3min);
  const auto records = outbox(tcp_kind(0x0203));
  ASSERT_FALSE(records.empty());
  for (const auto& e : records) EXPECT_EQ(uplink::TrainingRecord::decode(e.payload)->coach_no, kLecturer);
  EXPECT_EQ(engine_->status().coach_no, kLecturer);
}

TEST_F(ClassroomTest, MinuteOfDayNumberingAllowsOneStudentAtATime) {
  make_engine("record_sequence = \"minute_of_day\"\n");
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  EXPECT_FALSE(engine_->student_login(kStudents[1], "", good_face(), now_));
  run_until(morning() + 2min + 5s);
  auto ms = minutes();
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].record_no, record_number(kTerminal, morning()));
}

TEST_F(ClassroomTest, ContinuingEducationIsRecordedAsClassroomWithItsCourse) {
  make_engine();
  EXPECT_TRUE(is_continuing_education(cfg_, kCeCourse));
  EXPECT_FALSE(is_continuing_education(cfg_, kCourse));
  auto cls = engine_->student_login(kStudents[3], kCeCourse, good_face(), now_);
  ASSERT_TRUE(cls);
  ASSERT_TRUE(engine_->status().students.at(0).continuing_education);
  run_until(morning() + 4min + 1s);
  ASSERT_TRUE(engine_->student_logout(kStudents[3], good_face(), now_));
  const auto m = minutes();
  ASSERT_EQ(m.size(), 4u);
  auto session = *store_->find_session(m[0].session_id);
  EXPECT_EQ(session->mode, "classroom");
  EXPECT_EQ(session->course_code, kCeCourse);
  EXPECT_EQ(session->class_id, *cls);
  EXPECT_TRUE(session->ended_ms.has_value());
  EXPECT_EQ(*store_->counted_minutes(kStudents[3], "classroom", 0, unix_millis(now_)), 4)
      << "what progress sums toward the continuing-education cycle";
  EXPECT_EQ(*store_->counted_minutes(kStudents[3], "vehicle", 0, unix_millis(now_)), 0);
  for (const auto& e : outbox(tcp_kind(0x0203))) {
    EXPECT_EQ(uplink::TrainingRecord::decode(e.payload)->course_code, kCeCourse);
  }
}

TEST_F(ClassroomTest, ResumeRestoresEveryStudentAndNeverMakesAMinuteTwice) {
  make_engine();
  ASSERT_TRUE(engine_->lecturer_login(kLecturer, good_face(), now_));
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_ + 5s));
  ASSERT_TRUE(engine_->student_login(kStudents[1], kCeCourse, good_face(), now_ + 5s));
  run_until(morning() + 4min + 30s);  // 10:01, 10:02, 10:03 each
  ASSERT_EQ(minutes().size(), 6u);
  const auto classes_before = engine_->status().students;

  // SIGKILL at 10:04:30; the new process starts at 10:04:50 with ticks from its clock.
  engine_ = std::make_unique<ClassroomEngine>(*store_, cfg_, kTerminal, 7);
  ASSERT_TRUE(engine_->resume(morning() + 4min + 50s));
  auto st = engine_->status();
  EXPECT_EQ(st.coach_no, kLecturer);
  ASSERT_EQ(st.students.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(st.students[i].class_id, classes_before[i].class_id);
    EXPECT_EQ(st.students[i].course_code, classes_before[i].course_code);
    EXPECT_EQ(st.students[i].minutes, 3u);
  }
  EXPECT_TRUE(st.students[1].continuing_education);
  auto events = *store_->events_since(0, 1000);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                          [](const auto& e) { return e.kind == "session.resumed"; }));

  now_ = morning() + 4min + 50s;
  run_until(morning() + 7min + 10s);  // 10:04 is missing (downtime); 10:05, 10:06 are made
  for (const auto& no : {kStudents[0], kStudents[1]}) ASSERT_TRUE(engine_->student_logout(no, good_face(), now_));
  auto by = minutes_by_student();
  for (const auto& no : {kStudents[0], kStudents[1]}) {
    ASSERT_EQ(by[no].size(), 5u) << no;
    for (const auto& m : by[no]) EXPECT_NE(m.minute_ms, unix_millis(morning() + 4min));
  }
  std::set<std::string> numbers;
  for (const auto& m : minutes()) numbers.insert(m.record_no);
  EXPECT_EQ(numbers.size(), 10u) << "the counter went on after the restart";
  std::map<std::string, int> logout_minutes;
  for (const auto& e : outbox(tcp_kind(0x0202))) {
    auto lo = uplink::StudentLogout::decode(e.payload);
    logout_minutes[lo->student_no] = lo->minutes;
  }
  EXPECT_EQ(logout_minutes[kStudents[0]], 5);
  EXPECT_EQ(logout_minutes[kStudents[1]], 5);

  // A restart within the same minute as the last stored one: nothing is made twice.
  ASSERT_TRUE(engine_->student_login(kStudents[2], "", good_face(), now_));
  run_until(now_ + 2min);
  const auto before = minutes().size();
  engine_ = std::make_unique<ClassroomEngine>(*store_, cfg_, kTerminal, 7);
  ASSERT_TRUE(engine_->resume(now_ - 2min));  // a clock that is behind
  now_ -= 2min;
  run_until(now_ + 2min + 5s);
  EXPECT_EQ(minutes().size(), before) << "stored minutes are not made again";
}

TEST_F(ClassroomTest, ClockGapsLeaveMinutesMissingAndBackwardsTicksAreIgnored) {
  make_engine();
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  run_until(morning() + 2min + 5s);  // 10:00, 10:01
  ASSERT_EQ(minutes().size(), 2u);
  now_ = morning() + 30min;  // the loop stalled (or the clock jumped)
  engine_->on_tick(now_);
  EXPECT_EQ(minutes().size(), 2u) << "nothing invented for the gap";
  engine_->on_tick(morning() + 5min);  // backwards: ignored
  run_until(morning() + 32min + 1s);
  EXPECT_EQ(minutes().size(), 4u) << "10:30 and 10:31";
}

// ---- issue #14: check-in and check-out are one transaction each ----

bool checked_in(const ClassroomEngine& e, const std::string& no) {
  const auto st = e.status();
  return std::any_of(st.students.begin(), st.students.end(),
                     [&](const StudentStatus& s) { return s.student_no == no; });
}

TEST_F(ClassroomTest, AFailedCheckInLeavesNoSessionRowAndTheStudentOut) {
  make_engine();
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  ASSERT_TRUE(store_->fail_writes_for_test("platform_params"));
  auto r = engine_->student_login(kStudents[1], "", good_face(), now_ + 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::permission) << r.error().message;
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  EXPECT_FALSE(checked_in(*engine_, kStudents[1]));
  EXPECT_TRUE(checked_in(*engine_, kStudents[0]));
  EXPECT_EQ(store_->open_sessions("classroom")->size(), 1u);
  EXPECT_EQ(outbox(tcp_kind(0x0201)).size(), 1u);
  run_until(now_ + 3min);
  for (const auto& [no, v] : minutes_by_student()) EXPECT_EQ(no, kStudents[0]);
  // And it goes through once the store takes writes again.
  EXPECT_TRUE(engine_->student_login(kStudents[1], "", good_face(), now_));
}

TEST_F(ClassroomTest, AFailedCheckOutKeepsTheStudentInAndWritesNothing) {
  make_engine();
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  run_until(now_ + 3min);
  ASSERT_TRUE(store_->fail_writes_for_test("training_sessions"));
  EXPECT_FALSE(engine_->student_logout(kStudents[0], good_face(), now_));
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  EXPECT_TRUE(checked_in(*engine_, kStudents[0]));
  EXPECT_EQ(store_->open_sessions("classroom")->size(), 1u);
  EXPECT_TRUE(outbox(tcp_kind(0x0202)).empty());
  EXPECT_EQ(store_->photos().counts()->count(18), 0u);
  ASSERT_TRUE(engine_->student_logout(kStudents[0], good_face(), now_ + 1s));
  EXPECT_FALSE(checked_in(*engine_, kStudents[0]));
  EXPECT_EQ(outbox(tcp_kind(0x0202)).size(), 1u);
}

TEST_F(ClassroomTest, ABanWhoseCheckOutsTheStoreRefusedIsCompletedAtALaterTick) {
  make_engine();
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  ASSERT_TRUE(engine_->student_login(kStudents[1], "", good_face(), now_));
  ASSERT_TRUE(store_->fail_writes_for_test("training_sessions"));
  engine_->set_ban(true, "禁训", now_ + 1s);
  EXPECT_TRUE(checked_in(*engine_, kStudents[0]));
  EXPECT_TRUE(checked_in(*engine_, kStudents[1]));
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  run_until(now_ + 2s);
  EXPECT_TRUE(engine_->status().students.empty());
  EXPECT_EQ(outbox(tcp_kind(0x0202)).size(), 2u);
}

TEST_F(ClassroomTest, ResumeClosesAClassroomRowTheSavedStateDoesNotKnow) {
  make_engine();
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  auto orphan = store_->begin_session(store::TrainingSession{
      .class_id = 999, .mode = "classroom", .student_no = kStudents[1], .coach_no = "",
      .course_code = kCourse, .started_ms = unix_millis(now_)});
  ASSERT_TRUE(orphan);
  engine_ = std::make_unique<ClassroomEngine>(*store_, cfg_, kTerminal, 42);
  ASSERT_TRUE(engine_->resume(now_ + 1min));
  EXPECT_TRUE(checked_in(*engine_, kStudents[0])) << "the known one is resumed";
  EXPECT_FALSE(checked_in(*engine_, kStudents[1]));
  EXPECT_TRUE((*store_->find_session(*orphan))->ended_ms);
  auto logouts = outbox(tcp_kind(0x0202));
  ASSERT_EQ(logouts.size(), 1u);
  EXPECT_EQ(logouts[0].key, "999");
}

TEST_F(ClassroomTest, WithTimedPhotosPausedNoPhotoIsAskedForAndMinutesGoOn) {
  make_engine();  // a timed photo every 15 minutes
  answer_rechecks_ = false;
  int asked = 0;
  engine_->on_photo_due([&](const std::string&) { ++asked; });
  engine_->set_timed_photos_paused(true, now_);
  ASSERT_TRUE(engine_->student_login(kStudents[0], "", good_face(), now_));
  run_until(now_ + 40min);
  EXPECT_EQ(asked, 0);
  EXPECT_GE(minutes().size(), 39u);
  engine_->set_timed_photos_paused(false, now_);
  run_until(now_ + 16min);
  EXPECT_GE(asked, 1);
}

}  // namespace
}  // namespace tta::agent
