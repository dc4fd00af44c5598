#pragma once
/// systemd's service notification protocol (sd_notify(3)), without libsystemd: one datagram
/// per message to the Unix socket named by $NOTIFY_SOCKET ('@' = abstract namespace).
/// `tta-agent run` says READY=1 once the store is open and the loop is about to run, feeds the
/// watchdog (WATCHDOG=1) from a timer on that loop at half of $WATCHDOG_USEC, and says
/// STOPPING=1 on shutdown. Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tta/core/result.hpp"

namespace tta::agent::sd {

/// Send `message` (e.g. "READY=1") as one datagram to the socket `address`: a path, or
/// "@name" for the abstract namespace. Fails when the address is malformed or the send fails.
[[nodiscard]] Status notify_to(std::string_view address, std::string_view message);

/// notify_to($NOTIFY_SOCKET, message); ok and nothing sent when $NOTIFY_SOCKET is unset/empty.
[[nodiscard]] Status notify(std::string_view message);

/// The watchdog interval systemd expects pings within, from WATCHDOG_USEC and WATCHDOG_PID
/// (as sd_watchdog_enabled(3)): none when unset, zero or malformed, or when WATCHDOG_PID
/// names another process.
[[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval(const char* usec,
                                                                         const char* pid);
/// watchdog_interval() of this process's environment.
[[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval_from_env();

/// Feeds the watchdog from the event loop: calls `ping` at once and then every `period`
/// (half the watchdog interval), so a stuck loop stops the pings and systemd restarts us.
class Watchdog {
 public:
  using Ping = std::function<void()>;
  Watchdog(boost::asio::io_context& io, std::chrono::microseconds period, Ping ping);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void start();
  void stop();

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds period_;
  Ping ping_;
  bool running_ = false;
};

/// What `tta-agent run` tells systemd: start() posts READY=1 to the loop (so it goes out once
/// the loop runs) and, under a watchdog, feeds it every half interval; stop() says STOPPING=1.
/// Failures to notify are logged once, never fatal: the agent also runs outside systemd.
class ServiceNotifier {
 public:
  explicit ServiceNotifier(boost::asio::io_context& io);
  void start();
  void stop();

 private:
  boost::asio::io_context& io_;
  std::optional<Watchdog> watchdog_;
};

}  // namespace tta::agent::sd
