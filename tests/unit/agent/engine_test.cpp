// The training engine on a simulated route: logins and their refusals, one record per minute
// with the audit rules applied live, photos, caps, bans and ignition — all on GNSS time.
#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

#include "training/engine.hpp"
#include "outbox/forwarder.hpp"
#include "tta/gps/route_sim.hpp"
#include "support/engine_fixture.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::kCoach;
using testing::kCourse;
using testing::kStudent;
using testing::kTerminal;

FaceEvidence good_face() { return testing::good_face(96); }

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-engine-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::StoreConfig sc{dir_ / "tta.db", dir_ / "store.key"};
    ASSERT_TRUE(store::init_store(sc));
    auto s = store::Store::open(sc);
    ASSERT_TRUE(s);
    store_.emplace(std::move(*s));
    ASSERT_TRUE(store_->people().add({.role = store::Role::coach, .national_no = kCoach,
                                    .id_card = "320106199003071234", .name = "王教练",
                                    .licence_class = "C1"}, 0));
    ASSERT_TRUE(store_->people().add({.role = store::Role::student, .national_no = kStudent,
                                    .id_card = "11010519491231002X", .name = "李学员",
                                    .licence_class = "C1"}, 0));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void make_engine(const std::string& training_extra = "") {
    cfg_ = testing::test_config({.gps = testing::kYardFence, .training = training_extra});
    engine_ = std::make_unique<TrainingEngine>(*store_, cfg_, kTerminal);
  }

  /// 10:00 local (02:00 UTC) on 2026-11-27.
  static WallTime morning() { return *from_civil({2026, 11, 27, 2, 0, 0}, 0s); }

  /// Drive `seconds` of the simulated route from `start`, with engine signals as given.
  void drive(WallTime start, int seconds, std::optional<std::uint16_t> rpm = 1500,
             config::Fence area = {}, bool ignition = true, double speed_kmh = 30) {
    gps::RouteOptions opt;
    opt.start = start;
    opt.seconds = seconds;
    opt.speed_kmh = speed_kmh;
    opt.area = area.points.empty() ? cfg_.gps.fences[0] : area;
    for (const auto& fix : gps::simulate_route(opt)) {
      const WallTime t = *fix.utc();
      engine_->on_vehicle({.at = t, .ignition_on = ignition, .engine_rpm = rpm,
                           .sensor_speed_kmh = fix.speed_kmh});
      engine_->on_fix(fix, MonoTime{} + (t - start));
    }
  }

  void login_both(WallTime at) {
    ASSERT_TRUE(engine_->coach_login(kCoach, good_face(), at));
    auto cls = engine_->student_login(kStudent, kCourse, good_face(), at + 10s);
    ASSERT_TRUE(cls) << cls.error().message;
  }

  std::vector<store::MinuteRecord> minutes() {
    std::vector<store::MinuteRecord> out;
    const auto numbers = store_->minute_record_numbers();
    for (const auto& no : *numbers) out.push_back(**store_->find_minute(no));
    return out;
  }

  std::int64_t outbox_of(const std::string& kind) {
    std::int64_t n = 0;
    const auto due = store_->outbox().due(std::numeric_limits<std::int64_t>::max() / 2, 10000);
    for (const auto& e : *due) {
      n += e.kind == kind ? 1 : 0;
    }
    return n;
  }

  fs::path dir_;
  std::optional<store::Store> store_;
  config::Config cfg_;
  std::unique_ptr<TrainingEngine> engine_;
};

TEST_F(EngineTest, RecordNumberIsTerminalDateAndMinuteOfDay) {
  // 02:05 UTC = 10:05 GMT+8 = minute 605.
  EXPECT_EQ(record_number(kTerminal, morning() + 5min), std::string(kTerminal) + "2611270605");
}

TEST_F(EngineTest, StudentNeedsACoach) {
  make_engine();
  auto r = engine_->student_login(kStudent, kCourse, good_face(), morning());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("coach"), std::string::npos);
}

TEST_F(EngineTest, LoginRefusals) {
  make_engine();
  FaceEvidence mismatch = good_face();
  mismatch.matched = false;
  mismatch.outcome = "different person";
  EXPECT_FALSE(engine_->coach_login(kCoach, mismatch, morning()));
  EXPECT_FALSE(engine_->coach_login(kStudent, good_face(), morning())) << "a student is no coach";
  EXPECT_FALSE(engine_->coach_login("3201000000009999", good_face(), morning()));
  EXPECT_FALSE(engine_->coach_login(kCoach, FaceEvidence{.outcome = "no camera"}, morning()));
  ASSERT_TRUE(engine_->coach_login(kCoach, good_face(), morning()));
  EXPECT_FALSE(engine_->student_login(kStudent, "9999999999", good_face(), morning()))
      << "bad course code";
  EXPECT_FALSE(engine_->student_login(kStudent, kCourse, mismatch, morning()));
  TrainingEngine unregistered(*store_, cfg_, "");
  EXPECT_EQ(unregistered.coach_login(kCoach, good_face(), morning()).error().code,
            Errc::unavailable);
}

