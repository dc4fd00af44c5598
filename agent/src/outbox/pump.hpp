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
#include <set>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "tta/store/store.hpp"

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

/// The outbox entries a sender should start now: due entries of kinds starting with `prefix`
/// that are not already in flight, at most enough to fill `window`. A store error is logged
/// and gives none (the next tick tries again).
inline std::vector<store::OutboxEntry> next_batch(store::Store& store, std::int64_t now_ms,
                                                  std::string_view prefix, std::size_t window,
                                                  const std::set<std::int64_t>& in_flight) {
  std::vector<store::OutboxEntry> out;
  if (in_flight.size() >= window) return out;
  // Ask for more than the free window: entries already in flight here are skipped.
  auto due = store.outbox().due(now_ms, static_cast<int>(window + in_flight.size()), prefix);
  if (!due) {
    spdlog::error("outbox ({}): {}", prefix, due.error().message);
    return out;
  }
  for (auto& e : *due) {
    if (in_flight.size() + out.size() >= window) break;
    if (!in_flight.contains(e.id)) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tta::agent
