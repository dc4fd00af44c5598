// The HTTPS forwarder (agent/src/outbox/http_forwarder.hpp) on fake transfers, a fake clock and
// a real store: signed requests per resource, the platform's verdicts (accepted, refused,
// retried with backoff), the imageup file id, unknown kinds and unconfigured resources, the
// window, and a stop in flight.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "outbox/http_forwarder.hpp"
#include "support/fake_delivery_transport.hpp"
#include "support/fake_http_transfers.hpp"
#include "support/temp_store.hpp"

namespace tta::agent {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpTransfers;
using testing::ScriptedRandom;

class HttpForwarderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One RSA key for the suite: making one takes a while.
    auto bundle = uplink::make_self_signed_pkcs12("tta-outbox-test", "pw");
    ASSERT_TRUE(bundle);
    auto key = uplink::SigningKey::from_pkcs12(bundle->pkcs12_der, "pw");
    ASSERT_TRUE(key) << key.error().message;
    key_ = std::make_shared<const uplink::SigningKey>(std::move(*key));
  }
  static void TearDownTestSuite() { key_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(store_.ok());
    config::HttpUplinkConfig cfg;
    cfg.base_url = "https://supervision.example.cn/api/";
    auto api = uplink::HttpApi::create(cfg);  // no continuing-education platform
    ASSERT_TRUE(api) << api.error().message;
    api_ = std::make_shared<const uplink::HttpApi>(std::move(*api));
  }

  std::int64_t now_ms() const { return unix_millis(clock_.wall_now()); }

  std::int64_t enqueue(std::string_view kind, const std::string& key,
                       const std::string& json = R"({"inscode":"1","recnum":"9"})") {
    store::OutboxEntry e{.kind = std::string(kind), .key = key,
                         .payload = std::vector<std::uint8_t>(json.begin(), json.end())};
    e.next_attempt_ms = now_ms();
    auto id = store_->outbox().enqueue(e, now_ms());
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }

  store::OutboxEntry entry(std::int64_t id) {
    auto e = store_->outbox().entry(id);
    EXPECT_TRUE(e && *e);
    return e && *e ? **e : store::OutboxEntry{};
  }

  HttpForwarder& forwarder(HttpForwarderOptions o = {}) {
    o.pump_interval = 1h;  // poke() drives it
    o.retry_min = 1000ms;
    o.retry_max = 8000ms;
    fwd_.emplace(io_, *store_, transfers_, api_, key_, clock_, o, std::ref(random_));
    return *fwd_;
  }
  void pump() {
    fwd_->poke();
    io_.poll();
  }

  static inline std::shared_ptr<const uplink::SigningKey> key_;
  boost::asio::io_context io_;
  FakeClock clock_;
  testing::TempStore store_{"http-forwarder"};
  FakeHttpTransfers transfers_;
  std::shared_ptr<const uplink::HttpApi> api_;
  ScriptedRandom random_{{0.5}};
  std::optional<HttpForwarder> fwd_;
};

TEST_F(HttpForwarderTest, BuildsASignedRequestPerResourceAndAcksOnErrorcodeZero) {
  const auto rec = enqueue(to_string(OutboxKind::classrecord), "9");
  enqueue(tcp_kind(0x0203), "not-mine");
  forwarder().start();
  ASSERT_EQ(transfers_.submitted.size(), 1u) << "only HTTPS kinds";
  auto req = transfers_.build(0);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_NE(req->url.find("classrecord"), std::string::npos) << req->url;
  EXPECT_NE(req->url.find("sign="), std::string::npos) << "signed: " << req->url;
  transfers_.reply(0, 0);
  io_.poll();
  EXPECT_EQ(entry(rec).state, store::OutboxState::acked);
  const auto st = fwd_->stats();
  EXPECT_EQ(st.sent, 1u);
  EXPECT_EQ(st.acked, 1u);
  EXPECT_EQ(fwd_->in_flight(), 0u);
}

TEST_F(HttpForwarderTest, AnAcceptedImageKeepsItsFileId) {
  const auto img = enqueue(to_string(OutboxKind::imageup), "0000000042", "TTAFILE1\n");
  forwarder().start();
  ASSERT_EQ(transfers_.submitted.size(), 1u);
  transfers_.reply(0, 0, R"({"id":"F-77"})");
  io_.poll();
  EXPECT_EQ(entry(img).state, store::OutboxState::acked);
  auto fid = store_->param("http.fileid.0000000042");
  ASSERT_TRUE(fid && *fid);
  EXPECT_EQ(**fid, "F-77");
}