// A person the administrator disabled cannot log in, even with a matching face; one disabled
// while on board can still log out; enabled again, they log in.
TEST_F(EngineTest, ADisabledPersonCannotLogInButCanLogOut) {
  make_engine();
  ASSERT_TRUE(store_->people().set_disabled(kCoach, true, "ada", 1));
  auto refused = engine_->coach_login(kCoach, good_face(), morning());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::refused);
  EXPECT_NE(refused.error().message.find("disabled"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(person_may_check_in(*store_, kCoach));
  EXPECT_TRUE(person_may_check_in(*store_, kStudent));
  ASSERT_TRUE(store_->people().set_disabled(kCoach, false, "ada", 2));
  ASSERT_TRUE(engine_->coach_login(kCoach, good_face(), morning()));
  ASSERT_TRUE(store_->people().set_disabled(kStudent, true, "ada", 3));
  EXPECT_FALSE(engine_->student_login(kStudent, kCourse, good_face(), morning()));
  ASSERT_TRUE(store_->people().set_disabled(kStudent, false, "ada", 4));
  ASSERT_TRUE(engine_->student_login(kStudent, kCourse, good_face(), morning()));
  ASSERT_TRUE(store_->people().set_disabled(kStudent, true, "ada", 5));
  EXPECT_TRUE(engine_->student_logout(good_face(), morning() + std::chrono::seconds(30)));
  ASSERT_TRUE(store_->people().set_disabled(kCoach, true, "ada", 6));
  EXPECT_TRUE(engine_->coach_logout(good_face(), morning() + std::chrono::seconds(40)));
}

TEST_F(EngineTest, FullSessionMakesOneValidRecordPerMinuteAndEveryPhoto) {
  make_engine();
  const WallTime t0 = morning();
  login_both(t0);
  drive(t0 + 11s, 10 * 60);
  ASSERT_TRUE(engine_->student_logout(good_face(), t0 + 10min + 20s));
  ASSERT_TRUE(engine_->coach_logout(good_face(), t0 + 10min + 30s));

  const auto ms = minutes();
  // Whole minutes after the login at 10:00:10: 10:01 … 10:09 (10:10 is still open).
  ASSERT_EQ(ms.size(), 9u);
  for (const auto& m : ms) {
    EXPECT_EQ(m.status, 0) << m.record_no << " " << m.flags;
    EXPECT_TRUE(m.counted) << m.flags;
    EXPECT_EQ(m.engine_rpm, 1500);
    EXPECT_TRUE(m.lat_e6.has_value());
    EXPECT_GT(*m.mileage_hm, 0) << "30 km/h is 5 × 0.1 km a minute";
  }
  EXPECT_EQ(outbox_of(tcp_kind(0x0203)), 9);
  EXPECT_EQ(outbox_of(tcp_kind(0x0101)), 1);
  EXPECT_EQ(outbox_of(tcp_kind(0x0201)), 1);
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 1);
  EXPECT_EQ(outbox_of(tcp_kind(0x0102)), 1);
  EXPECT_EQ(outbox_of(kPhotoKind), 4) << "events 20, 17, 18, 21";
  // The 0x0203 payload is the record the platform will read.
  auto due = *store_->outbox().due(std::numeric_limits<std::int64_t>::max() / 2, 100);
  for (const auto& e : due) {
    if (e.kind != tcp_kind(0x0203)) continue;
    auto r = uplink::TrainingRecord::decode(e.payload);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->record_no, e.key);
    EXPECT_EQ(r->coach_no, kCoach);
    EXPECT_EQ(r->course_code, kCourse);
    EXPECT_EQ(r->gnss.engine_speed_rpm, 1500);
  }
  auto logout = std::find_if(due.begin(), due.end(),
                             [](const auto& e) { return e.kind == tcp_kind(0x0202); });
  auto lo = uplink::StudentLogout::decode(logout->payload);
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->minutes, 9);
  EXPECT_EQ(engine_->status().minutes_counted, 9u);
}

TEST_F(EngineTest, MissingEngineSignalIsFlaggedNeverFilled) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 4 * 60, std::nullopt);
  for (const auto& m : minutes()) {
    EXPECT_EQ(m.status, 1);
    EXPECT_FALSE(m.counted);
    EXPECT_FALSE(m.engine_rpm.has_value()) << "missing, not zero";
    EXPECT_NE(m.flags.find(flag::kEngineSpeedMissing), std::string::npos) << m.flags;
  }
  EXPECT_FALSE(minutes().empty());
}

