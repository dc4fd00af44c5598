// The platform simulator's own audit (training-rules.md §4): one test per reason a minute or
// a session is voided, on hand-made records of a session 10:00:10-10:11:00 (GMT+8).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "sim_audit.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/position.hpp"

namespace tta::sim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTerminal = "3201138001380000";
constexpr const char* kStudent = "3201000000000101";
constexpr const char* kCoach = "3201000000000201";
constexpr std::uint32_t kClass = 1000;

/// 2026-11-27 at hh:mm:ss GMT+8, as Unix ms.
std::int64_t local_ms(int h, int m, int s = 0) {
  return unix_millis(*from_civil({2026, 11, 27, h, m, s}, kChinaUtcOffset));
}

config::Fence yard() {
  return {"yard", {{32.0400, 118.7800}, {32.0400, 118.7900}, {32.0480, 118.7900}, {32.0480, 118.7800}}};
}

AuditRules rules() {
  AuditRules r;
  r.fences = {yard()};
  return r;
}

/// A minute that passes every rule: moving, engine running, inside the yard.
MinuteRow minute(int h, int m) {
  MinuteRow row;
  char tail[16];
  std::snprintf(tail, sizeof tail, "261127%04d", h * 60 + m);
  row.record_no = std::string(kTerminal) + tail;
  row.terminal_no = kTerminal;
  row.student_no = kStudent;
  row.coach_no = kCoach;
  row.class_id = kClass;
  row.course_code = "1212110000";
  row.time_of_day_s = static_cast<std::uint32_t>(h * 3600 + m * 60);
  row.max_speed_dkmh = 300;
  row.mileage_hm = 5;
  row.received_ms = local_ms(h, m + 1);
  uplink::AttachedGnss g;
  g.basic.status_flags = uplink::kStatusPositioned | uplink::kStatusAccOn;
  g.basic.set_latitude_deg(32.044);
  g.basic.set_longitude_deg(118.785);
  g.basic.time = WallTime{std::chrono::milliseconds{local_ms(h, m, 30)}};
  g.engine_speed_rpm = 1500;
  g.odometer_hm = 100;
  row.gnss = uplink::encode_attached_gnss(g);
  return row;
}

void set_gnss(MinuteRow& row, const std::function<void(uplink::AttachedGnss&)>& change) {
  auto g = uplink::decode_attached_gnss(row.gnss);
  ASSERT_TRUE(g);
  change(*g);
  row.gnss = uplink::encode_attached_gnss(*g);
}

PhotoRow photo(const std::string& no, std::uint8_t event, std::int64_t at_ms) {
  return PhotoRow{.photo_no = no, .terminal_no = kTerminal, .person_no = kStudent,
                  .class_id = kClass, .event = event, .confidence = 90, .taken_ms = at_ms,
                  .jpeg = {}};
}

SessionRow session(bool closed = true) {
  SessionRow s{.terminal_no = kTerminal, .class_id = kClass, .student_no = kStudent,
               .coach_no = kCoach, .course_code = "1212110000",
               .login_ms = local_ms(10, 0, 10)};
  if (closed) {
    s.logged_out = true;
    s.logout_ms = local_ms(10, 11, 0);
    s.logout_minutes = 10;
  }
  return s;
}

/// The ten whole minutes 10:01-10:10 and the login and logout photos.
struct Case {
  std::vector<MinuteRow> minutes;
  std::vector<PhotoRow> photos;
  std::vector<SessionRow> sessions;
  AuditRules r = rules();

  Case() {
    for (int m = 1; m <= 10; ++m) minutes.push_back(minute(10, m));
    photos = {photo("0000000001", 17, local_ms(10, 0, 10)), photo("0000000002", 18, local_ms(10, 11))};
    sessions = {session()};
  }
  AuditResult run() const { return audit(minutes, photos, sessions, r); }
};

bool has(const MinuteVerdict& v, const std::string& why) {
  return std::find(v.reasons.begin(), v.reasons.end(), why) != v.reasons.end();
}
bool has(const SessionVerdict& v, const std::string& why) {
  return std::find(v.reasons.begin(), v.reasons.end(), why) != v.reasons.end();
}

/// Reasons of every minute, for failure messages.
std::string dump(const AuditResult& a) {
  std::string out;
  for (const auto& v : a.minutes) {
    out += v.record_no.substr(16) + ":";
    for (const auto& r : v.reasons) out += " " + r;
    out += "\n";
  }
  return out;
}

