// The outbox's delivery core (agent/src/outbox/delivery.hpp) on a fake transport, a fake clock
// and a real store: what it picks and in what order, the window, batched acks, refusals,
// backoff with jitter, and a stop with entries in flight. Nothing sleeps: handlers posted to
// the loop run with io.poll(), and the pump's and flush timer's real deadlines are set far
// beyond any test.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "outbox/delivery.hpp"
#include "support/fake_delivery_transport.hpp"
#include "support/temp_store.hpp"

namespace tta::agent {
namespace {

using namespace std::chrono_literals;
using testing::FakeDeliveryTransport;
using testing::ScriptedRandom;

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.ok()); }

  std::int64_t now_ms() const { return unix_millis(clock_.wall_now()); }

  /// Queue an entry made now, due now.
  std::int64_t enqueue(std::string_view kind, const std::string& key) {
    store::OutboxEntry e{.kind = std::string(kind), .key = key, .payload = {1, 2, 3}};
    e.next_attempt_ms = now_ms();
    auto id = store_->outbox().enqueue(e, now_ms());
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : 0;
  }
  std::int64_t record(int i) {
    return enqueue(to_string(OutboxKind::training_record), "r" + std::to_string(i));
  }

  store::OutboxEntry entry(std::int64_t id) {
    auto e = store_->outbox().entry(id);
    EXPECT_TRUE(e && *e);
    return e && *e ? **e : store::OutboxEntry{};
  }

  DeliveryCore& core(DeliveryOptions o = {}) {
    o.pump_interval = 1h;     // the pump's timer never fires in a test: poke() drives it
    if (o.ack_flush_delay == 50ms) o.ack_flush_delay = 1h;  // nor the flush timer
    core_.emplace(io_, *store_, transport_, clock_, o, std::ref(random_));
    return *core_;
  }

  boost::asio::io_context io_;
  FakeClock clock_;
  testing::TempStore store_{"delivery"};
  FakeDeliveryTransport transport_;
  ScriptedRandom random_{{0.5}};
  std::optional<DeliveryCore> core_;
};

TEST_F(DeliveryTest, SendsDueEntriesOldestFirstAndOnlyItsChannelsKinds) {
  record(0);
  enqueue(to_string(OutboxKind::classrecord), "c0");
  clock_.advance(1ms);
  record(1);
  enqueue(to_string(OutboxKind::photo), "p0");
  clock_.advance(1ms);
  record(2);
  core({.channel = OutboxChannel::tcp}).start();
  io_.poll();
  EXPECT_EQ(transport_.keys(), (std::vector<std::string>{"r0", "r1", "p0", "r2"}));
  EXPECT_EQ(core_->in_flight(), 4u);
  EXPECT_EQ(core_->stats().started, 4u);
  for (const auto& s : transport_.sent) EXPECT_EQ(s.entry.attempts, 0);

  // The other channel's core sees only its own.
  FakeDeliveryTransport http;
  DeliveryCore other(io_, *store_, http, clock_,
                     {.channel = OutboxChannel::http, .pump_interval = 1h});
  other.start();
  io_.poll();
  EXPECT_EQ(http.keys(), (std::vector<std::string>{"c0"}));
}

