#pragma once
/// Time sources. Business code never calls std::chrono clocks directly: it gets a `Clock`,
/// so tests and the demo can run an hour of training in seconds on virtual time.

#include <chrono>
#include <cstdint>

namespace tta {

using WallTime = std::chrono::system_clock::time_point;  ///< UTC wall-clock instant
using MonoTime = std::chrono::steady_clock::time_point;  ///< monotonic instant, for durations

/// Source of wall time (for stamping) and monotonic time (for durations and timers).
class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time as the system (RTC) reports it; trust is decided by the GNSS module.
  [[nodiscard]] virtual WallTime wall_now() const = 0;
  /// Monotonic time; never goes backwards.
  [[nodiscard]] virtual MonoTime mono_now() const = 0;
};

/// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] WallTime wall_now() const override;
  [[nodiscard]] MonoTime mono_now() const override;
};

/// A clock that moves only when told to. Wall and monotonic time advance together;
/// `set_wall` moves wall time alone (to test an RTC that jumps).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime{std::chrono::seconds{1'767'225'600}});  // 2026-01-01
  [[nodiscard]] WallTime wall_now() const override { return wall_; }
  [[nodiscard]] MonoTime mono_now() const override { return mono_; }
  /// Advance both clocks by `d` (must be >= 0).
  void advance(std::chrono::nanoseconds d);
  /// Jump wall time only, as an RTC adjustment would.
  void set_wall(WallTime t) { wall_ = t; }

 private:
  WallTime wall_;
  MonoTime mono_{};
};

/// Seconds since the Unix epoch for a wall time.
[[nodiscard]] inline std::int64_t unix_seconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
/// Milliseconds since the Unix epoch for a wall time.
[[nodiscard]] inline std::int64_t unix_millis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
/// Wall time from Unix seconds.
[[nodiscard]] inline WallTime from_unix_seconds(std::int64_t s) {
  return WallTime{std::chrono::seconds{s}};
}

}  // namespace tta
