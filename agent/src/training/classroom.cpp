#include "training/classroom.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "outbox/forwarder.hpp"
#include "training/minute.hpp"
#include "tta/core/ids.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kSeqParam = "classroom.seq";  ///< "YYMMDD N": the last number used that day
/// Ticks further apart than this mean the loop did not run: those minutes stay missing.
constexpr auto kMaxTickGap = std::chrono::seconds(60);

std::int64_t ms(WallTime t) { return unix_millis(t); }
WallTime from_ms(std::int64_t v) { return WallTime{std::chrono::milliseconds(v)}; }

/// The first minute boundary at or after `t`.
WallTime ceil_minute(WallTime t) {
  const auto m = std::chrono::ceil<minutes>(t.time_since_epoch());
  return WallTime{std::chrono::duration_cast<WallTime::duration>(m)};
}

bool pattern_matches(std::string_view pattern, std::string_view course) {
  if (pattern.size() != course.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '?' && pattern[i] != course[i]) return false;
  }
  return true;
}

std::string yymmdd(WallTime t) {
  const CivilTime c = to_civil(t, kChinaUtcOffset);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d", c.year % 100, c.month, c.day);
  return buf;
}

}  // namespace

bool is_continuing_education(const config::Config& cfg, std::string_view course) {
  for (const auto& prog : cfg.syllabus) {
    if (prog.kind != "continuing") continue;
    for (const auto& part : prog.parts) {
      for (const auto& pattern : part.courses) {
        if (pattern_matches(pattern, course)) return true;
      }
    }
  }
  return false;
}

ClassroomEngine::ClassroomEngine(store::Store& store, const config::Config& cfg,
                                 std::string terminal_no, std::uint64_t seed)
    : store_(store),
      rec_(store),
      logins_(store, "classroom"),
      cfg_(cfg),
      terminal_no_(std::move(terminal_no)),
      rng_(seed) {}

uplink::PositionBlock ClassroomEngine::position_block(WallTime now) const {
  uplink::PositionBlock p;
  if (cfg_.classroom.has_position) {
    // A configured position, not a fix: no speed or heading is claimed.
    p.status_flags |= uplink::kStatusPositioned;
    p.set_latitude_deg(cfg_.classroom.latitude_deg);
    p.set_longitude_deg(cfg_.classroom.longitude_deg);
  }
  p.time = now;
  return p;
}

WallTime ClassroomEngine::draw_next_recheck(WallTime from) {
  const auto lo = static_cast<std::int64_t>(cfg_.classroom.recheck_min_interval_min) * 60;
  const auto hi = static_cast<std::int64_t>(cfg_.classroom.recheck_max_interval_min) * 60;
  std::uniform_int_distribution<std::int64_t> pick(lo, std::max(lo, hi));
  return from + seconds(pick(rng_));
}

PersistedLogins ClassroomEngine::snapshot() const {
  PersistedLogins p;
  p.coach_no = lecturer_no_.value_or("");
  p.last_class_id = last_class_id_;
  for (const auto& [no, s] : students_) {
    p.students.push_back({.session_id = s.session_id, .last_photo_ms = ms(s.last_photo_taken),
                          .last_recheck_ms = ms(s.last_recheck),
                          .recheck_failed = s.recheck_failed,
                          .next_recheck_ms = ms(s.next_recheck)});
  }
  return p;
}

void ClassroomEngine::persist(WallTime now) {
  logins_.save(snapshot(), now, "check-ins");
}


