// Issue #14: several writes as one transaction (Store::transaction), open sessions, the
// retention prune (only acknowledged records, never what a session or teaching log still
// needs), storage use and the quick check.

#include <gtest/gtest.h>

#include "store_fixture.hpp"

namespace tta::store::testing {
namespace {

constexpr std::int64_t kDay = 86'400'000;

OutboxEntry entry(std::string kind, std::string key, std::size_t bytes = 8) {
  OutboxEntry e;
  e.kind = std::move(kind);
  e.key = std::move(key);
  e.payload.assign(bytes, 0x42);
  return e;
}

Photo make_photo(const std::string& no, std::uint32_t class_id, std::int64_t taken_ms,
                 std::size_t bytes = 64) {
  Photo p;
  p.photo_no = no;
  p.person_no = "3201000000000101";
  p.class_id = class_id;
  p.event = 19;
  p.taken_ms = taken_ms;
  p.jpeg.assign(bytes, 0xAB);
  return p;
}

void ack(Store& s, std::string_view kind, std::string_view key) {
  auto e = s.outbox().entry(kind, key);
  ASSERT_TRUE(e && *e) << kind << " " << key;
  ASSERT_TRUE(s.outbox().mark_acked((*e)->id, 1));
}

TEST_F(StoreTest, TransactionCommitsEveryWriteTogether) {
  Store s = open_store();
  std::int64_t sid = 0;
  auto st = s.transaction([&]() -> Status {
    auto id = s.begin_session(make_session(7));
    if (!id) return fail(id.error());
    sid = *id;
    if (auto e = s.outbox().enqueue(entry("tcp.0201", "7"), 1); !e) return fail(e.error());
    return s.set_param("engine.vehicle", "state", 1);
  });
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(*s.find_session(sid));
  EXPECT_TRUE(*s.outbox().entry("tcp.0201", "7"));
  EXPECT_EQ(**s.param("engine.vehicle"), "state");
}

TEST_F(StoreTest, TransactionErrorRollsBackEveryWriteAndReachesTheCaller) {
  Store s = open_store();
  std::int64_t sid = 0;
  auto st = s.transaction([&]() -> Status {
    auto id = s.begin_session(make_session(7));
    if (!id) return fail(id.error());
    sid = *id;
    if (auto e = s.outbox().enqueue(entry("tcp.0201", "7"), 1); !e) return fail(e.error());
    if (auto e = s.set_param("engine.vehicle", "state", 1); !e) return e;
    return fail(Errc::refused, "the last step failed");
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::refused);
  EXPECT_FALSE(*s.find_session(sid));
  EXPECT_FALSE(*s.outbox().entry("tcp.0201", "7"));
  EXPECT_FALSE(*s.param("engine.vehicle"));
  // The store is usable afterwards, outside and inside a transaction.
  EXPECT_TRUE(s.set_param("x", "1", 2));
  EXPECT_TRUE(s.transaction([&] { return s.set_param("y", "2", 2); }));
  EXPECT_EQ(**s.param("y"), "2");
}

TEST_F(StoreTest, TransactionOnAFullDiskLeavesNothingHalfWritten) {
  Store s = open_store();
  ASSERT_TRUE(s.set_param("filler", "0", 1));
  auto use = s.storage_use();
  ASSERT_TRUE(use);
  // Room for a little more than what is there: the session fits, the big photo does not.
  ASSERT_TRUE(s.limit_pages_for_test(use->file_bytes / 4096 + 2));
  auto st = s.transaction([&]() -> Status {
    if (auto id = s.begin_session(make_session(9)); !id) return fail(id.error());
    return s.photos().add(make_photo("0000000017", 9, 5, 64 * 1024), entry("tcp.photo", "0000000017"));
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::disk_full) << st.error().message;
  EXPECT_TRUE(s.open_sessions("vehicle")->empty());
  EXPECT_FALSE(*s.photos().find("0000000017"));
  EXPECT_FALSE(*s.outbox().entry("tcp.photo", "0000000017"));
  EXPECT_EQ(*s.quick_check(), "ok");
}

TEST_F(StoreTest, NestedTransactionFailureRollsBackTheOuterOneWhenPassedOn) {
  Store s = open_store();
  auto st = s.transaction([&]() -> Status {
    if (auto e = s.set_param("outer", "1", 1); !e) return e;
    return s.transaction([&]() -> Status {
      if (auto e = s.set_param("inner", "1", 1); !e) return e;
      return fail(Errc::io, "inner");
    });
  });
  ASSERT_FALSE(st);
  EXPECT_FALSE(*s.param("outer"));
  EXPECT_FALSE(*s.param("inner"));
}

TEST_F(StoreTest, OpenSessionsListsOnlyUnendedOfTheMode) {
  Store s = open_store();
  auto a = s.begin_session(make_session(1));
  auto b = s.begin_session(make_session(2));
  TrainingSession c = make_session(3);
  c.mode = "classroom";
  c.coach_no.clear();
  auto cid = s.begin_session(c);
  ASSERT_TRUE(a && b && cid);
  ASSERT_TRUE(s.end_session(*a, 10));
  auto open = s.open_sessions("vehicle");
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].id, *b);
  EXPECT_EQ((*open)[0].class_id, 2u);
  EXPECT_FALSE((*open)[0].ended_ms);
  EXPECT_EQ(s.open_sessions("classroom")->size(), 1u);
}

/// A store with an ended session (class 1), minutes 0..4 of it; minutes 0-2 acked.
class PruneTest : public StoreTest {
 protected:
  void fill(Store& s) {
    auto sid = s.begin_session(make_session(1));
    ASSERT_TRUE(sid);
    sid_ = *sid;
    ASSERT_TRUE(s.outbox().enqueue(entry("tcp.0201", "1"), 1));
    for (int i = 0; i < 5; ++i) {
      const MinuteRecord m = make_minute(sid_, i);
      ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
      if (i < 3) ack(s, "tcp.0203", m.record_no);
    }
    ASSERT_TRUE(s.outbox().enqueue(entry("tcp.0202", "1"), 1));
    ASSERT_TRUE(s.end_session(sid_, make_minute(sid_, 5).minute_ms));
    ack(s, "tcp.0201", "1");
    ack(s, "tcp.0202", "1");
  }
  std::int64_t sid_ = 0;
  const std::int64_t after_all_ = make_minute(0, 100).minute_ms + 400 * kDay;
};

TEST_F(PruneTest, OnlyAcknowledgedOldMinutesGoWithTheirOutboxEntries) {
  Store s = open_store();
  fill(s);
  auto n = s.prune({.minutes_before_ms = after_all_, .batch = 100});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->minutes, 3);
  EXPECT_EQ(n->outbox, 3);
  EXPECT_EQ(n->sessions, 0);  // minutes 3 and 4 (not acked) still hang on it
  EXPECT_FALSE(n->more);
  for (int i = 0; i < 5; ++i) {
    const auto no = make_minute(sid_, i).record_no;
    EXPECT_EQ(s.find_minute(no)->has_value(), i >= 3) << i;
    EXPECT_EQ(s.outbox().entry("tcp.0203", no)->has_value(), i >= 3) << i;
  }
  // Once the rest is acked, the minutes go, then the session with its acked entries.
  for (int i = 3; i < 5; ++i) ack(s, "tcp.0203", make_minute(sid_, i).record_no);
  n = s.prune({.minutes_before_ms = after_all_, .batch = 100});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minutes, 2);
  EXPECT_EQ(n->sessions, 1);
  EXPECT_FALSE(*s.find_session(sid_));
  EXPECT_FALSE(*s.outbox().entry("tcp.0201", "1"));
  EXPECT_EQ(*s.integrity_check(), "ok");
}

