// The TCP forwarder (agent/src/outbox/forwarder.hpp) on a fake session link, a fake clock and
// a real store: extended messages and their acks, the re-sent (补传) flag, non-zero ack
// results retried, photos as 0x0305→0x8305→0x0306, refusals, and a stop in flight.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "outbox/forwarder.hpp"
#include "support/fake_delivery_transport.hpp"
#include "support/fake_terminal_link.hpp"
#include "support/temp_store.hpp"

namespace tta::agent {
namespace {

using namespace std::chrono_literals;
using testing::FakeTerminalLink;
using testing::ScriptedRandom;

constexpr const char* kPerson = "3201000000000101";

class TcpForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.ok());
    link_.is_online = false;
  }

  std::int64_t now_ms() const { return unix_millis(clock_.wall_now()); }

  std::int64_t enqueue(const std::string& kind, const std::string& key,
                       std::vector<std::uint8_t> payload = {1, 2, 3}) {
    store::OutboxEntry e{.kind = kind, .key = key, .payload = std::move(payload)};
    e.next_attempt_ms = now_ms();
    auto id = store_->outbox().enqueue(e, now_ms());
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  /// A photo in the store with its outbox entry, as the engine makes them.
  std::int64_t add_photo(const std::string& no, std::size_t jpeg_bytes) {
    store::Photo p{.photo_no = no, .person_no = kPerson, .class_id = 7, .event = 19,
                   .taken_ms = now_ms(), .jpeg = std::vector<std::uint8_t>(jpeg_bytes, 0xAB)};
    uplink::PhotoUploadInit init;
    init.photo_no = no;
    init.person_no = kPerson;
    init.event = 19;
    init.photo_size_bytes = static_cast<std::uint32_t>(jpeg_bytes);
    init.class_id = 7;
    auto data = init.encode();
    EXPECT_TRUE(data);
    store::OutboxEntry e{.kind = kPhotoKind, .key = no, .payload = *data};
    e.next_attempt_ms = now_ms();
    EXPECT_TRUE(store_->photos().add(p, e));
    auto got = store_->outbox().entry(kPhotoKind, no);
    return got && *got ? (*got)->id : 0;
  }

  store::OutboxEntry entry(std::int64_t id) {
    auto e = store_->outbox().entry(id);
    EXPECT_TRUE(e && *e);
    return e && *e ? **e : store::OutboxEntry{};
  }

  Forwarder& forwarder(ForwarderOptions o = {.window = 4}) {
    o.pump_interval = 1h;  // poke() drives it; the timers never fire in a test
    o.ack_flush_delay = 1h;
    o.retry_min = 1000ms;
    o.retry_max = 8000ms;
    fwd_.emplace(io_, *store_, link_, clock_, o, std::ref(random_));
    return *fwd_;
  }
  void pump() {
    fwd_->poke();
    io_.poll();
  }

  boost::asio::io_context io_;
  FakeClock clock_;
  testing::TempStore store_{"tcp-forwarder"};
  FakeTerminalLink link_;
  ScriptedRandom random_{{0.5}};
  std::optional<Forwarder> fwd_;
};

TEST_F(TcpForwarderTest, SendsEachKindAsItsExtendedMessageAndAcksOnTheAck) {
  link_.connect(clock_.mono_now());
  clock_.advance(1s);
  const auto login = enqueue(tcp_kind(0x0101), "c1", {4, 5});
  const auto rec = enqueue(tcp_kind(0x0203), "r1", {9, 8, 7});
  std::vector<std::uint16_t> replies;
  forwarder().on_reply([&](const uplink::ExtendedMessage& m) { replies.push_back(m.ext_id); });
  fwd_->start();
  ASSERT_EQ(link_.sent.size(), 2u);
  EXPECT_EQ(link_.sent[0].message.ext_id, 0x0101);
  EXPECT_EQ(link_.sent[0].message.data, (uplink::Bytes{4, 5}));
  EXPECT_EQ(link_.sent[1].message.ext_id, 0x0203);
  EXPECT_EQ(link_.sent[1].message.data, (uplink::Bytes{9, 8, 7}));
  EXPECT_FALSE(link_.sent[0].message.resent) << "made while online, sent at once";

  uplink::ExtendedMessage reply;
  reply.ext_id = 0x8101;
  reply.data = {0x01};
  link_.reply(0, reply);
  link_.ack(1);
  io_.poll();
  EXPECT_EQ(replies, (std::vector<std::uint16_t>{0x8101}));
  EXPECT_EQ(entry(login).state, store::OutboxState::acked);
  EXPECT_EQ(entry(rec).state, store::OutboxState::acked);
  const auto st = fwd_->stats();
  EXPECT_EQ(st.sent, 2u);
  EXPECT_EQ(st.acked, 2u);
  EXPECT_EQ(st.failed, 0u);
  EXPECT_EQ(fwd_->in_flight(), 0u);
}