/// Missing hardware is a state (issue #14): with no receiver at all (no sentence, no fix) the
/// daemon's clock moves the minutes on; each is made, flagged no_gnss, with no position
/// invented, and none is counted.
TEST_F(EngineTest, WithoutAnyFixMinutesGoOnFlaggedNoGnss) {
  make_engine();
  login_both(morning());
  for (int s = 11; s <= 4 * 60 + 5; ++s) {
    engine_->on_vehicle({.at = morning() + std::chrono::seconds(s), .ignition_on = true,
                         .engine_rpm = 1500, .sensor_speed_kmh = 20});
    engine_->on_clock(morning() + std::chrono::seconds(s));
  }
  const auto ms = minutes();
  // Logged in at 10:00:10: the whole minutes 10:01, 10:02 and 10:03 (10:04 is open).
  ASSERT_EQ(ms.size(), 3u);
  for (const auto& m : ms) {
    EXPECT_NE(m.flags.find(flag::kNoGnss), std::string::npos) << m.flags;
    EXPECT_FALSE(m.lat_e6.has_value()) << "no position invented";
    EXPECT_FALSE(m.counted);
    EXPECT_EQ(m.status, 1);
    EXPECT_EQ(m.engine_rpm, 1500) << "what the terminal has is kept";
  }
  // The receiver comes back: minutes carry positions again, on the same timeline.
  drive(morning() + 4 * 60s + 6s, 3 * 60);
  const auto after = minutes();
  ASSERT_GT(after.size(), 4u);
  EXPECT_EQ(after.back().flags.find(flag::kNoGnss), std::string::npos) << after.back().flags;
  EXPECT_TRUE(after.back().lat_e6.has_value());
}

TEST_F(EngineTest, ZeroEngineSpeedIsFlagged) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 3 * 60, std::uint16_t{0});
  for (const auto& m : minutes()) EXPECT_NE(m.flags.find(flag::kEngineSpeedZero), std::string::npos);
}

TEST_F(EngineTest, OutsideTheTeachingAreaIsFlagged) {
  make_engine();
  login_both(morning());
  config::Fence elsewhere{"elsewhere", {{32.10, 118.90}, {32.10, 118.91}, {32.11, 118.91}, {32.11, 118.90}}};
  drive(morning() + 11s, 3 * 60, 1500, elsewhere);
  ASSERT_FALSE(minutes().empty());
  for (const auto& m : minutes()) EXPECT_NE(m.flags.find(flag::kOutsideFence), std::string::npos);
}

TEST_F(EngineTest, TwoStillMinutesInARowAreFlagged) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 4 * 60, 1500, {}, true, 0.0);
  const auto ms = minutes();
  ASSERT_GE(ms.size(), 3u);
  EXPECT_EQ(ms[0].flags.find(flag::kStationary), std::string::npos) << "the first still minute";
  EXPECT_NE(ms[1].flags.find(flag::kStationary), std::string::npos);
  EXPECT_NE(ms[2].flags.find(flag::kStationary), std::string::npos);
}

TEST_F(EngineTest, OutOfHoursMinutesAreFlagged) {
  make_engine("day_start = \"05:00\"\nday_end = \"10:03\"\n");
  login_both(morning());
  drive(morning() + 11s, 6 * 60);
  int flagged = 0;
  for (const auto& m : minutes()) flagged += m.flags.find(flag::kOutOfHours) != std::string::npos;
  EXPECT_EQ(flagged, 3) << "10:03, 10:04, 10:05";
}

TEST_F(EngineTest, DailyCapStopsCountingAndRefusesTheNextLogin) {
  make_engine("daily_practical_max_min = 3\n");
  login_both(morning());
  drive(morning() + 11s, 6 * 60);
  int counted = 0, over = 0;
  for (const auto& m : minutes()) {
    counted += m.counted;
    over += m.flags.find(flag::kOverDailyCap) != std::string::npos;
  }
  EXPECT_EQ(counted, 3);
  EXPECT_EQ(over, 2) << "recorded, marked, never counted";
  ASSERT_TRUE(engine_->student_logout(good_face(), morning() + 7min));
  auto again = engine_->student_login(kStudent, kCourse, good_face(), morning() + 8min);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("daily cap"), std::string::npos);
}

