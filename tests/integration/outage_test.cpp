// Outages on virtual time against the platform simulator, in one process: the training engine,
// the outbox forwarder and the terminal session (as `tta-agent simulate` joins them) driven by
// a SIMULATED route, with the simulator's own audit judging what arrives.
//  - GNSS lost for minutes mid-session: the minutes are still made, flagged no_gnss with no
//    position (none invented), sent abnormal, and voided by the platform.
//  - The platform offline for an hour, then back: everything made meanwhile arrives exactly
//    once afterwards, flagged re-sent (but for a last minute made within the real-time grace of
//    the return); what was sent as it was made is not.
// The refusals (no coach, banned, daily cap, face mismatch) are unit tests of the engine
// (tests/unit/agent/engine_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "training/engine.hpp"
#include "training/fix_clock.hpp"
#include "outbox/forwarder.hpp"
#include "tta/gps/route_sim.hpp"
#include "sim.hpp"
#include "outbox/store_credentials.hpp"
#include "support/engine_fixture.hpp"
#include "tta/core/time_util.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/session.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::kCoach;
using testing::kCourse;
using testing::kStudent;

agent::FaceEvidence good_face() { return testing::good_face(96); }

class Listener final : public uplink::SessionListener {
 public:
  void on_platform_command(const uplink::ExtendedMessage& /*m*/) override {}
};

class OutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-outage-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::StoreConfig sc{dir_ / "tta.db", dir_ / "store.key"};
    ASSERT_TRUE(store::init_store(sc));
    auto s = store::Store::open(sc);
    ASSERT_TRUE(s) << s.error().message;
    store_.emplace(std::move(*s));
    ASSERT_TRUE(store_->people().add({.role = store::Role::coach, .national_no = kCoach,
                                    .id_card = "320106199003071234", .name = "王教练",
                                    .licence_class = "C1"}, 0));
    ASSERT_TRUE(store_->people().add({.role = store::Role::student, .national_no = kStudent,
                                    .id_card = "11010519491231002X", .name = "李学员",
                                    .licence_class = "C1"}, 0));
    cfg_ = testing::test_config({.gps = testing::kYardFence});
    // 10:00 GMT+8 on 2026-11-27; an hour and a half of route.
    gps::RouteOptions route;
    route.start = *from_civil({2026, 11, 27, 2, 0, 0}, 0s);
    route.seconds = 90 * 60;
    route.area = cfg_.gps.fences.front();
    fixes_ = gps::simulate_route(route);
    vclock_.on_fix(route.start, real_.mono_now());
  }
  void TearDown() override {
    engine_.reset();
    if (forwarder_) forwarder_->stop();
    if (session_) session_->stop();
    forwarder_.reset();
    session_.reset();
    sim_.reset();
    fs::remove_all(dir_);
  }

  void start_sim(std::uint16_t port = 0) {
    sim::SimOptions so;
    so.data_dir = dir_ / "platform";
    so.tcp_port = port;
    so.audit.fences = cfg_.gps.fences;
    auto s = sim::PlatformSim::create(io_, so);
    ASSERT_TRUE(s) << s.error().message;
    sim_ = std::move(*s);
  }

  /// The terminal's side, as `tta-agent simulate` joins it: session and forwarder, and the
  /// engine once the platform has given the terminal its number.
  void start_agent() {
    uplink::SessionOptions opt;
    opt.host = "127.0.0.1";
    opt.port = sim_->tcp_port();
    opt.phone = "13800138000";
    opt.registration.maker_id = "TTA01";
    opt.registration.model = "TTA-TEST";
    opt.registration.terminal_serial = "0000001";
    opt.registration.imei = "860000000000001";
    opt.registration.plate = "苏A12345学";
    opt.heartbeat = 300ms;
    // Long enough that no ack on loopback is late: a copy sent again is then a forwarder bug.
    opt.ack_timeout = 5s;
    opt.connect_timeout = 1s;
    opt.reconnect_min = 20ms;
    opt.reconnect_max = 100ms;
    creds_ = std::make_unique<agent::StoreCredentials>(*store_, real_);
    session_ = std::make_unique<uplink::TerminalSession>(io_, opt, real_, *creds_, listener_);
    agent::ForwarderOptions fo;
    fo.pump_interval = 20ms;
    fo.retry_min = 20ms;
    fo.retry_max = 100ms;
    forwarder_ = std::make_unique<agent::Forwarder>(io_, *store_, *session_, vclock_, fo);
    session_->start();
    ASSERT_TRUE(run_until([&] { return session_->online(); }));
    engine_ = std::make_unique<agent::TrainingEngine>(*store_, cfg_, session_->terminal_no());
    engine_->on_outbox([&] { forwarder_->poke(); });
    engine_->on_photo_due([&] { (void)engine_->add_timed_photo(good_face(), vclock_.wall_now()); });
    engine_->on_recheck_due([&] { (void)engine_->recheck(good_face(), vclock_.wall_now()); });
    forwarder_->start();
  }

  /// Run the loop until `pred` holds or `limit` passes (real time: the peer is real).
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(10ms);
    }
    return true;
  }

  bool drained() {
    auto c = store_->outbox().counts();
    return c && c->queued + c->in_flight == 0 && forwarder_->in_flight() == 0;
  }

  /// Feed `minutes` of the route from where it stopped. `lost` fixes keep their time but lose
  /// the position (a receiver without a fix). With `online`, everything made is delivered
  /// at the end of each minute, in real time as the platform sees it.
  void drive(int minutes, bool online, bool lost = false) {
    for (int i = 0; i < minutes * 60 && next_ < fixes_.size(); ++i) {
      gps::Fix fix = fixes_[next_++];
      if (lost) {
        fix.set &= ~(gps::kFieldPosition | gps::kFieldSpeed | gps::kFieldCourse);
        fix.lat_deg = fix.lon_deg = fix.speed_kmh = fix.course_deg = gps::Fix::kNaN;
        fix.status_valid = false;
        fix.quality = gps::FixQuality::invalid;
      }
      const WallTime t = *fix.utc();
      vclock_.on_fix(t, real_.mono_now());
      // SIMULATED vehicle signals: the engine turns while the car drives.
      engine_->on_vehicle({.at = t, .ignition_on = true, .engine_rpm = 1500,
                           .sensor_speed_kmh = fixes_[next_ - 1].speed_kmh});
      engine_->on_fix(fix, real_.mono_now());
      if (online && unix_seconds(t) % 60 == 1) {
        ASSERT_TRUE(run_until([&] { return drained(); })) << sim_->summary().dump();
      } else {
        io_.poll();
      }
    }
  }

  void login() {
    drive(0, true);
    ASSERT_TRUE(engine_->coach_login(kCoach, good_face(), vclock_.wall_now()));
    drive(1, true);  // the student logs in a little later, mid-minute
    ASSERT_TRUE(engine_->student_login(kStudent, kCourse, good_face(), vclock_.wall_now()));
  }
  void logout() {
    ASSERT_TRUE(engine_->student_logout(good_face(), vclock_.wall_now()));
    ASSERT_TRUE(engine_->coach_logout(good_face(), vclock_.wall_now()));
  }

  std::set<std::string> stored_minutes() {
    auto numbers = store_->minute_record_numbers();
    return {numbers->begin(), numbers->end()};
  }
  /// The simulator's rows by record number.
  std::map<std::string, nlohmann::json> platform_minutes() {
    std::map<std::string, nlohmann::json> out;
    for (const auto& row : sim_->minutes()) {
      EXPECT_TRUE(out.emplace(row["record_no"].get<std::string>(), row).second)
          << "stored twice: " << row.dump();
    }
    return out;
  }

  boost::asio::io_context io_;
  SystemClock real_;
  // The route's GNSS time drives the engine and the outbox, carried by the real monotonic
  // clock the session uses too, as in `run` (fix_clock.hpp).
  agent::FixClock vclock_{real_};
  fs::path dir_;
  config::Config cfg_;
  std::optional<store::Store> store_;
  std::vector<gps::Fix> fixes_;
  std::size_t next_ = 0;
  std::unique_ptr<sim::PlatformSim> sim_;
  std::unique_ptr<agent::StoreCredentials> creds_;
  Listener listener_;
  std::unique_ptr<uplink::TerminalSession> session_;
  std::unique_ptr<agent::Forwarder> forwarder_;
  std::unique_ptr<agent::TrainingEngine> engine_;
};

