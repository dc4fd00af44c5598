#pragma once
// A Scheduler (tta/core/scheduler.hpp) on a FakeClock: tasks run when the test moves the
// clock with advance(), each at its deadline and in deadline order, the clock standing at
// that deadline while it runs.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <utility>

#include "tta/core/clock.hpp"
#include "tta/core/scheduler.hpp"

namespace tta::testing {

class FakeScheduler final : public Scheduler {
 public:
  explicit FakeScheduler(FakeClock& clock) : clock_(clock) {}

  std::uint64_t after(std::chrono::nanoseconds delay, Task task) override {
    const std::uint64_t id = next_id_++;
    tasks_.emplace(std::pair(clock_.mono_now() + std::max(delay, std::chrono::nanoseconds(0)), id),
                   std::move(task));
    return id;
  }
  void cancel(std::uint64_t id) override {
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
      if (it->first.second == id) {
        tasks_.erase(it);
        return;
      }
    }
  }

  /// Move the clock on by `d`, running every task that comes due on the way.
  void advance(std::chrono::nanoseconds d) {
    const MonoTime until = clock_.mono_now() + d;
    run_due();
    while (!tasks_.empty() && tasks_.begin()->first.first <= until) {
      clock_.advance(tasks_.begin()->first.first - clock_.mono_now());
      run_due();
    }
    clock_.advance(until - clock_.mono_now());
  }
  /// Run the tasks due now (and those they schedule for now). A task re-arming itself with
  /// no delay forever is a bug in it: that throws.
  void run_due() {
    for (int n = 0; !tasks_.empty() && tasks_.begin()->first.first <= clock_.mono_now(); ++n) {
      if (n > 100'000) throw std::logic_error("FakeScheduler: tasks keep re-arming for now");
      auto node = tasks_.extract(tasks_.begin());
      node.mapped()();
    }
  }
  [[nodiscard]] std::size_t pending() const { return tasks_.size(); }

 private:
  FakeClock& clock_;
  std::map<std::pair<MonoTime, std::uint64_t>, Task> tasks_;
  std::uint64_t next_id_ = 1;
};

}  // namespace tta::testing