TEST_F(EngineTest, CheckingOutAndInAgainWithinOneSecondGetsANewClass) {
  make_engine();
  login_both(morning());
  const WallTime t = morning() + 20s;
  const auto first = engine_->status().class_id;
  ASSERT_TRUE(engine_->student_logout(good_face(), t));
  auto again = engine_->student_login(kStudent, kCourse, good_face(), t);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_GT(*again, first);
  // The next engine on this store (a restart) keeps counting up.
  ASSERT_TRUE(engine_->student_logout(good_face(), t));
  engine_ = std::make_unique<TrainingEngine>(*store_, cfg_, std::string(kTerminal));
  ASSERT_TRUE(engine_->resume(t));
  auto third = engine_->student_login(kStudent, kCourse, good_face(), t);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_GT(*third, *again);
}

TEST_F(EngineTest, TrainingBanRefusesLoginAndEndsTiming) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 3 * 60);
  engine_->set_ban(true, "禁训", morning() + 3min + 20s);
  EXPECT_TRUE(engine_->status().student_no.empty()) << "timing ended";
  const auto before = minutes().size();
  drive(morning() + 3min + 21s, 3 * 60);
  EXPECT_EQ(minutes().size(), before);
  auto r = engine_->student_login(kStudent, kCourse, good_face(), morning() + 7min);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("banned"), std::string::npos);
}

TEST_F(EngineTest, FailedRecheckStopsCountingUntilAPassingOne) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 2 * 60);
  FaceEvidence other = good_face();
  other.matched = false;
  ASSERT_TRUE(engine_->recheck(other, morning() + 2min + 12s));
  drive(morning() + 2min + 12s, 2 * 60);
  ASSERT_TRUE(engine_->recheck(good_face(), morning() + 4min + 13s));
  drive(morning() + 4min + 13s, 2 * 60);
  int failed = 0;
  for (const auto& m : minutes()) failed += m.flags.find(flag::kRecheckFailed) != std::string::npos;
  EXPECT_EQ(failed, 2);
  EXPECT_GE(minutes().size(), 5u);
}

TEST_F(EngineTest, IgnitionOffEndsTimingAfterTheConfiguredDelay) {
  make_engine("ignition_off_stop_min = 2\n");
  login_both(morning());
  drive(morning() + 11s, 2 * 60);
  drive(morning() + 2min + 11s, 3 * 60, 800, {}, false);
  EXPECT_TRUE(engine_->status().student_no.empty());
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 1);
}

TEST_F(EngineTest, AMissingTimedPhotoFlagsTheMinutesAfterItsWindow) {
  make_engine("photo_interval_min = 3\nrecheck_interval_min = 60\n");
  bool take_photo = true;
  engine_->on_photo_due([&] {
    FaceEvidence ev = good_face();
    if (!take_photo) ev = FaceEvidence{.outcome = "camera covered"};
    (void)engine_->add_timed_photo(ev, engine_->position_block().time.value_or(morning()));
  });
  login_both(morning());
  drive(morning() + 11s, 4 * 60);  // the photo at ~3 min is taken
  take_photo = false;
  drive(morning() + 4min + 11s, 6 * 60);  // the one at ~6 min fails
  int missing = 0;
  for (const auto& m : minutes()) missing += m.flags.find(flag::kMissingPhoto) != std::string::npos;
  EXPECT_GT(missing, 0);
  EXPECT_EQ(minutes().front().flags.find(flag::kMissingPhoto), std::string::npos);
}

TEST_F(EngineTest, TimedPhotoAndRecheckComeDue) {
  make_engine("photo_interval_min = 5\nrecheck_interval_min = 7\n");
  int photos = 0, rechecks = 0;
  engine_->on_photo_due([&] { ++photos; });
  engine_->on_recheck_due([&] { ++rechecks; });
  login_both(morning());
  drive(morning() + 11s, 16 * 60);
  EXPECT_EQ(photos, 3);
  EXPECT_EQ(rechecks, 2);
}

TEST_F(EngineTest, NewTrainingParametersApplyToTheNextTimedPhoto) {
  make_engine("photo_interval_min = 30\nrecheck_interval_min = 60\n");
  int photos = 0;
  engine_->on_photo_due([&] { ++photos; });
  login_both(morning());
  drive(morning() + 11s, 4 * 60);
  ASSERT_EQ(photos, 0);
  auto t = cfg_.training;
  t.photo_interval_min = 5;  // as 0x8501 sets it
  engine_->set_training(t);
  drive(morning() + 4min + 11s, 12 * 60);  // due at ~5, ~10 and ~15 min
  EXPECT_GE(photos, 2);
}

