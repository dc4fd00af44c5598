// The store's API: people, sessions, minutes with their outbox entries, photos, outbox
// state machine, parameters, the append-only event log, and encryption at rest.
#include <sys/stat.h>

#include <algorithm>

#include "store_fixture.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::store::testing {
namespace {

TEST_F(StoreTest, InitCreatesKeyWith0600AndIsIdempotent) {
  ASSERT_TRUE(init_store(cfg_));
  struct stat st {};
  ASSERT_EQ(::stat(cfg_.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  const auto key_before = read_bytes(cfg_.key_file);
  {
    auto s = Store::open(cfg_);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->people().add({.role = Role::coach, .national_no = "3201000000000201",
                               .id_card = "320106199003071234", .name = "王教练",
                               .licence_class = "C1"},
                              1));
  }
  ASSERT_TRUE(init_store(cfg_));  // again: nothing changes
  EXPECT_EQ(read_bytes(cfg_.key_file), key_before);
  auto s = Store::open(cfg_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->people().all()->size(), 1u);
  EXPECT_EQ(*s->schema_version(), current_schema_version());
  EXPECT_EQ(*s->integrity_check(), "ok");
}

TEST_F(StoreTest, OpenWithoutInitSaysHowToInit) {
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::not_found);
  EXPECT_NE(s.error().message.find("tta-agent init"), std::string::npos) << s.error().message;
  EXPECT_FALSE(fs::exists(cfg_.database));
}

TEST_F(StoreTest, RefusesKeyFileReadableByOthers) {
  ASSERT_TRUE(init_store(cfg_));
  ASSERT_EQ(::chmod(cfg_.key_file.c_str(), 0644), 0);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::permission);
  EXPECT_NE(s.error().message.find("chmod 600"), std::string::npos) << s.error().message;
}

TEST_F(StoreTest, RefusesKeyFileOfWrongLength) {
  ASSERT_TRUE(init_store(cfg_));
  fs::remove(cfg_.key_file);
  ASSERT_TRUE(write_secret_file(cfg_.key_file, std::vector<std::uint8_t>(16, 7)));
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::permission);
  EXPECT_NE(s.error().message.find("32 bytes"), std::string::npos) << s.error().message;
}

TEST_F(StoreTest, InitRefusesToMakeANewKeyForAnExistingDatabase) {
  ASSERT_TRUE(init_store(cfg_));
  fs::remove(cfg_.key_file);
  const auto before = read_bytes(cfg_.database);
  auto st = init_store(cfg_);
  ASSERT_FALSE(st);
  EXPECT_FALSE(fs::exists(cfg_.key_file));
  EXPECT_EQ(read_bytes(cfg_.database), before);
}

TEST_F(StoreTest, PeopleRoundTripAndUniqueNumbers) {
  Store s = open_store();
  Person p{.role = Role::student, .national_no = "3201000000000101",
           .id_card = "320106199003071234", .name = "李学员", .licence_class = "C1",
           .face_template = {1, 2, 3}, .enrol_photo_jpeg = {0xFF, 0xD8, 0xFF}};
  auto id = s.people().add(p, 1000);
  ASSERT_TRUE(id) << id.error().message;
  auto dup = s.people().add(p, 1000);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  auto found = s.people().find("3201000000000101");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, "李学员");
  EXPECT_EQ((*found)->face_template, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ((*found)->role, Role::student);
  EXPECT_FALSE(*s.people().find("0000000000000000"));
}

TEST_F(StoreTest, ReEnrolmentKeepsHistory) {
  Store s = open_store();
  auto id = s.people().add({.role = Role::student, .national_no = "3201000000000101",
                          .id_card = "320106199003071234", .name = "李", .licence_class = "C1",
                          .face_template = {1}},
                         1);
  ASSERT_TRUE(id);
  ASSERT_TRUE(s.people().update_face(*id, {2}, {0xFF, 0xD8}, 2));
  EXPECT_EQ(*s.people().face_history_count(*id), 2);
  EXPECT_EQ((*s.people().find("3201000000000101"))->face_template, std::vector<std::uint8_t>{2});
  EXPECT_FALSE(s.people().update_face(9999, {3}, {}, 3));
}

