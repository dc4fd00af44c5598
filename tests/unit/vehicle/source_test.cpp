// The vehicle-signal sources against stand-ins: an ELM327 emulator on a pty (this process plays
// the adapter), an ECU on a socketpair (and on vcan where the kernel has it), GPIO and pulse
// counter files, the SIMULATED source and the merge of several. Waits are event-driven: the
// io_context runs until enough samples arrived or a deadline passed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tta/vehicle/signals.hpp"

namespace tta::vehicle {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Short timings so a test takes well under a second of waiting.
VehicleTiming fast() {
  VehicleTiming t;
  t.poll = 50ms;
  t.obd_timeout = 150ms;
  t.reset_timeout = 300ms;
  t.search_timeout = 400ms;
  t.reopen = 100ms;
  return t;
}

/// Collects samples and runs the io_context until `n` arrived or `limit` passed.
struct Collector {
  asio::io_context& io;
  std::vector<VehicleSample> samples;
  std::function<void(const VehicleSample&)> also;

  VehicleSignals::SampleHandler handler() {
    return [this](const VehicleSample& s) {
      samples.push_back(s);
      if (also) also(s);
    };
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_for(20ms);
    }
    return done();
  }
  bool wait_samples(std::size_t n, std::chrono::milliseconds limit = 10s) {
    return run_until([&] { return samples.size() >= n; }, limit);
  }
};

// ---------------------------------------------------------------- ELM327 emulator on a pty

/// A pseudo-terminal whose master end this test drives as an ELM327 adapter: it reads commands
/// up to '\r', echoes them until ATE0, drops spaces after ATS0, and answers what `answer` says
/// (nullopt: stays silent, as a hung adapter would).
class FakeElm {
 public:
  using Answer = std::function<std::optional<std::string>(const std::string& cmd)>;

  FakeElm(asio::io_context& io, Answer answer) : master_(io), answer_(std::move(answer)) {
    int master = -1;
    char name[256] = {};
    if (::openpty(&master, &slave_, name, nullptr, nullptr) != 0) return;
    termios tio{};
    ::tcgetattr(slave_, &tio);
    ::cfmakeraw(&tio);
    ::tcsetattr(slave_, TCSANOW, &tio);
    path_ = name;
    master_.assign(master);
    read();
  }
  ~FakeElm() {
    if (slave_ >= 0) ::close(slave_);
  }
  FakeElm(const FakeElm&) = delete;
  FakeElm& operator=(const FakeElm&) = delete;

  [[nodiscard]] bool ok() const { return !path_.empty(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::vector<std::string>& commands() const { return commands_; }
  /// The adapter is unplugged.
  void vanish() {
    boost::system::error_code ec;
    master_.close(ec);
    if (slave_ >= 0) ::close(slave_);
    slave_ = -1;
  }

  /// A well-behaved adapter: banner on ATZ, OK to AT commands, `rpm`/`speed` (as the ECU would
  /// answer with spaces) to 010C/010D, "?" to anything else.
  static Answer adapter(std::string rpm, std::string speed) {
    return [rpm, speed](const std::string& cmd) -> std::optional<std::string> {
      if (cmd == "ATZ") return "\r\rELM327 v1.5";
      if (cmd.starts_with("AT")) return "OK";
      if (cmd == "010C") return rpm;
      if (cmd == "010D") return speed;
      return "?";
    };
  }

 private:
  void read() {
    master_.async_read_some(
        asio::buffer(buf_), [this](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return;
          line_.append(buf_.data(), n);
          for (auto cr = line_.find('\r'); cr != std::string::npos; cr = line_.find('\r')) {
            const std::string cmd = line_.substr(0, cr);
            line_.erase(0, cr + 1);
            if (!cmd.empty()) on_command(cmd);
          }
          read();
        });
  }
  /// ATS0 takes the spaces out of hex data only ("NO DATA" keeps its space).
  static std::string without_spaces_in_hex(const std::string& body) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= body.size()) {
      const auto end = std::min(body.find('\r', pos), body.size());
      std::string line = body.substr(pos, end - pos);
      if (line.find_first_not_of("0123456789ABCDEFabcdef ") == std::string::npos)
        std::erase(line, ' ');
      out += line + (end < body.size() ? "\r" : "");
      pos = end + 1;
    }
    return out;
  }
  void on_command(const std::string& cmd) {
    commands_.push_back(cmd);
    auto a = answer_(cmd);
    if (!a) return;
    std::string body = *a;
    if (no_spaces_) body = without_spaces_in_hex(body);
    auto out = std::make_shared<std::string>((echo_ ? cmd + "\r" : "") + body + "\r\r>");
    if (cmd == "ATE0") echo_ = false;
    if (cmd == "ATS0") no_spaces_ = true;
    if (cmd == "ATZ") echo_ = true, no_spaces_ = false;
    asio::async_write(master_, asio::buffer(*out),
                      [out](const boost::system::error_code&, std::size_t) {});
  }