/// Honest inputs (issue #14): an entry made on SIMULATED inputs never reaches a platform that
/// is not marked as a test platform; it stays in the outbox, refused, with the reason.
TEST_F(DeliveryTest, SimulatedEntriesGoOnlyToATestPlatform) {
  store::OutboxEntry sim{.kind = std::string(to_string(OutboxKind::training_record)), .key = "sim0",
                         .payload = {1}, .simulated = true};
  sim.next_attempt_ms = now_ms();
  const auto sim_id = store_->outbox().enqueue(sim, now_ms());
  ASSERT_TRUE(sim_id);
  const auto real_id = record(0);
  EXPECT_TRUE(entry(*sim_id).simulated);
  EXPECT_FALSE(entry(real_id).simulated);

  core({.channel = OutboxChannel::tcp}).start();  // test_platform defaults to false
  io_.poll();
  EXPECT_EQ(transport_.keys(), (std::vector<std::string>{"r0"})) << "the real one only";
  const auto refused = entry(*sim_id);
  EXPECT_EQ(refused.state, store::OutboxState::refused);
  EXPECT_NE(refused.last_error.find("SIMULATED"), std::string::npos) << refused.last_error;
  EXPECT_NE(refused.last_error.find("test_platform"), std::string::npos) << refused.last_error;
  EXPECT_EQ(core_->stats().refused, 1u);
  EXPECT_EQ(core_->stats().started, 1u);

  // Requeued by an administrator and sent to a test platform: it goes.
  transport_.settle(0, DeliveryOutcome::ack());
  io_.poll();
  ASSERT_EQ(entry(real_id).state, store::OutboxState::acked);
  core_->stop();
  transport_.sent.clear();
  ASSERT_TRUE(store_->outbox().requeue(*sim_id, now_ms()));
  core({.channel = OutboxChannel::tcp, .test_platform = true}).start();
  io_.poll();
  EXPECT_EQ(transport_.keys(), (std::vector<std::string>{"sim0"}));
}

TEST_F(DeliveryTest, EntriesNotYetDueWaitForTheirTime) {
  store::OutboxEntry later{.kind = "tcp.0203", .key = "later", .payload = {1}};
  later.next_attempt_ms = now_ms() + 5000;
  ASSERT_TRUE(store_->outbox().enqueue(later, now_ms()));
  core().start();
  io_.poll();
  EXPECT_TRUE(transport_.sent.empty());
  clock_.advance(5s);
  core_->poke();
  io_.poll();
  EXPECT_EQ(transport_.keys(), (std::vector<std::string>{"later"}));
}

TEST_F(DeliveryTest, NothingIsPickedWhileTheTransportIsNotReady) {
  record(0);
  transport_.is_ready = false;
  core().start();
  core_->poke();
  io_.poll();
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_GE(transport_.ready_calls, 2);
  transport_.is_ready = true;
  core_->poke();
  io_.poll();
  EXPECT_EQ(transport_.keys(), (std::vector<std::string>{"r0"}));
}

TEST_F(DeliveryTest, TheWindowBoundsWhatIsInFlightAndAcksAreWrittenPerHalfWindow) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(record(i));
  core({.window = 4}).start();
  io_.poll();
  ASSERT_EQ(transport_.keys(), (std::vector<std::string>{"r0", "r1", "r2", "r3"}));

  // One ack of four in flight: not written yet (waits for others), nothing new is sent.
  transport_.settle(0, DeliveryOutcome::ack());
  io_.poll();
  EXPECT_EQ(entry(ids[0]).state, store::OutboxState::queued);
  EXPECT_EQ(core_->in_flight(), 4u) << "an ack not yet written still counts as in flight";
  EXPECT_EQ(transport_.sent.size(), 4u);
  EXPECT_EQ(core_->stats().ack_commits, 0u);

  // Half the window acked: both written in one transaction, and two more go out.
  transport_.settle(1, DeliveryOutcome::ack());
  io_.poll();
  EXPECT_EQ(entry(ids[0]).state, store::OutboxState::acked);
  EXPECT_EQ(entry(ids[1]).state, store::OutboxState::acked);
  EXPECT_EQ(core_->stats().ack_commits, 1u);
  EXPECT_EQ(transport_.keys(), (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4", "r5"}));
  EXPECT_EQ(core_->in_flight(), 4u);

  // Drain the rest: never more than four in flight, each entry sent once.
  for (int round = 0; round < 20 && transport_.open() > 0; ++round) {
    transport_.settle_all(DeliveryOutcome::ack());
    io_.poll();
    EXPECT_LE(core_->in_flight(), 4u);
  }
  EXPECT_EQ(transport_.sent.size(), 10u);
  EXPECT_EQ(core_->in_flight(), 0u);
  EXPECT_EQ(core_->stats().acked, 10u);
  EXPECT_EQ(store_->outbox().counts()->acked, 10);
  EXPECT_LE(core_->stats().ack_commits, 5u) << "acks are batched, not one commit each";
}

TEST_F(DeliveryTest, AnAckWithNothingElseInFlightIsWrittenAtOnce) {
  const auto id = record(0);
  core().start();
  transport_.settle(0, DeliveryOutcome::ack());
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::acked);
  EXPECT_EQ(core_->in_flight(), 0u);
}

