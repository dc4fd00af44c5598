// Schema v3 (assessments, certificates) and the administrator's queries: sessions with their
// totals, minutes of a period, counted minutes per course code, outbox by kind.
#include "store_fixture.hpp"

namespace tta::store::testing {
namespace {

constexpr std::string_view kStudent = "3201000000000101";

Assessment pass_of(std::string programme = "C1") {
  return Assessment{.student_no = std::string(kStudent), .programme = std::move(programme),
                    .passed = true, .assessor = "李考官", .assessed_on = "2026-11-27"};
}

Certificate cert_of(std::string number, std::string programme = "C1") {
  return Certificate{.number = std::move(number), .student_no = std::string(kStudent),
                     .programme = std::move(programme), .kind = "licence",
                     .institution_code = "3201000000000001", .granted_on = "2026-11-27",
                     .classroom_min = 1320, .practical_min = 2400, .mileage_hm = 3012};
}

OutboxEntry upload(std::string kind, std::string key) {
  return OutboxEntry{.kind = std::move(kind), .key = std::move(key), .payload = {'{', '}'}};
}

/// Counts per state the slow way, to check the counters schema v7 keeps by trigger.
OutboxCounts counted(Store& s) {
  OutboxCounts c;
  auto kinds = s.outbox().counts_by_kind();
  if (!kinds) return c;
  for (const auto& k : *kinds) {
    c.queued += k.counts.queued;
    c.in_flight += k.counts.in_flight;
    c.acked += k.counts.acked;
    c.refused += k.counts.refused;
  }
  return c;
}

void expect_same(const OutboxCounts& a, const OutboxCounts& b, const std::string& when) {
  EXPECT_EQ(a.queued, b.queued) << when;
  EXPECT_EQ(a.in_flight, b.in_flight) << when;
  EXPECT_EQ(a.acked, b.acked) << when;
  EXPECT_EQ(a.refused, b.refused) << when;
}

TEST_F(StoreTest, Version4OutboxUpgradesWithItsCountsAndTheCountersFollowEveryChange) {
  ASSERT_TRUE(init_store(cfg_));
  fs::remove(cfg_.database);
  fs::remove(cfg_.database.string() + ".keyid");
  {
    auto v4 = Store::open(cfg_, OpenOptions{.create = true, .migrate_to = 4});
    ASSERT_TRUE(v4) << v4.error().message;
    for (int i = 0; i < 7; ++i) {
      auto id = v4->outbox().enqueue(upload("tcp.0203", "r" + std::to_string(i)), 1);
      ASSERT_TRUE(id);
      if (i < 3) {
        ASSERT_TRUE(v4->outbox().mark_acked(*id, 2));
      }
      if (i == 3) {
        ASSERT_TRUE(v4->outbox().mark_refused(*id, 2, "no"));
      }
    }
  }
  auto s = Store::open(cfg_);
  ASSERT_TRUE(s) << s.error().message;
  auto c = s->outbox().counts();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->acked, 3);
  EXPECT_EQ(c->refused, 1);
  EXPECT_EQ(c->queued, 3);
  expect_same(*c, counted(*s), "after the upgrade");
  auto id = s->outbox().enqueue(upload("tcp.0203", "r9"), 3);
  ASSERT_TRUE(id);
  expect_same(*s->outbox().counts(), counted(*s), "after enqueue");
  ASSERT_TRUE(s->outbox().mark_in_flight(*id, 3, 100));
  expect_same(*s->outbox().counts(), counted(*s), "after in flight");
  ASSERT_TRUE(s->outbox().mark_rejected(*id, 4, 5, "ack result 1", 1));
  expect_same(*s->outbox().counts(), counted(*s), "after a refusal");
  EXPECT_EQ(s->outbox().counts()->refused, 2);
  ASSERT_TRUE(s->outbox().requeue(*id, 6));
  ASSERT_TRUE(s->outbox().mark_retry(*id, 7, 8, "offline"));
  expect_same(*s->outbox().counts(), counted(*s), "after requeue and retry");
  EXPECT_EQ(s->outbox().refused(1)->size(), 1u) << "the refused list is bounded by its limit";
}

TEST_F(StoreTest, Version2FileUpgradesToVersion3KeepingEverything) {
  ASSERT_TRUE(init_store(cfg_));
  fs::remove(cfg_.database);
  fs::remove(cfg_.database.string() + ".keyid");
  std::int64_t sid = 0;
  {
    auto v2 = Store::open(cfg_, OpenOptions{.create = true, .migrate_to = 2});
    ASSERT_TRUE(v2) << v2.error().message;
    ASSERT_EQ(*v2->schema_version(), 2);
    ASSERT_TRUE(v2->people().add({.role = Role::student, .national_no = std::string(kStudent),
                                .id_card = "320106199003071234", .name = "张", .licence_class = "C1"},
                               1));
    auto s = v2->begin_session(make_session(3));
    ASSERT_TRUE(s);
    sid = *s;
    for (int i = 0; i < 3; ++i) {
      const MinuteRecord m = make_minute(sid, i);
      ASSERT_TRUE(v2->add_minute(m, outbox_for(m)));
    }
  }
  // Version 2 has no certificates table.
  EXPECT_NE(raw_exec(cfg_, "SELECT count(*) FROM certificates"), 0);
  auto s = Store::open(cfg_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s->schema_version(), current_schema_version());
  EXPECT_GE(current_schema_version(), 3);
  EXPECT_TRUE(*s->people().find(kStudent));
  EXPECT_EQ(s->minute_record_numbers()->size(), 3u);
  auto sums = s->session_summaries(kStudent, 0, INT64_MAX);
  ASSERT_TRUE(sums);
  ASSERT_EQ(sums->size(), 1u);
  EXPECT_EQ((*sums)[0].counted_minutes, 3);
  EXPECT_TRUE(s->certificates(kStudent)->empty());
  ASSERT_TRUE(s->record_assessment(pass_of(), cert_of("N-1"), {}, 5));
  EXPECT_EQ(s->certificates(kStudent)->size(), 1u);
  EXPECT_EQ(*s->integrity_check(), "ok");
}

TEST_F(StoreTest, SchemaNewerThanThisBuildIsRefusedUnchanged) {
  { Store s = open_store(); }
  const int newer = current_schema_version() + 1;
  ASSERT_EQ(raw_exec(cfg_, "PRAGMA user_version = " + std::to_string(newer)), 0);
  const auto before = read_bytes(cfg_.database);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::incompatible);
  EXPECT_NE(s.error().message.find("schema version " + std::to_string(newer) + " is newer"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(read_bytes(cfg_.database), before);
}

TEST_F(StoreTest, CertificateAssessmentAndUploadsAreOneTransaction) {
  Store s = open_store();
  const std::vector<OutboxEntry> uploads{upload("http.stagetrainningtime", "s/1"),
                                         upload("http.graduation", "N-1")};
  auto id = s.record_assessment(pass_of(), cert_of("N-1"), uploads, 10);
  ASSERT_TRUE(id) << id.error().message;
  auto certs = s.certificates(kStudent);
  ASSERT_EQ(certs->size(), 1u);
  EXPECT_EQ((*certs)[0].assessment_id, *id);
  EXPECT_EQ((*certs)[0].mileage_hm, 3012);
  EXPECT_EQ((*certs)[0].created_ms, 10);
  EXPECT_EQ(s.outbox().counts("http.graduation")->queued, 1);
  EXPECT_EQ(s.count_certificates("N-").value(), 1);
  EXPECT_EQ(s.count_certificates("M-").value(), 0);

  // A second certificate for the same programme: nothing of it is written.
  const std::vector<OutboxEntry> second{upload("http.graduation", "N-2")};
  auto again = s.record_assessment(pass_of(), cert_of("N-2"), second, 11);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_EQ(s.assessments(kStudent)->size(), 1u);
  EXPECT_EQ(s.outbox().counts("http.graduation")->queued, 1);

  // An upload that clashes with a queued one rolls back the assessment and the certificate.
  const std::vector<OutboxEntry> clashing{upload("http.stagetrainningtime", "s/1")};
  auto clash = s.record_assessment(pass_of("freight"), cert_of("F-1", "freight"), clashing, 12);
  ASSERT_FALSE(clash);
  EXPECT_EQ(s.assessments(kStudent)->size(), 1u);
  EXPECT_EQ(s.certificates(kStudent)->size(), 1u);

  // A failed assessment needs no certificate and queues nothing.
  Assessment f = pass_of("freight");
  f.passed = false;
  ASSERT_TRUE(s.record_assessment(f, std::nullopt, {}, 13));
  auto all = s.assessments(kStudent);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE((*all)[1].passed);
  EXPECT_EQ((*all)[1].assessor, "李考官");
}

TEST_F(StoreTest, SessionSummariesKeepMissingMileageMissing) {
  Store s = open_store();
  auto a = s.begin_session(make_session(1));
  TrainingSession other = make_session(2);
  other.student_no = "3201000000000102";
  other.started_ms += 3'600'000;
  auto b = s.begin_session(other);
  auto empty = make_session(3);
  empty.started_ms += 7'200'000;
  auto c = s.begin_session(empty);
  ASSERT_TRUE(a && b && c);
  for (int i = 0; i < 4; ++i) {
    MinuteRecord m = make_minute(*a, i);
    if (i == 1) {
      m.counted = false;
      m.status = 1;
      m.flags = "stationary,no_gnss";
    }
    if (i == 2) m.flags = "no_gnss";
    ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
  }
  MinuteRecord nm = make_minute(*b, 100);
  nm.mileage_hm = std::nullopt;
  ASSERT_TRUE(s.add_minute(nm, outbox_for(nm)));

  auto all = s.session_summaries("", 0, INT64_MAX);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].minutes, 4);
  EXPECT_EQ((*all)[0].counted_minutes, 3);
  EXPECT_EQ((*all)[0].mileage_hm, 20);
  EXPECT_EQ((*all)[0].flags, "no_gnss,stationary");
  EXPECT_EQ((*all)[1].mileage_hm, std::nullopt) << "no minute had a mileage: unknown, not 0";
  EXPECT_EQ((*all)[2].minutes, 0);
  EXPECT_EQ((*all)[2].mileage_hm, std::nullopt);
  EXPECT_EQ(s.session_summaries("3201000000000102", 0, INT64_MAX)->size(), 1u);
  // [from, to) on the start time.
  EXPECT_EQ(s.session_summaries("", make_session(1).started_ms + 1, INT64_MAX)->size(), 2u);