Status ClassroomEngine::resume(WallTime now) {
  auto saved = logins_.resume(rec_, now, 0);
  if (!saved) return fail(saved.error());
  if (!saved->found) return ok();  // never ran
  if (terminal_no_.empty()) terminal_no_ = rec_.stored_terminal_no();
  if (!saved->coach_no.empty()) lecturer_no_ = saved->coach_no;
  last_class_id_ = saved->last_class_id;
  std::string who;
  for (const ResumedLogin& l : saved->students) {
    const store::TrainingSession& t = l.session;
    const OpenLogin& open = l.saved;
    Student s{.student_no = t.student_no, .course_code = t.course_code, .class_id = t.class_id,
              .session_id = t.id, .since = from_ms(t.started_ms),
              .last_photo_asked = now, .last_photo_taken = from_ms(open.last_photo_ms),
              .last_recheck = from_ms(open.last_recheck_ms),
              .next_recheck = std::max(from_ms(open.next_recheck_ms), now),
              .recheck_failed = open.recheck_failed,
              .continuing_education = is_continuing_education(cfg_, t.course_code),
              .minutes = l.totals.minutes, .counted = l.totals.counted};
    // Never again a minute that is stored, nor one the process did not see whole.
    s.next_minute = ceil_minute(now);
    if (l.totals.last_minute_ms) {
      s.next_minute = std::max(s.next_minute, from_ms(*l.totals.last_minute_ms) + minutes(1));
    }
    who += (who.empty() ? "" : ", ") + t.student_no + " class " + std::to_string(t.class_id) +
           " (" + std::to_string(s.minutes) + " minutes so far)";
    students_.emplace(t.student_no, std::move(s));
  }
  last_tick_ = now;
  if (lecturer_no_ || !students_.empty()) {
    rec_.event("session.resumed",
               "classroom: lecturer " + lecturer_no_.value_or("-") + ", students: " +
                   (who.empty() ? "none" : who),
               now);
  }
  persist(now);
  return ok();
}

void ClassroomEngine::set_ban(bool banned, std::string message, WallTime now) {
  tally_.banned = banned;
  tally_.ban_message = std::move(message);
  rec_.event(banned ? "training.banned" : "training.allowed", tally_.ban_message, now);
  if (!banned) return;
  std::vector<std::string> everyone;
  for (const auto& [no, s] : students_) everyone.push_back(no);
  for (const auto& no : everyone) {
    // A failure is logged; on_tick tries again.
    (void)end_student(no, FaceEvidence{.outcome = "training ban"}, now, "training ban");
  }
}

Status ClassroomEngine::can_lecturer_login() const {
  if (terminal_no_.empty()) {
    return fail(Errc::unavailable, "the terminal is not registered with the platform yet");
  }
  if (tally_.banned) return fail(Errc::refused, "training is banned on this terminal: " + tally_.ban_message);
  if (lecturer_no_) return fail(Errc::refused, "lecturer " + *lecturer_no_ + " is already logged in");
  return ok();
}

Status ClassroomEngine::can_student_login(const std::string& student_no,
                                          const std::string& course_code) {
  const config::ClassroomConfig& cc = cfg_.classroom;
  if (terminal_no_.empty()) terminal_no_ = rec_.stored_terminal_no();
  if (terminal_no_.empty()) {
    return fail(Errc::unavailable, "the terminal is not registered with the platform yet");
  }
  if (tally_.banned) return fail(Errc::refused, "training is banned on this terminal: " + tally_.ban_message);
  if (cc.require_lecturer && !lecturer_no_) {
    return fail(Errc::refused, "students check in only while a lecturer is logged in");
  }
  if (students_.contains(student_no)) {
    return fail(Errc::refused, "student " + student_no + " is already checked in");
  }
  if (cc.record_sequence == "minute_of_day" && !students_.empty()) {
    return fail(Errc::refused,
                "classroom.record_sequence = \"minute_of_day\" numbers one record per minute: "
                "one student at a time");
  }
  const std::string course = course_code.empty() ? cc.course_code : course_code;
  auto code = CourseCode::parse(course);
  if (!code) return fail(code.error());
  if (code->mode != TeachingMode::classroom) {
    return fail(Errc::invalid_argument,
                "course " + course + " is not a classroom course (teaching mode, digit 1, must be 2)");
  }
  return ok();
}

Status ClassroomEngine::lecturer_login(const std::string& coach_no, const FaceEvidence& face,
                                       WallTime now) {
  if (auto st = can_lecturer_login(); !st) return st;
  if (auto st = rec_.check_login(coach_no, store::Role::coach, face); !st) {
    rec_.event("coach.login_refused", coach_no + ": " + st.error().message, now);
    return st;
  }
  auto person = store_.people().find(coach_no);
  if (!person || !*person) return fail(Errc::not_found, coach_no + " is not enrolled");
  uplink::CoachLogin m{.coach_no = coach_no, .id_card = (*person)->id_card,
                       .licence_class = (*person)->licence_class, .gnss = position_block(now)};
  PersistedLogins next = snapshot();
  next.coach_no = coach_no;
  auto st = store_coach_change(rec_, logins_, next, coach_no, 20, m.kExtId, m.encode(), face,
                               position_block(now), now);
  if (!st) {
    spdlog::error("lecturer {} not logged in: {}", coach_no, st.error().message);
    return st;
  }
  lecturer_no_ = coach_no;
  rec_.event("coach.login", coach_no + " (lecturer)", now);
  return ok();
}

