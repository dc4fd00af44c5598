// The simulator is as strict as a real platform (issue #18): a raw terminal registers and
// authenticates, then sends 0x0900 bodies that tta must never produce. Each one is refused
// with the §1.2 result and named under `errors` in the summary; the well-formed one is taken.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/asio.hpp>

#include <filesystem>
#include <future>
#include <thread>

#include "sim.hpp"
#include "tta/core/clock.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/frame.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/signing.hpp"
#include "tta/uplink/subpacket.hpp"

namespace tta {
namespace {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using uplink::Bytes;

/// A terminal written by hand: blocking socket, frames in, frames out.
class RawTerminal {
 public:
  explicit RawTerminal(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  void send(std::uint16_t msg_id, const Bytes& body) {
    uplink::FrameHeader h;
    h.msg_id = msg_id;
    h.phone = "13800138000";
    auto frames = uplink::split_message(h, body, 1000, serial_);
    ASSERT_TRUE(frames) << frames.error().message;
    for (const auto& f : *frames) {
      last_serial_ = f.header.serial;
      asio::write(socket_, asio::buffer(uplink::encode_frame(f).value()));
    }
    serial_ = static_cast<std::uint16_t>(serial_ + frames->size());
  }

  /// The next whole message from the platform (sub-packets reassembled), within 10 s.
  uplink::Frame receive() {
    for (;;) {
      if (!ready_.empty()) {
        auto f = std::move(ready_.front());
        ready_.erase(ready_.begin());
        return f;
      }
      std::array<std::uint8_t, 4096> buf{};
      socket_.non_blocking(false);
      timeval tv{10, 0};
      ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      boost::system::error_code ec;
      const auto n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) throw std::runtime_error("platform closed or timed out: " + ec.message());
      for (auto& r : splitter_.feed(std::span(buf.data(), n))) {
        if (!r.frame) continue;
        auto done = reassembler_.feed(*r.frame, std::chrono::steady_clock::now());
        if (done && *done) ready_.push_back((*done)->frame);
      }
    }
  }

  /// The 0x8001 result for the last frame sent.
  int ack_result() {
    for (int i = 0; i < 10; ++i) {
      auto f = receive();
      if (f.header.msg_id != uplink::msgid::kPlatformAck) continue;
      auto a = uplink::GeneralAck::decode(f.body);
      if (a && a->reply_serial == last_serial_) return a->result;
    }
    return -1;
  }

  std::uint16_t last_serial_ = 0;

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  uplink::FrameSplitter splitter_;
  uplink::Reassembler reassembler_;
  std::vector<uplink::Frame> ready_;
  std::uint16_t serial_ = 0;
};

class StrictPlatform : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tta-strict-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    sim::SimOptions so;
    so.data_dir = dir_;
    auto s = sim::PlatformSim::create(io_, so);
    ASSERT_TRUE(s) << s.error().message;
    sim_ = std::move(*s);
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { sim_.reset(); });
    work_.reset();
    thread_.join();
    fs::remove_all(dir_);
  }

  nlohmann::json summary() {
    std::promise<nlohmann::json> p;
    asio::post(io_, [&] { p.set_value(sim_->summary()); });
    return p.get_future().get();
  }

  /// Register and authenticate; returns the terminal's key and number.
  std::pair<uplink::SigningKey, std::string> log_in(RawTerminal& t) {
    uplink::Register reg;
    reg.maker_id = "TTA01";
    reg.model = "RAW";
    reg.terminal_serial = "0000001";
    reg.imei = "860000000000001";
    reg.plate = "苏A12345学";
    t.send(uplink::msgid::kRegister, reg.encode().value());
    std::optional<uplink::RegisterReply> reply;
    while (!reply) {
      auto f = t.receive();
      if (f.header.msg_id == uplink::msgid::kRegisterReply) reply = uplink::RegisterReply::decode(f.body).value();
    }
    EXPECT_EQ(reply->result, 0);
    auto key = uplink::SigningKey::from_pkcs12_base64(reply->certificate_base64,
                                                      reply->certificate_password);
    EXPECT_TRUE(key) << key.error().message;
    const auto ts = static_cast<std::uint32_t>(unix_millis(SystemClock().wall_now()) / 1000);
    auto auth = uplink::make_authenticate(*key, reply->terminal_no, ts).value();
    t.send(uplink::msgid::kAuthenticate, auth.encode().value());
    EXPECT_EQ(t.ack_result(), 0);
    return {std::move(*key), reply->terminal_no};
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  fs::path dir_;
  std::unique_ptr<sim::PlatformSim> sim_;
};

