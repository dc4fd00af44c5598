#pragma once
/// Vehicle signals for the training engine: ignition (ACC), engine speed and vehicle speed,
/// read from the sources named in the config's [vehicle] section:
///  - `ignition = "sysfs:///sys/class/gpio/gpio17/value[?active_low=1]"`: a GPIO line's value file;
///  - `obd = "elm327:///dev/ttyUSB0?baud=38400"`: OBD-II PIDs 0x0C/0x0D through an ELM327 adapter;
///  - `obd = "socketcan://can0"`: the same PIDs over SocketCAN (ISO 15765-4, 11-bit identifiers);
///  - `obd = "sim://"`: SIMULATED signals for demos, logged as such;
///  - `pulses = "sysfs:///path?pulses_per_km=N"`: vehicle speed from a pulse counter file.
///
/// Every source runs on the one io_context passed in (timers, serial port, stream descriptor; no
/// threads) and reads at `poll_interval_ms`. Each reading yields a sample in which a value that
/// could not be read is std::nullopt: nothing is filled in, smoothed or carried over. With several
/// sources configured, `make_vehicle_signals` merges them: each delivered sample holds every
/// source's latest reading if it is younger than `max_age_ms`, and nothing of a source whose
/// latest reading is older. Problems are logged once when they start and once when they end.

#include <utility>  // before Asio (Boost 1.74 with GCC 12 in C++20)

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/core/uri.hpp"
#include "tta/vehicle/sample.hpp"

namespace tta::vehicle {

/// Counters of a source, for tests and status.
struct VehicleStats {
  std::uint64_t samples = 0;   ///< samples delivered
  std::uint64_t timeouts = 0;  ///< OBD requests unanswered within the timeout
  std::uint64_t errors = 0;    ///< read errors, adapter/bus errors, unusable answers
  std::uint64_t opens = 0;     ///< successful opens of the device or socket
  bool connected = false;
  std::string last_problem;  ///< the current problem ("" when readings are good)
};

/// A source of vehicle samples.
class VehicleSignals {
 public:
  using SampleHandler = std::function<void(const VehicleSample&)>;
  virtual ~VehicleSignals() = default;
  /// Begin reading; samples go to `on_sample` on the io_context's thread. A device that is
  /// absent or fails is not an error here: its values are missing and it is retried.
  virtual Status start(SampleHandler on_sample) = 0;
  /// Stop reading; pending operations are cancelled. Idempotent; the destructor calls it.
  virtual void stop() = 0;
  [[nodiscard]] virtual VehicleStats stats() const = 0;
  /// What this is, for logs: the URI, "SIMULATED" for sim://.
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// A parsed source URI (tta/core/uri.hpp): scheme sysfs, elm327, socketcan or sim; path the
/// file or device path (socketcan: the interface name).
using VehicleUri = Uri;
/// Parse a vehicle source URI: a known scheme, and a path unless `sim://`.
[[nodiscard]] Result<VehicleUri> parse_vehicle_uri(std::string_view uri);

/// Timing shared by the sources (from [vehicle]).
struct VehicleTiming {
  std::chrono::milliseconds poll{1000};
  std::chrono::milliseconds obd_timeout{1000};
  std::chrono::milliseconds reset_timeout{3000};    ///< ELM327 ATZ (the adapter reboots)
  std::chrono::milliseconds search_timeout{10000};  ///< first PID after ATSP0 (protocol search)
  std::chrono::milliseconds reopen{2000};           ///< retry a device that failed

  static VehicleTiming from_config(const config::VehicleConfig& c);
};

/// The sources on their own (each sets only its own fields).
[[nodiscard]] std::unique_ptr<VehicleSignals> make_sysfs_ignition(boost::asio::io_context& io,
                                                                  const Clock& clock,
                                                                  std::string path, bool active_low,
                                                                  VehicleTiming timing);
[[nodiscard]] std::unique_ptr<VehicleSignals> make_pulse_speed(boost::asio::io_context& io,
                                                               const Clock& clock, std::string path,
                                                               std::uint32_t pulses_per_km,
                                                               VehicleTiming timing);
[[nodiscard]] std::unique_ptr<VehicleSignals> make_elm327(boost::asio::io_context& io,
                                                          const Clock& clock, std::string device,
                                                          unsigned baud, VehicleTiming timing);
/// OBD over SocketCAN on interface `ifname`.
[[nodiscard]] std::unique_ptr<VehicleSignals> make_socketcan(boost::asio::io_context& io,
                                                             const Clock& clock, std::string ifname,
                                                             VehicleTiming timing);
/// The same on a socket that is already open and exchanges `struct can_frame`s (a CAN_RAW socket,
/// or one end of a SOCK_SEQPACKET socketpair in tests); the source owns `fd` from now on.
[[nodiscard]] std::unique_ptr<VehicleSignals> make_socketcan_on_fd(boost::asio::io_context& io,
                                                                   const Clock& clock, int fd,
                                                                   VehicleTiming timing);
/// SIMULATED: ignition on, speed following a fixed drive cycle (0 → `cruise_kmh` → 0, idling in
/// between), engine speed derived from it (idle 800 rpm + 45 rpm per km/h).
[[nodiscard]] std::unique_ptr<VehicleSignals> make_sim_vehicle(boost::asio::io_context& io,
                                                               const Clock& clock,
                                                               VehicleTiming timing,
                                                               double cruise_kmh = 35);

/// The speed of a pulse counter, from one reading to the next. Missing on the first reading,
/// when the counter went backwards (reset or wrap) and when no time passed; never guessed.
class PulseSpeed {
 public:
  explicit PulseSpeed(std::uint32_t pulses_per_km) : pulses_per_km_(pulses_per_km) {}
  std::optional<double> update(std::uint64_t count, MonoTime at);
  void reset() { last_.reset(); }

 private:
  std::uint32_t pulses_per_km_;
  std::optional<std::pair<std::uint64_t, MonoTime>> last_;
};

/// Every source [vehicle] names, merged into one stream of samples. nullptr when none is
/// configured; an error when a URI is malformed (the config check catches that first).
[[nodiscard]] Result<std::unique_ptr<VehicleSignals>> make_vehicle_signals(
    const config::VehicleConfig& cfg, boost::asio::io_context& io, const Clock& clock);

}  // namespace tta::vehicle
