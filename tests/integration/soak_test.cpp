// The soak on virtual time (issue #14 item 8): a vehicle terminal and a classroom terminal, each
// a whole Daemon in this process on fakes (clock, timers, GNSS, vehicle signals, face checker;
// tests/support/), train for hours against the platform simulator's real core on the same
// event loop, while seeded random faults come and go: connection drops, refusals, corrupt
// frames, a silent platform, lost sub-packets, GNSS outages, the camera gone; and hostile
// clients send the control API malformed requests (through the router and as raw bytes to
// the listening socket). Then the faults stop and the outboxes drain. It must end with every
// minute either terminal made at the simulator exactly once (by record number), nothing at
// the simulator that no terminal made, and open file descriptors and RSS flat.
//
//   TTA_SOAK_HOURS  virtual hours of training (default 1; bench/soak runs 8)
//   TTA_SOAK_SEED   seed of every random choice (default 20261207; printed)
//   TTA_SOAK_LOG    1: show the agent's warnings (thousands of them)
//
// Entries the platform refused max_refusals times stay `refused` (as designed); the soak then
// does what the administrator does (outbox retry) and reports how many needed it.
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "control/api.hpp"
#include "daemon/daemon.hpp"
#include "daemon/parts.hpp"
#include "outbox/forwarder.hpp"
#include "outbox/kinds.hpp"
#include "sim.hpp"
#include "support/engine_fixture.hpp"
#include "support/fake_face_checker.hpp"
#include "support/fake_gnss_source.hpp"
#include "support/fake_scheduler.hpp"
#include "support/fake_vehicle_signals.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/route_sim.hpp"
#include "tta/store/store.hpp"

// Under AddressSanitizer freed memory waits in a quarantine (256 MiB by default) before it is
// reused, so RSS climbs by the quarantine's size whether or not anything grows: the soak keeps
// it small enough that "RSS flat" still means something in the sanitizer build.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TTA_SOAK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(TTA_SOAK_ASAN)
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=8"; }
#endif

namespace tta {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

constexpr const char* kTemplateCoach = "3201000000000201";

/// One terminal: its store, its fakes, its daemon.
struct Terminal {
  std::string name;
  bool classroom = false;
  fs::path dir;
  config::Config cfg;
  std::optional<store::Store> store;
  testing::FakeGnssSource* gnss = nullptr;
  testing::FakeVehicleSignals* signals = nullptr;
  testing::FakeFaceChecker* faces = nullptr;
  testing::FakeScheduler* timers = nullptr;
  std::optional<agent::Daemon> daemon;
  std::vector<std::string> students;
  std::vector<gps::Fix> fixes;  ///< SIMULATED: a route (vehicle) or a stay (classroom)
  // The training plan: who is in, and when the next change is due.
  std::set<std::string> in;
  bool coach_in = false;
  WallTime next_change{};
  std::size_t next_student = 0;
  int checkins = 0, checkouts = 0, refused_checks = 0;
  std::string last_refusal;  ///< the last check the terminal refused, for the report
};

/// A passed face check whose photo is large enough to go up in sub-packets (3 KB), so that
/// lost sub-packets and 0x8003 re-send requests happen.
agent::FaceEvidence big_face() {
  auto ev = testing::good_face(96);
  ev.jpeg.assign(3000, 0x5A);
  ev.jpeg[0] = 0xFF;
  ev.jpeg[1] = 0xD8;
  ev.jpeg[2998] = 0xFF;
  ev.jpeg[2999] = 0xD9;
  return ev;
}

class Soak : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = static_cast<std::uint64_t>(env_or("TTA_SOAK_SEED", 20261207));
    hours_ = env_or("TTA_SOAK_HOURS", 1);
    rng_.seed(seed_);
    std::cout << "soak: seed " << seed_ << ", " << hours_ << " virtual hour(s)" << std::endl;
    base_ = fs::temp_directory_path() / ("tta-soak-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_);
    sim::SimOptions so;
    so.data_dir = base_ / "platform";
    auto sim = sim::PlatformSim::create(io_, so);
    ASSERT_TRUE(sim) << sim.error().message;
    sim_ = std::move(*sim);
    // 08:00 GMT+8 on 2026-12-07, on the fake clock as on the routes.
    t0_ = *from_civil({2026, 12, 7, 0, 0, 0}, 0s);
    clock_.set_wall(t0_);
  }