uplink::ExtendedMessage heartbeat_reply(const std::string& terminal_no, std::uint16_t packet_no) {
  // A 0x0501 reply is a plain uplink message the platform records; one byte of data.
  uplink::ExtendedMessage m;
  m.ext_id = uplink::extid::kSetAppParamsReply;
  m.packet_no = packet_no;
  m.terminal_no = terminal_no;
  m.data = {1};
  return m;
}

TEST_F(StrictPlatform, RefusesEveryMalformedEnvelopeAndSaysWhy) {
  RawTerminal t(sim_->tcp_port());
  auto [key, terminal_no] = log_in(t);

  // Well formed: one 0x13, signed. Taken.
  auto good = heartbeat_reply(terminal_no, 1);
  ASSERT_TRUE(uplink::sign_extended(good, key));
  t.send(uplink::msgid::kUplinkPassThrough, good.encode().value());
  EXPECT_EQ(t.ack_result(), 0);

  // The doubled type byte tta sent before #18.
  Bytes doubled = good.encode().value();
  doubled.insert(doubled.begin(), uplink::kPassThroughTraining);
  t.send(uplink::msgid::kUplinkPassThrough, doubled);
  EXPECT_EQ(t.ack_result(), 2);

  // A data length one more than the data.
  Bytes len = good.encode().value();
  len[26] = static_cast<std::uint8_t>(len[26] + 1);
  t.send(uplink::msgid::kUplinkPassThrough, len);
  EXPECT_EQ(t.ack_result(), 2);

  // Unsigned.
  auto unsigned_msg = heartbeat_reply(terminal_no, 2);
  t.send(uplink::msgid::kUplinkPassThrough, unsigned_msg.encode().value());
  EXPECT_EQ(t.ack_result(), 1);

  // Signed, then changed: the signature no longer verifies.
  auto tampered = heartbeat_reply(terminal_no, 3);
  ASSERT_TRUE(uplink::sign_extended(tampered, key));
  tampered.data = {2};
  t.send(uplink::msgid::kUplinkPassThrough, tampered.encode().value());
  EXPECT_EQ(t.ack_result(), 1);

  // An extended ID no §2.4 table has (signed, so only the ID is wrong): unsupported.
  auto unknown = heartbeat_reply(terminal_no, 4);
  unknown.ext_id = 0x0777;
  ASSERT_TRUE(uplink::sign_extended(unknown, key));
  t.send(uplink::msgid::kUplinkPassThrough, unknown.encode().value());
  EXPECT_EQ(t.ack_result(), 3);

  // A downlink ID sent up: not a terminal-to-platform message either.
  auto downlink = heartbeat_reply(terminal_no, 5);
  downlink.ext_id = uplink::extid::kSetTrainingBan;
  ASSERT_TRUE(uplink::sign_extended(downlink, key));
  t.send(uplink::msgid::kUplinkPassThrough, downlink.encode().value());
  EXPECT_EQ(t.ack_result(), 3);

  // Another pass-through type.
  t.send(uplink::msgid::kUplinkPassThrough, Bytes{0xF0, 0x01});
  EXPECT_EQ(t.ack_result(), 3);

  const auto s = summary();
  const auto& e = s["errors"];
  EXPECT_EQ(e.value("doubled_type_byte", 0), 1) << s.dump();
  EXPECT_EQ(e.value("bad_envelope", 0), 1) << s.dump();
  EXPECT_EQ(e.value("unsigned", 0), 1) << s.dump();
  EXPECT_EQ(e.value("bad_signature", 0), 1) << s.dump();
  EXPECT_EQ(e.value("unknown_ext_id", 0), 2) << s.dump();
  EXPECT_EQ(e.value("pass_through_type", 0), 1) << s.dump();
  bool named = false;
  for (const auto& m : s["error_messages"]) {
    named = named || m.get<std::string>().find("doubled") != std::string::npos;
  }
  EXPECT_TRUE(named) << s["error_messages"].dump();
}

}  // namespace
}  // namespace tta
