// Sources: URI parsing, replay paced on a FakeClock (no sleeps), replay as fast as possible,
// and a serial port played by a pty.
#include <gtest/gtest.h>

#include <fstream>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "gps_test_util.hpp"
#include "pty_util.hpp"
#include "support/fake_scheduler.hpp"
#include "tta/gps/source.hpp"

namespace tta::gps {
namespace {

using namespace std::chrono_literals;
using test::nmea;

struct UriCase {
  const char* uri;
  bool ok;
  const char* scheme;
  const char* path_or_host;
  std::uint16_t port;
};
class UriTable : public ::testing::TestWithParam<UriCase> {};
TEST_P(UriTable, Parses) {
  const auto& c = GetParam();
  auto u = parse_source_uri(c.uri);
  ASSERT_EQ(u.has_value(), c.ok) << c.uri;
  if (!c.ok) return;
  EXPECT_EQ(u->scheme, c.scheme);
  if (u->scheme == "gpsd") {
    EXPECT_EQ(u->host, c.path_or_host);
    EXPECT_EQ(u->port, c.port);
  } else {
    EXPECT_EQ(u->path, c.path_or_host);
  }
}
INSTANTIATE_TEST_SUITE_P(
    gps, UriTable,
    ::testing::Values(UriCase{"replay:///var/log/a.nmea?rate=1", true, "replay", "/var/log/a.nmea", 0},
                      UriCase{"replay://logs/a.nmea", true, "replay", "logs/a.nmea", 0},
                      UriCase{"serial:///dev/ttyS1?baud=9600", true, "serial", "/dev/ttyS1", 0},
                      UriCase{"gpsd://127.0.0.1:2947", true, "gpsd", "127.0.0.1", 2947},
                      UriCase{"gpsd://localhost", true, "gpsd", "localhost", 2947},
                      UriCase{"gpsd://127.0.0.1:0", false, "", "", 0},
                      UriCase{"gpsd://127.0.0.1:99999", false, "", "", 0},
                      UriCase{"http://x", false, "", "", 0},
                      UriCase{"/dev/ttyS1", false, "", "", 0},
                      UriCase{"serial://", false, "", "", 0},
                      UriCase{"replay:///a?rate", false, "", "", 0}));

TEST(gps_MakeSource, RejectsBadOptions) {
  boost::asio::io_context io;
  FakeClock clock;
  EXPECT_FALSE(make_source("replay:///a.nmea?rate=-1", io, clock));
  EXPECT_FALSE(make_source("replay:///a.nmea?rate=fast", io, clock));
  EXPECT_FALSE(make_source("serial:///dev/ttyS1?baud=12", io, clock));
  EXPECT_FALSE(make_source("serial:///dev/ttyS1?reconnect_ms=0", io, clock));
  EXPECT_TRUE(make_source("serial:///dev/ttyS1?baud=115200", io, clock));
  EXPECT_TRUE(make_source("gpsd://127.0.0.1:2947", io, clock));
}

/// A log of `n` 1 Hz epochs (RMC+GGA) starting at 12:00:00, moving north.
std::string synthetic_log(int n) {
  std::string s = "# synthetic test log\r\n";
  for (int i = 0; i < n; ++i) {
    char t[32], lat[32];
    std::snprintf(t, sizeof t, "1200%02d.00", i);
    std::snprintf(lat, sizeof lat, "3000.%04d", i * 10);
    s += nmea(std::string("GPRMC,") + t + ",A," + lat + ",N,10400.0000,E,10.0,0.0,010126,,,A") + "\r\n";
    s += nmea(std::string("GPGGA,") + t + "," + lat + ",N,10400.0000,E,1,08,0.9,500.0,M,0.0,M,,") + "\r\n";
  }
  return s;
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("tta-gps-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

TEST(gps_ReplaySource, MissingFileFailsAtStart) {
  boost::asio::io_context io;
  FakeClock clock;
  auto src = make_source("replay:///nonexistent/none.nmea", io, clock);
  ASSERT_TRUE(src);
  auto st = (*src)->start([](const Fix&) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::not_found);
}

TEST(gps_ReplaySource, PacedByVirtualClock) {
  const auto path = write_temp("paced.nmea", synthetic_log(5));
  boost::asio::io_context io;
  FakeClock clock;
  ReplaySource src(io, clock, path, 2.0);  // twice real time: one epoch per 500 ms
  std::vector<Fix> got;
  ASSERT_TRUE(src.start([&](const Fix& f) { got.push_back(f); }));
  EXPECT_TRUE(src.poll());
  // The first fix is only known complete when the second epoch starts; it is due at once.
  EXPECT_EQ(got.size(), 1U);
  clock.advance(499ms);
  src.poll();
  EXPECT_EQ(got.size(), 1U);
  clock.advance(1ms);
  src.poll();
  EXPECT_EQ(got.size(), 2U);
  clock.advance(10s);
  EXPECT_FALSE(src.poll());  // all delivered
  ASSERT_EQ(got.size(), 5U);
  EXPECT_TRUE(src.stats().finished);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(got[i].has_fix());
    EXPECT_EQ(got[i].time_of_day.ms, 12 * 3600 * 1000 + static_cast<int>(i) * 1000);
  }
  std::filesystem::remove(path);
}

TEST(gps_ReplaySource, AsFastAsPossibleOnTheIoContext) {
  const auto path = write_temp("fast.nmea", synthetic_log(40) + "garbage\x01\x02\n");
  boost::asio::io_context io;
  FakeClock clock;  // never advanced: rate=0 must not wait for it
  auto src = make_source("replay://" + path.string() + "?rate=0", io, clock);
  ASSERT_TRUE(src);
  int n = 0;
  ASSERT_TRUE((*src)->start([&](const Fix&) { ++n; }));
  io.run();
  EXPECT_EQ(n, 40);
  const auto st = (*src)->stats();
  EXPECT_TRUE(st.finished);
  EXPECT_EQ(st.decode.lex.sentences, 80U);
  EXPECT_EQ(st.decode.lex.comment_lines, 1U);
  std::filesystem::remove(path);
}

TEST(gps_ReplaySource, StopDeliversNothingMore) {
  const auto path = write_temp("stop.nmea", synthetic_log(5));
  boost::asio::io_context io;
  FakeClock clock;
  ReplaySource src(io, clock, path, 1.0);
  int n = 0;
  ASSERT_TRUE(src.start([&](const Fix&) { ++n; }));
  src.poll();
  src.stop();
  clock.advance(1h);
  src.poll();
  io.run();
  EXPECT_EQ(n, 1);
  std::filesystem::remove(path);
}

TEST(gps_SerialSource, ReadsFixesFromAPtyAndNoticesItVanish) {
  test::FakeReceiverPty pty;
  if (!pty.ok()) GTEST_SKIP() << "openpty failed";
  boost::asio::io_context io;
  FakeClock clock;
  auto src = make_source("serial://" + pty.slave_path() + "?baud=9600&reconnect_ms=20", io, clock);
  ASSERT_TRUE(src);
  std::vector<Fix> got;
  ASSERT_TRUE((*src)->start([&](const Fix& f) { got.push_back(f); }));
  io.run_for(50ms);
  EXPECT_TRUE((*src)->stats().connected);
  ASSERT_TRUE(pty.write("\x01\x02noise" + synthetic_log(4)));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (got.size() < 3 && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  ASSERT_EQ(got.size(), 3U);  // the 4th epoch stays open until something closes it
  EXPECT_NEAR(got[1].lat_deg, 30.0 + 0.0010 / 60.0, 1e-9);
  pty.close_master();  // receiver unplugged
  while ((*src)->stats().disconnects == 0 && std::chrono::steady_clock::now() < deadline) {
    io.run_for(20ms);
  }
  const auto st = (*src)->stats();
  EXPECT_EQ(st.disconnects, 1U);
  EXPECT_FALSE(st.connected);
  EXPECT_FALSE(st.last_error.empty());
  EXPECT_EQ(got.size(), 4U);  // the open epoch was flushed when the device vanished
  (*src)->stop();
  io.run_for(50ms);
}

TEST(gps_SerialSource, MissingDeviceRetriesWithoutFailing) {
  boost::asio::io_context io;
  FakeClock clock;
  auto src = make_source("serial:///dev/tta-no-such-tty?reconnect_ms=10", io, clock);
  ASSERT_TRUE(src);
  ASSERT_TRUE((*src)->start([](const Fix&) {}));
  io.run_for(100ms);
  const auto st = (*src)->stats();
  EXPECT_FALSE(st.connected);
  EXPECT_EQ(st.connects, 0U);
  EXPECT_NE(st.last_error.find("tta-no-such-tty"), std::string::npos);
  (*src)->stop();
}

}  // namespace
}  // namespace tta::gps

namespace tta::gps {
namespace {

TEST(gps_ReplaySource, PacedOnTheRealClockThroughItsTimer) {
  const auto path = write_temp("realtime.nmea", synthetic_log(5));
  boost::asio::io_context io;
  SystemClock clock;
  auto src = make_source("replay://" + path.string() + "?rate=100", io, clock);  // 10 ms/epoch
  ASSERT_TRUE(src);
  std::vector<MonoTime> at;
  const MonoTime t0 = clock.mono_now();
  ASSERT_TRUE((*src)->start([&](const Fix&) { at.push_back(clock.mono_now()); }));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!(*src)->stats().finished && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
  ASSERT_EQ(at.size(), 5U);
  // Fix i (i s into the log) is never released before i × 10 ms at rate 100.
  for (std::size_t i = 0; i < at.size(); ++i) EXPECT_GE(at[i] - t0, i * 10ms) << i;
  std::filesystem::remove(path);
}

/// The daemon's Scheduler as a live source's back-off timer, recording each delay asked for.
class RecordingScheduler final : public Scheduler {
 public:
  explicit RecordingScheduler(FakeClock& clock) : inner(clock) {}
  std::uint64_t after(std::chrono::nanoseconds d, Task t) override {
    delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d));
    return inner.after(d, std::move(t));
  }
  void cancel(std::uint64_t id) override { inner.cancel(id); }
  tta::testing::FakeScheduler inner;
  std::vector<std::chrono::milliseconds> delays;
};

/// A receiver that is absent (or a gpsd that is down) at start: the source keeps retrying on
/// the Scheduler (virtual time), each wait jittered in [b/2, b] with b doubling from
/// reconnect_ms up to 30 s, and counts and says why.
class LiveBackoff : public ::testing::TestWithParam<const char*> {};
TEST_P(LiveBackoff, RetriesOnTheSchedulerJitteredAndBounded) {
  boost::asio::io_context io;
  FakeClock clock;
  RecordingScheduler timers(clock);
  auto src = make_source(GetParam(), io, clock, &timers);
  ASSERT_TRUE(src);
  ASSERT_TRUE((*src)->start([](const Fix&) {}));
  constexpr std::size_t kTries = 9;
  while (timers.delays.size() < kTries) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (timers.inner.pending() == 0 && std::chrono::steady_clock::now() < deadline) {
      io.restart();  // the loop ran out of work while the retry waited on virtual time
      io.run_for(5ms);  // a refused connect completes on the loop
    }
    ASSERT_EQ(timers.inner.pending(), 1U) << "no retry was scheduled";
    timers.inner.advance(timers.delays.back());  // the retry runs on virtual time
  }
  bool jittered = false;
  std::chrono::milliseconds b{1000};
  for (const auto d : timers.delays) {
    EXPECT_GE(d, b / 2);
    EXPECT_LE(d, b);
    if (d != b) jittered = true;
    b = std::min(b * 2, std::chrono::milliseconds(30'000));
  }
  EXPECT_TRUE(jittered);
  EXPECT_LE(timers.delays.back(), 30s) << "bounded";
  const auto st = (*src)->stats();
  EXPECT_GE(st.failed_attempts, kTries);
  EXPECT_EQ(st.connects, 0U);
  EXPECT_FALSE(st.last_error.empty());
  (*src)->stop();
  EXPECT_EQ(timers.inner.pending(), 0U) << "stop cancels the pending retry";
}
INSTANTIATE_TEST_SUITE_P(gps_Sources, LiveBackoff,
                         ::testing::Values("serial:///dev/ttyTTA-not-plugged-in?reconnect_ms=1000",
                                           "gpsd://127.0.0.1:1?reconnect_ms=1000"),
                         [](const auto& param_info) {
                           return std::string(param_info.index == 0 ? "serial" : "gpsd");
                         });

}  // namespace
}  // namespace tta::gps
