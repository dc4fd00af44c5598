// Polled sources: ignition from a GPIO value file, speed from a pulse counter file, and the
// SIMULATED source. sysfs attribute files are read whole at each poll (they never block).
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core.hpp"

namespace tta::vehicle {
namespace {

using detail::SourceCore;
using detail::SourceHandle;

/// The trimmed contents of a small file, or why it could not be read.
Result<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::unavailable, "cannot read " + path + ": " + std::strerror(errno));
  std::string text(256, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail(Errc::io, "reading " + path + " failed");
  text.resize(static_cast<std::size_t>(in.gcount()));
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::string();
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

/// How a file's contents are shown in a log line (it may be anything).
std::string shown(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 32))
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  return "\"" + out + (s.size() > 32 ? "…" : "") + "\"";
}

struct IgnitionImpl : SourceCore {
  IgnitionImpl(boost::asio::io_context& io, const Clock& c, std::string p, bool low,
               VehicleTiming t)
      : SourceCore(io, c, "sysfs://" + p + (low ? "?active_low=1" : ""), t),
        path(std::move(p)),
        active_low(low) {}
  std::string path;
  bool active_low;

  static void begin(const std::shared_ptr<IgnitionImpl>& self) {
    VehicleSample s = self->sample();
    auto text = read_small_file(self->path);
    if (!text) {
      ++self->stats.errors;
      self->problem(text.error().message);
    } else if (*text != "0" && *text != "1") {
      ++self->stats.errors;
      self->problem(self->path + " holds " + shown(*text) + ", not 0 or 1");
    } else {
      s.ignition_on = (*text == "1") != self->active_low;
      self->problem("");
    }
    self->deliver(s);
    after(self, self->timing.poll, [self] { begin(self); });
  }
  void halt() {}
};

struct PulseImpl : SourceCore {
  PulseImpl(boost::asio::io_context& io, const Clock& c, std::string p, std::uint32_t ppk,
            VehicleTiming t)
      : SourceCore(io, c, "sysfs://" + p + "?pulses_per_km=" + std::to_string(ppk), t),
        path(std::move(p)),
        speed(ppk) {}
  std::string path;
  PulseSpeed speed;

  static void begin(const std::shared_ptr<PulseImpl>& self) {
    VehicleSample s = self->sample();
    auto text = read_small_file(self->path);
    std::uint64_t count = 0;
    if (!text) {
      ++self->stats.errors;
      self->speed.reset();
      self->problem(text.error().message);
    } else if (const auto r = std::from_chars(text->data(), text->data() + text->size(), count);
               text->empty() || r.ec != std::errc{} || r.ptr != text->data() + text->size()) {
      ++self->stats.errors;
      self->speed.reset();
      self->problem(self->path + " holds " + shown(*text) + ", not a pulse count");
    } else {
      s.sensor_speed_kmh = self->speed.update(count, self->clock.mono_now());
      self->problem("");
    }
    self->deliver(s);
    after(self, self->timing.poll, [self] { begin(self); });
  }
  void halt() {}
};

struct SimImpl : SourceCore {
  SimImpl(boost::asio::io_context& io, const Clock& c, VehicleTiming t, double cruise)
      : SourceCore(io, c, "sim:// (SIMULATED)", t), cruise_kmh(cruise) {}
  double cruise_kmh;
  MonoTime started{};

  /// The drive cycle, 120 s: idle 10 s, speed up over 20 s, cruise 60 s, slow down over 20 s,
  /// idle 10 s. Every minute has some movement, as a training drive would.
  [[nodiscard]] double speed_at(double t_s) const {
    const double t = std::fmod(t_s, 120.0);
    if (t < 10) return 0;
    if (t < 30) return cruise_kmh * (t - 10) / 20;
    if (t < 90) return cruise_kmh;
    if (t < 110) return cruise_kmh * (110 - t) / 20;
    return 0;
  }
  static void begin(const std::shared_ptr<SimImpl>& self) {
    spdlog::warn(
        "vehicle signals are SIMULATED (sim://): ignition on, speed and engine speed "
        "from a drive cycle, not from a vehicle");
    self->started = self->clock.mono_now();
    tick(self);
  }
  static void tick(const std::shared_ptr<SimImpl>& self) {
    const double t_s =
        std::chrono::duration<double>(self->clock.mono_now() - self->started).count();
    const double kmh = std::round(self->speed_at(t_s));
    VehicleSample s = self->sample();
    s.ignition_on = true;
    s.sensor_speed_kmh = kmh;
    s.engine_rpm = static_cast<std::uint16_t>(800 + 45 * kmh);
    self->deliver(s);
    after(self, self->timing.poll, [self] { tick(self); });
  }
  void halt() {}
};

}  // namespace

std::optional<double> PulseSpeed::update(std::uint64_t count, MonoTime at) {
  const auto prev = last_;
  last_ = {count, at};
  if (!prev || count < prev->first || at <= prev->second) return std::nullopt;
  const double hours = std::chrono::duration<double, std::ratio<3600>>(at - prev->second).count();
  const double km = static_cast<double>(count - prev->first) / pulses_per_km_;
  return km / hours;
}

std::unique_ptr<VehicleSignals> make_sysfs_ignition(boost::asio::io_context& io, const Clock& clock,
                                                    std::string path, bool active_low,
                                                    VehicleTiming timing) {
  return std::make_unique<SourceHandle<IgnitionImpl>>(
      std::make_shared<IgnitionImpl>(io, clock, std::move(path), active_low, timing));
}

std::unique_ptr<VehicleSignals> make_pulse_speed(boost::asio::io_context& io, const Clock& clock,
                                                 std::string path, std::uint32_t pulses_per_km,
                                                 VehicleTiming timing) {
  return std::make_unique<SourceHandle<PulseImpl>>(
      std::make_shared<PulseImpl>(io, clock, std::move(path), pulses_per_km, timing));
}

std::unique_ptr<VehicleSignals> make_sim_vehicle(boost::asio::io_context& io, const Clock& clock,
                                                 VehicleTiming timing, double cruise_kmh) {
  return std::make_unique<SourceHandle<SimImpl>>(
      std::make_shared<SimImpl>(io, clock, timing, cruise_kmh));
}

}  // namespace tta::vehicle
