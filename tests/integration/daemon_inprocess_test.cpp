// The daemon in one process, assembled from fakes (tests/support/): a fake clock, a GNSS
// source and vehicle signals the test feeds, a face checker that always matches, and the
// platform simulator on the same event loop as its peer. A coach and a student check in
// through the control API's backend, ten minutes are driven on a SIMULATED route, both check
// out: the minutes are stored with their outbox entries and delivered. DaemonOnFakeLink puts
// a fake platform link (tests/support/fake_platform_link.hpp) in the simulator's place, and
// the test plays the platform. The process-level tests (daemon_test.cpp) run the same daemon
// as `tta-agent run`. DaemonOnFakeTimers also gives it a FakeScheduler
// (tests/support/fake_scheduler.hpp): its timers fire on the fake clock's time.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include <unistd.h>

#include "control/api.hpp"
#include "daemon/daemon.hpp"
#include "daemon/parts.hpp"
#include "outbox/forwarder.hpp"
#include "sim.hpp"
#include "support/engine_fixture.hpp"
#include "support/fake_face_checker.hpp"
#include "support/fake_gnss_source.hpp"
#include "support/fake_platform_link.hpp"
#include "support/fake_scheduler.hpp"
#include "support/fake_vehicle_signals.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/route_sim.hpp"
#include "tta/store/store.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::kCoach;
using testing::kCourse;
using testing::kStudent;

class DaemonInProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-dinproc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cfg_ = testing::test_config({.gps = testing::kYardFence});
    cfg_.store = {dir_ / "tta.db", dir_ / "store.key"};
    cfg_.store.simulated = cfg_.agent.simulated;  // the test config is a SIMULATED terminal
    cfg_.uplink.tcp.test_platform = test_platform();
    cfg_.agent.control_token_file = dir_ / "control.token";
    cfg_.agent.control_listen = "127.0.0.1:0";
    ASSERT_TRUE(store::init_store(cfg_.store));
    ASSERT_TRUE(agent::ensure_control_token(cfg_.agent.control_token_file));
    auto s = store::Store::open(cfg_.store);
    ASSERT_TRUE(s) << s.error().message;
    store_.emplace(std::move(*s));
    // Enrolled with a face: the daemon looks the template up before it asks the checker.
    const std::vector<std::uint8_t> templ(512, 1);
    ASSERT_TRUE(store_->people().add({.role = store::Role::coach, .national_no = kCoach,
                                    .id_card = "320106199003071234", .name = "王教练",
                                    .licence_class = "C1", .face_template = templ}, 0));
    ASSERT_TRUE(store_->people().add({.role = store::Role::student, .national_no = kStudent,
                                    .id_card = "11010519491231002X", .name = "李学员",
                                    .licence_class = "C1", .face_template = templ}, 0));
    sim::SimOptions so;
    so.data_dir = dir_ / "platform";
    so.audit.fences = cfg_.gps.fences;
    auto sim = sim::PlatformSim::create(io_, so);
    ASSERT_TRUE(sim) << sim.error().message;
    sim_ = std::move(*sim);
    cfg_.uplink.tcp.port = sim_->tcp_port();

    // 10:00 GMT+8 on 2026-11-27, on the fake clock as on the route.
    t0_ = *from_civil({2026, 11, 27, 2, 0, 0}, 0s);
    clock_.set_wall(t0_);
    auto gnss = std::make_unique<testing::FakeGnssSource>();
    auto signals = std::make_unique<testing::FakeVehicleSignals>();
    auto faces = std::make_unique<testing::FakeFaceChecker>();
    gnss_ = gnss.get();
    signals_ = signals.get();
    faces_ = faces.get();
    agent::DaemonParts parts{.gnss = std::move(gnss), .vehicle = std::move(signals),
                             .faces = std::move(faces)};
    if (fake_link()) {
      parts.platform = [this](uplink::CredentialStore&, uplink::SessionListener& listener) {
        auto link = std::make_unique<testing::FakePlatformLink>(listener);
        link_ = link.get();
        return link;
      };
    }
    if (fake_timers()) {
      auto timers = std::make_unique<testing::FakeScheduler>(clock_);
      timers_ = timers.get();
      parts.timers = std::move(timers);
    }
    daemon_.emplace(io_, cfg_, *store_, clock_, std::move(parts));
    auto started = daemon_->start();
    ASSERT_TRUE(started) << started.error().message;
  }

  /// true: the daemon's platform link is a FakePlatformLink (link_), not a session to the
  /// simulator.
  virtual bool fake_link() const { return false; }
  /// true: the daemon's timers run on a FakeScheduler (timers_) on the fake clock.
  virtual bool fake_timers() const { return false; }

  /// Move the fake clock on, running the daemon's timers that come due when they are fake.
  void advance(std::chrono::nanoseconds d) {
    if (timers_ != nullptr) {
      timers_->advance(d);
    } else {
      clock_.advance(d);
    }
  }
  /// uplink.tcp.test_platform: the simulator may receive this SIMULATED terminal's records.
  virtual bool test_platform() const { return true; }

  void TearDown() override {
    if (daemon_) daemon_->stop();
    io_.poll();
    daemon_.reset();
    sim_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  /// Run the loop until `done` holds: I/O with the simulator and face checks on the worker
  /// thread finish in milliseconds; the bound only keeps a broken daemon from hanging the test.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(100ms);
    }
    return true;
  }

  /// A check-in or check-out through the control API's backend, as the screen asks for one.
  agent::control::Response check(bool in, const std::string& role,
                                 std::optional<std::string> number = std::nullopt) {
    std::optional<agent::control::Response> answer;
    agent::control::CheckRequest r{.in = in, .role = role, .number = std::move(number)};
    if (in && role == "student") r.course = kCourse;
    daemon_->backend().check(r, [&](agent::control::Response res) { answer = std::move(res); });
    EXPECT_TRUE(run_until([&] { return answer.has_value(); })) << "no answer to the check";
    return answer.value_or(agent::control::Response{.status = 0});
  }

  /// One fix of the SIMULATED route per second of fake time, with the vehicle's signals.
  /// A SIMULATED drive of `seconds` from t0_ inside the first teaching area.
  [[nodiscard]] std::vector<gps::Fix> route(int seconds) const {
    gps::RouteOptions r;
    r.start = t0_;
    r.seconds = seconds;
    r.area = cfg_.gps.fences.front();
    return gps::simulate_route(r);
  }

  void drive(const std::vector<gps::Fix>& fixes, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to && i < fixes.size(); ++i) {
      const auto& fix = fixes[i];
      advance(1s);
      const double kmh = std::isnan(fix.speed_kmh) ? 0 : fix.speed_kmh;
      signals_->emit({.at = *fix.utc(), .ignition_on = true, .engine_rpm = 1500,
                      .sensor_speed_kmh = kmh});
      gnss_->emit(fix);
      io_.poll();  // what the fix queued (timed photos, teaching-log scans) runs now
    }
  }

  std::int64_t minutes_stored() {
    auto nos = store_->minute_record_numbers();
    return nos ? static_cast<std::int64_t>(nos->size()) : -1;
  }

  fs::path dir_;
  boost::asio::io_context io_;
  FakeClock clock_;
  config::Config cfg_;
  std::optional<store::Store> store_;
  std::unique_ptr<sim::PlatformSim> sim_;
  WallTime t0_{};
  testing::FakeGnssSource* gnss_ = nullptr;
  testing::FakeVehicleSignals* signals_ = nullptr;
  testing::FakeFaceChecker* faces_ = nullptr;
  testing::FakePlatformLink* link_ = nullptr;
  testing::FakeScheduler* timers_ = nullptr;  // owned by the daemon
  std::optional<agent::Daemon> daemon_;
};

class DaemonOnFakeLink : public DaemonInProcess {
 protected:
  bool fake_link() const override { return true; }

  /// Where the first extended message `ext_id` sent is in link_->sent.
  std::optional<std::size_t> sent_index(std::uint16_t ext_id) const {
    for (std::size_t i = 0; i < link_->sent.size(); ++i) {
      if (link_->sent[i].message.ext_id == ext_id) return i;
    }
    return std::nullopt;
  }
  /// Outbox entries of `ext_id` acknowledged and written.
  std::int64_t acked(std::uint16_t ext_id) {
    auto c = store_->outbox().counts(agent::tcp_kind(ext_id));
    return c ? c->acked : -1;
  }
};