TEST_F(TcpForwarderTest, NothingGoesOutWhileOffline) {
  enqueue(tcp_kind(0x0203), "r1");
  forwarder().start();
  pump();
  EXPECT_TRUE(link_.sent.empty());
  link_.connect(clock_.mono_now());
  pump();
  EXPECT_EQ(link_.sent.size(), 1u);
}

TEST_F(TcpForwarderTest, ReSentFlagForWhatWasMadeOfflineOrSentBefore) {
  const auto offline = enqueue(tcp_kind(0x0203), "made-offline");
  clock_.advance(10s);
  link_.connect(clock_.mono_now());  // the connection comes up after it was made
  clock_.advance(10s);
  const auto online = enqueue(tcp_kind(0x0203), "made-online");
  forwarder().start();
  ASSERT_EQ(link_.sent.size(), 2u);
  EXPECT_TRUE(link_.sent[0].message.resent);
  EXPECT_FALSE(link_.sent[1].message.resent);
  link_.ack(0);

  // A non-zero ack result is a refusal: tried again (up to max_refusals) after the backoff,
  // flagged re-sent.
  link_.ack(1, 2);
  io_.poll();
  auto e = entry(online);
  EXPECT_EQ(e.state, store::OutboxState::queued);
  EXPECT_EQ(e.last_error, "refused (1 of 5), will try again: platform ack result 2");
  EXPECT_EQ(e.refusals, 1);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.next_attempt_ms, now_ms() + 500) << "half of retry_min: the jitter drawn was 0.5";
  clock_.advance(500ms);
  pump();
  ASSERT_EQ(link_.sent.size(), 3u);
  EXPECT_TRUE(link_.sent[2].message.resent) << "sent before without an ack";
  link_.ack(2);
  io_.poll();
  EXPECT_EQ(entry(offline).state, store::OutboxState::acked);
  EXPECT_EQ(entry(online).state, store::OutboxState::acked);
  EXPECT_EQ(fwd_->stats().resent_flagged, 2u);
  EXPECT_EQ(fwd_->stats().failed, 1u);

  // A new connection: what was made before it is re-sent, even if it never went out.
  const auto before = enqueue(tcp_kind(0x0203), "made-before-reconnect");
  link_.is_online = false;
  pump();
  clock_.advance(1s);
  link_.connect(clock_.mono_now());
  pump();
  ASSERT_EQ(link_.sent.size(), 4u);
  EXPECT_EQ(link_.sent[3].message.data, entry(before).payload);
  EXPECT_TRUE(link_.sent[3].message.resent);
}

TEST_F(TcpForwarderTest, AFailedSendIsRetriedWithItsError) {
  link_.connect(clock_.mono_now());
  const auto id = enqueue(tcp_kind(0x0203), "r1");
  forwarder().start();
  link_.answer(0, fail(Errc::timeout, "no ack in 10 s"));
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::queued);
  EXPECT_EQ(entry(id).last_error, "no ack in 10 s");
}

TEST_F(TcpForwarderTest, AKindNotInTheTableIsRefusedNeverGuessed) {
  link_.connect(clock_.mono_now());
  const auto odd = enqueue("tcp.0abc", "x");
  const auto rec = enqueue(tcp_kind(0x0203), "r1");
  forwarder().start();
  io_.poll();
  ASSERT_EQ(link_.sent.size(), 1u) << "only the known kind goes out";
  EXPECT_EQ(link_.sent[0].message.ext_id, 0x0203);
  const auto e = entry(odd);
  EXPECT_EQ(e.state, store::OutboxState::refused);
  EXPECT_NE(e.last_error.find("unknown outbox kind"), std::string::npos) << e.last_error;
  EXPECT_EQ(entry(rec).state, store::OutboxState::queued);
}

