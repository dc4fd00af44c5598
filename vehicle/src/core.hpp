#pragma once
// Internal to the vehicle_*.cpp sources: the state every source shares. Sources keep it in a
// shared_ptr so handlers still queued on the io_context after stop() or destruction find it
// alive and simply return.

#include <utility>  // before Asio

#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include "tta/vehicle/signals.hpp"

namespace tta::vehicle::detail {

struct SourceCore {
  SourceCore(boost::asio::io_context& io, const Clock& c, std::string n, VehicleTiming t)
      : timer(io), clock(c), name(std::move(n)), timing(t) {}

  boost::asio::steady_timer timer;  ///< next poll / reopen
  const Clock& clock;
  std::string name;  ///< the URI, for logs
  VehicleTiming timing;
  VehicleSignals::SampleHandler on_sample;
  VehicleStats stats;
  bool stopped = true;

  /// The current problem ("" = none). Logged once when it starts or changes and once when it
  /// ends, not at every poll.
  void problem(const std::string& what) {
    if (what == stats.last_problem) return;
    if (!what.empty()) {
      spdlog::warn("vehicle {}: {} (its values are missing meanwhile)", name, what);
    } else {
      spdlog::info("vehicle {}: readings good again", name);
    }
    stats.last_problem = what;
  }
  /// A sample stamped now; fields left unset are missing.
  [[nodiscard]] VehicleSample sample() const { return VehicleSample{.at = clock.wall_now()}; }
  void deliver(const VehicleSample& s) {
    if (stopped || !on_sample) return;
    ++stats.samples;
    on_sample(s);
  }
  /// Run `fn` after `delay` unless stopped meanwhile.
  template <typename Self, typename F>
  static void after(const std::shared_ptr<Self>& self, std::chrono::milliseconds delay, F fn) {
    if (self->stopped) return;
    self->timer.expires_after(delay);
    self->timer.async_wait([self, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec && !self->stopped) fn();
    });
  }
};

/// The VehicleSignals face of a source whose state is `Impl` (a SourceCore with
/// `static void begin(const std::shared_ptr<Impl>&)` and `void halt()` closing its devices).
template <typename Impl>
class SourceHandle final : public VehicleSignals {
 public:
  explicit SourceHandle(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~SourceHandle() override { stop(); }
  SourceHandle(const SourceHandle&) = delete;
  SourceHandle& operator=(const SourceHandle&) = delete;

  Status start(SampleHandler on_sample) override {
    if (!impl_->stopped) return fail(Errc::invalid_argument, impl_->name + " is already started");
    impl_->on_sample = std::move(on_sample);
    impl_->stopped = false;
    Impl::begin(impl_);
    return ok();
  }
  void stop() override {
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->timer.cancel();
    impl_->halt();
    impl_->stats.connected = false;
  }
  [[nodiscard]] VehicleStats stats() const override { return impl_->stats; }
  [[nodiscard]] std::string describe() const override { return impl_->name; }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tta::vehicle::detail