TEST_F(HttpForwarderTest, APlatformRefusalIsKeptWithTheReasonAndNotRetried) {
  const auto a = enqueue(to_string(OutboxKind::classrecord), "a");
  const auto b = enqueue(to_string(OutboxKind::graduation), "b");
  forwarder().start();
  ASSERT_EQ(transfers_.submitted.size(), 2u);
  transfers_.reply(0, 3001, "null", "bad recnum");
  transfers_.answer(1, uplink::HttpResponse{.status = 404, .body = "not here"});
  io_.poll();
  EXPECT_EQ(entry(a).state, store::OutboxState::refused);
  EXPECT_NE(entry(a).last_error.find("3001"), std::string::npos) << entry(a).last_error;
  EXPECT_EQ(entry(b).state, store::OutboxState::refused);
  EXPECT_EQ(fwd_->stats().refused, 2u);
  clock_.advance(1h);
  pump();
  EXPECT_EQ(transfers_.submitted.size(), 2u);
}

TEST_F(HttpForwarderTest, ServerErrorsAndTransportFailuresAreRetriedAfterTheBackoff) {
  const auto a = enqueue(to_string(OutboxKind::classrecord), "a");
  const auto b = enqueue(to_string(OutboxKind::classrecord), "b");
  random_ = ScriptedRandom({0.999999, 0.25});
  forwarder().start();
  transfers_.answer(0, uplink::HttpResponse{.status = 503, .body = ""});
  transfers_.answer(1, fail(Errc::timeout, "total timeout"));
  io_.poll();
  EXPECT_EQ(entry(a).state, store::OutboxState::queued);
  EXPECT_EQ(entry(a).next_attempt_ms, now_ms() + 999);
  EXPECT_EQ(entry(b).next_attempt_ms, now_ms() + 250);
  EXPECT_EQ(entry(b).attempts, 1);
  EXPECT_EQ(fwd_->stats().retried, 2u);
  clock_.advance(250ms);
  pump();
  ASSERT_EQ(transfers_.submitted.size(), 3u) << "b is due, a is not yet";
  clock_.advance(749ms);
  pump();
  ASSERT_EQ(transfers_.submitted.size(), 4u);
  // The second failure of a waits up to twice as long.
  transfers_.answer(3, uplink::HttpResponse{.status = 500, .body = ""});
  io_.poll();
  EXPECT_EQ(entry(a).attempts, 2);
  EXPECT_LT(entry(a).next_attempt_ms - now_ms(), 2000);
  EXPECT_GE(entry(a).next_attempt_ms - now_ms(), 1000 * 0.25 * 2 - 1);
}

TEST_F(HttpForwarderTest, UnknownKindsAndUnconfiguredResourcesAreRefusedWithoutARequest) {
  const auto odd = enqueue("http.stuinfoquery", "q");
  const auto ce = enqueue(to_string(OutboxKind::ce_record), "log-1");
  forwarder().start();
  io_.poll();
  EXPECT_TRUE(transfers_.submitted.empty());
  EXPECT_EQ(entry(odd).state, store::OutboxState::refused);
  EXPECT_NE(entry(odd).last_error.find("unknown outbox kind"), std::string::npos);
  EXPECT_EQ(entry(ce).state, store::OutboxState::refused);
  EXPECT_NE(entry(ce).last_error.find("no HTTPS resource \"ce.record\""), std::string::npos)
      << entry(ce).last_error;
  EXPECT_EQ(fwd_->stats().refused, 2u);
  EXPECT_EQ(fwd_->stats().sent, 0u);
}

TEST_F(HttpForwarderTest, TheWindowBoundsUploadsInFlight) {
  for (int i = 0; i < 7; ++i) enqueue(to_string(OutboxKind::trainimginfo), std::to_string(i));
  forwarder({.window = 3}).start();
  io_.poll();
  EXPECT_EQ(transfers_.submitted.size(), 3u);
  transfers_.reply(0, 0);
  io_.poll();
  EXPECT_EQ(transfers_.submitted.size(), 4u) << "one settled, one more";
  EXPECT_EQ(fwd_->in_flight(), 3u);
}

TEST_F(HttpForwarderTest, AStopInFlightRecordsWhatArrivesAndAGoneForwarderIgnoresIt) {
  const auto a = enqueue(to_string(OutboxKind::classrecord), "a");
  const auto b = enqueue(to_string(OutboxKind::classrecord), "b");
  forwarder().start();
  fwd_->stop();
  transfers_.reply(0, 0);
  EXPECT_EQ(entry(a).state, store::OutboxState::acked);
  fwd_.reset();
  transfers_.reply(1, 0);
  io_.poll();
  EXPECT_EQ(entry(b).state, store::OutboxState::queued);
}

}  // namespace
}  // namespace tta::agent