  void TearDown() override {
    for (auto& t : terms_) {
      if (t->daemon) t->daemon->stop();
    }
    io_.poll();
    for (auto& t : terms_) t->daemon.reset();
    sim_.reset();
    for (auto& t : terms_) t->store.reset();
    terms_.clear();
    if (!HasFailure()) fs::remove_all(base_);
  }

  Terminal& add_terminal(const std::string& name, bool classroom, int phone_tail) {
    auto t = std::make_unique<Terminal>();
    t->name = name;
    t->classroom = classroom;
    t->dir = base_ / name;
    fs::create_directories(t->dir);
    const std::string_view classroom_terminal = "mode = \"classroom\"\n";
    const std::string_view classroom_section =
        "[classroom]\nlatitude = 32.0440\nlongitude = 118.7850\ncourse_code = \"2212110000\"\n";
    t->cfg = testing::test_config(
        {.terminal = classroom ? classroom_terminal : std::string_view{},
         .gps = testing::kYardFence,
         // Long days: the caps are not what this test is about.
         .training = "daily_practical_max_min = 1440\ndaily_classroom_max_min = 1440\n",
         .sections = classroom ? classroom_section : std::string_view{}});
    t->cfg.terminal.phone = "1380013800" + std::to_string(phone_tail);
    t->cfg.terminal.serial = "000000" + std::to_string(phone_tail);
    t->cfg.terminal.imei = "86000000000000" + std::to_string(phone_tail);
    t->cfg.store = {t->dir / "tta.db", t->dir / "store.key"};
    t->cfg.agent.control_token_file = t->dir / "control.token";
    t->cfg.agent.control_listen = "127.0.0.1:0";
    t->cfg.uplink.tcp.port = sim_->tcp_port();
    t->cfg.uplink.tcp.ack_timeout_s = 1;  // real seconds: a silent platform is noticed soon
    t->cfg.uplink.tcp.heartbeat_s = 5;
    t->cfg.uplink.tcp.reconnect_max_s = 2;  // real seconds, so the drain is not kept waiting
    EXPECT_TRUE(store::init_store(t->cfg.store));
    EXPECT_TRUE(agent::ensure_control_token(t->cfg.agent.control_token_file));
    auto s = store::Store::open(t->cfg.store);
    if (!s) {
      ADD_FAILURE() << s.error().message;
      std::abort();
    }
    t->store.emplace(std::move(*s));
    const std::vector<std::uint8_t> templ(512, 1);
    EXPECT_TRUE(t->store->people().add({.role = store::Role::coach, .national_no = kTemplateCoach,
                                        .id_card = "320106199003071234", .name = "王教练",
                                        .licence_class = "C1", .face_template = templ}, 0));
    for (int i = 0; i < 6; ++i) {
      const std::string no = "32010000000" + std::to_string(phone_tail) + "010" + std::to_string(i);
      EXPECT_TRUE(t->store->people().add({.role = store::Role::student, .national_no = no,
                                          .id_card = "11010519491231002X", .name = "学员",
                                          .licence_class = "C1", .face_template = templ}, 0));
      t->students.push_back(no);
    }
    const int seconds = static_cast<int>(hours_ * 3600 + 3 * 3600);
    if (classroom) {
      t->fixes = gps::simulate_stay(t0_, seconds, 32.0440, 118.7850);
    } else {
      gps::RouteOptions route;
      route.start = t0_;
      route.seconds = seconds;
      route.area = t->cfg.gps.fences.front();
      t->fixes = gps::simulate_route(route);
    }
    auto gnss = std::make_unique<testing::FakeGnssSource>();
    auto faces = std::make_unique<testing::FakeFaceChecker>();
    auto timers = std::make_unique<testing::FakeScheduler>(clock_);
    t->gnss = gnss.get();
    t->faces = faces.get();
    t->timers = timers.get();
    agent::DaemonParts parts{.gnss = std::move(gnss), .faces = std::move(faces),
                             .timers = std::move(timers)};
    if (!classroom) {
      auto signals = std::make_unique<testing::FakeVehicleSignals>();
      t->signals = signals.get();
      parts.vehicle = std::move(signals);
    }
    agent::DaemonOptions options;
    options.forwarder.pump_interval = 20ms;
    options.forwarder.retry_max = 5s;  // virtual; an hour passes in seconds
    options.face_checks_inline = true;
    options.start_time = t0_;
    options.classroom_seed = seed_;
    t->daemon.emplace(io_, t->cfg, *t->store, clock_, std::move(parts), std::move(options));
    auto started = t->daemon->start();
    EXPECT_TRUE(started) << started.error().message;
    t->next_change = t0_ + 30s;
    terms_.push_back(std::move(t));
    return *terms_.back();
  }

