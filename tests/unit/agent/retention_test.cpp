// Disk for years (issue #14): the storage budget stops timed photos and keeps minutes coming,
// the retention pass prunes only what the platform acknowledged and nothing a session still
// needs, and a small store filled to its limit loses nothing and crashes nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

#include "training/engine.hpp"
#include "outbox/forwarder.hpp"
#include "outbox/retention.hpp"
#include "tta/gps/route_sim.hpp"
#include "support/engine_fixture.hpp"
#include "tta/core/time_util.hpp"

namespace tta::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::kCoach;
using testing::kCourse;
using testing::kStudent;
using testing::kTerminal;

constexpr std::int64_t kMiB = 1024 * 1024;

FaceEvidence face_with_photo(std::size_t bytes) {
  FaceEvidence f = testing::good_face(96);
  f.jpeg.assign(bytes, 0x5A);
  return f;
}

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-retention-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sc_ = config::StoreConfig{dir_ / "tta.db", dir_ / "store.key"};
    ASSERT_TRUE(store::init_store(sc_));
    auto s = store::Store::open(sc_);
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

  /// 10:00 local (02:00 UTC) on 2026-11-27.
  static WallTime morning() { return *from_civil({2026, 11, 27, 2, 0, 0}, 0s); }

  /// The platform acknowledges everything queued so far.
  void ack_everything() {
    auto due = store_->outbox().due(std::numeric_limits<std::int64_t>::max() / 2, 100000);
    ASSERT_TRUE(due);
    for (const auto& e : *due) ASSERT_TRUE(store_->outbox().mark_acked(e.id, 1));
  }

  fs::path dir_;
  config::StoreConfig sc_;
  std::optional<store::Store> store_;
  config::Config cfg_;
  std::unique_ptr<TrainingEngine> engine_;
};

TEST_F(RetentionTest, NearlyUsedBudgetSaysSoAndRoomAgainSaysSo) {
  config::StoreConfig sc = sc_;
  sc.budget_mb = 1;
  sc.nearly_full_percent = 50;
  config::RetentionConfig rc;
  rc.photos_days = 1;
  Retention r(*store_, sc, rc, [] { return std::optional<std::int64_t>(100 * 1024 * kMiB); });
  std::vector<bool> changes;
  r.on_nearly_full([&](bool full) { changes.push_back(full); });
  const WallTime t0 = morning();
  ASSERT_TRUE(r.run_once(t0));
  EXPECT_FALSE(r.status().nearly_full);
  EXPECT_TRUE(changes.empty());

  store::Photo p{.photo_no = "0000000001", .person_no = kStudent, .class_id = 0, .event = 19,
                 .taken_ms = unix_millis(t0)};
  p.jpeg.assign(600 * 1024, 0x11);
  ASSERT_TRUE(store_->photos().add(p, {.kind = kPhotoKind, .key = p.photo_no, .payload = {1}}));
  ASSERT_TRUE(r.run_once(t0 + 1min));
  EXPECT_TRUE(r.status().nearly_full);
  EXPECT_NE(r.status().reason.find("budget"), std::string::npos) << r.status().reason;
  EXPECT_EQ(changes, std::vector<bool>{true});
  const auto j = r.status_json();
  EXPECT_EQ(j["nearly_full"], true);
  EXPECT_EQ(j["timed_photos"], "stopped");
  EXPECT_EQ(j["budget_bytes"], kMiB);
  EXPECT_GE(j["used_bytes"].get<std::int64_t>(), 600 * 1024);

  // Not acknowledged: two days later it is still there, and the store still nearly full.
  ASSERT_TRUE(r.run_once(t0 + 48h));
  EXPECT_TRUE(*store_->photos().find("0000000001"));
  EXPECT_TRUE(r.status().nearly_full);
  // Acknowledged: pruned, room again.
  ack_everything();
  ASSERT_TRUE(r.run_once(t0 + 48h));
  EXPECT_FALSE(*store_->photos().find("0000000001"));
  EXPECT_EQ(r.status().pruned_photos, 1);
  EXPECT_FALSE(r.status().nearly_full);
  EXPECT_EQ(changes, (std::vector<bool>{true, false}));
}

TEST_F(RetentionTest, LittleFreeSpaceOnTheFileSystemIsNearlyFullToo) {
  config::StoreConfig sc = sc_;
  sc.budget_mb = 0;  // no budget: only the file system counts
  sc.min_free_mb = 256;
  std::int64_t free_bytes = 10 * kMiB;
  Retention r(*store_, sc, config::RetentionConfig{},
              [&] { return std::optional<std::int64_t>(free_bytes); });
  ASSERT_TRUE(r.run_once(morning()));
  EXPECT_TRUE(r.status().nearly_full);
  EXPECT_NE(r.status().reason.find("free on the file system"), std::string::npos);
  EXPECT_EQ(r.status_json()["budget_bytes"], nullptr);
  free_bytes = 1024 * kMiB;
  ASSERT_TRUE(r.run_once(morning() + 1s));
  EXPECT_FALSE(r.status().nearly_full);
}

