#include "daemon/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace tta::agent::sd {

namespace {

/// Closes a descriptor on every return path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

template <typename T>
std::optional<T> parse_number(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  std::string_view s(text);
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

Status notify_to(std::string_view address, std::string_view message) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (address.size() < 2 || (address[0] != '/' && address[0] != '@')) {
    return fail(Errc::invalid_argument,
                "NOTIFY_SOCKET '" + std::string(address) + "' is neither a path nor @abstract");
  }
  if (address.size() >= sizeof(sa.sun_path)) {
    return fail(Errc::invalid_argument, "NOTIFY_SOCKET is too long");
  }
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (address[0] == '@') sa.sun_path[0] = '\0';  // abstract: no terminating NUL counts
  const auto len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                             (address[0] == '@' ? 0 : 1));
  Fd sock{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return fail(Errc::io, std::string("notify socket: ") + std::strerror(errno));
  const auto sent = ::sendto(sock.fd, message.data(), message.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&sa), len);  // NOLINT: C API
  if (sent < 0) {
    return fail(Errc::unavailable,
                "notify " + std::string(address) + ": " + std::strerror(errno));
  }
  if (static_cast<std::size_t>(sent) != message.size()) {
    return fail(Errc::io, "notify " + std::string(address) + ": short send");
  }
  return ok();
}

Status notify(std::string_view message) {
  const char* address = std::getenv("NOTIFY_SOCKET");
  if (address == nullptr || *address == '\0') return ok();
  return notify_to(address, message);
}

std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid) {
  auto micros = parse_number<unsigned long long>(usec);
  if (!micros || *micros == 0) return std::nullopt;
  if (pid != nullptr && *pid != '\0') {
    auto owner = parse_number<long long>(pid);
    if (!owner || *owner != static_cast<long long>(::getpid())) return std::nullopt;
  }
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*micros));
}

std::optional<std::chrono::microseconds> watchdog_interval_from_env() {
  return watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"));
}

Watchdog::Watchdog(boost::asio::io_context& io, std::chrono::microseconds period, Ping ping)
    : timer_(io), period_(period), ping_(std::move(ping)) {}

void Watchdog::start() {
  running_ = true;
  ping_();
  arm();
}

void Watchdog::stop() {
  running_ = false;
  timer_.cancel();
}

void Watchdog::arm() {
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    ping_();
    arm();
  });
}

namespace {
void notify_or_log(std::string_view message) {
  if (auto sent = notify(message); !sent) {
    spdlog::warn("systemd: {} not delivered: {}", message, sent.error().message);
  }
}
}  // namespace

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io) : io_(io) {}

void ServiceNotifier::start() {
  boost::asio::post(io_, [this] {
    notify_or_log("READY=1");
    if (auto interval = watchdog_interval_from_env()) {
      spdlog::info("systemd watchdog: {} ms, fed every {} ms",
                   std::chrono::duration_cast<std::chrono::milliseconds>(*interval).count(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2).count());
      watchdog_.emplace(io_, *interval / 2, [] { notify_or_log("WATCHDOG=1"); });
      watchdog_->start();
    }
  });
}

void ServiceNotifier::stop() {
  notify_or_log("STOPPING=1");
  if (watchdog_) watchdog_->stop();
}

}  // namespace tta::agent::sd