Status ClassroomEngine::lecturer_logout(const FaceEvidence& face, WallTime now) {
  if (!lecturer_no_) return fail(Errc::refused, "no lecturer is logged in");
  if (!students_.empty()) {
    return fail(Errc::refused, std::to_string(students_.size()) +
                                   " student(s) must check out before the lecturer");
  }
  if (auto st = rec_.check_person(*lecturer_no_, store::Role::coach, face); !st) return st;
  const std::string coach = *lecturer_no_;
  uplink::CoachLogout m{.coach_no = coach, .gnss = position_block(now)};
  PersistedLogins next = snapshot();
  next.coach_no.clear();
  auto st = store_coach_change(rec_, logins_, next, coach, 21, m.kExtId, m.encode(), face,
                               position_block(now), now);
  if (!st) {
    spdlog::error("lecturer {} not logged out: {}", coach, st.error().message);
    return st;
  }
  lecturer_no_.reset();
  rec_.event("coach.logout", coach + " (lecturer)", now);
  return ok();
}

Result<std::uint32_t> ClassroomEngine::student_login(const std::string& student_no,
                                                      const std::string& course_code,
                                                      const FaceEvidence& face, WallTime now) {
  const config::ClassroomConfig& cc = cfg_.classroom;
  if (auto st = can_student_login(student_no, course_code); !st) return fail(st.error());
  const std::string course = course_code.empty() ? cc.course_code : course_code;
  if (auto st = rec_.check_login(student_no, store::Role::student, face); !st) {
    rec_.event("student.login_refused", student_no + ": " + st.error().message, now);
    return fail(st.error());
  }
  const std::int64_t day_start = local_day_start_ms(now);
  auto today = store_.counted_minutes(student_no, "classroom", day_start, day_start + 86'400'000);
  if (!today) return fail(today.error());
  if (*today >= cfg_.training.daily_classroom_max_min) {
    rec_.event("student.login_refused", student_no + ": daily classroom cap reached", now);
    return fail(Errc::refused, "the daily cap of " +
                                   std::to_string(cfg_.training.daily_classroom_max_min) +
                                   " classroom minutes is reached");
  }
  // Unique per login even when several students check in within one second.
  const auto class_id =
      std::max(static_cast<std::uint32_t>(unix_seconds(now)), last_class_id_ + 1);
  uplink::StudentLogin m{.student_no = student_no, .coach_no = lecturer_no_.value_or(""),
                         .course_code = course, .class_id = class_id,
                         .gnss = position_block(now)};
  const WallTime next_recheck = draw_next_recheck(now);
  std::int64_t sid = 0;
  auto st = store_.transaction([&]() -> Status {
    auto id = store_.begin_session(store::TrainingSession{
        .class_id = class_id, .mode = "classroom", .student_no = student_no,
        .coach_no = lecturer_no_.value_or(""), .course_code = course, .started_ms = ms(now)});
    if (!id) return fail(id.error());
    sid = *id;
    if (auto e = rec_.add_photo(student_no, class_id, 17, face, now, position_block(now)); !e) {
      return e;
    }
    if (auto e = rec_.queue_ext(m.kExtId, std::to_string(class_id), m.encode(), now); !e) return e;
    PersistedLogins next = snapshot();
    next.last_class_id = class_id;
    next.students.push_back({.session_id = sid,
                             .last_photo_ms = face.jpeg.empty() ? 0 : ms(now),
                             .last_recheck_ms = ms(now), .recheck_failed = false,
                             .next_recheck_ms = ms(next_recheck)});
    return logins_.store(next, now);
  });
  if (!st) {
    spdlog::error("student {} not checked in: {}", student_no, st.error().message);
    return fail(st.error());
  }
  last_class_id_ = class_id;
  Student s{.student_no = student_no, .course_code = course, .class_id = class_id,
            .session_id = sid, .since = now, .next_minute = ceil_minute(now),
            .last_photo_asked = now, .last_photo_taken = face.jpeg.empty() ? WallTime{} : now,
            .last_recheck = now, .next_recheck = next_recheck,
            .continuing_education = is_continuing_education(cfg_, course),
            .day_start_ms = day_start, .counted_in_day = *today};
  students_.emplace(student_no, std::move(s));
  rec_.event("student.login", student_no + " class " + std::to_string(class_id) + " course " +
                                  course +
                                  (is_continuing_education(cfg_, course) ? " (continuing education)" : ""),
             now);
  return class_id;
}