class DaemonOnFakeTimers : public DaemonOnFakeLink {
 protected:
  bool fake_timers() const override { return true; }
};

TEST_F(DaemonInProcess, CheckInMinutesCheckOut) {
  // Registered and authenticated with the platform: only then has the terminal a number.
  ASSERT_TRUE(run_until([&] { return daemon_->backend().status().value("uplink_online", false); }));

  const auto fixes = route(13 * 60);
  drive(fixes, 0, 5);

  const auto coach_in = check(true, "coach", kCoach);
  ASSERT_EQ(coach_in.status, 200u) << coach_in.body.dump();
  drive(fixes, 5, 30);
  const auto student_in = check(true, "student", kStudent);
  ASSERT_EQ(student_in.status, 200u) << student_in.body.dump();
  EXPECT_EQ(student_in.body.value("face", ""), "match");

  drive(fixes, 30, 30 + 10 * 60 + 20);
  const auto training = daemon_->backend().status();
  EXPECT_EQ(training.value("student_no", ""), kStudent);
  // Whole minutes after the check-in at 10:00:30: 10:01 … 10:09 (10:10 is still open).
  EXPECT_EQ(training.value("minutes_made", -1), 9) << training.dump();

  const auto student_out = check(false, "student");
  ASSERT_EQ(student_out.status, 200u) << student_out.body.dump();
  drive(fixes, 30 + 10 * 60 + 20, 30 + 10 * 60 + 30);
  const auto coach_out = check(false, "coach");
  ASSERT_EQ(coach_out.status, 200u) << coach_out.body.dump();
  EXPECT_EQ(check(false, "coach").status, 409u) << "nobody is left to check out";

  // One stored minute per minute trained, each counted and with its outbox entry.
  EXPECT_EQ(minutes_stored(), 9);
  auto nos = store_->minute_record_numbers();
  ASSERT_TRUE(nos);
  for (const auto& no : *nos) {
    auto m = store_->find_minute(no);
    ASSERT_TRUE(m && *m) << no;
    EXPECT_TRUE((*m)->counted) << no << " flags: " << (*m)->flags;
    EXPECT_EQ((*m)->status, 0) << no << " flags: " << (*m)->flags;
    EXPECT_GT((*m)->mileage_hm.value_or(0), 0) << no;
    EXPECT_EQ((*m)->engine_rpm, 1500) << no << ": the signals reached the minute";
  }
  auto minutes_out = store_->outbox().counts(agent::tcp_kind(uplink::extid::kTrainingRecord));
  ASSERT_TRUE(minutes_out);
  EXPECT_EQ(minutes_out->queued + minutes_out->in_flight + minutes_out->acked, 9);
  EXPECT_EQ(minutes_out->refused, 0);
  // The logins and logouts (0x0101 coach in, 0x0201 student in, 0x0202 out, 0x0102 out).
  for (const int id : {0x0101, 0x0201, 0x0202, 0x0102}) {
    auto c = store_->outbox().counts(agent::tcp_kind(static_cast<std::uint16_t>(id)));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->queued + c->in_flight + c->acked, 1) << std::hex << id;
  }
  // The check-ins and check-outs each asked the face checker once, with their events.
  const auto events = faces_->events();
  for (const int e : {20, 17, 18, 21}) {
    EXPECT_EQ(std::count(events.begin(), events.end(), static_cast<std::uint8_t>(e)), 1)
        << "event " << e;
  }
  // Delivered: the forwarder sends each minute once and the platform acks it.
  EXPECT_TRUE(run_until([&] {
    auto c = store_->outbox().counts(agent::tcp_kind(uplink::extid::kTrainingRecord));
    return c && c->acked == 9;
  }));
}

/// Honest inputs (issue #14): a SIMULATED terminal whose platform is not marked as a test
/// platform makes and keeps its minutes, marked SIMULATED, but none reaches the platform: each
/// stays in the outbox, refused with the reason, and /status says so.
class SimulatedOnAProductionPlatform : public DaemonInProcess {
 protected:
  bool test_platform() const override { return false; }
};

