#pragma once
// A TerminalLink (agent/src/outbox/forwarder.hpp) standing in for the JT/T 808 session: it
// keeps every extended message sent with its `done`, and the test answers each with an
// 0x8001 ack result, an 0x8900 reply or an error, when it likes. BasicFakeLink is that over
// any link interface (fake_platform_link.hpp adds the daemon's calls).
#include <optional>
#include <utility>
#include <vector>

#include "outbox/forwarder.hpp"

namespace tta::testing {

template <class Link>
class BasicFakeLink : public Link {
 public:
  struct Sent {
    uplink::ExtendedMessage message;
    uplink::TerminalSession::Done done;  ///< empty once answered
  };

  bool is_online = true;
  uplink::SessionStats session_stats;
  std::vector<Sent> sent;

  /// Come online: one more authentication, at the clock's monotonic `now`.
  void connect(MonoTime now) {
    is_online = true;
    ++session_stats.authentications;
    session_stats.online_since = now;
  }

  bool online() const override { return is_online; }
  uplink::SessionStats stats() const override { return session_stats; }
  void send_extended(uplink::ExtendedMessage m, uplink::TerminalSession::Done done) override {
    sent.push_back({std::move(m), std::move(done)});
  }
  std::uint16_t packets_for(std::size_t n) const override {
    return static_cast<std::uint16_t>(n / 1000 + 1);
  }

  /// Answer the `i`-th message sent.
  void answer(std::size_t i, Result<uplink::Reply> r) {
    auto done = std::move(sent.at(i).done);
    sent.at(i).done = nullptr;
    if (done) done(std::move(r));
  }
  void ack(std::size_t i, std::uint8_t result = 0) { answer(i, uplink::Reply{result, std::nullopt}); }
  void reply(std::size_t i, uplink::ExtendedMessage m) { answer(i, uplink::Reply{0, std::move(m)}); }
};

class FakeTerminalLink final : public BasicFakeLink<agent::TerminalLink> {};

}  // namespace tta::testing