TEST_F(RetentionTest, ASmallStoreFilledToItsLimitKeepsMakingMinutesAndLosesNothingNeeded) {
  cfg_ = testing::test_config(
      {.gps = testing::kYardFence, .training = "photo_interval_min = 1\nrecheck_interval_min = 600\n"});
  cfg_.store = sc_;
  cfg_.store.budget_mb = 1;
  cfg_.store.nearly_full_percent = 75;
  cfg_.retention.minutes_days = 30;
  cfg_.retention.photos_days = 30;
  cfg_.retention.events_days = 30;
  // The database can never grow past 1 MiB (as a full disk would stop it): 256 pages.
  ASSERT_TRUE(store_->limit_pages_for_test(kMiB / 4096));
  engine_ = std::make_unique<TrainingEngine>(*store_, cfg_, kTerminal);
  Retention retention(*store_, cfg_.store, cfg_.retention,
                      [] { return std::optional<std::int64_t>(100 * 1024 * kMiB); });
  retention.on_nearly_full([&](bool full) {
    engine_->set_timed_photos_paused(full, morning());
  });
  int asked = 0;
  int stored = 0;
  int failed = 0;
  WallTime now = morning();
  engine_->on_photo_due([&] {
    ++asked;
    // A 60 KiB photo each minute: 3.6 MB an hour, far more than the store can hold.
    if (engine_->add_timed_photo(face_with_photo(60 * 1024), now)) {
      ++stored;
    } else {
      ++failed;
    }
  });
  ASSERT_TRUE(engine_->coach_login(kCoach, testing::good_face(96), now));
  ASSERT_TRUE(engine_->student_login(kStudent, kCourse, testing::good_face(96), now + 10s));
  const auto class_id = engine_->status().class_id;
  const int kMinutes = 60;
  gps::RouteOptions opt;
  opt.start = now + 11s;
  opt.seconds = kMinutes * 60;
  opt.speed_kmh = 30;
  opt.area = cfg_.gps.fences[0];
  int n = 0;
  for (const auto& fix : gps::simulate_route(opt)) {
    now = *fix.utc();
    if (n++ % 60 == 0) {
      // The platform acknowledges as it goes; the retention pass runs, and even a pass that
      // believes a year went by prunes nothing of the session still open.
      ack_everything();
      ASSERT_TRUE(retention.run_once(now + std::chrono::hours(24 * 365)));
    }
    engine_->on_vehicle({.at = now, .ignition_on = true, .engine_rpm = 1500,
                         .sensor_speed_kmh = fix.speed_kmh});
    engine_->on_fix(fix, MonoTime{} + (now - opt.start));
  }
  EXPECT_TRUE(retention.status().nearly_full);
  EXPECT_TRUE(engine_->timed_photos_paused());
  EXPECT_GT(stored, 3) << "photos were taken until the store was nearly full";
  EXPECT_LT(asked, kMinutes - 10) << "then timed photos stopped";
  EXPECT_EQ(failed, 0) << "no photo ever hit the hard limit";
  // Every whole minute of the session was made and stored: 10:01 … 10:59.
  auto minutes = store_->minute_record_numbers();
  ASSERT_TRUE(minutes);
  EXPECT_EQ(static_cast<int>(minutes->size()), kMinutes - 1);
  EXPECT_EQ(engine_->status().students.at(0).minutes, static_cast<std::uint32_t>(kMinutes - 1));
  // Nothing of the open session was pruned, acknowledged or not (the coach's login photo,
  // acknowledged and of no session, may go).
  EXPECT_EQ(retention.status().pruned_minutes, 0);
  EXPECT_EQ(static_cast<int>(store_->photos().of_class(class_id)->size()), stored + 1);  // + 17
  EXPECT_LE(retention.status().pruned_photos, 1);
  // The check-out still fits (its photo is small), and is one transaction.
  ASSERT_TRUE(engine_->student_logout(testing::good_face(96), now));
  ASSERT_TRUE(engine_->coach_logout(testing::good_face(96), now + 5s));
  EXPECT_EQ(*store_->quick_check(), "ok");
  // The logout is not acknowledged yet: the session's records stay however old they are.
  ASSERT_TRUE(retention.run_once(now + std::chrono::hours(24 * 365)));
  EXPECT_EQ(retention.status().pruned_minutes, 0);
  EXPECT_EQ(static_cast<int>(store_->photos().of_class(class_id)->size()), stored + 2);  // + 18
  // Acknowledged and older than 30 days: pruned in batches, and the store has room again.
  ack_everything();
  for (int pass = 0; pass < 20; ++pass) {
    auto more = retention.run_once(now + std::chrono::hours(24 * 365));
    ASSERT_TRUE(more);
    if (!*more) break;
  }
  EXPECT_EQ(retention.status().pruned_minutes, kMinutes - 1);
  EXPECT_EQ(retention.status().pruned_photos, stored + 4);  // + the 17, 18, 20, 21 photos
  EXPECT_EQ(retention.status().pruned_sessions, 1);
  EXPECT_FALSE(retention.status().nearly_full);
  EXPECT_FALSE(engine_->timed_photos_paused());
  EXPECT_EQ(*store_->quick_check(), "ok");
}

}  // namespace
}  // namespace tta::agent