TEST_F(DeliveryTest, WithoutAFlushDelayAcksAreWrittenAtTheEndOfTheLoopTurn) {
  const auto a = record(0);
  record(1);
  record(2);
  core({.window = 8, .ack_flush_delay = 0ms}).start();
  transport_.settle(0, DeliveryOutcome::ack());
  EXPECT_EQ(entry(a).state, store::OutboxState::queued) << "not inside the handler";
  io_.poll();
  EXPECT_EQ(entry(a).state, store::OutboxState::acked);
  EXPECT_EQ(core_->in_flight(), 2u);
}

TEST_F(DeliveryTest, ARefusalIsMarkedWithItsReasonAndNeverRetried) {
  const auto id = record(0);
  core().start();
  transport_.settle(0, DeliveryOutcome::refuse("the platform said no"));
  io_.poll();
  const auto e = entry(id);
  EXPECT_EQ(e.state, store::OutboxState::refused);
  EXPECT_EQ(e.last_error, "the platform said no");
  EXPECT_EQ(core_->in_flight(), 0u);
  EXPECT_EQ(core_->stats().refused, 1u);
  clock_.advance(24h);
  core_->poke();
  io_.poll();
  EXPECT_EQ(transport_.sent.size(), 1u) << "a refused entry waits for an administrator";
  // An administrator's retry puts it back, and it goes out again.
  ASSERT_TRUE(store_->outbox().requeue(id, now_ms()));
  core_->poke();
  io_.poll();
  EXPECT_EQ(transport_.sent.size(), 2u);
}

TEST_F(DeliveryTest, PlatformRefusalsAreTriedACappedNumberOfTimesWithBackoffThenKept) {
  const auto id = record(0);
  random_ = ScriptedRandom({0.999999});  // the largest jitter: delays just under each cap
  core({.retry_min = 1000ms, .retry_max = 8000ms, .max_refusals = 3}).start();
  const std::int64_t caps[] = {1000, 2000};
  // Refusals 1 and 2: back in the queue after the backoff, the count in last_error.
  for (std::size_t n = 0; n < std::size(caps); ++n) {
    ASSERT_EQ(transport_.sent.size(), n + 1);
    const auto t0 = now_ms();
    transport_.settle(n, DeliveryOutcome::reject("platform ack result 1"));
    io_.poll();
    const auto e = entry(id);
    EXPECT_EQ(e.state, store::OutboxState::queued) << "refusal " << n + 1;
    EXPECT_EQ(e.refusals, static_cast<int>(n) + 1);
    EXPECT_EQ(e.last_error, "refused (" + std::to_string(n + 1) +
                                " of 3), will try again: platform ack result 1");
    EXPECT_GE(e.next_attempt_ms - t0, caps[n] - 1);
    EXPECT_LT(e.next_attempt_ms - t0, caps[n]);
    clock_.advance(std::chrono::milliseconds(e.next_attempt_ms - t0 - 1));
    core_->poke();
    io_.poll();
    EXPECT_EQ(transport_.sent.size(), n + 1) << "not before the backoff";
    clock_.advance(1ms);
    core_->poke();
    io_.poll();
  }
  // Transient failures in between do not count as refusals.
  ASSERT_EQ(transport_.sent.size(), 3u);
  transport_.settle(2, DeliveryOutcome::retry("offline"));
  io_.poll();
  EXPECT_EQ(entry(id).refusals, 2);
  clock_.advance(10s);
  core_->poke();
  io_.poll();
  // The third refusal: kept refused with the reason, never tried again by itself.
  ASSERT_EQ(transport_.sent.size(), 4u);
  transport_.settle(3, DeliveryOutcome::reject("platform ack result 2"));
  io_.poll();
  auto e = entry(id);
  EXPECT_EQ(e.state, store::OutboxState::refused);
  EXPECT_EQ(e.refusals, 3);
  EXPECT_EQ(e.attempts, 4);
  EXPECT_EQ(e.last_error,
            "refused 3 times, kept for the administrator: platform ack result 2");
  EXPECT_EQ(core_->stats().refused, 1u);
  EXPECT_EQ(core_->stats().rejected, 2u);
  auto listed = store_->outbox().refused(10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, id);
  auto counts = store_->outbox().counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->refused, 1);
  EXPECT_EQ(counts->queued, 0);
  clock_.advance(24h);
  core_->poke();
  io_.poll();
  EXPECT_EQ(transport_.sent.size(), 4u) << "a refused entry waits for an administrator";
  // Retried by hand: a fresh set of refusals.
  ASSERT_TRUE(store_->outbox().requeue(id, now_ms()));
  EXPECT_EQ(entry(id).refusals, 0);
  core_->poke();
  io_.poll();
  ASSERT_EQ(transport_.sent.size(), 5u);
  transport_.settle(4, DeliveryOutcome::reject("platform ack result 1"));
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::queued);
}