  asio::posix::stream_descriptor master_;
  int slave_ = -1;
  std::string path_;
  Answer answer_;
  std::array<char, 256> buf_{};
  std::string line_;
  std::vector<std::string> commands_;
  bool echo_ = true;
  bool no_spaces_ = false;
};

class Elm327Test : public testing::Test {
 protected:
  asio::io_context io;
  SystemClock clock;
  Collector c{io, {}, {}};
};

TEST_F(Elm327Test, InitialisesThenReadsEngineSpeedAndSpeed) {
  FakeElm elm(io, FakeElm::adapter("41 0C 1A F8", "41 0D 32"));
  ASSERT_TRUE(elm.ok());
  auto src = make_elm327(io, clock, elm.path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(3)) << src->stats().last_problem;
  const std::vector<std::string> init(elm.commands().begin(), elm.commands().begin() + 6);
  EXPECT_EQ(init, (std::vector<std::string>{"ATZ", "ATE0", "ATL0", "ATS0", "ATH0", "ATSP0"}));
  EXPECT_EQ(elm.commands()[6], "010C");
  EXPECT_EQ(elm.commands()[7], "010D");
  for (const auto& s : c.samples) {
    EXPECT_EQ(s.engine_rpm, 1726);
    EXPECT_EQ(s.sensor_speed_kmh, 50.0);
    EXPECT_FALSE(s.ignition_on);  // not this source's signal: missing, not guessed
  }
  EXPECT_EQ(src->stats().timeouts, 0u);
  EXPECT_EQ(src->stats().last_problem, "");
}

TEST_F(Elm327Test, NoDataIsMissingAndNeverTheLastValue) {
  int polls = 0;
  FakeElm elm(io, [&](const std::string& cmd) -> std::optional<std::string> {
    if (cmd == "010C") return ++polls == 1 ? "SEARCHING...\r41 0C 0F A0" : "NO DATA";
    if (cmd == "010D") return polls == 1 ? "41 0D 14" : "STOPPED";
    return FakeElm::adapter("", "")(cmd);
  });
  auto src = make_elm327(io, clock, elm.path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(3));
  EXPECT_EQ(c.samples[0].engine_rpm, 1000);
  EXPECT_EQ(c.samples[0].sensor_speed_kmh, 20.0);
  for (std::size_t i = 1; i < c.samples.size(); ++i) {
    EXPECT_FALSE(c.samples[i].engine_rpm) << i;
    EXPECT_FALSE(c.samples[i].sensor_speed_kmh) << i;
  }
  EXPECT_NE(src->stats().last_problem.find("NO DATA"), std::string::npos)
      << src->stats().last_problem;
  EXPECT_NE(src->stats().last_problem.find("STOPPED"), std::string::npos);
}

TEST_F(Elm327Test, UnableToConnectAndUnknownCommandAreMissing) {
  FakeElm elm(io, [&](const std::string& cmd) -> std::optional<std::string> {
    if (cmd == "010C") return "SEARCHING...\rUNABLE TO CONNECT";
    if (cmd == "010D") return "?";
    return FakeElm::adapter("", "")(cmd);
  });
  auto src = make_elm327(io, clock, elm.path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(2));
  for (const auto& s : c.samples) {
    EXPECT_FALSE(s.engine_rpm);
    EXPECT_FALSE(s.sensor_speed_kmh);
  }
  EXPECT_NE(src->stats().last_problem.find("UNABLE TO CONNECT"), std::string::npos);
}

