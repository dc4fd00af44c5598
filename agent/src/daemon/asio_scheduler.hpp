#pragma once
/// The Scheduler of `run` (tta/core/scheduler.hpp): Asio timers on the loop, fired when the
/// given clock's monotonic time reaches the deadline. A wait lasts at most a second and the
/// clock is read again when it ends, so a clock that does not follow the system's (the
/// simulator's route time) still fires its tasks on its own time, at most a second late. A
/// task that throws is logged; the loop keeps running.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>

#include "tta/core/clock.hpp"
#include "tta/core/scheduler.hpp"

namespace tta::agent {

class AsioScheduler final : public Scheduler {
 public:
  /// `clock` must outlive the scheduler.
  AsioScheduler(boost::asio::io_context& io, const Clock& clock) : io_(io), clock_(clock) {}
  ~AsioScheduler() override;
  AsioScheduler(const AsioScheduler&) = delete;
  AsioScheduler& operator=(const AsioScheduler&) = delete;

  std::uint64_t after(std::chrono::nanoseconds delay, Task task) override;
  void cancel(std::uint64_t id) override;
  /// Tasks waiting.
  [[nodiscard]] std::size_t pending() const { return waits_.size(); }

 private:
  struct Wait {
    MonoTime deadline;
    Task task;
    boost::asio::steady_timer timer;
  };
  void arm(std::uint64_t id);

  boost::asio::io_context& io_;
  const Clock& clock_;
  std::map<std::uint64_t, std::unique_ptr<Wait>> waits_;
  std::uint64_t next_id_ = 1;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // completions check it
};

}  // namespace tta::agent