TEST_F(TcpForwarderTest, APhotoIsAnnouncedThenSentOnTheGoAhead) {
  link_.connect(clock_.mono_now());
  const auto id = add_photo("0000000001", 2500);
  forwarder().start();
  ASSERT_EQ(link_.sent.size(), 1u);
  EXPECT_EQ(link_.sent[0].message.ext_id, uplink::extid::kPhotoUploadInit);
  auto init = uplink::PhotoUploadInit::decode(link_.sent[0].message.data);
  ASSERT_TRUE(init);
  EXPECT_EQ(init->photo_no, "0000000001");
  EXPECT_GE(init->total_packets, 3) << "the sub-packets the JPEG takes on this link";

  uplink::ExtendedMessage go;
  go.ext_id = uplink::extid::kPhotoUploadInitReply;
  go.data = *uplink::PhotoUploadInitReply{.reply = 0}.encode();
  link_.reply(0, go);
  ASSERT_EQ(link_.sent.size(), 2u);
  EXPECT_EQ(link_.sent[1].message.ext_id, uplink::extid::kPhotoData);
  auto body = uplink::PhotoData::decode(link_.sent[1].message.data);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->jpeg.size(), 2500u);
  EXPECT_EQ(entry(id).state, store::OutboxState::queued) << "not before the body's ack";
  link_.ack(1);
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::acked);
  EXPECT_EQ(fwd_->stats().photos_sent, 1u);
  EXPECT_EQ(fwd_->stats().sent, 1u);
}

TEST_F(TcpForwarderTest, APhotoThePlatformRefusesIsKeptWithTheReason) {
  link_.connect(clock_.mono_now());
  const auto id = add_photo("0000000002", 100);
  forwarder().start();
  uplink::ExtendedMessage no;
  no.ext_id = uplink::extid::kPhotoUploadInitReply;
  no.data = *uplink::PhotoUploadInitReply{.reply = 255}.encode();
  link_.reply(0, no);
  io_.poll();
  EXPECT_EQ(link_.sent.size(), 1u) << "no body after a refusal";
  EXPECT_EQ(entry(id).state, store::OutboxState::refused);
  EXPECT_NE(entry(id).last_error.find("0x8305 reply 255"), std::string::npos);
  // An 0x8001 instead of the 0x8305 is no go-ahead: tried again.
  const auto other = add_photo("0000000003", 100);
  pump();
  ASSERT_EQ(link_.sent.size(), 2u);
  link_.ack(1, 0);
  io_.poll();
  EXPECT_EQ(entry(other).state, store::OutboxState::queued);
  EXPECT_EQ(entry(other).attempts, 1);
}

TEST_F(TcpForwarderTest, APhotoMissingFromTheStoreIsRefused) {
  link_.connect(clock_.mono_now());
  uplink::PhotoUploadInit init;
  init.photo_no = "0000000009";
  init.person_no = kPerson;
  const auto id = enqueue(kPhotoKind, "0000000009", *init.encode());
  forwarder().start();
  io_.poll();
  EXPECT_TRUE(link_.sent.empty());
  EXPECT_EQ(entry(id).state, store::OutboxState::refused);
  EXPECT_NE(entry(id).last_error.find("is not in the store"), std::string::npos);
}

TEST_F(TcpForwarderTest, AStopInFlightKeepsTheAcksThatArriveAndAGoneForwarderIgnoresThem) {
  link_.connect(clock_.mono_now());
  const auto a = enqueue(tcp_kind(0x0203), "r1");
  const auto b = enqueue(tcp_kind(0x0203), "r2");
  forwarder().start();
  ASSERT_EQ(link_.sent.size(), 2u);
  fwd_->stop();
  link_.ack(0);
  EXPECT_EQ(entry(a).state, store::OutboxState::acked);
  fwd_.reset();
  link_.ack(1);  // the forwarder is gone: ignored, due again after a restart
  io_.poll();
  EXPECT_EQ(entry(b).state, store::OutboxState::queued);
}

}  // namespace
}  // namespace tta::agent