  std::uniform_int_distribution<int> pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi); }
  int roll(int lo, int hi) { return pick(lo, hi)(rng_); }

  agent::control::Response check(Terminal& t, bool in, const std::string& role,
                                 std::optional<std::string> number) {
    std::optional<agent::control::Response> answer;
    agent::control::CheckRequest r{.in = in, .role = role, .number = std::move(number)};
    if (in && role == "student") r.course = t.classroom ? "2212110000" : testing::kCourse;
    t.daemon->backend().check(r, [&](agent::control::Response res) { answer = std::move(res); });
    for (int i = 0; i < 2000 && !answer; ++i) io_.run_one_for(5ms);
    return answer.value_or(agent::control::Response{.status = 0});
  }

  /// The training plan: a vehicle has its coach and one student at a time, each for 20-70
  /// minutes; a classroom has up to three students at once coming and going.
  void plan(Terminal& t, WallTime now, bool stopping) {
    if (now < t.next_change) return;
    t.next_change = now + std::chrono::minutes(roll(1, 10));
    auto tally = [&](const agent::control::Response& r, bool in) {
      if (r.status == 200) {
        (in ? t.checkins : t.checkouts)++;
        return true;
      }
      ++t.refused_checks;  // the camera gone, say: tried again at the next change
      t.last_refusal = std::to_string(r.status) + " " + r.body.dump();
      return false;
    };
    if (stopping) {
      for (auto it = t.in.begin(); it != t.in.end();) {
        if (tally(check(t, false, "student", t.classroom ? std::optional(*it) : std::nullopt), false)) {
          it = t.in.erase(it);
        } else {
          ++it;
        }
      }
      if (t.in.empty() && t.coach_in && tally(check(t, false, "coach", std::nullopt), false)) {
        t.coach_in = false;
      }
      t.next_change = now + 1min;
      return;
    }
    if (!t.classroom && !t.coach_in) {
      if (tally(check(t, true, "coach", std::string(kTemplateCoach)), true)) t.coach_in = true;
      return;
    }
    const std::size_t room = t.classroom ? 3 : 1;
    if (!t.in.empty() && (t.in.size() >= room || roll(0, 2) == 0)) {
      const std::string who = *std::next(t.in.begin(), roll(0, static_cast<int>(t.in.size()) - 1));
      if (tally(check(t, false, "student", t.classroom ? std::optional(who) : std::nullopt), false)) {
        t.in.erase(who);
      }
      t.next_change = now + std::chrono::minutes(roll(1, 5));
      return;
    }
    const std::string who = t.students[t.next_student % t.students.size()];
    if (t.in.contains(who)) {
      ++t.next_student;
      return;
    }
    if (tally(check(t, true, "student", who), true)) {
      t.in.insert(who);
      ++t.next_student;
      t.next_change = now + std::chrono::minutes(roll(20, 70));
    }
  }

  /// Malformed requests from a hostile local client, straight to the router and, now and
  /// then, as raw bytes to the listening socket. None may change what is trained.
  void hostile(Terminal& t) {
    static const std::vector<std::pair<std::string, std::string>> kRequests = {
        {"POST /checkin", R"({"role":"student","number":3201000000000101})"},
        {"POST /checkin", R"({"role":7,"number":"3201000000000101"})"},
        {"POST /checkin", R"({"role":"student","number":"3201","course":[1,2]})"},
        {"POST /checkin", "{\"role\":\"student\",\"number\":\"\xff\xfe\"}"},
        {"POST /checkout", R"({"role":{"a":1}})"},
        {"POST /checkout", "not json at all"},
        {"POST /checkin", R"({"role":"astronaut","number":"1"})"},
        {"GET /status?x=%zz", ""},
        {"DELETE /status", ""},
        {"GET /../../etc/passwd", ""},
        {"POST /enrol", R"({"number":null,"photo":12})"},
        {"GET /progress?number=" + std::string(300, '9'), ""},
        {"POST /ack", R"({"id":"x"})"},
        {"PUT /checkin", "{}"},
    };
    const auto& request =
        kRequests[static_cast<std::size_t>(roll(0, static_cast<int>(kRequests.size()) - 1))];
    const std::string line = request.first;
    const std::string body = request.second;
    const auto sp = line.find(' ');
    const std::string method = line.substr(0, sp);
    const std::string target = line.substr(sp + 1);
    // The answer may come later (after a face check): nothing of this frame is captured.
    const bool is_check = line.rfind("POST /check", 0) == 0;
    agent::control::route(t.daemon->backend(), method, target, body,
                          [this, is_check](const agent::control::Response& r) {
                            ++hostile_answered_;
                            if (r.status == 200 && is_check) ++hostile_accepted_;
                          });
    ++hostile_sent_;
    if (roll(0, 9) == 0 && t.daemon->control_port() != 0) {
      // Raw garbage, an oversized header, or a body longer than the cap, without a token.
      boost::asio::ip::tcp::socket sock(io_);
      boost::system::error_code ec;
      sock.connect({boost::asio::ip::make_address("127.0.0.1"), t.daemon->control_port()}, ec);
      if (!ec) {
        std::string junk;
        switch (roll(0, 2)) {
          case 0: junk = "\x16\x03\x01garbage\r\n\r\n"; break;
          case 1: junk = "GET /status HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"; break;
          default:
            junk = "POST /checkin HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n" + std::string(4096, '{');
        }
        boost::asio::write(sock, boost::asio::buffer(junk), ec);
        for (int i = 0; i < 5; ++i) io_.poll();
        sock.close(ec);
        ++hostile_raw_;
      }
    }
  }

  /// A new fault spell: what breaks and for how long.
  void new_spell(WallTime now) {
    sim::FaultPlan f;
    gnss_out_ = false;
    camera_gone_ = false;
    spell_ = roll(0, 8);
    switch (spell_) {
      case 0: break;  // a quiet spell
      case 1: f.drop_every = static_cast<std::uint32_t>(roll(5, 40)); break;
      case 2: f.refuse_every = static_cast<std::uint32_t>(roll(2, 6)); break;
      case 3: f.corrupt_every = static_cast<std::uint32_t>(roll(3, 15)); break;
      case 4: f.silent_after = static_cast<std::uint32_t>(roll(3, 30)); break;
      case 5: f.lose_subpacket_every = static_cast<std::uint32_t>(roll(1, 3)); break;
      case 6: gnss_out_ = true; break;
      case 7: camera_gone_ = true; break;
      default:  // several at once
        f.drop_every = 25;
        f.refuse_every = 4;
        f.corrupt_every = 9;
        f.lose_subpacket_every = 2;
        gnss_out_ = roll(0, 1) == 1;
    }
    ++spells_[spell_];
    sim_->set_faults(f);
    for (auto& t : terms_) {
      if (camera_gone_) {
        t->faces->answer({.performed = false, .outcome = "camera_unavailable"});
      } else {
        t->faces->answer(big_face());
      }
    }
    spell_end_ = now + std::chrono::minutes(roll(3, 25));
  }

  /// One virtual second for every terminal: its fix (unless GNSS is out), its signals, its
  /// timers, then the loop; a silent platform gets real milliseconds to time out in.
  void second(std::size_t i) {
    clock_.advance(1s);
    for (auto& t : terms_) {
      t->timers->run_due();
      if (i >= t->fixes.size()) continue;
      const auto& fix = t->fixes[i];
      if (t->signals) {
        const double kmh = std::isnan(fix.speed_kmh) ? 0 : fix.speed_kmh;
        t->signals->emit({.at = *fix.utc(), .ignition_on = true, .engine_rpm = 1500,
                          .sensor_speed_kmh = kmh});
      }
      if (!gnss_out_ || t->classroom) t->gnss->emit(fix);
    }
    io_.poll();
    if (spell_ == 4 || spell_ == 1) io_.run_for(1ms);
  }

  /// Entries for the timing platform not yet settled. The HTTPS kinds are left out: without
  /// uplink.http.base_url the teaching logs are kept in the outbox for a later HTTPS
  /// platform (issue #14 item 10), so they never settle here.
  std::int64_t unsettled(Terminal& t) {
    auto n = agent::unsettled_deliveries(t.store->outbox(), /*https=*/false);
    return n ? *n : -1;
  }

  std::uint64_t seed_ = 0;
  long hours_ = 1;
  std::mt19937_64 rng_;
  fs::path base_;
  boost::asio::io_context io_;
  FakeClock clock_;
  WallTime t0_{};
  std::unique_ptr<sim::PlatformSim> sim_;
  std::vector<std::unique_ptr<Terminal>> terms_;
  int spell_ = 0;
  WallTime spell_end_{};
  bool gnss_out_ = false;
  bool camera_gone_ = false;
  std::map<int, int> spells_;
  int hostile_sent_ = 0, hostile_raw_ = 0, hostile_accepted_ = 0, hostile_answered_ = 0;
};