TEST_F(DeliveryTest, AnEntryThatCanNeverBeSentIsRefusedBeforeSendReturns) {
  const auto bad = record(0);
  const auto good = record(1);
  transport_.answer_at_once = [](const store::OutboxEntry& e) -> std::optional<DeliveryOutcome> {
    if (e.key == "r0") return DeliveryOutcome::refuse("cannot build it");
    return std::nullopt;
  };
  core().start();
  io_.poll();
  EXPECT_EQ(entry(bad).state, store::OutboxState::refused);
  EXPECT_EQ(entry(bad).last_error, "cannot build it");
  EXPECT_EQ(core_->in_flight(), 1u);
  transport_.settle(1, DeliveryOutcome::ack());
  io_.poll();
  EXPECT_EQ(entry(good).state, store::OutboxState::acked);
}

TEST_F(DeliveryTest, RetriesBackOffWithFullJitterDoublingUpToTheCap) {
  const auto id = record(0);
  // The largest jitter each time: the delay is just under the cap of its attempt.
  random_ = ScriptedRandom({0.999999});
  core({.retry_min = 1000ms, .retry_max = 8000ms}).start();
  const std::int64_t caps[] = {1000, 2000, 4000, 8000, 8000, 8000};
  for (std::size_t attempt = 0; attempt < std::size(caps); ++attempt) {
    ASSERT_EQ(transport_.sent.size(), attempt + 1);
    EXPECT_EQ(transport_.sent.back().entry.attempts, static_cast<int>(attempt))
        << "the transport sees earlier attempts (the re-send flag)";
    const auto t0 = now_ms();
    transport_.settle(attempt, DeliveryOutcome::retry("timeout"));
    io_.poll();
    const auto e = entry(id);
    EXPECT_EQ(e.state, store::OutboxState::queued);
    EXPECT_EQ(e.last_error, "timeout");
    EXPECT_EQ(e.attempts, static_cast<int>(attempt) + 1);
    const auto delay = e.next_attempt_ms - t0;
    EXPECT_GE(delay, caps[attempt] - 1) << "attempt " << attempt;
    EXPECT_LT(delay, caps[attempt]) << "attempt " << attempt;
    // Not before its time …
    clock_.advance(std::chrono::milliseconds(delay - 1));
    core_->poke();
    io_.poll();
    EXPECT_EQ(transport_.sent.size(), attempt + 1);
    // … and then at once.
    clock_.advance(1ms);
    core_->poke();
    io_.poll();
  }
  EXPECT_EQ(core_->stats().retried, std::size(caps));
}