TEST_F(PruneTest, YoungMinutesAndAnOpenSessionsMinutesStay) {
  Store s = open_store();
  fill(s);
  // Cutoff before minute 1: only minute 0 is old enough.
  auto n = s.prune({.minutes_before_ms = make_minute(sid_, 1).minute_ms, .batch = 100});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minutes, 1);
  // A session still open keeps its acked minutes.
  auto open = s.begin_session(make_session(2));
  ASSERT_TRUE(open);
  const MinuteRecord m = make_minute(*open, 50);
  ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
  ack(s, "tcp.0203", m.record_no);
  n = s.prune({.minutes_before_ms = after_all_, .batch = 100});
  ASSERT_TRUE(n);
  EXPECT_TRUE(*s.find_minute(m.record_no));
  EXPECT_TRUE(*s.find_session(*open));
}

TEST_F(PruneTest, AQueuedTeachingLogKeepsItsSessionsAckedMinutesAndPhotos) {
  Store s = open_store();
  fill(s);
  ASSERT_TRUE(s.photos().add(make_photo("0000000001", 1, 10), entry("tcp.photo", "0000000001")));
  ack(s, "tcp.photo", "0000000001");
  // The teaching log of class 1 is still queued (key = class ID): it is built from them.
  ASSERT_TRUE(s.outbox().enqueue(entry("http.classrecord", "1"), 2));
  auto n = s.prune({.minutes_before_ms = after_all_, .photos_before_ms = after_all_, .batch = 100});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minutes, 0);
  EXPECT_EQ(n->photos, 0);
  EXPECT_TRUE(*s.photos().find("0000000001"));
  ack(s, "http.classrecord", "1");
  n = s.prune({.minutes_before_ms = after_all_, .photos_before_ms = after_all_, .batch = 100});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minutes, 3);
  EXPECT_EQ(n->photos, 1);
}

