#pragma once
/// Timers on a `Clock`'s time. The daemon's own timers (position reports, teaching-log scans,
/// classroom ticks, retention) go through a `Scheduler`, so that a test moving a FakeClock
/// fires them on its virtual time (tests/support/fake_scheduler.hpp) and `run` fires them on
/// the system's (AsioScheduler, agent/src/daemon/asio_scheduler.hpp).

#include <chrono>
#include <cstdint>
#include <functional>

namespace tta {

class Scheduler {
 public:
  using Task = std::function<void()>;
  virtual ~Scheduler() = default;
  /// Run `task` once, on the loop thread, when `delay` of the clock's monotonic time has
  /// passed. Returns a non-zero id for cancel().
  virtual std::uint64_t after(std::chrono::nanoseconds delay, Task task) = 0;
  /// Forget a task not run yet; an id already run or cancelled is ignored.
  virtual void cancel(std::uint64_t id) = 0;
};

/// At most one pending task on a Scheduler: arming again replaces it, and it is cancelled
/// when the Timer goes. The task may arm its Timer again.
class Timer {
 public:
  explicit Timer(Scheduler& s) : s_(s) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void after(std::chrono::nanoseconds delay, Scheduler::Task task) {
    cancel();
    id_ = s_.after(delay, [this, task = std::move(task)] {
      id_ = 0;
      task();
    });
  }
  void cancel() {
    if (id_ != 0) s_.cancel(id_);
    id_ = 0;
  }
  [[nodiscard]] bool armed() const { return id_ != 0; }

 private:
  Scheduler& s_;
  std::uint64_t id_ = 0;
};

}  // namespace tta