TEST_F(EngineTest, AFreshEngineResumesTheOpenSessionAndItsCheckOutCarriesEveryMinute) {
  make_engine();
  const WallTime t0 = morning();
  login_both(t0);
  drive(t0 + 11s, 5 * 60);  // 10:01 … 10:04 made, 10:05 open when the process is killed
  ASSERT_EQ(minutes().size(), 4u);
  const std::uint32_t class_id = engine_->status().class_id;
  std::uint32_t mileage = 0;
  for (const auto& m : minutes()) mileage += *m.mileage_hm;

  // SIGKILL: the engine is gone without a word; a new one opens the same store.
  engine_ = std::make_unique<TrainingEngine>(*store_, cfg_, kTerminal);
  ASSERT_TRUE(engine_->resume(t0 + 5min + 40s));
  auto st = engine_->status();
  EXPECT_EQ(st.coach_no, kCoach);
  EXPECT_EQ(st.student_no, kStudent);
  EXPECT_EQ(st.class_id, class_id);
  ASSERT_EQ(st.students.size(), 1u);
  EXPECT_EQ(st.students[0].minutes, 4u);
  EXPECT_EQ(st.students[0].minutes_counted, 4u);
  EXPECT_EQ(st.students[0].mileage_hm, mileage);
  EXPECT_EQ(st.students[0].course_code, kCourse);
  auto events = *store_->events_since(0, 1000);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                          [](const auto& e) { return e.kind == "session.resumed"; }));

  drive(t0 + 5min + 40s, 3 * 60);  // 10:05 is partial (missing), 10:06 and 10:07 are whole
  ASSERT_TRUE(engine_->student_logout(good_face(), t0 + 8min + 45s));
  ASSERT_TRUE(engine_->coach_logout(good_face(), t0 + 8min + 50s));
  const auto ms = minutes();
  ASSERT_EQ(ms.size(), 6u);
  EXPECT_FALSE(std::any_of(ms.begin(), ms.end(), [&](const auto& m) {
    return m.record_no == record_number(kTerminal, t0 + 5min);
  })) << "the minute of the restart is missing, never invented";
  std::uint32_t total_mileage = 0;
  for (const auto& m : ms) total_mileage += *m.mileage_hm;
  auto due = *store_->outbox().due(std::numeric_limits<std::int64_t>::max() / 2, 100);
  auto logout = std::find_if(due.begin(), due.end(),
                             [](const auto& e) { return e.kind == tcp_kind(0x0202); });
  ASSERT_NE(logout, due.end());
  auto lo = uplink::StudentLogout::decode(logout->payload);
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->minutes, 6) << "4 before the restart + 2 after";
  EXPECT_EQ(lo->mileage_hm, total_mileage);
  EXPECT_EQ(lo->class_id, class_id);

  // Logged out: a third engine finds nobody.
  TrainingEngine third(*store_, cfg_, kTerminal);
  ASSERT_TRUE(third.resume(t0 + 9min));
  EXPECT_TRUE(third.status().coach_no.empty());
  EXPECT_TRUE(third.status().students.empty());
}

TEST_F(EngineTest, AMinuteAlreadyStoredIsNotMadeTwiceAfterARestart) {
  make_engine();
  const WallTime t0 = morning();
  login_both(t0);
  drive(t0 + 11s, 5 * 60);  // 10:01 … 10:04
  ASSERT_EQ(minutes().size(), 4u);
  // The restarted process gets its first fix at 10:02:00 (a receiver replaying its buffer,
  // or a clock that was behind): 10:02 … 10:04 come round again.
  engine_ = std::make_unique<TrainingEngine>(*store_, cfg_, kTerminal);
  ASSERT_TRUE(engine_->resume(t0 + 2min));
  drive(t0 + 2min, 4 * 60 + 5);  // 10:02, 10:03, 10:04 again, then 10:05 new
  const auto ms = minutes();
  EXPECT_EQ(ms.size(), 5u);
  EXPECT_EQ(outbox_of(tcp_kind(0x0203)), 5) << "one outbox entry per record number";
  EXPECT_EQ(engine_->status().students.at(0).minutes, 5u) << "the repeats are not counted";
}

TEST_F(EngineTest, ResumeWithNothingStoredIsANoOp) {
  make_engine();
  ASSERT_TRUE(engine_->resume(morning()));
  EXPECT_TRUE(engine_->status().coach_no.empty());
  EXPECT_TRUE(engine_->status().students.empty());
}

// ---- issue #14: check-in and check-out are one transaction, memory changes after it ----

/// A face whose evidence photo needs many new pages (fails on a store capped at its size).
FaceEvidence big_face() {
  FaceEvidence f = good_face();
  f.jpeg.assign(200 * 1024, 0x5A);
  return f;
}

/// The store capped at the pages it has now: a write needing a new page fails (disk full).
void fill_up(store::Store& s) {
  auto use = s.storage_use();
  ASSERT_TRUE(use);
  ASSERT_TRUE(s.limit_pages_for_test(use->file_bytes / 4096));
}