TEST_F(SimulatedOnAProductionPlatform, MinutesAreMarkedAndNeverSentAsReal) {
  ASSERT_TRUE(run_until([&] { return daemon_->backend().status().value("uplink_online", false); }));
  const auto fixes = route(6 * 60);
  drive(fixes, 0, 5);
  ASSERT_EQ(check(true, "coach", kCoach).status, 200u);
  ASSERT_EQ(check(true, "student", kStudent).status, 200u);
  drive(fixes, 5, 5 + 4 * 60);
  ASSERT_EQ(check(false, "student").status, 200u);
  ASSERT_GE(minutes_stored(), 3);

  const auto kind = agent::tcp_kind(uplink::extid::kTrainingRecord);
  ASSERT_TRUE(run_until([&] {
    auto c = store_->outbox().counts(kind);
    return c && c->refused == minutes_stored();
  })) << "every SIMULATED minute refused by the outbox, none sent";
  auto marked = store_->simulated_counts();
  ASSERT_TRUE(marked);
  EXPECT_EQ(marked->minutes, minutes_stored());
  EXPECT_GE(marked->photos, 2) << "check-in photos";
  auto refused = store_->outbox().refused();
  ASSERT_TRUE(refused && !refused->empty());
  EXPECT_NE(refused->front().last_error.find("test_platform"), std::string::npos)
      << refused->front().last_error;
  EXPECT_EQ(sim_->summary().value("minutes_unique", -1), 0) << sim_->summary().dump();
  EXPECT_EQ(sim_->summary().value("coach_logins", -1), 0) << "nor a login";
  EXPECT_EQ(sim_->minutes().size(), 0u);

  const auto status = daemon_->backend().status();
  EXPECT_EQ(status.value("simulated", false), true);
  EXPECT_EQ(status["uplink"]["tcp"]["test_platform"], false);
  EXPECT_EQ(status["uplink"]["tcp"]["simulated_records"].get<std::string>().rfind("held", 0), 0u)
      << status["uplink"]["tcp"].dump();
  EXPECT_EQ(status["sources"]["gnss"]["simulated"], true);
  EXPECT_EQ(status["uplink"]["tcp"]["last_error"].get<std::string>().find("SIMULATED") !=
                std::string::npos,
            true)
      << status["uplink"]["tcp"].dump();
}

/// Missing hardware is a state (issue #14): a camera that cannot be opened answers a check-in
/// 503 camera_unavailable in words, nobody is checked in, and /status says what the camera
/// lacks; once frames come again check-ins work, and /status says when it last worked.
TEST_F(DaemonInProcess, ACameraThatIsGoneAnswers503AndStatusSaysSo) {
  // Registered first: before that a check-in is refused for that reason, camera or not.
  ASSERT_TRUE(run_until([&] { return daemon_->backend().status().value("uplink_online", false); }));
  faces_->answer(agent::FaceEvidence{.outcome = "camera: cannot open /dev/video0: No such device",
                                     .camera_unavailable = true});
  const auto refused = check(true, "coach", kCoach);
  EXPECT_EQ(refused.status, 503u) << refused.body.dump();
  EXPECT_EQ(refused.body.value("error", ""), "camera_unavailable");
  EXPECT_FALSE(refused.body.value("message", "").empty());
  EXPECT_NE(refused.body.value("message_zh", "").find("摄像头"), std::string::npos);
  EXPECT_NE(refused.body.value("detail", "").find("/dev/video0"), std::string::npos);
  auto status = daemon_->backend().status();
  EXPECT_EQ(status.value("coach_no", "x"), "") << "nobody was checked in";
  const auto cam = status["sources"]["camera"];
  EXPECT_NE(cam.value("state", "").find("unavailable"), std::string::npos) << cam.dump();
  EXPECT_NE(cam.value("last_error", "").find("No such device"), std::string::npos) << cam.dump();
  EXPECT_TRUE(cam["last_ok"].is_null()) << cam.dump();

  faces_->answer(testing::good_face(95));
  const auto in = check(true, "coach", kCoach);
  EXPECT_EQ(in.status, 200u) << in.body.dump();
  status = daemon_->backend().status();
  EXPECT_EQ(status["sources"]["camera"].value("state", ""), "ok");
  EXPECT_FALSE(status["sources"]["camera"]["last_ok"].is_null());
  // Every source and uplink says its state, last success and last error.
  for (const auto* part : {"gnss", "camera", "vehicle"}) {
    const auto& s = status["sources"][part];
    EXPECT_TRUE(s.contains("state") && s.contains("last_ok") && s.contains("last_error"))
        << part << ": " << s.dump();
  }
  for (const auto* link : {"tcp", "https"}) {
    const auto& s = status["uplink"][link];
    EXPECT_TRUE(s.contains("state") && s.contains("last_ok") && s.contains("last_error"))
        << link << ": " << s.dump();
  }
  EXPECT_TRUE(status["sources"]["gnss"].contains("last_fix_age_s"));
  EXPECT_TRUE(status["sources"]["gnss"].contains("fresh"));
}

