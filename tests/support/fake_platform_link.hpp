#pragma once
// A PlatformLink (agent/src/daemon/parts.hpp) standing in for the JT/T 808 session under a
// daemon: what the forwarder sends waits for the test's answer (BasicFakeLink), and the
// daemon's own calls (position reports, replies, heartbeat, reconnect) are recorded. The test
// plays the platform's side through the listener the daemon gave: coming online, going
// offline, core commands.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "daemon/parts.hpp"
#include "support/fake_terminal_link.hpp"

namespace tta::testing {

class FakePlatformLink final : public BasicFakeLink<agent::PlatformLink> {
 public:
  explicit FakePlatformLink(uplink::SessionListener& listener) : listener_(listener) {
    is_online = false;
  }

  bool started = false;
  bool stopped = false;
  std::string number = "0000000000012345";  ///< the terminal number once registered
  std::vector<uplink::PositionReport> positions;
  std::vector<std::pair<std::uint16_t, uplink::Bytes>> replies;
  std::vector<std::chrono::milliseconds> heartbeats;
  std::vector<std::string> reconnects;

  void start() override { started = true; }
  void stop() override { stopped = true; }
  std::string terminal_no() const override { return number; }
  void send_position(const uplink::PositionReport& p,
                     uplink::TerminalSession::Done done) override {
    positions.push_back(p);
    if (done) done(uplink::Reply{0, std::nullopt});
  }
  void send_reply(std::uint16_t msg_id, const uplink::Bytes& body) override {
    replies.emplace_back(msg_id, body);
  }
  void set_heartbeat(std::chrono::milliseconds interval) override {
    heartbeats.push_back(interval);
  }
  void reconnect(const std::string& why) override { reconnects.push_back(why); }

  /// Registered and authenticated (a new connection at `now`), as the session tells the daemon.
  void go_online(MonoTime now) {
    connect(now);
    listener_.on_online();
  }
  /// The connection ended.
  void go_offline(const std::string& why) {
    is_online = false;
    listener_.on_offline(Error{Errc::unavailable, why});
  }
  /// A core command (0x8103 …) as the session hands it over; the general ack's result.
  std::uint8_t core_command(std::uint16_t msg_id, uplink::Bytes body) {
    uplink::Frame f;
    f.header.msg_id = msg_id;
    f.body = std::move(body);
    return listener_.on_core_command(f);
  }

 private:
  uplink::SessionListener& listener_;
};

}  // namespace tta::testing