  auto minutes = s.minutes_between(make_minute(*a, 1).minute_ms, make_minute(*a, 3).minute_ms);
  ASSERT_TRUE(minutes);
  ASSERT_EQ(minutes->size(), 2u);
  EXPECT_EQ((*minutes)[0], [&] {
    MinuteRecord m = make_minute(*a, 1);
    m.counted = false;
    m.status = 1;
    m.flags = "stationary,no_gnss";
    return m;
  }());
}

TEST_F(StoreTest, CountedMinutesPerCourseCode) {
  Store s = open_store();
  TrainingSession p2 = make_session(1);  // C1 part 2, vehicle
  TrainingSession p1 = make_session(2);
  p1.mode = "classroom";
  p1.coach_no = "";
  p1.course_code = "2211010000";
  auto a = s.begin_session(p2);
  auto b = s.begin_session(p1);
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 5; ++i) {
    MinuteRecord m = make_minute(*a, i);
    if (i == 0) m.counted = false;
    if (i == 1) m.mileage_hm = std::nullopt;
    ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
  }
  for (int i = 10; i < 13; ++i) {
    MinuteRecord m = make_minute(*b, i);
    m.mileage_hm = std::nullopt;
    ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
  }
  auto t = s.counted_by_course(kStudent, 0, INT64_MAX);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].course_code, "1212110000");
  EXPECT_EQ((*t)[0].mode, "vehicle");
  EXPECT_EQ((*t)[0].counted_minutes, 4);
  EXPECT_EQ((*t)[0].mileage_hm, 15);
  EXPECT_EQ((*t)[0].minutes_without_mileage, 1);
  EXPECT_EQ((*t)[1].course_code, "2211010000");
  EXPECT_EQ((*t)[1].counted_minutes, 3);
  EXPECT_TRUE(s.counted_by_course("3201000000000199", 0, INT64_MAX)->empty());
  // The window is on the minute's start: [from, to).
  EXPECT_EQ(s.counted_by_course(kStudent, make_minute(*a, 3).minute_ms, INT64_MAX)->front().counted_minutes, 2);
}