std::optional<PersistedLogins> saved_logins(store::Store& s) {
  auto l = load_logins(s, "engine.vehicle");
  EXPECT_TRUE(l);
  return l ? *l : std::nullopt;
}

TEST_F(EngineTest, AFailedCoachCheckInOnAFullDiskLeavesNobodyLoggedInAndNothingStored) {
  make_engine();
  fill_up(*store_);
  auto st = engine_->coach_login(kCoach, big_face(), morning());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::disk_full) << st.error().message;
  EXPECT_TRUE(engine_->status().coach_no.empty());
  EXPECT_EQ(outbox_of(tcp_kind(0x0101)), 0);
  EXPECT_TRUE(store_->photos().counts()->empty());
  auto saved = saved_logins(*store_);
  EXPECT_TRUE(!saved || saved->coach_no.empty());
  // Room again: the same check-in goes through.
  ASSERT_TRUE(store_->limit_pages_for_test(1'000'000));
  ASSERT_TRUE(engine_->coach_login(kCoach, big_face(), morning() + 5s));
  EXPECT_EQ(engine_->status().coach_no, kCoach);
  EXPECT_EQ(outbox_of(tcp_kind(0x0101)), 1);
}

TEST_F(EngineTest, AFailedStudentCheckInLeavesNoSessionRowAndNobodyOnBoard) {
  make_engine();
  ASSERT_TRUE(engine_->coach_login(kCoach, good_face(), morning()));
  fill_up(*store_);
  auto cls = engine_->student_login(kStudent, kCourse, big_face(), morning() + 10s);
  ASSERT_FALSE(cls);
  EXPECT_EQ(cls.error().code, Errc::disk_full) << cls.error().message;
  EXPECT_TRUE(store_->open_sessions("vehicle")->empty()) << "no session row";
  EXPECT_TRUE(engine_->status().student_no.empty());
  EXPECT_TRUE(engine_->status().students.empty());
  EXPECT_EQ(outbox_of(tcp_kind(0x0201)), 0);
  EXPECT_EQ(store_->photos().counts()->count(17), 0u);
  ASSERT_TRUE(saved_logins(*store_));
  EXPECT_TRUE(saved_logins(*store_)->students.empty());
  EXPECT_EQ(saved_logins(*store_)->coach_no, kCoach);
  // No minute is made for a student who is not there.
  drive(morning() + 11s, 2 * 60);
  EXPECT_TRUE(minutes().empty());
}

TEST_F(EngineTest, AWriteFailingMidwayThroughACheckInRollsBackTheWritesBeforeIt) {
  make_engine();
  ASSERT_TRUE(engine_->coach_login(kCoach, good_face(), morning()));
  // The session row, the photo and the outbox entry are written; the saved logins are not.
  ASSERT_TRUE(store_->fail_writes_for_test("platform_params"));
  auto cls = engine_->student_login(kStudent, kCourse, good_face(), morning() + 10s);
  ASSERT_FALSE(cls);
  EXPECT_EQ(cls.error().code, Errc::permission) << cls.error().message;
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  EXPECT_TRUE(store_->open_sessions("vehicle")->empty());
  EXPECT_EQ(outbox_of(tcp_kind(0x0201)), 0);
  EXPECT_TRUE(store_->photos().counts()->empty() || store_->photos().counts()->count(17) == 0);
  EXPECT_TRUE(engine_->status().students.empty());
  // A restart finds the same: the coach, no student, no orphan.
  TrainingEngine again(*store_, cfg_, kTerminal);
  ASSERT_TRUE(again.resume(morning() + 20s));
  EXPECT_EQ(again.status().coach_no, kCoach);
  EXPECT_TRUE(again.status().students.empty());
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 0);
}

TEST_F(EngineTest, AFailedCheckOutLeavesTheStudentLoggedInAndNothingHalfWritten) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 3 * 60);
  const auto made = minutes().size();
  ASSERT_GE(made, 2u);
  // The photo and the logout would be written, the session row's end fails.
  ASSERT_TRUE(store_->fail_writes_for_test("training_sessions"));
  auto st = engine_->student_logout(good_face(), morning() + 3min + 20s);
  ASSERT_FALSE(st);
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  EXPECT_EQ(engine_->status().student_no, kStudent);
  EXPECT_EQ(store_->open_sessions("vehicle")->size(), 1u);
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 0);
  EXPECT_EQ(store_->photos().counts()->count(18), 0u);
  ASSERT_EQ(saved_logins(*store_)->students.size(), 1u);
  // Training goes on, then the check-out succeeds.
  drive(morning() + 3min + 20s, 2 * 60);
  EXPECT_GT(minutes().size(), made);
  ASSERT_TRUE(engine_->student_logout(good_face(), morning() + 5min + 30s));
  EXPECT_TRUE(engine_->status().student_no.empty());
  EXPECT_TRUE(store_->open_sessions("vehicle")->empty());
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 1);
  EXPECT_EQ(store_->photos().counts()->at(18), 1);
}