TEST(SimAudit, AGoodSessionIsAcceptedWhole) {
  const auto a = Case().run();
  ASSERT_EQ(a.minutes.size(), 10u);
  for (const auto& v : a.minutes) EXPECT_TRUE(v.valid()) << dump(a);
  ASSERT_EQ(a.sessions.size(), 1u);
  EXPECT_TRUE(a.sessions[0].valid());
  EXPECT_TRUE(a.sessions[0].closed);
  EXPECT_EQ(a.sessions[0].minutes, 10);
  EXPECT_EQ(a.sessions[0].minutes_valid, 10);
  EXPECT_EQ(a.sessions[0].mileage_hm, 50);
  EXPECT_EQ(a.sessions[0].logout_minutes, 10);
}

TEST(SimAudit, MinuteStartComesFromTheRecordNumberDateAndTimeOfDay) {
  EXPECT_EQ(minute_start_ms(minute(10, 5)), local_ms(10, 5));
  MinuteRow bad = minute(10, 5);
  bad.record_no = "short";
  EXPECT_FALSE(minute_start_ms(bad));
  Case c;
  c.minutes[0].record_no = std::string(kTerminal) + "26AB270601";
  EXPECT_TRUE(has(c.run().minutes[0], "bad_time"));
}

TEST(SimAudit, TheTerminalsOwnAbnormalStatusIsNeverAccepted) {
  Case c;
  c.minutes[2].status = 1;
  const auto a = c.run();
  EXPECT_EQ(a.minutes[2].reasons, std::vector<std::string>{"reported_abnormal"});
  EXPECT_TRUE(a.minutes[3].valid());
}

TEST(SimAudit, MinutesOutsideTheTrainingHoursAreVoid) {
  Case c;
  c.r.day_start_min = 10 * 60 + 3;  // 10:03
  c.r.day_end_min = 10 * 60 + 9;    // until 10:09, exclusive
  const auto a = c.run();
  for (int i = 0; i < 10; ++i) {
    const int m = i + 1;
    EXPECT_EQ(has(a.minutes[i], "out_of_hours"), m < 3 || m >= 9) << "10:0" << m << "\n" << dump(a);
  }
}

TEST(SimAudit, AMinuteWithoutAPositionIsVoidNotPlaced) {
  Case c;
  set_gnss(c.minutes[4], [](uplink::AttachedGnss& g) {
    g.basic.status_flags &= ~uplink::kStatusPositioned;
    g.basic.latitude_udeg.reset();
    g.basic.longitude_udeg.reset();
  });
  const auto a = c.run();
  EXPECT_TRUE(has(a.minutes[4], "no_gnss"));
  EXPECT_FALSE(has(a.minutes[4], "outside_fence"));
  c.minutes[5].gnss.resize(10);  // not even a block
  EXPECT_TRUE(has(c.run().minutes[5], "no_gnss"));
}

TEST(SimAudit, APointOutsideEveryTeachingAreaIsVoid) {
  Case c;
  set_gnss(c.minutes[1], [](uplink::AttachedGnss& g) {
    g.basic.set_latitude_deg(32.10);
    g.basic.set_longitude_deg(118.90);
  });
  EXPECT_EQ(c.run().minutes[1].reasons, std::vector<std::string>{"outside_fence"});
  c.r.fences.clear();
  EXPECT_TRUE(c.run().minutes[1].valid()) << "without fences the rule is off";
}

TEST(SimAudit, ZeroOrMissingEngineSpeedIsVoid) {
  Case c;
  set_gnss(c.minutes[0], [](uplink::AttachedGnss& g) { g.engine_speed_rpm = 0; });
  set_gnss(c.minutes[1], [](uplink::AttachedGnss& g) { g.engine_speed_rpm.reset(); });
  const auto a = c.run();
  EXPECT_EQ(a.minutes[0].reasons, std::vector<std::string>{"engine_speed_zero"});
  EXPECT_EQ(a.minutes[1].reasons, std::vector<std::string>{"engine_speed_zero"})
      << "the wire writes a missing engine speed as 0";
}