TEST_F(StoreTest, APersonIsDisabledWithWhoAndWhenAndReEnabled) {
  Store s = open_store();
  ASSERT_TRUE(s.people().add({.role = Role::student, .national_no = "3201000000000101",
                              .id_card = "320106199003071234", .name = "李", .licence_class = "C1"},
                             1));
  auto fresh = s.people().find("3201000000000101");
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_FALSE((*fresh)->disabled_at_ms);
  EXPECT_EQ((*fresh)->disabled_by, "");

  ASSERT_TRUE(s.people().set_disabled("3201000000000101", true, "ada", 5000));
  auto off = s.people().find("3201000000000101");
  ASSERT_TRUE(off && *off);
  EXPECT_EQ((*off)->disabled_at_ms, 5000);
  EXPECT_EQ((*off)->disabled_by, "ada");
  // Disabling again keeps the first time and who.
  ASSERT_TRUE(s.people().set_disabled("3201000000000101", true, "bob", 9000));
  EXPECT_EQ((*s.people().find("3201000000000101"))->disabled_at_ms, 5000);
  EXPECT_EQ((*s.people().find("3201000000000101"))->disabled_by, "ada");
  EXPECT_TRUE(s.people().all()->front().disabled_at_ms);

  ASSERT_TRUE(s.people().set_disabled("3201000000000101", false, "ada", 10000));
  auto on = s.people().find("3201000000000101");
  EXPECT_FALSE((*on)->disabled_at_ms);
  EXPECT_EQ((*on)->disabled_by, "");

  auto nobody = s.people().set_disabled("0000000000000000", true, "ada", 1);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Errc::not_found);
}

TEST_F(StoreTest, MinuteAndOutboxEntryAreStoredTogether) {
  Store s = open_store();
  auto sid = s.begin_session(make_session(7));
  ASSERT_TRUE(sid);
  const MinuteRecord m = make_minute(*sid, 1);
  ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
  auto back = s.find_minute(m.record_no);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ(**back, m);
  EXPECT_FALSE((*back)->sensor_speed_dkmh.has_value()) << "missing must stay missing";
  auto due = s.outbox().due(m.minute_ms, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].key, m.record_no);
  EXPECT_EQ((*due)[0].created_ms, m.minute_ms);  // no making time given: the minute's start
  // The same record again fails and leaves one outbox entry.
  auto again = s.add_minute(m, outbox_for(m));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_EQ(s.outbox().counts()->queued, 1);
}

// What the terminal knows of each minute's upload: its outbox entry's state and the last word
// on it; a minute whose entry is gone (or of another kind) has no state: unknown, not "sent".
TEST_F(StoreTest, MinuteUploadsSayEachMinutesOutboxState) {
  Store s = open_store();
  auto sid = s.begin_session(make_session(9));
  ASSERT_TRUE(sid);
  std::vector<MinuteRecord> ms;
  for (int i = 1; i <= 4; ++i) {
    ms.push_back(make_minute(*sid, i));
    OutboxEntry e = outbox_for(ms.back());
    if (i == 4) e.kind = "tcp.other";  // not the kind asked about
    ASSERT_TRUE(s.add_minute(ms.back(), e));
  }
  const std::string kind = outbox_for(ms[0]).kind;
  auto id_of = [&](const MinuteRecord& m) { return (*s.outbox().entry(kind, m.record_no))->id; };
  ASSERT_TRUE(s.outbox().mark_acked(id_of(ms[0]), 100));
  ASSERT_TRUE(s.outbox().mark_refused(id_of(ms[1]), 100, "platform ack result 1"));
  auto u = s.minute_uploads(*sid, kind, 100);
  ASSERT_TRUE(u) << u.error().message;
  ASSERT_EQ(u->size(), 4u);
  EXPECT_EQ((*u)[0].minute, ms[0]);
  EXPECT_EQ((*u)[0].state, OutboxState::acked);
  EXPECT_EQ((*u)[1].state, OutboxState::refused);
  EXPECT_EQ((*u)[1].last_error, "platform ack result 1");
  EXPECT_EQ((*u)[2].state, OutboxState::queued);
  EXPECT_FALSE((*u)[3].state.has_value());
  EXPECT_EQ(s.minute_uploads(*sid, kind, 2)->size(), 2u);
  EXPECT_TRUE(s.minute_uploads(*sid + 100, kind, 100)->empty());
}

