// Integration: a real gpsd (Debian package gpsd) reads a pty fed by our own replayer; the
// gpsd:// source reads the fixes back through gpsd's JSON WATCH protocol with raw NMEA.
// Waiting for the external daemon is polling with a deadline, never a fixed sleep.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>

#include "support/needs.hpp"
#include "gps_test_util.hpp"
#include "pty_util.hpp"
#include "tta/gps/source.hpp"

extern char** environ;

namespace tta::gps {
namespace {

using namespace std::chrono_literals;
using test::nmea;

constexpr const char* kGpsd = "/usr/sbin/gpsd";

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// One epoch of a car driving north at 36 km/h from 31.0 N 121.0 E (Shanghai), epoch `i`.
std::string epoch(int i) {
  char t[32], lat[32];
  std::snprintf(t, sizeof t, "08%02d%02d.00", (i / 60) % 60, i % 60);
  const double min = 0.005396 * i;  // 10 m per epoch in arc-minutes of latitude
  std::snprintf(lat, sizeof lat, "31%09.6f", min);
  std::string s;
  s += nmea(std::string("GPGGA,") + t + "," + lat + ",N,12100.000000,E,1,09,0.8,12.0,M,8.0,M,,") + "\r\n";
  s += nmea("GPGSA,A,3,01,03,06,09,12,17,19,22,28,,,,1.5,0.8,1.2") + "\r\n";
  s += nmea(std::string("GPRMC,") + t + ",A," + lat + ",N,12100.000000,E,19.44,0.0,271126,,,A") + "\r\n";
  return s;
}

class GpsdProcess {
 public:
  GpsdProcess(std::uint16_t port, const std::string& device) {
    const std::string p = std::to_string(port);
    std::vector<std::string> args = {kGpsd, "-N", "-n", "-b", "-S", p, device};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, kGpsd, nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~GpsdProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  GpsdProcess(const GpsdProcess&) = delete;
  GpsdProcess& operator=(const GpsdProcess&) = delete;
  [[nodiscard]] bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

TEST(gps_GpsdIntegration, FixesThroughRealGpsd) {
  if (!std::filesystem::exists(kGpsd)) {
    TTA_SKIP_OR_FAIL_IN_CI() << kGpsd << " not installed (apt-get install gpsd): gpsd integration skipped";
  }
  test::FakeReceiverPty pty;
  if (!pty.ok()) GTEST_SKIP() << "openpty failed";
  const std::uint16_t port = free_loopback_port();
  GpsdProcess gpsd(port, pty.slave_path());
  ASSERT_TRUE(gpsd.started());

  boost::asio::io_context io;
  FakeClock clock;
  // The replayer: one epoch every 100 ms of real time (gpsd is a real process).
  boost::asio::steady_timer feed(io);
  int next = 0;
  std::function<void()> tick = [&] {
    pty.drain();
    pty.write(epoch(next++));
    feed.expires_after(100ms);
    feed.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();

  auto src = make_source("gpsd://127.0.0.1:" + std::to_string(port) + "?reconnect_ms=100", io, clock);
  ASSERT_TRUE(src);
  std::vector<Fix> got;
  ASSERT_TRUE((*src)->start([&](const Fix& f) { got.push_back(f); }));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (got.size() < 5 && std::chrono::steady_clock::now() < deadline) io.run_for(50ms);
  (*src)->stop();
  feed.cancel();
  io.run_for(10ms);

  ASSERT_GE(got.size(), 5U) << "no fixes from gpsd within 30 s; last error: "
                            << (*src)->stats().last_error;
  const auto st = (*src)->stats();
  EXPECT_GE(st.connects, 1U);
  EXPECT_GE(st.json_lines, 1U);  // VERSION/DEVICES/WATCH reports
  EXPECT_EQ(st.decode.lex.bad_checksum, 0U);
  for (const Fix& f : got) {
    EXPECT_TRUE(f.has_fix());
    EXPECT_NEAR(f.lon_deg, 121.0, 1e-9);
    EXPECT_NEAR(f.speed_kmh, 19.44 * 1.852, 1e-9);
    EXPECT_EQ(f.sats_used, 9);
    // Latitude is exactly what our replayer sent for that epoch's time.
    const int i = f.time_of_day.ms / 1000 - 8 * 3600;
    EXPECT_NEAR(f.lat_deg, 31.0 + 0.005396 * i / 60.0, 1e-9) << i;
  }
}

}  // namespace
}  // namespace tta::gps