TEST(SimAudit, EveryMinuteOfAStillRunOfTwoOrMoreIsVoid) {
  Case c;
  c.minutes[2].max_speed_dkmh = 0;  // 10:03 and 10:04: a run of two
  c.minutes[3].mileage_hm = 0;
  c.minutes[6].mileage_hm = 0;      // 10:07 alone
  c.minutes[8].mileage_hm = 0;      // 10:09, 10:10: a run at the end
  c.minutes[9].mileage_hm = 0;
  const auto a = c.run();
  std::vector<bool> got;
  for (const auto& v : a.minutes) got.push_back(has(v, "stationary"));
  EXPECT_EQ(got, (std::vector<bool>{false, false, true, true, false, false, false, false, true,
                                    true}))
      << dump(a);
}

TEST(SimAudit, StillMinutesThatAreNotAdjacentMakeNoRun) {
  Case c;
  c.minutes[2].mileage_hm = 0;  // 10:03
  c.minutes.erase(c.minutes.begin() + 3);  // 10:04 never arrived
  c.minutes[3].mileage_hm = 0;  // 10:05
  for (const auto& v : c.run().minutes) EXPECT_FALSE(has(v, "stationary"));
}

TEST(SimAudit, AMinuteNeedsTheStudentsLoggedInSession) {
  Case c;
  c.minutes.push_back(minute(9, 58));   // before the login
  c.minutes.push_back(minute(10, 11));  // starts at the logout
  c.minutes.push_back(minute(10, 12));  // after it
  MinuteRow other = minute(10, 5);
  other.record_no[25] = '9';            // another record for another student's class
  other.class_id = 77;
  c.minutes.push_back(other);
  MinuteRow impostor = minute(10, 6);
  impostor.record_no[25] = '8';
  impostor.student_no = "3201000000000999";
  c.minutes.push_back(impostor);
  const auto a = c.run();
  EXPECT_TRUE(has(a.minutes[10], "outside_session")) << dump(a);
  EXPECT_TRUE(has(a.minutes[11], "outside_session"));
  EXPECT_TRUE(has(a.minutes[12], "outside_session"));
  EXPECT_TRUE(has(a.minutes[13], "no_session"));
  EXPECT_TRUE(has(a.minutes[14], "no_session"));
  EXPECT_FALSE(has(a.minutes[0], "outside_session")) << "10:01 is after the login at 10:00:10";
}

TEST(SimAudit, TheMinuteOfTheLoginOverlapsTheSession) {
  Case c;
  c.minutes.insert(c.minutes.begin(), minute(10, 0));  // 10:00:00-10:01:00, login at :10
  EXPECT_FALSE(has(c.run().minutes[0], "outside_session"));
}

TEST(SimAudit, AnOpenSessionHasNoUpperBound) {
  Case c;
  c.sessions = {session(false)};
  c.minutes.push_back(minute(10, 11));
  const auto a = c.run();
  EXPECT_FALSE(has(a.minutes[10], "outside_session"));
  EXPECT_FALSE(a.sessions[0].closed);
}

TEST(SimAudit, AMinuteOfAnotherCoachIsVoid) {
  Case c;
  c.minutes[3].coach_no = "3201000000000299";
  EXPECT_EQ(c.run().minutes[3].reasons, std::vector<std::string>{"coach_mismatch"});
}

TEST(SimAudit, AWindowWithoutAPhotoVoidsItsMinutes) {
  Case c;
  c.minutes.clear();
  for (int m = 1; m <= 49; ++m) c.minutes.push_back(minute(10 + m / 60, m % 60));
  c.sessions[0].logout_ms = local_ms(10, 50);
  // Windows from the login at 10:00:10: [:00:10, :15:10) has the login photo, [:15:10, :30:10)
  // a timed one, [:30:10, :45:10) none, [:45:10, …) the logout photo.
  c.photos = {photo("0000000001", 17, local_ms(10, 0, 10)),
              photo("0000000002", 19, local_ms(10, 15, 11)),
              photo("0000000003", 18, local_ms(10, 50))};
  const auto a = c.run();
  for (std::size_t i = 0; i < a.minutes.size(); ++i) {
    const int m = static_cast<int>(i) + 1;
    // The minute starting at 10:30:00 lies in the window [10:15:10, 10:30:10).
    const bool in_gap = m >= 31 && m <= 45;
    EXPECT_EQ(has(a.minutes[i], "missing_photo"), in_gap) << "10:" << m << "\n" << dump(a);
  }
}

TEST(SimAudit, APhotoWithoutATimeFillsNoWindow) {
  Case c;
  c.photos[0].taken_ms.reset();
  c.photos[1].taken_ms.reset();
  const auto a = c.run();
  for (const auto& v : a.minutes) EXPECT_TRUE(has(v, "missing_photo")) << dump(a);
  EXPECT_TRUE(has(a.sessions[0], "no_photos")) << "a photo that cannot be placed is none";
}

