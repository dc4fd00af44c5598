// The [vehicle] section turned into sources, merged into one stream of samples.
#include "tta/vehicle/signals.hpp"

#include <charconv>
#include <vector>

#include <spdlog/spdlog.h>

namespace tta::vehicle {
namespace {

/// Every configured source; each sample carries the latest reading of every source that is
/// younger than `max_age` (by the monotonic clock), and nothing of the others.
class MergedSignals final : public VehicleSignals {
 public:
  MergedSignals(const Clock& clock, std::chrono::milliseconds max_age,
                std::vector<std::unique_ptr<VehicleSignals>> parts)
      : clock_(clock), max_age_(max_age), parts_(std::move(parts)), latest_(parts_.size()) {}
  ~MergedSignals() override { stop(); }

  Status start(SampleHandler on_sample) override {
    on_sample_ = std::move(on_sample);
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      spdlog::info("vehicle signals from {}", parts_[i]->describe());
      if (auto st = parts_[i]->start([this, i](const VehicleSample& s) { on_part(i, s); }); !st) {
        stop();
        return st;
      }
    }
    return ok();
  }
  void stop() override {
    for (auto& p : parts_)
      p->stop();
  }
  [[nodiscard]] VehicleStats stats() const override {
    VehicleStats sum;
    sum.connected = true;
    for (const auto& p : parts_) {
      const VehicleStats s = p->stats();
      sum.samples += s.samples;
      sum.timeouts += s.timeouts;
      sum.errors += s.errors;
      sum.opens += s.opens;
      sum.connected = sum.connected && s.connected;
      if (!s.last_problem.empty()) {
        sum.last_problem +=
            (sum.last_problem.empty() ? "" : "; ") + p->describe() + ": " + s.last_problem;
      }
    }
    return sum;
  }
  [[nodiscard]] std::string describe() const override {
    std::string d;
    for (const auto& p : parts_)
      d += (d.empty() ? "" : " + ") + p->describe();
    return d;
  }

 private:
  void on_part(std::size_t i, const VehicleSample& s) {
    latest_[i] = {s, clock_.mono_now()};
    VehicleSample out{.at = s.at};
    const MonoTime now = clock_.mono_now();
    // Earlier sources win a field both have: ignition, pulses, then OBD (the order of make_…).
    for (const auto& l : latest_) {
      if (!l || now - l->second > max_age_) continue;
      const VehicleSample& v = l->first;
      if (!out.ignition_on) out.ignition_on = v.ignition_on;
      if (!out.engine_rpm) out.engine_rpm = v.engine_rpm;
      if (!out.sensor_speed_kmh) out.sensor_speed_kmh = v.sensor_speed_kmh;
    }
    if (on_sample_) on_sample_(out);
  }

  const Clock& clock_;
  std::chrono::milliseconds max_age_;
  std::vector<std::unique_ptr<VehicleSignals>> parts_;
  std::vector<std::optional<std::pair<VehicleSample, MonoTime>>> latest_;
  SampleHandler on_sample_;
};

}  // namespace

Result<VehicleUri> parse_vehicle_uri(std::string_view uri) {
  auto u = parse_uri(uri, "vehicle source");
  if (!u) return fail(u.error());
  if (u->scheme == "sim") return u;
  if (u->scheme != "sysfs" && u->scheme != "elm327" && u->scheme != "socketcan") {
    return fail(Errc::invalid_argument, "unknown vehicle source scheme \"" + u->scheme +
                                            "\" (sysfs, elm327, socketcan or sim)");
  }
  if (u->path.empty()) return fail(Errc::invalid_argument, u->scheme + ":// needs a path");
  return u;
}

VehicleTiming VehicleTiming::from_config(const config::VehicleConfig& c) {
  VehicleTiming t;
  t.poll = std::chrono::milliseconds(c.poll_interval_ms);
  t.obd_timeout = std::chrono::milliseconds(c.obd_timeout_ms);
  return t;
}

Result<std::unique_ptr<VehicleSignals>> make_vehicle_signals(const config::VehicleConfig& cfg,
                                                             boost::asio::io_context& io,
                                                             const Clock& clock) {
  if (!cfg.any()) return std::unique_ptr<VehicleSignals>();
  const VehicleTiming timing = VehicleTiming::from_config(cfg);
  std::vector<std::unique_ptr<VehicleSignals>> parts;
  auto uri_of = [](const std::string& text, std::initializer_list<std::string_view> schemes,
                   const char* key) -> Result<VehicleUri> {
    auto u = parse_vehicle_uri(text);
    if (!u) return fail(u.error().context(std::string("vehicle.") + key));
    for (auto s : schemes) {
      if (u->scheme == s) return u;
    }
    return fail(Errc::invalid_argument, std::string("vehicle.") + key + ": " + u->scheme +
                                            ":// is not a source for this signal");
  };
  if (!cfg.ignition.empty()) {
    auto u = uri_of(cfg.ignition, {"sysfs"}, "ignition");
    if (!u) return fail(u.error());
    auto low = u->number("active_low", 0);
    if (!low) return fail(low.error());
    parts.push_back(make_sysfs_ignition(io, clock, u->path, *low != 0, timing));
  }
  if (!cfg.pulses.empty()) {
    auto u = uri_of(cfg.pulses, {"sysfs"}, "pulses");
    if (!u) return fail(u.error());
    auto ppk = u->number("pulses_per_km", 0);
    if (!ppk) return fail(ppk.error());
    if (*ppk == 0 || *ppk > 1'000'000) {
      return fail(Errc::invalid_argument, "vehicle.pulses needs ?pulses_per_km=N (1 to 1000000)");
    }
    parts.push_back(make_pulse_speed(io, clock, u->path, static_cast<std::uint32_t>(*ppk), timing));
  }
  if (!cfg.obd.empty()) {
    auto u = uri_of(cfg.obd, {"elm327", "socketcan", "sim"}, "obd");
    if (!u) return fail(u.error());
    if (u->scheme == "elm327") {
      auto baud = u->number("baud", 38400);
      if (!baud) return fail(baud.error());
      parts.push_back(make_elm327(io, clock, u->path, static_cast<unsigned>(*baud), timing));
    } else if (u->scheme == "socketcan") {
      parts.push_back(make_socketcan(io, clock, u->path, timing));
    } else {
      parts.push_back(make_sim_vehicle(io, clock, timing));
    }
  }
  return std::unique_ptr<VehicleSignals>(std::make_unique<MergedSignals>(
      clock, std::chrono::milliseconds(cfg.max_age_ms), std::move(parts)));
}

}  // namespace tta::vehicle