TEST_F(Soak, HoursOfTrainingUnderRandomFaultsEveryMinuteAtThePlatformOnce) {
  const auto wall_start = std::chrono::steady_clock::now();
  Terminal& car = add_terminal("vehicle", false, 1);
  Terminal& room = add_terminal("classroom", true, 2);
  ASSERT_FALSE(HasFailure());
  for (auto& t : terms_) t->faces->answer(big_face());
  // The daemons set the log level from their config at start; hours of faults make thousands
  // of warnings, TTA_SOAK_LOG=1 shows them.
  if (env_or("TTA_SOAK_LOG", 0) == 0) spdlog::set_level(spdlog::level::err);
  const auto online = [&] { return car.daemon->online() && room.daemon->online(); };
  for (int i = 0; i < 2000 && !online(); ++i) io_.run_one_for(10ms);
  ASSERT_TRUE(online()) << sim_->summary().dump();

  const std::size_t train_s = static_cast<std::size_t>(hours_) * 3600;
  std::size_t max_fds = 0, fds_first = 0;
  long max_rss = 0, rss_first = 0;
  spell_end_ = t0_ + 10min;
  std::size_t i = 0;
  for (; i < train_s; ++i) {
    const WallTime now = clock_.wall_now();
    if (now >= spell_end_) new_spell(now);
    second(i);
    for (auto& t : terms_) plan(*t, clock_.wall_now(), false);
    if (i % 60 == 30) hostile(*terms_[static_cast<std::size_t>(roll(0, 1))]);
    if (i % 900 == 0) {
      const auto fds = open_fds();
      const auto rss = rss_kib();
      max_fds = std::max(max_fds, fds);
      max_rss = std::max(max_rss, rss);
      if (i == 900) {
        fds_first = fds;
        rss_first = rss;
      }
    }
  }
  // The faults end; everyone checks out; the outboxes drain on the clock.
  sim_->set_faults({});
  gnss_out_ = false;
  camera_gone_ = false;
  spell_ = 0;
  for (auto& t : terms_) {
    t->faces->answer(big_face());
    t->next_change = clock_.wall_now();  // everyone out now, not at the planned time
  }
  const std::size_t end_train = i;
  for (; i < end_train + 600; ++i) {
    second(i);
    for (auto& t : terms_) plan(*t, clock_.wall_now(), true);
  }
  for (auto& t : terms_) {
    EXPECT_TRUE(t->in.empty() && !t->coach_in)
        << t->name << ": still checked in at the end; last refusal: " << t->last_refusal;
  }
  // Refused entries (max_refusals reached while the platform refused): the administrator's
  // retry, as `tta-agent outbox retry --all-refused` does it.
  std::int64_t requeued = 0;
  const auto drain_deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < drain_deadline) {
    for (auto& t : terms_) {
      auto refused = t->store->outbox().refused(1000);
      if (refused) {
        for (const auto& e : *refused) {
          if (t->store->outbox().requeue(e.id, unix_millis(clock_.wall_now()))) ++requeued;
        }
      }
    }
    if (unsettled(car) == 0 && unsettled(room) == 0 &&
        car.daemon->deliveries_in_flight() == 0 && room.daemon->deliveries_in_flight() == 0) {
      break;
    }
    second(i++);
    io_.run_for(2ms);
  }
  const auto fds_end = open_fds();
  const auto rss_end = rss_kib();
  max_fds = std::max(max_fds, fds_end);
  max_rss = std::max(max_rss, rss_end);
  EXPECT_EQ(unsettled(car), 0) << "the vehicle's outbox drained";
  EXPECT_EQ(unsettled(room), 0) << "the classroom's outbox drained";

  // Every minute made is at the simulator exactly once; nothing else is.
  std::map<std::string, int> at_platform;
  for (const auto& m : sim_->minutes()) ++at_platform[m.value("record_no", "")];
  std::set<std::string> made;
  std::map<std::string, std::size_t> made_by;
  for (auto& t : terms_) {
    auto nos = t->store->minute_record_numbers();
    ASSERT_TRUE(nos);
    made_by[t->name] = nos->size();
    made.insert(nos->begin(), nos->end());
  }
  std::size_t missing = 0, twice = 0;
  for (const auto& no : made) {
    const auto it = at_platform.find(no);
    if (it == at_platform.end()) {
      ++missing;
      if (missing <= 5) ADD_FAILURE() << "minute " << no << " never reached the platform";
    } else if (it->second != 1) {
      ++twice;
    }
  }
  std::size_t unknown = 0;
  for (const auto& [no, n] : at_platform) unknown += made.contains(no) ? 0 : 1;
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(twice, 0u);
  EXPECT_EQ(unknown, 0u) << "minutes at the platform that no terminal made";
  EXPECT_GT(made_by["vehicle"], static_cast<std::size_t>(hours_) * 20) << "the vehicle trained";
  EXPECT_GT(made_by["classroom"], static_cast<std::size_t>(hours_) * 20) << "the class trained";
  EXPECT_EQ(hostile_accepted_, 0) << "a malformed check-in or check-out was taken";
  EXPECT_EQ(hostile_answered_, hostile_sent_) << "every hostile request got one answer";

  // Flat: no descriptor or memory growth with the hours (the first sample after 15 minutes,
  // when both terminals are connected and their stores warm).
  EXPECT_LE(max_fds, fds_first + 16) << "open file descriptors grew";
  EXPECT_LE(rss_end, rss_first + 64 * 1024) << "RSS grew by more than 64 MiB";

  const auto summary = sim_->summary();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  json spells = json::object();
  for (const auto& [k, n] : spells_) spells[std::to_string(k)] = n;
  json report{{"seed", seed_},
              {"virtual_hours", hours_},
              {"minutes_made", made.size()},
              {"minutes_made_vehicle", made_by["vehicle"]},
              {"minutes_made_classroom", made_by["classroom"]},
              {"minutes_at_platform", at_platform.size()},
              {"missing", missing},
              {"duplicates_stored", twice},
              {"copies_resent_and_deduplicated", summary.value("duplicates", 0)},
              {"refused_then_retried_by_hand", requeued},
              {"checkins", car.checkins + room.checkins},
              {"checkouts", car.checkouts + room.checkouts},
              {"checks_refused", car.refused_checks + room.refused_checks},
              {"hostile_requests", hostile_sent_},
              {"hostile_raw_connections", hostile_raw_},
              {"fault_spells", spells},
              {"platform_connections", summary.value("connections", 0)},
              {"dropped_by_fault", summary.value("dropped_by_fault", 0)},
              {"corrupted_by_fault", summary.value("corrupted_by_fault", 0)},
              {"minutes_refused_by_platform", summary.value("minutes_refused", 0)},
              {"resend_requests", summary.value("resend_requests", 0)},
              {"max_fds", max_fds},
              {"fds_first", fds_first},
              {"max_rss_kib", max_rss},
              {"rss_first_kib", rss_first},
              {"rss_end_kib", rss_end},
              {"wall_s", wall_s}};
  std::cout << "soak report: " << report.dump() << std::endl;
}

}  // namespace
}  // namespace tta
