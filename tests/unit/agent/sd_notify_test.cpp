// sd_notify without libsystemd (agent/src/daemon/sd_notify.hpp): every message is checked as it
// arrives on a real bound Unix datagram socket, path and abstract.
#include "daemon/sd_notify.hpp"
#include "support/scoped_env.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace sd = tta::agent::sd;
using tta::test::ScopedEnv;
using namespace std::chrono_literals;

namespace {

/// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
class Listener {
 public:
  /// `name` starting with '@' binds in the abstract namespace, otherwise a path.
  explicit Listener(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') sa.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                            (name_[0] == '@' ? 0 : 1));
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len), 0) << std::strerror(errno);
  }
  ~Listener() {
    ::close(fd_);
    if (name_[0] != '@') ::unlink(name_.c_str());
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// The next datagram already queued, or nothing (never waits).
  std::optional<std::string> take() {
    char buf[512];
    const auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int fd_ = -1;
};

std::string temp_socket_path() {
  return (std::filesystem::temp_directory_path() /
          ("tta-sd-" + std::to_string(::getpid()) + "-" +
           std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name()))
      .string();
}

}  // namespace

TEST(SdNotify, SendsOneDatagramToAPathSocket) {
  Listener systemd(temp_socket_path());
  ASSERT_TRUE(sd::notify_to(systemd.name(), "READY=1"));
  EXPECT_EQ(systemd.take(), "READY=1");
  EXPECT_EQ(systemd.take(), std::nullopt);
}

TEST(SdNotify, AtMeansTheAbstractNamespace) {
  const std::string name = "@tta-sd-test-" + std::to_string(::getpid());
  Listener systemd(name);
  ASSERT_TRUE(sd::notify_to(name, "STATUS=ok\nREADY=1"));
  EXPECT_EQ(systemd.take(), "STATUS=ok\nREADY=1");
  // The same name as a path is another socket, which does not exist.
  EXPECT_FALSE(sd::notify_to("/" + name.substr(1), "READY=1"));
}

TEST(SdNotify, FailsWhenNobodyListens) {
  const auto path = temp_socket_path();
  auto sent = sd::notify_to(path, "READY=1");
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, tta::Errc::unavailable);
  EXPECT_NE(sent.error().message.find(path), std::string::npos);
}

TEST(SdNotify, RefusesMalformedAddresses) {
  EXPECT_FALSE(sd::notify_to("", "READY=1"));
  EXPECT_FALSE(sd::notify_to("@", "READY=1"));
  EXPECT_FALSE(sd::notify_to("relative/socket", "READY=1"));
  EXPECT_FALSE(sd::notify_to("/" + std::string(200, 'x'), "READY=1"));
}

TEST(SdNotify, NotifyReadsNotifySocket) {
  Listener systemd(temp_socket_path());
  {
    ScopedEnv env("NOTIFY_SOCKET", systemd.name().c_str());
    ASSERT_TRUE(sd::notify("WATCHDOG=1"));
  }
  EXPECT_EQ(systemd.take(), "WATCHDOG=1");
  ScopedEnv unset("NOTIFY_SOCKET", nullptr);
  EXPECT_TRUE(sd::notify("READY=1"));  // outside systemd: nothing to do, not an error
  EXPECT_EQ(systemd.take(), std::nullopt);
}

TEST(SdNotify, WatchdogIntervalAsSdWatchdogEnabled) {
  const auto self = std::to_string(::getpid());
  EXPECT_EQ(sd::watchdog_interval("30000000", nullptr), std::chrono::microseconds(30'000'000));
  EXPECT_EQ(sd::watchdog_interval("30000000", self.c_str()), 30s);
  EXPECT_EQ(sd::watchdog_interval("30000000", ""), 30s);
  EXPECT_EQ(sd::watchdog_interval("30000000", "1"), std::nullopt);  // another process's
  EXPECT_EQ(sd::watchdog_interval(nullptr, nullptr), std::nullopt);
  EXPECT_EQ(sd::watchdog_interval("0", nullptr), std::nullopt);
  EXPECT_EQ(sd::watchdog_interval("", nullptr), std::nullopt);
  EXPECT_EQ(sd::watchdog_interval("30s", nullptr), std::nullopt);
  EXPECT_EQ(sd::watchdog_interval("-5", nullptr), std::nullopt);
  EXPECT_EQ(sd::watchdog_interval("30000000", "12x"), std::nullopt);
}

TEST(SdNotify, WatchdogPingsFromTheLoopUntilStopped) {
  boost::asio::io_context io;
  int pings = 0;
  sd::Watchdog watchdog(io, 1ms, [&] { ++pings; });
  watchdog.start();
  EXPECT_EQ(pings, 1);  // at once, not after the first period
  while (pings < 4) {
    ASSERT_EQ(io.run_one_for(2s), 1u) << "the watchdog timer stopped firing";
  }
  watchdog.stop();
  io.restart();
  io.run_for(20ms);  // the cancelled wait completes; no ping follows
  EXPECT_EQ(pings, 4);
}

TEST(SdNotify, ServiceNotifierSaysReadyFeedsTheWatchdogAndSaysStopping) {
  Listener systemd(temp_socket_path());
  ScopedEnv socket("NOTIFY_SOCKET", systemd.name().c_str());
  ScopedEnv usec("WATCHDOG_USEC", "2000");  // fed every 1 ms
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()).c_str());
  boost::asio::io_context io;
  sd::ServiceNotifier notifier(io);
  notifier.start();
  EXPECT_EQ(systemd.take(), std::nullopt);  // not before the loop runs
  ASSERT_EQ(io.run_one(), 1u);
  EXPECT_EQ(systemd.take(), "READY=1");
  EXPECT_EQ(systemd.take(), "WATCHDOG=1");
  ASSERT_EQ(io.run_one_for(2s), 1u);
  EXPECT_EQ(systemd.take(), "WATCHDOG=1");
  notifier.stop();
  EXPECT_EQ(systemd.take(), "STOPPING=1");
  io.restart();
  io.run_for(20ms);
  EXPECT_EQ(systemd.take(), std::nullopt);
}

TEST(SdNotify, ServiceNotifierWithoutAWatchdogOnlySaysReady) {
  Listener systemd(temp_socket_path());
  ScopedEnv socket("NOTIFY_SOCKET", systemd.name().c_str());
  ScopedEnv usec("WATCHDOG_USEC", nullptr);
  boost::asio::io_context io;
  sd::ServiceNotifier notifier(io);
  notifier.start();
  io.run();  // returns: nothing is left armed
  EXPECT_EQ(systemd.take(), "READY=1");
  EXPECT_EQ(systemd.take(), std::nullopt);
}