Status ClassroomEngine::end_student(const std::string& student_no, const FaceEvidence& face,
                                    WallTime now, const char* why) {
  auto it = students_.find(student_no);
  if (it == students_.end()) return fail(Errc::refused, student_no + " is not checked in");
  const Student& s = it->second;
  uplink::StudentLogout m{.student_no = s.student_no, .logout_time = now,
                          .minutes = static_cast<std::uint16_t>(std::min<std::uint32_t>(s.minutes, 0xFFFF)),
                          .mileage_hm = 0, .class_id = s.class_id,
                          .gnss = position_block(now)};
  PersistedLogins next = snapshot();
  std::erase_if(next.students, [&](const OpenLogin& l) { return l.session_id == s.session_id; });
  auto st = store_.transaction([&]() -> Status {
    if (auto e = rec_.add_photo(s.student_no, s.class_id, 18, face, now, position_block(now)); !e) {
      return e;
    }
    if (auto e = rec_.queue_ext(m.kExtId, std::to_string(s.class_id), m.encode(), now); !e) return e;
    if (auto e = store_.end_session(s.session_id, ms(now)); !e) return e;
    return logins_.store(next, now);
  });
  if (!st) {
    spdlog::error("student {} not checked out ({}): {}", student_no, why, st.error().message);
    return st;
  }
  const Student done = std::move(it->second);
  students_.erase(it);
  rec_.event("student.logout", done.student_no + " (" + why + "), " + std::to_string(done.minutes) +
                                   " minutes, " + std::to_string(done.counted) + " counted",
             now);
  return ok();
}

Status ClassroomEngine::student_logout(const std::string& student_no, const FaceEvidence& face,
                                       WallTime now) {
  if (!students_.contains(student_no)) {
    return fail(Errc::refused, "student " + student_no + " is not checked in");
  }
  if (auto st = rec_.check_person(student_no, store::Role::student, face); !st) return st;
  return end_student(student_no, face, now, "check-out");
}

Status ClassroomEngine::recheck(const std::string& student_no, const FaceEvidence& face,
                                WallTime now) {
  auto it = students_.find(student_no);
  if (it == students_.end()) return fail(Errc::refused, student_no + " is not checked in");
  Student& s = it->second;
  const bool passed = face.performed && face.matched;
  PersistedLogins next = snapshot();
  for (auto& l : next.students) {
    if (l.session_id != s.session_id) continue;
    l.last_recheck_ms = ms(now);
    l.recheck_failed = !passed;
    if (!face.jpeg.empty()) l.last_photo_ms = ms(now);
  }
  auto st = store_.transaction([&]() -> Status {
    if (!face.jpeg.empty()) {
      if (auto e = rec_.add_photo(student_no, s.class_id, 19, face, now, position_block(now)); !e) {
        return e;
      }
    }
    return logins_.store(next, now);
  });
  // The verdict holds even when it could not be stored: a failed check stops the clock now.
  s.last_recheck = now;
  s.recheck_failed = !passed;
  rec_.event(passed ? "student.recheck_passed" : "student.recheck_failed",
             student_no + " (" + face.outcome + ")", now);
  if (!st) {
    spdlog::error("re-check of {} not stored: {}", student_no, st.error().message);
    return st;
  }
  if (!face.jpeg.empty()) {
    s.last_photo_taken = now;
    s.last_photo_asked = now;
  }
  return ok();
}

