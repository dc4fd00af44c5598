#pragma once
// A GNSS source the test feeds by hand: `emit` hands a fix to the daemon at once, on the
// caller's thread (the test drives the daemon's loop). For in-process daemon tests.

#include <utility>
#include <vector>

#include "tta/gps/source.hpp"

namespace tta::testing {

class FakeGnssSource final : public gps::GnssSource {
 public:
  Status start(FixHandler on_fix) override {
    on_fix_ = std::move(on_fix);
    stats_.connected = true;
    ++stats_.connects;
    return ok();
  }
  void stop() override {
    on_fix_ = nullptr;
    stats_.connected = false;
  }
  [[nodiscard]] gps::SourceStats stats() const override { return stats_; }

  /// Deliver one fix; false when the daemon has not started (or has stopped) the source.
  bool emit(const gps::Fix& fix) {
    if (!on_fix_) return false;
    on_fix_(fix);
    return true;
  }
  /// The replay's end (stats().finished), as a finished log would say.
  void finish() { stats_.finished = true; }

 private:
  FixHandler on_fix_;
  gps::SourceStats stats_;
};

}  // namespace tta::testing
