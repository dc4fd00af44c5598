#pragma once
// A pseudo-terminal pair standing in for a serial GNSS receiver (tests only).
#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <string>
#include <string_view>

namespace tta::gps::test {

/// Master end held by the test; `slave_path` is what a source opens as a "serial port".
class FakeReceiverPty {
 public:
  FakeReceiverPty() {
    char name[256] = {};
    int slave = -1;
    if (::openpty(&master_, &slave, name, nullptr, nullptr) != 0) return;
    slave_path_ = name;
    ::fchmod(slave, 0666);
    ::close(slave);  // the code under test opens it by name
    ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  }
  ~FakeReceiverPty() { close_master(); }
  FakeReceiverPty(const FakeReceiverPty&) = delete;
  FakeReceiverPty& operator=(const FakeReceiverPty&) = delete;

  [[nodiscard]] bool ok() const { return master_ >= 0; }
  [[nodiscard]] const std::string& slave_path() const { return slave_path_; }
  /// Write bytes as the receiver would; false when the pty buffer is full or gone.
  bool write(std::string_view bytes) {
    return master_ >= 0 && ::write(master_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }
  /// Drain whatever the other side wrote (e.g. gpsd probes), so buffers never fill.
  void drain() {
    char buf[512];
    while (master_ >= 0 && ::read(master_, buf, sizeof buf) > 0) {
    }
  }
  /// The receiver vanishes (USB unplugged).
  void close_master() {
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }

 private:
  int master_ = -1;
  std::string slave_path_;
};

}  // namespace tta::gps::test