Status ClassroomEngine::add_timed_photo(const std::string& student_no, const FaceEvidence& face,
                                        WallTime now) {
  auto it = students_.find(student_no);
  if (it == students_.end()) return fail(Errc::refused, student_no + " is not checked in");
  Student& s = it->second;
  s.last_photo_asked = now;
  if (face.jpeg.empty()) return fail(Errc::unavailable, "no photo could be taken: " + face.outcome);
  PersistedLogins next = snapshot();
  for (auto& l : next.students) {
    if (l.session_id == s.session_id) l.last_photo_ms = ms(now);
  }
  auto st = store_.transaction([&]() -> Status {
    if (auto e = rec_.add_photo(student_no, s.class_id, 19, face, now, position_block(now)); !e) {
      return e;
    }
    return logins_.store(next, now);
  });
  if (!st) return st;
  s.last_photo_taken = now;
  return ok();
}

void ClassroomEngine::on_tick(WallTime now) {
  if (last_tick_ && now < *last_tick_) {
    if (!warned_backwards_) {
      rec_.event("classroom.clock_backwards",
                 iso8601_utc(now) + " after " + iso8601_utc(*last_tick_) + ": ticks ignored", now);
      warned_backwards_ = true;
    }
    return;
  }
  warned_backwards_ = false;
  const bool gap = last_tick_ && now - *last_tick_ > kMaxTickGap;
  if (gap && !students_.empty()) {
    rec_.event("classroom.clock_gap", "no tick from " + iso8601_utc(*last_tick_) + " to " +
                                          iso8601_utc(now) + ": those minutes are missing",
               now);
  }
  last_tick_ = now;
  if (tally_.banned && !students_.empty()) {
    // A ban whose check-outs the store refused: try again (failures are logged).
    std::vector<std::string> everyone;
    for (const auto& [no, s] : students_) everyone.push_back(no);
    for (const auto& no : everyone) {
      (void)end_student(no, FaceEvidence{.outcome = "training ban"}, now, "training ban");
    }
  }
  // Collect first: a callback may check a student out.
  std::vector<std::string> photo_due;
  std::vector<std::string> recheck_due;
  for (auto& [no, s] : students_) {
    if (gap) s.next_minute = std::max(s.next_minute, ceil_minute(now));
    while (s.next_minute + minutes(1) <= now) {
      make_minute(s, s.next_minute);
      s.next_minute += minutes(1);
    }
    if (now - s.last_photo_asked >= minutes(cfg_.training.photo_interval_min)) {
      s.last_photo_asked = now;  // asked once per interval; a failed photo is flagged
      photo_due.push_back(no);
    }
    if (now >= s.next_recheck) {
      s.last_recheck = now;
      s.next_recheck = draw_next_recheck(now);
      recheck_due.push_back(no);
    }
  }
  if (!photo_due.empty() || !recheck_due.empty()) persist(now);
  for (const auto& no : recheck_due) {
    if (on_recheck_due_ && students_.contains(no)) on_recheck_due_(no);
  }
  for (const auto& no : photo_due) {
    // A re-check photo taken just now already fills the window.
    auto it = students_.find(no);
    if (on_photo_due_ && !rec_.timed_photos_paused() && it != students_.end() &&
        it->second.last_photo_taken < now) {
      on_photo_due_(no);
    }
  }
}

Result<std::string> ClassroomEngine::next_record_number(WallTime minute_start) {
  if (cfg_.classroom.record_sequence == "minute_of_day") {
    return record_number(terminal_no_, minute_start);
  }
  // The number is taken (stored) before the minute is written: a crash in between leaves a
  // gap, never a number used twice.
  const std::string day = yymmdd(minute_start);
  auto stored = store_.param(kSeqParam);
  if (!stored) return fail(stored.error());
  int last = 0;
  if (*stored && (*stored)->size() > 7 && (*stored)->substr(0, 6) == day) {
    last = std::atoi((*stored)->c_str() + 7);
  }
  if (last >= 9999) {
    return fail(Errc::unavailable, "the 9999 record numbers of " + day + " are used up");
  }
  const int next = last + 1;
  if (auto st = store_.set_param(kSeqParam, day + " " + std::to_string(next), ms(minute_start));
      !st) {
    return fail(st.error());
  }
  char seq[16];
  std::snprintf(seq, sizeof seq, "%04d", next);
  return terminal_no_ + day + seq;
}