TEST_F(EngineTest, ACheckOutByBanOrIgnitionThatTheStoreRefusesIsTriedAgain) {
  make_engine("ignition_off_stop_min = 1\n");
  login_both(morning());
  drive(morning() + 11s, 2 * 60);
  ASSERT_TRUE(store_->fail_writes_for_test("training_sessions"));
  engine_->set_ban(true, "禁训", morning() + 2min + 15s);
  EXPECT_EQ(engine_->status().student_no, kStudent) << "still on board: nothing was written";
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 0);
  drive(morning() + 2min + 15s, 20);
  EXPECT_EQ(engine_->status().student_no, kStudent);
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  drive(morning() + 2min + 40s, 5);
  EXPECT_TRUE(engine_->status().student_no.empty()) << "the next fix checked the student out";
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 1);
  EXPECT_TRUE(store_->open_sessions("vehicle")->empty());
}

TEST_F(EngineTest, ResumeClosesAnOpenSessionRowTheSavedStateDoesNotKnowAndQueuesItsLogout) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 3 * 60);
  ASSERT_TRUE(engine_->student_logout(good_face(), morning() + 3min + 20s));
  ASSERT_EQ(outbox_of(tcp_kind(0x0202)), 1);
  // A row left open by an older build killed between its writes: two minutes, no saved login.
  auto orphan = store_->begin_session(store::TrainingSession{
      .class_id = 4242, .mode = "vehicle", .student_no = kStudent, .coach_no = kCoach,
      .course_code = kCourse, .started_ms = unix_millis(morning() + 4min)});
  ASSERT_TRUE(orphan);
  for (int i = 0; i < 2; ++i) {
    store::MinuteRecord m{.record_no = record_number(kTerminal, morning() + 5min + i * 1min),
                          .session_id = *orphan,
                          .minute_ms = unix_millis(morning() + 5min + i * 1min), .status = 0,
                          .mileage_hm = 7};
    store::OutboxEntry e{.kind = tcp_kind(0x0203), .key = m.record_no, .payload = {1}};
    ASSERT_TRUE(store_->add_minute(m, e));
  }
  // A classroom row is not the vehicle engine's to close.
  auto other = store_->begin_session(store::TrainingSession{
      .class_id = 4243, .mode = "classroom", .student_no = kStudent, .coach_no = "",
      .course_code = "2212110000", .started_ms = unix_millis(morning() + 4min)});
  ASSERT_TRUE(other);

  engine_ = std::make_unique<TrainingEngine>(*store_, cfg_, kTerminal);
  ASSERT_TRUE(engine_->resume(morning() + 30min));
  EXPECT_TRUE(engine_->status().students.empty());
  auto row = store_->find_session(*orphan);
  ASSERT_TRUE(row && *row);
  ASSERT_TRUE((*row)->ended_ms);
  EXPECT_EQ(*(*row)->ended_ms, unix_millis(morning() + 7min)) << "the end of its last minute";
  auto logout = store_->outbox().entry(tcp_kind(0x0202), "4242");
  ASSERT_TRUE(logout && *logout);
  auto lo = uplink::StudentLogout::decode((*logout)->payload);
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->class_id, 4242u);
  EXPECT_EQ(lo->minutes, 2);
  EXPECT_EQ(lo->mileage_hm, 14);
  EXPECT_EQ(store_->open_sessions("classroom")->size(), 1u);
  auto events = *store_->events_since(0, 1000);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                          [](const auto& e) { return e.kind == "session.orphan_closed"; }));
  // Once closed it stays closed: a second resume queues nothing more.
  TrainingEngine third(*store_, cfg_, kTerminal);
  ASSERT_TRUE(third.resume(morning() + 31min));
  EXPECT_EQ(outbox_of(tcp_kind(0x0202)), 2);
}

TEST_F(EngineTest, ResumeClosesAnOrphanEvenWhenNoStateWasEverSaved) {
  make_engine();
  auto orphan = store_->begin_session(store::TrainingSession{
      .class_id = 77, .mode = "vehicle", .student_no = kStudent, .coach_no = kCoach,
      .course_code = kCourse, .started_ms = unix_millis(morning())});
  ASSERT_TRUE(orphan);
  ASSERT_TRUE(engine_->resume(morning() + 1h));
  EXPECT_EQ(*(*store_->find_session(*orphan))->ended_ms, unix_millis(morning()));
  EXPECT_TRUE(*store_->outbox().entry(tcp_kind(0x0202), "77"));
}

