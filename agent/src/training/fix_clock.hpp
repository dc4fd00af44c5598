#pragma once
/// The daemon's time base (training-rules.md §6): GNSS time once a receiver gave a fix, carried
/// forward by the monotonic clock between fixes and while fixes are lost; the system clock
/// before the first fix. Records are stamped with it, and the TCP forwarder judges "made
/// earlier than it is sent" (the re-send flag) on it too, so a system clock that is wrong (a
/// terminal without network time) or a replay faster than real time never flags a minute
/// sent on time as re-sent, nor the reverse.

#include <chrono>
#include <mutex>
#include <optional>

#include "tta/core/clock.hpp"

namespace tta::agent {

class FixClock final : public Clock {
 public:
  explicit FixClock(const Clock& base) : base_(base) {}

  /// A fix's UTC time, taken at the monotonic instant `at`. A time that goes backwards
  /// (a receiver replaying an old fix) is ignored.
  void on_fix(WallTime utc, MonoTime at) {
    std::lock_guard lock(mu_);
    if (fix_ && utc <= *fix_) return;
    fix_ = utc;
    fix_mono_ = at;
  }

  /// The last fix's time plus the monotonic time since it came, never earlier than a time
  /// it returned so (a fix read late would otherwise step back); before any fix, the system
  /// clock, which the first fix overrides whichever way it differs.
  [[nodiscard]] WallTime wall_now() const override {
    std::lock_guard lock(mu_);
    if (!fix_) return base_.wall_now();
    WallTime t =
        *fix_ + std::chrono::duration_cast<WallTime::duration>(base_.mono_now() - fix_mono_);
    if (returned_ && t < *returned_) t = *returned_;
    returned_ = t;
    return t;
  }

  [[nodiscard]] MonoTime mono_now() const override { return base_.mono_now(); }

  /// The last fix's time, for the status screen.
  [[nodiscard]] std::optional<WallTime> last_fix() const {
    std::lock_guard lock(mu_);
    return fix_;
  }

 private:
  const Clock& base_;
  mutable std::mutex mu_;
  std::optional<WallTime> fix_;
  MonoTime fix_mono_{};
  mutable std::optional<WallTime> returned_;
};

}  // namespace tta::agent