TEST_F(StoreTest, MinuteOutboxEntryIsMadeWhenTheCallerSays) {
  // The re-send flag compares this with the time of sending: a minute is made at its end.
  Store s = open_store();
  auto sid = s.begin_session(make_session(8));
  ASSERT_TRUE(sid);
  const MinuteRecord m = make_minute(*sid, 1);
  OutboxEntry e = outbox_for(m);
  e.created_ms = m.minute_ms + 60'000;
  ASSERT_TRUE(s.add_minute(m, e));
  auto back = s.outbox().entry(e.kind, e.key);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->created_ms, m.minute_ms + 60'000);
}

TEST_F(StoreTest, MinuteNeedsAnExistingSession) {
  Store s = open_store();
  const MinuteRecord m = make_minute(42, 1);
  EXPECT_FALSE(s.add_minute(m, outbox_for(m)));
  EXPECT_EQ(s.outbox().counts()->queued, 0);
}

TEST_F(StoreTest, SessionEnds) {
  Store s = open_store();
  auto sid = s.begin_session(make_session(9));
  ASSERT_TRUE(sid);
  ASSERT_TRUE(s.end_session(*sid, 5000));
  auto t = s.find_session(*sid);
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->ended_ms, 5000);
  EXPECT_EQ((*t)->class_id, 9u);
  EXPECT_FALSE(s.end_session(777, 1));
}

