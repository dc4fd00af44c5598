#pragma once
/// The heartbeat of an outbox sender: runs `work` every `interval` and soon after `poke()`,
/// never re-entrantly, on the event-loop thread. Handlers still queued when the pump is gone
/// do nothing.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace tta::agent {

class Pump {
 public:
  Pump(boost::asio::io_context& io, std::chrono::milliseconds interval, std::function<void()> work)
      : io_(io), timer_(io), interval_(interval), work_(std::move(work)) {}
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;

  void start() {
    running_ = true;
    run();
  }
  void stop() {
    running_ = false;
    timer_.cancel();
  }
  [[nodiscard]] bool running() const { return running_; }

  /// Run the work soon (after the current handler), instead of at the next tick.
  void poke() {
    if (!running_) return;
    boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.lock()) run();
    });
  }

 private:
  void run() {
    if (!running_ || busy_) return;
    busy_ = true;
    work_();
    busy_ = false;
    timer_.expires_after(interval_);
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
      if (!ec && alive.lock()) run();
    });
  }

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  std::function<void()> work_;
  bool running_ = false;
  bool busy_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace tta::agent
