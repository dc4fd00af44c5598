// The gpsd:// source against a real gpsd fed by gpsfake (Debian's gpsd and gpsd-clients) with a
// shared receiver log (../shared/data/nmea/bt451.log, a u-blox receiver in a moving car), and
// gpsd restarting mid-session: the source logs the loss, reconnects on its own, logs that,
// and fixes resume (issue #14, "missing hardware is a state"). Real processes, so waits are
// polls with deadlines, never fixed sleeps.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "support/needs.hpp"
#include "tta/gps/source.hpp"

extern char** environ;

namespace tta::gps {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kGpsfake = "/usr/bin/gpsfake";
constexpr const char* kGpsd = "/usr/sbin/gpsd";

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// gpsfake (and the gpsd it starts) in a process group of their own, looping over `log` one
/// sentence every 20 ms on `port`; killed as a group, so no gpsd outlives the test.
class Gpsfake {
 public:
  Gpsfake(std::uint16_t port, const fs::path& log) {
    std::vector<std::string> args = {kGpsfake, "-q", "-n", "-c", "0.02", "-W", "0",
                                     "-P", std::to_string(port), log.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    if (::posix_spawn(&pid_, kGpsfake, nullptr, &attr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawnattr_destroy(&attr);
  }
  ~Gpsfake() { kill(); }
  Gpsfake(const Gpsfake&) = delete;
  Gpsfake& operator=(const Gpsfake&) = delete;
  [[nodiscard]] bool started() const { return pid_ > 0; }
  /// gpsd goes away at once, as when it crashes or its service is restarted.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

/// Run `io` until `done` or the deadline; true when done.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  return done();
}

TEST(gps_Gpsfake, SourceSurvivesAGpsdRestartAndSaysSo) {
  const fs::path log = fs::path(TTA_SHARED_DATA_DIR) / "nmea/bt451.log";
  if (!fs::exists(log)) {
    TTA_SKIP_OR_FAIL_IN_CI() << log << " is absent (../shared/data): gpsfake test skipped";
  }
  if (!fs::exists(kGpsfake) || !fs::exists(kGpsd)) {
    TTA_SKIP_OR_FAIL_IN_CI() << "gpsfake or gpsd not installed (apt-get install gpsd "
                                "gpsd-clients): gpsfake test skipped";
  }
  // The source's log lines, as an operator reads them.
  auto text = std::make_shared<std::ostringstream>();
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "gpsfake", std::make_shared<spdlog::sinks::ostream_sink_mt>(*text)));
  struct Restore {
    std::shared_ptr<spdlog::logger> logger;
    ~Restore() { spdlog::set_default_logger(logger); }
  } restore{previous};

  const std::uint16_t port = free_loopback_port();
  boost::asio::io_context io;
  FakeClock clock;
  // gpsd is down when the source starts: a state, not an error.
  auto src = make_source("gpsd://127.0.0.1:" + std::to_string(port) + "?reconnect_ms=100", io,
                         clock);
  ASSERT_TRUE(src);
  std::vector<Fix> fixes;
  ASSERT_TRUE((*src)->start([&](const Fix& f) {
    if (f.has_fix()) fixes.push_back(f);
  }));
  ASSERT_TRUE(run_until(io, [&] { return (*src)->stats().failed_attempts >= 1; }, 10s));
  EXPECT_EQ((*src)->stats().connects, 0U);
  EXPECT_NE(text->str().find("retrying"), std::string::npos) << text->str();

  auto gpsd = std::make_unique<Gpsfake>(port, log);
  ASSERT_TRUE(gpsd->started());
  ASSERT_TRUE(run_until(io, [&] { return fixes.size() >= 5; }, 60s))
      << "no fixes through gpsfake; last error: " << (*src)->stats().last_error << "\n"
      << text->str();
  EXPECT_EQ((*src)->stats().connects, 1U);
  EXPECT_NE(text->str().find("GNSS gpsd 127.0.0.1:" + std::to_string(port) + ": connected"),
            std::string::npos)
      << text->str();

  // gpsd dies mid-session and comes back on the same port.
  gpsd->kill();
  ASSERT_TRUE(run_until(io, [&] { return (*src)->stats().disconnects >= 1; }, 10s))
      << text->str();
  EXPECT_NE(text->str().find("connection lost"), std::string::npos) << text->str();
  const std::size_t before = fixes.size();
  gpsd = std::make_unique<Gpsfake>(port, log);
  ASSERT_TRUE(gpsd->started());
  ASSERT_TRUE(run_until(io, [&] { return fixes.size() >= before + 5; }, 60s))
      << "fixes did not resume after gpsd came back; last error: "
      << (*src)->stats().last_error << "\n"
      << text->str();
  const auto st = (*src)->stats();
  EXPECT_EQ(st.connects, 2U);
  EXPECT_GE(st.disconnects, 1U);
  EXPECT_EQ(st.decode.lex.bad_checksum, 0U);
  EXPECT_NE(text->str().find("connected again"), std::string::npos) << text->str();
  // The receiver log's car in Lithuania (55.8 N, 23.6 E), before and after the restart.
  for (const Fix& f : fixes) {
    EXPECT_NEAR(f.lat_deg, 55.79, 0.02);
    EXPECT_NEAR(f.lon_deg, 23.57, 0.02);
  }
  (*src)->stop();
  gpsd->kill();
  io.run_for(10ms);
}

}  // namespace
}  // namespace tta::gps