TEST_F(DaemonInProcess, TheReplySaysHowLivenessWasJudged) {
  ASSERT_TRUE(run_until([&] { return daemon_->backend().status().value("uplink_online", false); }));
  // A vehicle asks for nothing by default: the coach is there.
  const auto asked = daemon_->backend().status()["sources"]["camera"]["challenge"];
  EXPECT_EQ(asked.value("code", ""), "none") << asked.dump();
  EXPECT_TRUE(asked["prompt"].is_null()) << asked.dump();

  // The face matched, but no blink was seen: refused, and the reply says why in words.
  agent::FaceEvidence not_live = testing::good_face(91);
  not_live.matched = false;
  not_live.outcome = "liveness inconclusive";
  not_live.liveness = agent::FaceEvidence::Liveness{
      .outcome = "inconclusive", .decided_by = "blink", .challenge = "blink",
      .challenge_met = false, .score = 0.83, .frames = 14,
      .words = "no blink seen: look at the camera and blink once",
      .words_zh = "没有看到眨眼：请看摄像头，眨一下眼"};
  faces_->answer(not_live);
  const auto refused = check(true, "coach", kCoach);
  ASSERT_EQ(refused.status, 409u) << refused.body.dump();
  const auto l = refused.body["liveness"];
  EXPECT_EQ(l.value("outcome", ""), "inconclusive") << l.dump();
  EXPECT_EQ(l.value("decided_by", ""), "blink");
  EXPECT_EQ(l.value("challenge", ""), "blink");
  EXPECT_FALSE(l.value("challenge_met", true));
  EXPECT_DOUBLE_EQ(l.value("score", 0.0), 0.83);
  EXPECT_EQ(l.value("frames", 0), 14);
  EXPECT_NE(l.value("words_zh", "").find("眨眼"), std::string::npos);
  EXPECT_EQ(daemon_->backend().status().value("coach_no", "x"), "") << "nobody was checked in";

  // Live: the score and the deciding test, no words.
  agent::FaceEvidence live = testing::good_face(93);
  live.liveness = agent::FaceEvidence::Liveness{
      .outcome = "live", .decided_by = "blink", .challenge = "blink", .challenge_met = true,
      .score = 0.9, .frames = 15};
  faces_->answer(live);
  const auto in = check(true, "coach", kCoach);
  ASSERT_EQ(in.status, 200u) << in.body.dump();
  EXPECT_EQ(in.body["liveness"].value("outcome", ""), "live");
  EXPECT_TRUE(in.body["liveness"].value("challenge_met", false));
  EXPECT_TRUE(in.body["liveness"]["words"].is_null());
  // A check without liveness evidence (the fake's default) says so with null.
  faces_->answer(testing::good_face(95));
  const auto out = check(false, "coach");
  ASSERT_EQ(out.status, 200u) << out.body.dump();
  EXPECT_TRUE(out.body.contains("liveness") && out.body["liveness"].is_null()) << out.body.dump();
}