TEST_F(StoreTest, OutboxByKindAndPendingWithoutPayloads) {
  Store s = open_store();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.outbox().enqueue({.kind = "tcp.0203", .key = std::to_string(i), .payload = {1, 2, 3}}, 1));
  }
  auto g = s.outbox().enqueue({.kind = "http.graduation", .key = "N-1", .payload = {'{', '}'}}, 1);
  ASSERT_TRUE(g);
  ASSERT_TRUE(s.outbox().mark_refused(*g, 2, "errorcode 7: no such student"));
  ASSERT_TRUE(s.outbox().mark_acked(1, 3));
  auto kinds = s.outbox().counts_by_kind();
  ASSERT_TRUE(kinds);
  ASSERT_EQ(kinds->size(), 2u);
  EXPECT_EQ((*kinds)[0].kind, "http.graduation");
  EXPECT_EQ((*kinds)[0].counts.refused, 1);
  EXPECT_EQ((*kinds)[1].kind, "tcp.0203");
  EXPECT_EQ((*kinds)[1].counts.queued, 2);
  EXPECT_EQ((*kinds)[1].counts.acked, 1);
  auto pending = s.outbox().pending(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].key, "1");
  EXPECT_TRUE((*pending)[0].payload.empty());
  EXPECT_EQ(s.outbox().pending(1)->size(), 1u);
}

}  // namespace
}  // namespace tta::store::testing
