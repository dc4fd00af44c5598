#pragma once
// Vehicle signals the test sets by hand: `emit` hands a sample to the daemon at once.

#include <string>
#include <utility>

#include "tta/vehicle/signals.hpp"

namespace tta::testing {

class FakeVehicleSignals final : public vehicle::VehicleSignals {
 public:
  Status start(SampleHandler on_sample) override {
    on_sample_ = std::move(on_sample);
    stats_.connected = true;
    return ok();
  }
  void stop() override {
    on_sample_ = nullptr;
    stats_.connected = false;
  }
  [[nodiscard]] vehicle::VehicleStats stats() const override { return stats_; }
  [[nodiscard]] std::string describe() const override { return "fake (test)"; }

  /// Deliver one sample; false when the daemon has not started (or has stopped) the source.
  bool emit(const vehicle::VehicleSample& s) {
    if (!on_sample_) return false;
    ++stats_.samples;
    on_sample_(s);
    return true;
  }

 private:
  SampleHandler on_sample_;
  vehicle::VehicleStats stats_;
};

}  // namespace tta::testing