TEST_F(DaemonOnFakeLink, TheLinkIsStartedAndLoginsWaitForItThenGoOutFlaggedResent) {
  ASSERT_NE(link_, nullptr);
  EXPECT_TRUE(link_->started);
  io_.poll();
  EXPECT_FALSE(daemon_->backend().status().value("uplink_online", true));

  // Registered and authenticated: the daemon takes the link's terminal number.
  link_->go_online(clock_.mono_now());
  io_.poll();
  EXPECT_TRUE(daemon_->backend().status().value("uplink_online", false));
  const auto fixes = route(120);
  drive(fixes, 0, 5);
  ASSERT_EQ(check(true, "coach", kCoach).status, 200u);
  // The login and its photo's announcement (0x0305) go out; the platform acks the login.
  ASSERT_TRUE(run_until([&] { return sent_index(uplink::extid::kCoachLogin).has_value(); }));
  const std::size_t login = *sent_index(uplink::extid::kCoachLogin);
  EXPECT_FALSE(link_->sent[login].message.resent) << "made while online";
  link_->ack(login);
  ASSERT_TRUE(run_until([&] { return acked(uplink::extid::kCoachLogin) == 1; }));

  // Offline: the student's login is stored and waits; nothing goes out.
  link_->go_offline("the test pulled the cable");
  const std::size_t sent_before = link_->sent.size();
  drive(fixes, 5, 30);
  ASSERT_EQ(check(true, "student", kStudent).status, 200u);
  drive(fixes, 30, 35);
  EXPECT_EQ(link_->sent.size(), sent_before) << "nothing is sent while the link is down";
  EXPECT_FALSE(sent_index(uplink::extid::kStudentLogin).has_value());
  EXPECT_NE(daemon_->backend().status().dump().find("the test pulled the cable"),
            std::string::npos)
      << "/status says why the platform is unreachable";

  // Back online (a new connection): the login made during the outage goes out re-sent (补传).
  clock_.advance(1s);
  link_->go_online(clock_.mono_now());
  ASSERT_TRUE(run_until([&] { return sent_index(uplink::extid::kStudentLogin).has_value(); }));
  const std::size_t student = *sent_index(uplink::extid::kStudentLogin);
  EXPECT_TRUE(link_->sent[student].message.resent);
  link_->ack(student);
  ASSERT_TRUE(run_until([&] { return acked(uplink::extid::kStudentLogin) == 1; }));
}

TEST_F(DaemonOnFakeLink, CoreCommandsReachTheLink) {
  ASSERT_NE(link_, nullptr);
  link_->go_online(clock_.mono_now());
  io_.poll();
  // 0x8103: heartbeat (parameter 0x0001) every 45 s; the link is told.
  uplink::SetTerminalParams set;
  set.params.push_back({0x0001, {0, 0, 0, 45}});
  auto body = set.encode();
  ASSERT_TRUE(body);
  EXPECT_EQ(link_->core_command(uplink::msgid::kSetParams, *body), 0);
  ASSERT_FALSE(link_->heartbeats.empty());
  EXPECT_EQ(link_->heartbeats.back(), 45s);

  // 0x8104: every parameter answered with a 0x0104 on the link, the heartbeat among them.
  EXPECT_EQ(link_->core_command(uplink::msgid::kQueryParams, {}), 0);
  ASSERT_EQ(link_->replies.size(), 1u);
  EXPECT_EQ(link_->replies[0].first, uplink::msgid::kQueryParamsReply);
  auto reply = uplink::QueryTerminalParamsReply::decode(link_->replies[0].second);
  ASSERT_TRUE(reply) << reply.error().message;
  bool heartbeat_seen = false;
  for (const auto& p : reply->params) {
    if (p.id == 0x0001) heartbeat_seen = p.value == uplink::Bytes{0, 0, 0, 45};
  }
  EXPECT_TRUE(heartbeat_seen);

  // 0x8105 reset: acked, and the reconnect comes after the command's handler returned.
  auto reset = uplink::TerminalControl{4, ""}.encode();
  ASSERT_TRUE(reset);
  EXPECT_EQ(link_->core_command(uplink::msgid::kTerminalControl, *reset), 0);
  EXPECT_TRUE(link_->reconnects.empty());
  io_.poll();
  ASSERT_EQ(link_->reconnects.size(), 1u);
  EXPECT_NE(link_->reconnects[0].find("0x8105"), std::string::npos);
  // An unsupported control command is answered "unsupported" and changes nothing.
  auto other = uplink::TerminalControl{1, ""}.encode();
  ASSERT_TRUE(other);
  EXPECT_EQ(link_->core_command(uplink::msgid::kTerminalControl, *other), 3);
  io_.poll();
  EXPECT_EQ(link_->reconnects.size(), 1u);
}

