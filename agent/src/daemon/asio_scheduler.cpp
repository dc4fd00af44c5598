#include "daemon/asio_scheduler.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace tta::agent {

AsioScheduler::~AsioScheduler() {
  for (auto& [id, w] : waits_) w->timer.cancel();
}

std::uint64_t AsioScheduler::after(std::chrono::nanoseconds delay, Task task) {
  const std::uint64_t id = next_id_++;
  waits_.emplace(id, std::make_unique<Wait>(
                         Wait{clock_.mono_now() + delay, std::move(task),
                              boost::asio::steady_timer(io_)}));
  arm(id);
  return id;
}

void AsioScheduler::cancel(std::uint64_t id) {
  auto it = waits_.find(id);
  if (it == waits_.end()) return;
  it->second->timer.cancel();
  waits_.erase(it);  // a completion already queued finds no entry and does nothing
}

void AsioScheduler::arm(std::uint64_t id) {
  auto& w = *waits_.at(id);
  const auto left = std::clamp<std::chrono::nanoseconds>(w.deadline - clock_.mono_now(),
                                                         std::chrono::nanoseconds(0),
                                                         std::chrono::seconds(1));
  w.timer.expires_after(left);
  w.timer.async_wait([this, id, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || !alive.lock()) return;  // cancelled, or the scheduler is gone
    auto it = waits_.find(id);
    if (it == waits_.end()) return;
    if (clock_.mono_now() < it->second->deadline) return arm(id);
    Task task = std::move(it->second->task);
    waits_.erase(it);
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("timer task: {}", e.what());
    } catch (...) {
      spdlog::error("timer task: unknown exception");
    }
  });
}

}  // namespace tta::agent
