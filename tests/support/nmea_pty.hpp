#pragma once
// A pseudo-terminal playing a GNSS receiver for process-level tests and benchmarks: the agent
// reads it as serial:///dev/pts/N while a thread writes NMEA text, one fix's sentences at a
// time, at `rate` fixes per wall second, whether or not anyone reads (what is not read while
// the agent is down is lost, as a receiver's output is). The slave side is kept open here
// too, so the terminal never hangs up between agents.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace tta::testing {

class NmeaPty {
 public:
  /// `fixes`: the NMEA text of each fix, in order.
  NmeaPty(std::vector<std::string> fixes, double rate);
  ~NmeaPty();
  NmeaPty(const NmeaPty&) = delete;
  NmeaPty& operator=(const NmeaPty&) = delete;

  /// False when no pseudo-terminal could be made.
  [[nodiscard]] bool ok() const { return slave_ >= 0; }
  /// The device to give the agent, e.g. /dev/pts/3.
  [[nodiscard]] const std::string& device() const { return device_; }
  /// Fixes written so far.
  [[nodiscard]] std::size_t written() const { return next_.load(); }

  void start();
  void stop();

 private:
  std::vector<std::string> fixes_;
  double rate_;
  int master_ = -1;
  int slave_ = -1;
  std::string device_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tta::testing