TEST_F(DaemonOnFakeTimers, PositionReportsFollowThePlatformsIntervalOnVirtualTime) {
  ASSERT_NE(link_, nullptr);
  ASSERT_NE(timers_, nullptr);
  link_->go_online(clock_.mono_now());
  io_.poll();
  const auto fixes = route(600);

  // The default interval with the ignition on is 30 s (0x0029): three reports in 95 s.
  drive(fixes, 0, 95);
  ASSERT_EQ(link_->positions.size(), 3u);
  const auto& last = link_->positions.back().basic;
  EXPECT_TRUE(last.latitude_udeg.has_value()) << "the report carries the last fix";
  EXPECT_TRUE(last.time.has_value());

  // 0x8103 sets 10 s: the timer is armed again at once, so 35 s bring three more.
  uplink::SetTerminalParams set;
  set.params.push_back({0x0029, {0, 0, 0, 10}});
  auto body = set.encode();
  ASSERT_TRUE(body);
  ASSERT_EQ(link_->core_command(uplink::msgid::kSetParams, *body), 0);
  drive(fixes, 95, 130);
  EXPECT_EQ(link_->positions.size(), 6u);

  // Offline, nothing is sent and nothing piles up: positions are not stored for later.
  link_->go_offline("the test pulled the cable");
  drive(fixes, 130, 160);
  EXPECT_EQ(link_->positions.size(), 6u);
  link_->go_online(clock_.mono_now());
  drive(fixes, 160, 181);
  EXPECT_EQ(link_->positions.size(), 8u) << "reports resume at the 10 s interval";
}

TEST_F(DaemonOnFakeTimers, NothingFiresWhileTheClockStandsStill) {
  ASSERT_NE(timers_, nullptr);
  link_->go_online(clock_.mono_now());
  // The loop runs, but no virtual time passes: the 30 s report is not due.
  for (int i = 0; i < 50; ++i) io_.poll();
  EXPECT_TRUE(link_->positions.empty());
  EXPECT_GE(timers_->pending(), 1u) << "the report timer waits on the scheduler";
  timers_->advance(30s);
  EXPECT_EQ(link_->positions.size(), 1u);
}

/// A classroom kiosk need not name a GNSS source (issue #14): its position is [classroom]'s.
/// The daemon starts without one and /status says so.
TEST(DaemonClassroom, AKioskWithoutAGnssSourceStarts) {
  const fs::path dir = fs::temp_directory_path() / ("tta-dkiosk-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  config::Config cfg = testing::test_config(
      {.terminal = "mode = \"classroom\"\n",
       .sections = "[classroom]\nlatitude = 32.044\nlongitude = 118.785\n"
                   "course_code = \"2212110000\"\n"});
  cfg.gps.source.clear();
  cfg.store = {dir / "tta.db", dir / "store.key"};
  ASSERT_TRUE(store::init_store(cfg.store));
  auto st = store::Store::open(cfg.store);
  ASSERT_TRUE(st) << st.error().message;
  boost::asio::io_context io;
  FakeClock clock;
  agent::DaemonParts parts{.gnss = nullptr, .vehicle = nullptr,
                           .faces = std::make_unique<testing::FakeFaceChecker>()};
  parts.platform = [](uplink::CredentialStore&, uplink::SessionListener& listener) {
    return std::make_unique<testing::FakePlatformLink>(listener);
  };
  {
    agent::Daemon d(io, cfg, *st, clock, std::move(parts), agent::DaemonOptions{.serve_control = false});
    auto started = d.start();
    ASSERT_TRUE(started) << started.error().message;
    io.poll();
    const auto g = d.backend().status()["sources"]["gnss"];
    EXPECT_NE(g.value("state", "").find("not configured"), std::string::npos) << g.dump();
    EXPECT_TRUE(g["last_fix_age_s"].is_null());
    // A kiosk asks for a blink by default (face.liveness_challenge = "auto"), and says so for
    // the screen to prompt.
    const auto asked = d.backend().status()["sources"]["camera"]["challenge"];
    EXPECT_EQ(asked.value("code", ""), "blink") << asked.dump();
    EXPECT_NE(asked.value("prompt_zh", "").find("眨"), std::string::npos) << asked.dump();
    EXPECT_FALSE(asked.value("prompt", "").empty()) << asked.dump();
    d.stop();
    io.poll();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tta
