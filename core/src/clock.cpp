#include "tta/core/clock.hpp"

#include <cassert>

namespace tta {

WallTime SystemClock::wall_now() const { return std::chrono::system_clock::now(); }
MonoTime SystemClock::mono_now() const { return std::chrono::steady_clock::now(); }

FakeClock::FakeClock(WallTime start) : wall_(start) {}

void FakeClock::advance(std::chrono::nanoseconds d) {
  assert(d.count() >= 0 && "FakeClock::advance takes a non-negative duration");
  wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  mono_ += d;
}

}  // namespace tta