TEST_F(DeliveryTest, JitterSpreadsRetriesOverTheWholeInterval) {
  const auto a = record(0);
  const auto b = record(1);
  random_ = ScriptedRandom({0.0, 0.5});
  core({.retry_min = 1000ms, .retry_max = 8000ms}).start();
  const auto t0 = now_ms();
  transport_.settle(0, DeliveryOutcome::retry("reset"));
  transport_.settle(1, DeliveryOutcome::retry("reset"));
  EXPECT_EQ(entry(a).next_attempt_ms, t0) << "jitter 0: due again at once";
  EXPECT_EQ(entry(b).next_attempt_ms, t0 + 500);
  EXPECT_EQ(random_.calls, 2);
}

TEST_F(DeliveryTest, AStopWithEntriesInFlightSendsNothingNewAndRecordsWhatArrives) {
  const auto a = record(0);
  const auto b = record(1);
  const auto c = record(2);
  const auto d = record(3);
  core({.window = 3}).start();
  ASSERT_EQ(transport_.sent.size(), 3u);
  transport_.settle(0, DeliveryOutcome::ack());  // one ack waiting to be written …
  core_->stop();                                 // … is written by the stop
  EXPECT_EQ(entry(a).state, store::OutboxState::acked);
  // Outcomes still arriving are recorded at once: nothing else would write them.
  transport_.settle(1, DeliveryOutcome::ack());
  EXPECT_EQ(entry(b).state, store::OutboxState::acked);
  transport_.settle(2, DeliveryOutcome::retry("session closed"));
  EXPECT_EQ(entry(c).state, store::OutboxState::queued);
  EXPECT_EQ(entry(c).attempts, 1);
  EXPECT_EQ(core_->in_flight(), 0u);
  core_->poke();
  io_.poll();
  EXPECT_EQ(transport_.sent.size(), 3u) << "stopped: the fourth stays queued";
  EXPECT_EQ(entry(d).state, store::OutboxState::queued);
  // Started again, it carries on.
  core_->start();
  io_.poll();
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(DeliveryTest, AnOutcomeAfterTheCoreIsGoneIsIgnored) {
  const auto id = record(0);
  core().start();
  core_.reset();
  transport_.settle(0, DeliveryOutcome::ack());  // must not touch the destroyed core
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::queued) << "due again after a restart";
}

TEST_F(DeliveryTest, ASecondOutcomeForOneSendCountsOnce) {
  const auto id = record(0);
  core().start();
  auto done = transport_.sent[0].done;
  transport_.settle(0, DeliveryOutcome::refuse("no"));
  done(DeliveryOutcome::ack());
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::refused);
  EXPECT_EQ(core_->stats().acked, 0u);
}

TEST_F(DeliveryTest, AcksThatCannotBeWrittenLeaveTheEntriesDue) {
  const auto id = record(0);
  core().start();
  ASSERT_TRUE(store_->fail_writes_for_test("outbox"));
  transport_.settle(0, DeliveryOutcome::ack());
  io_.poll();
  ASSERT_TRUE(store_->fail_writes_for_test(""));
  EXPECT_EQ(entry(id).state, store::OutboxState::queued);
  EXPECT_EQ(core_->stats().ack_commits, 1u);
  // Not written, so not settled: it goes out again (the platform keeps one per key) …
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(core_->in_flight(), 1u);
  // … and that ack is written.
  transport_.settle(1, DeliveryOutcome::ack());
  io_.poll();
  EXPECT_EQ(entry(id).state, store::OutboxState::acked);
  EXPECT_EQ(core_->in_flight(), 0u);
}

}  // namespace
}  // namespace tta::agent
