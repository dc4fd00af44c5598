#include "support/nmea_pty.hpp"

#include <chrono>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace tta::testing {

NmeaPty::NmeaPty(std::vector<std::string> fixes, double rate)
    : fixes_(std::move(fixes)), rate_(rate) {
  master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
  device_ = ::ptsname(master_);
  slave_ = ::open(device_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  termios t{};
  if (slave_ >= 0 && ::tcgetattr(slave_, &t) == 0) {
    ::cfmakeraw(&t);  // no echo, no line editing: bytes pass as written
    ::tcsetattr(slave_, TCSANOW, &t);
  }
}

NmeaPty::~NmeaPty() {
  stop();
  if (slave_ >= 0) ::close(slave_);
  if (master_ >= 0) ::close(master_);
}

void NmeaPty::start() {
  thread_ = std::thread([this] {
    using Steady = std::chrono::steady_clock;
    const auto t0 = Steady::now();
    while (!stop_.load() && next_ < fixes_.size()) {
      // Paced by the wall clock: this plays a device, there is no clock of ours to advance.
      std::this_thread::sleep_until(
          t0 + std::chrono::duration_cast<Steady::duration>(
                   std::chrono::duration<double>(static_cast<double>(next_.load()) / rate_)));
      const std::string& s = fixes_[next_];
      (void)!::write(master_, s.data(), s.size());  // EAGAIN while nobody reads: lost
      char sink[256];
      while (::read(master_, sink, sizeof sink) > 0) {
      }
      ++next_;
    }
  });
}

void NmeaPty::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace tta::testing