void ClassroomEngine::make_minute(Student& s, WallTime minute_start) {
  const std::int64_t day = local_day_start_ms(minute_start);
  if (day != s.day_start_ms) {
    auto counted = store_.counted_minutes(s.student_no, "classroom", day, day + 86'400'000);
    if (!counted) {
      spdlog::error("classroom minute of {}: {}", s.student_no, counted.error().message);
      return;
    }
    s.day_start_ms = day;
    s.counted_in_day = *counted;
  }
  std::vector<std::string> flags;
  if (out_of_hours(cfg_.training, minute_start)) flags.emplace_back(flag::kOutOfHours);
  if (s.recheck_failed) flags.emplace_back(flag::kRecheckFailed);
  if (minute_start - s.last_photo_taken >= minutes(cfg_.training.photo_interval_min + 1)) {
    flags.emplace_back(flag::kMissingPhoto);
  }
  if (flags.empty() && s.counted_in_day >= cfg_.training.daily_classroom_max_min) {
    flags.emplace_back(flag::kOverDailyCap);
  }
  const bool counted = flags.empty();

  auto number = next_record_number(minute_start);
  if (!number) {
    rec_.event("minute.not_made", s.student_no + ": " + number.error().message, minute_start);
    return;
  }
  // A classroom does not move: no speeds, mileage, odometer, engine speed or GNSS time is
  // stored (NULL; sent as 0). Its configured position, if any, is stored and sent.
  store::MinuteRecord rec{.record_no = *number, .session_id = s.session_id,
                          .minute_ms = ms(minute_start),
                          .status = static_cast<std::uint8_t>(counted ? 0 : 1)};
  if (cfg_.classroom.has_position) {
    rec.lat_e6 = static_cast<std::int32_t>(std::lround(cfg_.classroom.latitude_deg * 1e6));
    rec.lon_e6 = static_cast<std::int32_t>(std::lround(cfg_.classroom.longitude_deg * 1e6));
  }
  rec.flags = join_flags(flags);
  rec.counted = counted;
  uplink::TrainingRecord r = training_record(
      rec, {.student_no = s.student_no, .coach_no = lecturer_no_.value_or(""),
            .class_id = s.class_id, .course_code = s.course_code, .report_type = 1});
  r.gnss.basic = position_block(minute_start + seconds(30));  // "the point at second 30"

  auto data = r.encode();
  if (!data) {
    spdlog::error("minute {}: {}", r.record_no, data.error().message);
    return;
  }
  store::OutboxEntry e{.kind = tcp_kind(r.kExtId), .key = r.record_no, .payload = std::move(*data)};
  e.next_attempt_ms = ms(minute_start + minutes(1));
  e.created_ms = e.next_attempt_ms;  // made now, at the end of the minute
  if (auto st = store_.add_minute(rec, e); !st) {
    if (st.error().code == Errc::already_exists) {
      spdlog::info("minute {} is already stored: not made again", r.record_no);
      return;
    }
    rec_.event("minute.not_made", r.record_no + ": " + st.error().message, minute_start);
    return;
  }
  ++tally_.minutes_made;
  ++s.minutes;
  if (counted) {
    ++tally_.minutes_counted;
    ++s.counted;
    ++s.counted_in_day;
  }
  s.warnings = flags;
  tally_.warnings = flags;
  if (!flags.empty()) spdlog::warn("minute {} of {} abnormal: {}", r.record_no, s.student_no, rec.flags);
  rec_.poke();
}

EngineStatus ClassroomEngine::status() const {
  EngineStatus st;
  st.mode = "classroom";
  st.coach_no = lecturer_no_.value_or("");
  for (const auto& [no, s] : students_) {
    st.students.push_back({.student_no = s.student_no,
                           .course_code = s.course_code,
                           .class_id = s.class_id,
                           .session_id = s.session_id,
                           .since = s.since,
                           .minutes = s.minutes,
                           .minutes_counted = s.counted,
                           .mileage_hm = 0,
                           .recheck_failed = s.recheck_failed,
                           .next_recheck = s.next_recheck,
                           .continuing_education = s.continuing_education,
                           .warnings = s.warnings});
  }
  if (!st.students.empty()) {
    st.student_no = st.students.front().student_no;
    st.class_id = st.students.front().class_id;
  }
  tally_.fill(st);
  return st;
}

}  // namespace tta::agent