TEST_F(OutageTest, GnssLostForMinutesIsFlaggedNeverInvented) {
  start_sim();
  start_agent();
  login();
  drive(3, true);
  const auto before = stored_minutes();
  drive(5, true, /*lost=*/true);
  const auto during_and_before = stored_minutes();
  drive(3, true);
  logout();
  ASSERT_TRUE(run_until([&] { return drained(); })) << sim_->summary().dump();

  std::set<std::string> lost;
  for (const auto& no : during_and_before) {
    if (!before.contains(no)) lost.insert(no);
  }
  ASSERT_GE(lost.size(), 4u) << "a minute is made for every minute without a fix";
  for (const auto& no : lost) {
    const auto m = **store_->find_minute(no);
    if (m.flags.find(agent::flag::kNoGnss) == std::string::npos) continue;  // the minute it began
    EXPECT_FALSE(m.lat_e6.has_value()) << no << ": no position is invented";
    EXPECT_FALSE(m.lon_e6.has_value());
    EXPECT_EQ(m.status, 1);
    EXPECT_FALSE(m.counted);
  }
  int no_gnss = 0;
  const auto platform = platform_minutes();
  ASSERT_EQ(platform.size(), stored_minutes().size());
  for (const auto& [no, row] : platform) {
    const auto m = **store_->find_minute(no);
    const auto reasons = row["audit_reasons"].get<std::vector<std::string>>();
    const bool flagged = m.flags.find(agent::flag::kNoGnss) != std::string::npos;
    no_gnss += flagged ? 1 : 0;
    EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "no_gnss"), flagged ? 1 : 0)
        << no << " terminal: " << m.flags << " platform: " << row.dump();
    if (flagged) {
      EXPECT_FALSE(row["audit_valid"].get<bool>());
    }
  }
  EXPECT_GE(no_gnss, 4);
  EXPECT_EQ(sim_->summary()["minutes_void"].value("no_gnss", 0), no_gnss);
}

TEST_F(OutageTest, PlatformOfflineForAnHourThenEverythingArrivesOnceMarkedResent) {
  start_sim();
  const std::uint16_t port = sim_->tcp_port();
  start_agent();
  login();
  drive(4, true);
  ASSERT_TRUE(run_until([&] { return drained(); }));
  const auto before = stored_minutes();
  ASSERT_GE(before.size(), 3u);

  sim_->stop();  // the platform goes away, with nothing in flight
  sim_.reset();
  ASSERT_TRUE(run_until([&] { return !session_->online(); }));
  drive(60, false);
  const auto made_offline_and_before = stored_minutes();
  EXPECT_GE(made_offline_and_before.size(), before.size() + 59) << "timing goes on offline";
  {
    auto c = store_->outbox().counts();
    EXPECT_GT(c->queued + c->in_flight, 59) << "kept for later";
  }

  start_sim(port);  // back, on the same port, with what it had stored
  ASSERT_TRUE(run_until([&] { return session_->online(); }));
  drive(3, true);
  logout();
  ASSERT_TRUE(run_until([&] { return drained(); }, 60s)) << sim_->summary().dump();

  const auto all = stored_minutes();
  const auto platform = platform_minutes();
  ASSERT_EQ(platform.size(), all.size());
  // Re-sent (补传) means made before the current connection came up (or sent before without an
  // ack). Every minute made offline was; the last one may end after the platform came back.
  int resent = 0;
  int offline_on_time = 0;
  for (const auto& no : all) {
    ASSERT_TRUE(platform.contains(no)) << no << " never arrived";
    const bool offline = made_offline_and_before.contains(no) && !before.contains(no);
    const bool flagged = platform.at(no)["resent"].get<bool>();
    if (!offline) {
      EXPECT_FALSE(flagged) << no << " was sent as it was made";
    }
    if (offline && !flagged) ++offline_on_time;
    resent += flagged ? 1 : 0;
  }
  EXPECT_LE(offline_on_time, 1);
  EXPECT_GE(resent, 59);
  const auto summary = sim_->summary();  // counters since the restart
  EXPECT_EQ(summary["duplicates"], 0) << summary.dump();
  EXPECT_EQ(summary["resent_minutes"], resent);
  EXPECT_EQ(summary["student_logouts"], 1);
  EXPECT_EQ(summary["coach_logouts"], 1);
  EXPECT_FALSE(summary["minutes_void"].contains("duplicate"));
  // The platform's audit accepts what the terminal counted, outage or not.
  EXPECT_EQ(summary["minutes_valid"], engine_->status().minutes_counted)
      << summary["minutes_void"].dump();
  const auto sessions = sim_->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(sessions[0]["closed"].get<bool>());
  EXPECT_EQ(sessions[0]["logout_minutes"], all.size());
}

}  // namespace
}  // namespace tta