TEST(SimAudit, TheSameStudentsMinuteTwiceIsADuplicate) {
  Case c;
  MinuteRow again = minute(10, 4);
  again.record_no = std::string(kTerminal) + "2611279999";  // another number, same minute
  c.minutes.push_back(again);
  const auto a = c.run();
  EXPECT_TRUE(a.minutes[3].valid()) << "the first to arrive stands";
  EXPECT_EQ(a.minutes[10].reasons, std::vector<std::string>{"duplicate"});
}

TEST(SimAudit, SessionRulesVoidAClosedSessionAndItsMinutes) {
  {
    Case c;  // under 100 m in all
    for (auto& m : c.minutes) m.mileage_hm = 0;
    for (auto& m : c.minutes) m.max_speed_dkmh = 0;
    const auto a = c.run();
    EXPECT_TRUE(has(a.sessions[0], "mileage_under_100m"));
    EXPECT_TRUE(has(a.sessions[0], "under_75_percent_valid"));
    for (const auto& v : a.minutes) EXPECT_TRUE(has(v, "session_void"));
    EXPECT_EQ(a.sessions[0].minutes_valid, 0);
  }
  {
    Case c;
    c.photos.clear();
    const auto a = c.run();
    EXPECT_TRUE(has(a.sessions[0], "no_photos"));
  }
  {
    Case c;
    c.photos[0].event = 19;
    EXPECT_TRUE(has(c.run().sessions[0], "first_photo_not_login"));
  }
  {
    Case c;
    c.photos[1].event = 19;
    const auto a = c.run();
    EXPECT_TRUE(has(a.sessions[0], "last_photo_not_logout"));
    EXPECT_TRUE(has(a.minutes[0], "session_void"));
  }
  {
    Case c;  // 3 of 10 minutes void: 70 % valid
    for (int i : {0, 4, 8}) c.minutes[i].status = 1;
    const auto a = c.run();
    EXPECT_TRUE(has(a.sessions[0], "under_75_percent_valid"));
    EXPECT_EQ(a.sessions[0].minutes_valid, 0);
  }
  {
    Case c;  // 2 of 10 void: 80 % valid, the session stands
    for (int i : {0, 4}) c.minutes[i].status = 1;
    const auto a = c.run();
    EXPECT_TRUE(a.sessions[0].valid());
    EXPECT_EQ(a.sessions[0].minutes_valid, 8);
  }
}

TEST(SimAudit, AnOpenSessionIsNotJudgedOnItsEndYet) {
  Case c;
  c.sessions = {session(false)};
  c.photos.pop_back();  // no logout photo yet
  for (int i : {0, 4, 8}) c.minutes[i].status = 1;
  const auto a = c.run();
  EXPECT_TRUE(a.sessions[0].valid()) << "not closed: neither the 18 nor the 75 % rule applies";
  EXPECT_TRUE(a.minutes[1].valid());
}

TEST(SimAudit, ClassroomMinutesAreNotJudgedByTheDrivingRules) {
  Case c;
  for (auto& m : c.minutes) {
    m.course_code = "2212110000";  // teaching mode 2: classroom
    m.max_speed_dkmh = 0;
    m.mileage_hm = 0;
    set_gnss(m, [](uplink::AttachedGnss& g) { g.engine_speed_rpm = 0; });
  }
  c.sessions[0].course_code = "2212110000";
  auto a = c.run();
  for (const auto& v : a.minutes) EXPECT_TRUE(v.valid()) << dump(a);
  EXPECT_TRUE(a.sessions[0].valid());
  c.r.day_end_min = 10 * 60 + 5;  // the rules that remain still apply
  a = c.run();
  EXPECT_TRUE(has(a.minutes[9], "out_of_hours"));
}

TEST(SimAudit, RulesComeFromTheDemoConfig) {
  auto r = audit_rules_from_config(std::filesystem::path(TTA_SOURCE_DIR) / "config/demo.toml");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->fences.size(), 1u);
  EXPECT_EQ(r->fences[0].points.size(), 4u);
  EXPECT_EQ(r->day_start_min, 5 * 60);
  EXPECT_EQ(r->day_end_min, 22 * 60);
  EXPECT_EQ(r->photo_window_min, 15);
  auto bad = audit_rules_from_config("/nonexistent/agent.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("agent.toml"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace tta::sim