TEST_F(PruneTest, PhotosGoOnlyWhenEveryEntryOfThemIsAcked) {
  Store s = open_store();
  const std::int64_t old_ms = 1000;
  // 1: acked on TCP and HTTPS; 2: never acked; 3: acked, but sent again on request (queued);
  // 4: acked, young.
  for (int i = 1; i <= 4; ++i) {
    const std::string no = "000000000" + std::to_string(i);
    ASSERT_TRUE(s.photos().add(make_photo(no, 0, i == 4 ? 10 * kDay : old_ms),
                            entry("tcp.photo", no)));
    if (i != 2) ack(s, "tcp.photo", no);
  }
  ASSERT_TRUE(s.outbox().enqueue(entry("http.imageup", "0000000001", 4096), 3));
  ack(s, "http.imageup", "0000000001");
  ASSERT_TRUE(s.outbox().enqueue(entry("tcp.photo", "0000000003#8304@5"), 5));
  auto n = s.prune({.photos_before_ms = 5 * kDay, .batch = 100});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->photos, 1);
  EXPECT_EQ(n->outbox, 2);
  EXPECT_FALSE(*s.photos().find("0000000001"));
  EXPECT_FALSE(*s.outbox().entry("http.imageup", "0000000001"));
  EXPECT_TRUE(*s.photos().find("0000000002"));
  EXPECT_TRUE(*s.photos().find("0000000003"));
  EXPECT_TRUE(*s.photos().find("0000000004"));
  EXPECT_TRUE(*s.outbox().entry("tcp.photo", "0000000003"));
}

TEST_F(PruneTest, EventsArePrunedOnlyByRetentionAndInBatches) {
  {
    Store s = open_store();
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(s.log_event("k", std::to_string(i), i * kDay));
    auto n = s.prune({.events_before_ms = 5 * kDay, .batch = 3});
    ASSERT_TRUE(n);
    EXPECT_EQ(n->events, 3);
    EXPECT_TRUE(n->more);
    n = s.prune({.events_before_ms = 5 * kDay, .batch = 3});
    ASSERT_TRUE(n);
    EXPECT_EQ(n->events, 2);
    EXPECT_FALSE(n->more);
    auto left = s.events_since(0, 100);
    ASSERT_TRUE(left);
    ASSERT_EQ(left->size(), 2u);
    EXPECT_EQ((*left)[0].detail, "5");
  }
  // Still append-only for everyone else (the store is closed: no lock in the way).
  EXPECT_NE(raw_exec(cfg_, "DELETE FROM event_log"), 0);
  EXPECT_NE(raw_exec(cfg_, "UPDATE event_log SET detail = 'forged'"), 0);
  EXPECT_EQ(raw_exec(cfg_, "SELECT count(*) FROM event_log"), 0);
}

TEST_F(PruneTest, MinutesAreTakenInBatches) {
  Store s = open_store();
  fill(s);
  auto n = s.prune({.minutes_before_ms = after_all_, .batch = 2});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minutes, 2);
  EXPECT_TRUE(n->more);
  EXPECT_TRUE(*s.find_minute(make_minute(sid_, 2).record_no));
  EXPECT_FALSE(*s.find_minute(make_minute(sid_, 0).record_no));
}

TEST_F(PruneTest, ZeroDaysKeepsEverything) {
  Store s = open_store();
  fill(s);
  ASSERT_TRUE(s.log_event("k", "d", 1));
  auto n = s.prune({.batch = 100});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minutes + n->photos + n->events + n->sessions + n->outbox, 0);
  EXPECT_EQ(s.session_summaries("", 0, INT64_MAX)->size(), 1u);
}

TEST_F(StoreTest, StorageUseCountsPagesInUseAndQuickCheckPasses) {
  Store s = open_store();
  auto before = s.storage_use();
  ASSERT_TRUE(before);
  EXPECT_GT(before->used_bytes, 0);
  EXPECT_LE(before->used_bytes, before->file_bytes);
  auto sid = s.begin_session(make_session(1));
  ASSERT_TRUE(sid);
  ASSERT_TRUE(s.photos().add(make_photo("0000000001", 1, 1, 256 * 1024), entry("tcp.photo", "0000000001")));
  auto after = s.storage_use();
  ASSERT_TRUE(after);
  EXPECT_GE(after->used_bytes - before->used_bytes, 256 * 1024);
  EXPECT_EQ(*s.quick_check(), "ok");
}

}  // namespace
}  // namespace tta::store::testing