TEST_F(EngineTest, WithTimedPhotosPausedMinutesGoOnAndNoPhotoIsAskedFor) {
  make_engine("photo_interval_min = 2\nrecheck_interval_min = 60\n");
  int asked = 0;
  engine_->on_photo_due([&] { ++asked; });
  login_both(morning());
  engine_->set_timed_photos_paused(true, morning() + 11s);
  drive(morning() + 11s, 6 * 60);
  EXPECT_EQ(asked, 0);
  EXPECT_GE(minutes().size(), 5u) << "minutes are still made";
  engine_->set_timed_photos_paused(false, morning() + 6min + 11s);
  drive(morning() + 6min + 11s, 3 * 60);
  EXPECT_GE(asked, 1);
}

TEST(PersistedLogins, RoundTripsAndRefusesGarbage) {
  PersistedLogins p{.coach_no = "3201000000000201", .last_class_id = 7,
                    .students = {{.session_id = 3, .last_photo_ms = 10, .last_recheck_ms = 20,
                                  .recheck_failed = true, .next_recheck_ms = 30}}};
  auto back = PersistedLogins::decode(p.encode());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->coach_no, p.coach_no);
  EXPECT_EQ(back->last_class_id, 7u);
  ASSERT_EQ(back->students.size(), 1u);
  EXPECT_EQ(back->students[0].session_id, 3);
  EXPECT_TRUE(back->students[0].recheck_failed);
  EXPECT_EQ(back->students[0].next_recheck_ms, 30);
  EXPECT_FALSE(PersistedLogins::decode("garbage"));
  EXPECT_FALSE(PersistedLogins::decode("v1\nstudent 1 x\n"));
  auto empty = PersistedLogins::decode(PersistedLogins{}.encode());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->coach_no.empty());
}

}  // namespace
}  // namespace tta::agent

namespace tta::agent {
namespace {

bool has_warning(const std::vector<LiveWarning>& v, const char* code) {
  return std::any_of(v.begin(), v.end(), [&](const LiveWarning& w) { return w.code == code; });
}

TEST_F(EngineTest, LiveWarningsSayWhatWouldVoidTheOpenMinuteWhileThereIsTimeToAct) {
  make_engine();
  EXPECT_TRUE(engine_->live_warnings().empty()) << "nobody on board";
  login_both(morning());
  // Standing still for the first whole minute and 19 s of the next (fixes 02:00:11..02:02:19).
  drive(morning() + 11s, 129, 1500, {}, true, 0.0);
  auto live = engine_->live_warnings();
  ASSERT_TRUE(has_warning(live, flag::kStationary));
  const auto still = *std::find_if(live.begin(), live.end(),
                                   [](const LiveWarning& w) { return w.code == flag::kStationary; });
  EXPECT_EQ(still.seconds_left, 41) << "60 s minus the 19 s gone";
  EXPECT_FALSE(has_warning(live, flag::kEngineSpeedMissing));
  // Moving before the minute closes saves it: the warning goes once the minute has mileage,
  // and the minute is made without the flag.
  drive(morning() + 140s, 50, 1500, {}, true, 30.0);
  EXPECT_FALSE(has_warning(engine_->live_warnings(), flag::kStationary));
  const auto ms = minutes();
  ASSERT_GE(ms.size(), 2u);
  EXPECT_EQ(ms[0].flags.find(flag::kStationary), std::string::npos);
  EXPECT_EQ(ms[1].flags.find(flag::kStationary), std::string::npos) << ms[1].flags;
}

TEST_F(EngineTest, AVehicleSampleOnAnotherClockNeverStopsMinutes) {
  make_engine();
  login_both(morning());
  // A sensor sample stamped ten days ahead (the system clock, before any fix) …
  engine_->on_vehicle({.at = morning() + std::chrono::hours(240), .ignition_on = true,
                       .engine_rpm = 1500, .sensor_speed_kmh = 20.0});
  // … must not hold the minutes the fixes make.
  drive(morning() + 11s, 3 * 60);
  EXPECT_GE(minutes().size(), 2u);
}

TEST_F(EngineTest, LiveWarningsForAMissingEngineSignalAndAFailedRecheck) {
  make_engine();
  login_both(morning());
  drive(morning() + 11s, 30, std::nullopt);
  auto live = engine_->live_warnings();
  EXPECT_TRUE(has_warning(live, flag::kEngineSpeedMissing));
  EXPECT_FALSE(has_warning(live, flag::kRecheckFailed));
  ASSERT_TRUE(engine_->recheck(FaceEvidence{.outcome = "face does not match"}, morning() + 41s));
  EXPECT_TRUE(has_warning(engine_->live_warnings(), flag::kRecheckFailed));
}

}  // namespace
}  // namespace tta::agent