TEST_F(StoreTest, OutboxLifecycle) {
  Store s = open_store();
  OutboxEntry e{.kind = "http.classrecord", .key = "class-7", .payload = {1, 2}};
  e.next_attempt_ms = 100;
  auto id = s.outbox().enqueue(e, 100);
  ASSERT_TRUE(id);
  // Same key, same content: the same entry. Same key, other content: refused.
  EXPECT_EQ(*s.outbox().enqueue(e, 101), *id);
  OutboxEntry other = e;
  other.payload = {9};
  auto clash = s.outbox().enqueue(other, 102);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::already_exists);

  EXPECT_TRUE(s.outbox().due(99, 10)->empty());
  ASSERT_EQ(s.outbox().due(100, 10)->size(), 1u);
  ASSERT_TRUE(s.outbox().mark_in_flight(*id, 100, 10'100));
  EXPECT_TRUE(s.outbox().due(5000, 10)->empty()) << "leased entries are not due";
  EXPECT_EQ(s.outbox().due(10'100, 10)->size(), 1u) << "an expired lease (crash mid-send) is due again";
  ASSERT_TRUE(s.outbox().mark_retry(*id, 10'100, 20'000, "HTTP 503"));
  auto entry = s.outbox().entry(*id);
  ASSERT_TRUE(entry && *entry);
  EXPECT_EQ((*entry)->attempts, 1);
  EXPECT_EQ((*entry)->last_error, "HTTP 503");
  EXPECT_EQ((*entry)->state, OutboxState::queued);
  ASSERT_TRUE(s.outbox().mark_refused(*id, 20'000, "errorcode 3: student unknown"));
  EXPECT_TRUE(s.outbox().due(1'000'000, 10)->empty()) << "refused entries are not retried";
  auto refused = s.outbox().refused();
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].last_error, "errorcode 3: student unknown");
  ASSERT_TRUE(s.outbox().requeue(*id, 30'000));
  EXPECT_EQ(s.outbox().due(30'000, 10)->size(), 1u);
  ASSERT_TRUE(s.outbox().mark_acked(*id, 31'000));
  auto c = s.outbox().counts();
  EXPECT_EQ(c->acked, 1);
  EXPECT_EQ(c->queued + c->in_flight + c->refused, 0);
  EXPECT_FALSE(s.outbox().mark_acked(4242, 1));
}

TEST_F(StoreTest, DueIsOldestFirstAndLimited) {
  Store s = open_store();
  for (int i = 0; i < 5; ++i) {
    OutboxEntry e{.kind = "k", .key = std::to_string(i), .payload = {1}};
    e.next_attempt_ms = 100 - i;
    ASSERT_TRUE(s.outbox().enqueue(e, 1));
  }
  auto due = s.outbox().due(1000, 3);
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].key, "4");
  EXPECT_EQ((*due)[2].key, "2");
}

/// Honest inputs (issue #14, schema v5): a store opened for a SIMULATED terminal marks every
/// minute, photo and outbox entry it writes; one opened for a real terminal marks none.
TEST_F(StoreTest, ASimulatedTerminalsRecordsAreMarkedSimulated) {
  {
    Store real = open_store();
    auto sid = real.begin_session(make_session(7));
    ASSERT_TRUE(sid);
    const MinuteRecord m = make_minute(*sid, 1);
    ASSERT_TRUE(real.add_minute(m, outbox_for(m)));
    auto c = real.simulated_counts();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->minutes, 0);
    EXPECT_EQ(c->outbox, 0);
  }
  config::StoreConfig sim_cfg = cfg_;
  sim_cfg.simulated = true;
  auto opened = Store::open(sim_cfg);
  ASSERT_TRUE(opened);
  Store& s = *opened;
  auto sid = s.begin_session(make_session(8));
  ASSERT_TRUE(sid);
  const MinuteRecord m = make_minute(*sid, 2);
  ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
  Photo p{.photo_no = "0000000009", .person_no = "3201000000000101", .class_id = 8, .event = 17,
          .size_code = 1, .taken_ms = 5, .jpeg = {0xFF, 0xD8}};
  ASSERT_TRUE(s.photos().add(p, OutboxEntry{.kind = "tcp.0305", .key = p.photo_no, .payload = {1}}));
  ASSERT_TRUE(s.outbox().enqueue(OutboxEntry{.kind = "http.classrecord", .key = "k", .payload = {2}}, 9));
  auto c = s.simulated_counts();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->minutes, 1) << "the real minute made before stays real";
  EXPECT_EQ(c->photos, 1);
  EXPECT_EQ(c->outbox, 3);
  auto e = s.outbox().entry("tcp.0203", m.record_no);
  ASSERT_TRUE(e && *e);
  EXPECT_TRUE((*e)->simulated);
}

TEST_F(StoreTest, PhotosKeepJpegAndConfidence) {
  Store s = open_store();
  Photo p{.photo_no = "0000000001", .person_no = "3201000000000101", .class_id = 7, .event = 17,
          .size_code = 1, .taken_ms = 5, .confidence = 93, .lat_e6 = 1, .lon_e6 = 2,
          .jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}};
  OutboxEntry e{.kind = "tcp.0305", .key = p.photo_no, .payload = {1}};
  ASSERT_TRUE(s.photos().add(p, e));
  auto back = s.photos().find("0000000001");
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->jpeg, p.jpeg);
  EXPECT_EQ((*back)->confidence, 93);
  EXPECT_EQ((*back)->event, 17);
}

TEST_F(StoreTest, PlatformParameters) {
  Store s = open_store();
  EXPECT_FALSE(*s.param("photo_interval_min"));
  ASSERT_TRUE(s.set_param("photo_interval_min", "15", 1));
  ASSERT_TRUE(s.set_param("photo_interval_min", "20", 2));
  EXPECT_EQ(**s.param("photo_interval_min"), "20");
}

TEST_F(StoreTest, EventLogIsAppendOnly) {
  Store s = open_store();
  ASSERT_TRUE(s.log_event("login", "coach 3201000000000201", 10));
  ASSERT_TRUE(s.log_event("logout", "coach 3201000000000201", 20));
  auto ev = s.events_since(0, 10);
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[1].kind, "logout");
  EXPECT_NE(raw_exec(cfg_, "UPDATE event_log SET detail = 'forged'"), 0);
  EXPECT_NE(raw_exec(cfg_, "DELETE FROM event_log"), 0);
  ev = s.events_since(0, 10);
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[0].detail, "coach 3201000000000201");
}

TEST_F(StoreTest, NothingReadableOnDisk) {
  const std::string canary_name = "PLAINTEXT-CANARY-张三丰";
  const std::string canary_card = "CANARY-ID-11010519491231002X";
  {
    Store s = open_store();
    ASSERT_TRUE(s.people().add({.role = Role::student, .national_no = "3201000000009999",
                              .id_card = canary_card, .name = canary_name,
                              .licence_class = "C1"},
                             1));
    auto sid = s.begin_session(make_session(1));
    ASSERT_TRUE(sid);
    const MinuteRecord m = make_minute(*sid, 1);
    ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
    ASSERT_TRUE(s.log_event("canary", canary_name, 1));
    // Look at the WAL while the store is open, then at the main file after close.
    for (const char* suffix : {"", "-wal"}) {
      const auto bytes = read_bytes(cfg_.database.string() + suffix);
      const std::string text(bytes.begin(), bytes.end());
      EXPECT_EQ(text.find("CANARY"), std::string::npos) << suffix;
      EXPECT_EQ(text.find("3201000000009999"), std::string::npos) << suffix;
      EXPECT_EQ(text.find("CREATE TABLE"), std::string::npos) << suffix;
      EXPECT_EQ(text.find("SQLite format 3"), std::string::npos) << suffix;
    }
  }
  const auto bytes = read_bytes(cfg_.database);
  ASSERT_GT(bytes.size(), 4096u);
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_EQ(text.find("CANARY"), std::string::npos);
  EXPECT_EQ(text.find("261127"), std::string::npos);
  EXPECT_EQ(text.find("SQLite format 3"), std::string::npos);
}

TEST_F(StoreTest, DiskFullReachesTheCallerAndLeavesNoHalfRecord) {
  Store s = open_store();
  auto sid = s.begin_session(make_session(3));
  ASSERT_TRUE(sid);
  ASSERT_TRUE(s.limit_pages_for_test(12));
  Error full;
  int stored = 0;
  for (int i = 0; i < 2000; ++i) {
    MinuteRecord m = make_minute(*sid, i);
    m.flags = std::string(600, 'x');  // fill pages quickly
    OutboxEntry e = outbox_for(m);
    e.payload.assign(900, 0x55);
    auto st = s.add_minute(m, e);
    if (!st) {
      full = st.error();
      // The failed minute is absent, and so is its outbox entry.
      EXPECT_FALSE(*s.find_minute(m.record_no));
      break;
    }
    ++stored;
  }
  ASSERT_EQ(full.code, Errc::disk_full) << full.message;
  ASSERT_GT(stored, 0);
  EXPECT_EQ(static_cast<int>(s.minute_record_numbers()->size()), stored);
  EXPECT_EQ(s.outbox().counts()->queued, stored);
  EXPECT_EQ(*s.integrity_check(), "ok");
}

}  // namespace
}  // namespace tta::store::testing