TEST_F(Elm327Test, SilentAdapterTimesOutToMissingThenReopens) {
  FakeElm elm(io, [](const std::string& cmd) -> std::optional<std::string> {
    if (cmd.starts_with("01")) return std::nullopt;  // the ECU side hangs
    return FakeElm::adapter("", "")(cmd);
  });
  auto src = make_elm327(io, clock, elm.path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  // Three silent polls, then the port is reopened and initialised again.
  auto resets = [&] { return std::count(elm.commands().begin(), elm.commands().end(), "ATZ"); };
  ASSERT_TRUE(c.run_until([&] { return resets() >= 2; }));
  EXPECT_GE(c.samples.size(), 3u);
  for (const auto& s : c.samples) {
    EXPECT_FALSE(s.engine_rpm);
    EXPECT_FALSE(s.sensor_speed_kmh);
  }
  EXPECT_GE(src->stats().timeouts, 6u);  // two PIDs per poll
  EXPECT_EQ(src->stats().opens, 2u);
}

TEST_F(Elm327Test, AdapterThatNeverAnswersGivesMissingSamplesAndOneClearProblem) {
  FakeElm elm(io, [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  auto src = make_elm327(io, clock, elm.path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(2));
  for (const auto& s : c.samples)
    EXPECT_FALSE(s.engine_rpm || s.sensor_speed_kmh || s.ignition_on);
  EXPECT_NE(src->stats().last_problem.find("no answer to ATZ"), std::string::npos)
      << src->stats().last_problem;
}

TEST_F(Elm327Test, WrongDeviceAnswersGarbageToInit) {
  FakeElm elm(io,
              [](const std::string&) -> std::optional<std::string> { return "\x13\x7f#garble"; });
  auto src = make_elm327(io, clock, elm.path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(1));
  EXPECT_FALSE(c.samples[0].engine_rpm);
  EXPECT_NE(src->stats().last_problem.find("wrong baud rate"), std::string::npos)
      << src->stats().last_problem;
}

TEST_F(Elm327Test, AdapterUnpluggedThenMissingDevice) {
  auto elm = std::make_unique<FakeElm>(io, FakeElm::adapter("41 0C 0F A0", "41 0D 0A"));
  auto src = make_elm327(io, clock, elm->path(), 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(2));
  EXPECT_EQ(c.samples.back().engine_rpm, 1000);
  const std::size_t before = c.samples.size();
  elm->vanish();
  ASSERT_TRUE(c.wait_samples(before + 3));
  // At most the one poll already in flight still had the value; afterwards everything is missing.
  for (std::size_t i = before + 1; i < c.samples.size(); ++i)
    EXPECT_FALSE(c.samples[i].engine_rpm) << i;
  EXPECT_FALSE(src->stats().connected);
  EXPECT_FALSE(src->stats().last_problem.empty());
}

TEST_F(Elm327Test, DeviceThatDoesNotExist) {
  auto src = make_elm327(io, clock, "/dev/nonexistent-tta-elm", 38400, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(2));
  EXPECT_FALSE(c.samples[0].engine_rpm);
  EXPECT_NE(src->stats().last_problem.find("cannot open /dev/nonexistent-tta-elm"),
            std::string::npos);
  src->stop();
  src->stop();  // idempotent
}

// ---------------------------------------------------------------- SocketCAN

/// An ECU on the far end of a socket that carries `struct can_frame`s: answers mode-01 requests
/// for 0x0C/0x0D as `reply` says (empty: silent), with a noise frame before each answer.
class FakeEcu {
 public:
  using Reply = std::function<std::vector<can_frame>(std::uint8_t pid)>;
  FakeEcu(asio::io_context& io, int fd, Reply reply) : sock_(io), reply_(std::move(reply)) {
    sock_.assign(fd);
    read();
  }
  static can_frame frame(std::uint32_t id, std::vector<std::uint8_t> data) {
    can_frame f{};
    f.can_id = id;
    f.can_dlc = static_cast<std::uint8_t>(data.size());
    std::memcpy(f.data, data.data(), data.size());
    return f;
  }
  int requests = 0;

 private:
  void read() {
    sock_.async_read_some(
        asio::buffer(&in_, sizeof in_), [this](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return;
          if (n == sizeof(can_frame) && in_.can_id == 0x7DF && in_.data[0] == 0x02 &&
              in_.data[1] == 0x01) {
            ++requests;
            for (const auto& f : reply_(in_.data[2])) {
              auto out = std::make_shared<can_frame>(f);
              sock_.async_write_some(asio::buffer(out.get(), sizeof(can_frame)),
                                     [out](const boost::system::error_code&, std::size_t) {});
            }
          }
          read();
        });
  }
  asio::posix::stream_descriptor sock_;
  Reply reply_;
  can_frame in_{};
};

std::vector<can_frame> good_ecu(std::uint8_t pid) {
  std::vector<can_frame> out;
  out.push_back(
      FakeEcu::frame(0x7E9, {0x10, 0x14, 0x49, 0x02, 1, 2, 3, 4}));     // someone's first frame
  out.push_back(FakeEcu::frame(0x123, {0x04, 0x41, pid, 0xFF, 0xFF}));  // not an OBD reply id
  if (pid == 0x0C)
    out.push_back(FakeEcu::frame(0x7E8, {0x04, 0x41, 0x0C, 0x1A, 0xF8, 0xAA, 0xAA, 0xAA}));
  if (pid == 0x0D)
    out.push_back(FakeEcu::frame(0x7E8, {0x03, 0x41, 0x0D, 0x3C, 0xAA, 0xAA, 0xAA, 0xAA}));
  return out;
}

TEST(SocketCan, ReadsBothPidsFromSingleFramesIgnoringOtherFrames) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  asio::io_context io;
  SystemClock clock;
  Collector c{io, {}, {}};
  FakeEcu ecu(io, fds[1], good_ecu);
  auto src = make_socketcan_on_fd(io, clock, fds[0], fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(3));
  for (const auto& s : c.samples) {
    EXPECT_EQ(s.engine_rpm, 1726);
    EXPECT_EQ(s.sensor_speed_kmh, 60.0);
  }
  EXPECT_EQ(src->stats().timeouts, 0u);
}

TEST(SocketCan, SilentEcuAndNegativeResponseAreMissing) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  asio::io_context io;
  SystemClock clock;
  Collector c{io, {}, {}};
  FakeEcu ecu(io, fds[1], [](std::uint8_t pid) {
    std::vector<can_frame> out;
    if (pid == 0x0D) out.push_back(FakeEcu::frame(0x7E8, {0x03, 0x7F, 0x01, 0x31, 0, 0, 0, 0}));
    return out;  // 0x0C: nothing at all
  });
  auto src = make_socketcan_on_fd(io, clock, fds[0], fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(2));
  for (const auto& s : c.samples) {
    EXPECT_FALSE(s.engine_rpm);
    EXPECT_FALSE(s.sensor_speed_kmh);
  }
  EXPECT_GE(src->stats().timeouts, 2u);
  EXPECT_NE(src->stats().last_problem.find("engine speed"), std::string::npos);
}

TEST(SocketCan, MissingInterfaceIsMissingNotACrash) {
  asio::io_context io;
  SystemClock clock;
  Collector c{io, {}, {}};
  auto src = make_socketcan(io, clock, "nocan7", fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(2));
  EXPECT_FALSE(c.samples[0].engine_rpm);
  EXPECT_FALSE(src->stats().last_problem.empty());
}

/// A vcan interface made for this test (root and the vcan module needed), removed afterwards.
class Vcan {
 public:
  Vcan() : name_("vcantta" + std::to_string(::getpid() % 100000)) {
    const int probe = ::socket(PF_CAN, SOCK_RAW, CAN_RAW);
    if (probe < 0) {
      why_ = std::string("this kernel has no SocketCAN (socket(PF_CAN): ") + std::strerror(errno) +
             ")";
      return;
    }
    ::close(probe);
    const std::string add = "ip link add dev " + name_ + " type vcan 2>/dev/null && ip link set " +
                            name_ + " up 2>/dev/null";
    if (std::system(add.c_str()) != 0) {
      why_ = "cannot create a vcan interface (`ip link add dev " + name_ +
             " type vcan` failed: no vcan module or not permitted)";
      return;
    }
    made_ = true;
  }
  ~Vcan() {
    if (made_) (void)std::system(("ip link del dev " + name_ + " 2>/dev/null").c_str());
  }
  [[nodiscard]] bool ok() const { return made_; }
  [[nodiscard]] const std::string& why() const { return why_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string why_;
  bool made_ = false;
};

TEST(SocketCan, OnVcanWithAnEcuOnTheBus) {
  Vcan vcan;
  if (!vcan.ok()) GTEST_SKIP() << "vcan test skipped: " << vcan.why();
  const int ecu_fd = ::socket(PF_CAN, SOCK_RAW, CAN_RAW);
  ASSERT_GE(ecu_fd, 0);
  sockaddr_can addr{};
  addr.can_family = AF_CAN;
  addr.can_ifindex = static_cast<int>(::if_nametoindex(vcan.name().c_str()));
  ASSERT_EQ(::bind(ecu_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  asio::io_context io;
  SystemClock clock;
  Collector c{io, {}, {}};
  FakeEcu ecu(io, ecu_fd, good_ecu);
  auto src = make_socketcan(io, clock, vcan.name(), fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.run_until([&] { return c.samples.size() >= 3 && c.samples.back().engine_rpm; }));
  EXPECT_EQ(c.samples.back().engine_rpm, 1726);
  EXPECT_EQ(c.samples.back().sensor_speed_kmh, 60.0);
}

// ---------------------------------------------------------------- files, sim, merge

class FileTest : public testing::Test {
 protected:
  void SetUp() override {
    dir =
        fs::temp_directory_path() / ("tta-vehicle-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  void put(const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::trunc) << text;
  }
  fs::path dir;
  asio::io_context io;
  Collector c{io, {}, {}};
};

TEST_F(FileTest, IgnitionFromGpioValueFile) {
  SystemClock clock;
  put("value", "1\n");
  auto src = make_sysfs_ignition(io, clock, (dir / "value").string(), false, fast());
  auto low = make_sysfs_ignition(io, clock, (dir / "value").string(), true, fast());
  std::vector<VehicleSample> inverted;
  ASSERT_TRUE(low->start([&](const VehicleSample& s) { inverted.push_back(s); }));
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(1));
  EXPECT_EQ(c.samples.back().ignition_on, true);
  EXPECT_FALSE(c.samples.back().engine_rpm);
  ASSERT_TRUE(c.run_until([&] { return !inverted.empty(); }));
  EXPECT_EQ(inverted.back().ignition_on, false);  // active low: 1 = off

  put("value", "0\n");
  ASSERT_TRUE(c.run_until([&] { return c.samples.back().ignition_on == false; }));
  put("value", "maybe\n");
  ASSERT_TRUE(c.run_until([&] { return !c.samples.back().ignition_on.has_value(); }));
  EXPECT_NE(src->stats().last_problem.find("not 0 or 1"), std::string::npos);
  fs::remove(dir / "value");
  const std::size_t n = c.samples.size();
  ASSERT_TRUE(c.wait_samples(n + 2));
  EXPECT_FALSE(c.samples.back().ignition_on);  // missing, not the last good value
  EXPECT_NE(src->stats().last_problem.find("cannot read"), std::string::npos);
  put("value", "1");
  ASSERT_TRUE(c.run_until([&] { return c.samples.back().ignition_on == true; }));
  EXPECT_EQ(src->stats().last_problem, "");
}

TEST_F(FileTest, PulseCounterSpeedOnAFakeClock) {
  FakeClock clock;
  put("count", "1000\n");
  std::uint64_t count = 1000;
  // After each reading one second passes and the wheel turns 5 pulses (500 per km: 10 m).
  c.also = [&](const VehicleSample&) {
    clock.advance(1s);
    count += 5;
    put("count", std::to_string(count) + "\n");
  };
  auto src = make_pulse_speed(io, clock, (dir / "count").string(), 500, fast());
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(3));
  EXPECT_FALSE(c.samples[0].sensor_speed_kmh);              // one reading is no speed
  EXPECT_NEAR(*c.samples[1].sensor_speed_kmh, 36.0, 1e-9);  // 10 m/s
  EXPECT_NEAR(*c.samples[2].sensor_speed_kmh, 36.0, 1e-9);
  c.also = [&](const VehicleSample&) {
    clock.advance(1s);
    put("count", "7\n");  // counter reset
  };
  const std::size_t n = c.samples.size();
  ASSERT_TRUE(c.wait_samples(n + 3));
  EXPECT_FALSE(c.samples[n + 1].sensor_speed_kmh);            // went backwards: unknown
  EXPECT_DOUBLE_EQ(*c.samples[n + 2].sensor_speed_kmh, 0.0);  // 7 → 7: standing
  c.also = nullptr;
  put("count", "lots");
  ASSERT_TRUE(c.run_until([&] { return !src->stats().last_problem.empty(); }));
  EXPECT_NE(src->stats().last_problem.find("not a pulse count"), std::string::npos);
}

TEST(SimVehicle, LabelledAndDerivedFromTheDriveCycle) {
  asio::io_context io;
  FakeClock clock;
  Collector c{io, {}, {}};
  auto src = make_sim_vehicle(io, clock, fast(), 30);
  EXPECT_NE(src->describe().find("SIMULATED"), std::string::npos);
  c.also = [&](const VehicleSample&) { clock.advance(5s); };
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.wait_samples(24));  // one whole 120 s cycle
  double top = 0;
  for (const auto& s : c.samples) {
    ASSERT_TRUE(s.ignition_on && s.engine_rpm && s.sensor_speed_kmh);
    EXPECT_TRUE(*s.ignition_on);
    EXPECT_EQ(*s.engine_rpm, static_cast<std::uint16_t>(800 + 45 * *s.sensor_speed_kmh));
    top = std::max(top, *s.sensor_speed_kmh);
  }
  EXPECT_EQ(c.samples[0].sensor_speed_kmh, 0.0);    // idling at the start
  EXPECT_EQ(c.samples[12].sensor_speed_kmh, 30.0);  // cruising at 60 s
  EXPECT_EQ(top, 30.0);
}

TEST_F(FileTest, ConfiguredSourcesAreMergedAndStaleReadingsDropped) {
  FakeClock clock;
  put("value", "1\n");
  put("count", "100\n");
  config::VehicleConfig cfg;
  cfg.ignition = "sysfs://" + (dir / "value").string();
  cfg.pulses = "sysfs://" + (dir / "count").string() + "?pulses_per_km=1000";
  cfg.poll_interval_ms = 50;
  cfg.max_age_ms = 3000;
  auto made = make_vehicle_signals(cfg, io, clock);
  ASSERT_TRUE(made) << made.error().message;
  auto& src = *made;
  ASSERT_NE(src, nullptr);
  EXPECT_NE(src->describe().find("pulses_per_km=1000"), std::string::npos);
  // Move one second and 10 pulses (36 km/h) after every fourth merged sample.
  int n = 0;
  std::uint64_t count = 100;
  c.also = [&](const VehicleSample&) {
    if (++n % 4 == 0) {
      clock.advance(1s);
      count += 10;
      put("count", std::to_string(count));
    }
  };
  ASSERT_TRUE(src->start(c.handler()));
  ASSERT_TRUE(c.run_until([&] {
    return !c.samples.empty() && c.samples.back().ignition_on && c.samples.back().sensor_speed_kmh;
  }));
  EXPECT_EQ(c.samples.back().ignition_on, true);

  // Jump beyond max_age: the first merged sample afterwards carries only the fields of the
  // source that just read; the other's older reading is not repeated.
  const std::size_t before = c.samples.size();
  c.also = nullptr;
  clock.advance(10s);
  ASSERT_TRUE(c.wait_samples(before + 1));
  const VehicleSample& first = c.samples[before];
  EXPECT_NE(first.ignition_on.has_value(), first.sensor_speed_kmh.has_value())
      << "exactly one source's fields";
}

}  // namespace
}  // namespace tta::vehicle
