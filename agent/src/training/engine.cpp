#include "training/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <spdlog/spdlog.h>

#include "outbox/forwarder.hpp"
#include "training/minute.hpp"
#include "tta/core/ids.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {

namespace {

using std::chrono::minutes;

std::int64_t ms(WallTime t) { return unix_millis(t); }

/// Minutes since local (GMT+8) midnight of a "HH:MM" string.
int hhmm_minutes(const std::string& s) { return std::stoi(s.substr(0, 2)) * 60 + std::stoi(s.substr(3)); }

}  // namespace

std::int64_t local_day_start_ms(WallTime t) {
  const CivilTime c = to_civil(t, kChinaUtcOffset);
  auto start = from_civil({c.year, c.month, c.day, 0, 0, 0}, kChinaUtcOffset);
  return start ? ms(*start) : ms(t);
}

bool out_of_hours(const config::TrainingConfig& t, WallTime minute_start) {
  const CivilTime local = to_civil(minute_start, kChinaUtcOffset);
  const int minute_of_day = local.hour * 60 + local.minute;
  return minute_of_day < hhmm_minutes(t.day_start) || minute_of_day >= hhmm_minutes(t.day_end);
}

std::string join_flags(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string record_number(const std::string& terminal_no, WallTime minute_start) {
  const CivilTime c = to_civil(minute_start, kChinaUtcOffset);
  char tail[16];
  std::snprintf(tail, sizeof tail, "%02d%02d%02d%04d", c.year % 100, c.month, c.day,
                c.hour * 60 + c.minute);
  return terminal_no + tail;
}

// ---- Recorder: what both engines share ----

void Recorder::event(const std::string& kind, const std::string& detail, WallTime now) {
  if (auto st = store_.log_event(kind, detail, ms(now)); !st) {
    spdlog::error("event log: {}", st.error().message);
  }
  spdlog::info("{}: {}", kind, detail);
}

std::string Recorder::stored_terminal_no() {
  auto v = store_.param("cred.terminal_no");  // written by StoreCredentials at registration
  return v && *v ? **v : std::string();
}

Status person_may_check_in(store::Store& store, const std::string& no) {
  auto p = store.people().find(no);
  if (!p) return fail(p.error());
  if (*p && (*p)->disabled_at_ms) {
    return fail(Errc::refused, no + " is disabled by the administrator and cannot check in");
  }
  return ok();
}

Status Recorder::check_login(const std::string& no, store::Role role, const FaceEvidence& face) {
  if (auto st = person_may_check_in(store_, no); !st) return st;
  return check_person(no, role, face);
}

Status Recorder::check_person(const std::string& no, store::Role role, const FaceEvidence& face) {
  auto p = store_.people().find(no);
  if (!p) return fail(p.error());
  if (!*p) return fail(Errc::not_found, no + " is not enrolled on this terminal");
  if ((*p)->role != role) {
    return fail(Errc::refused, no + " is enrolled as a " +
                                   ((*p)->role == store::Role::coach ? "coach" : "student"));
  }
  if (!face.performed) {
    return fail(Errc::refused, "no face check could be made (" + face.outcome + ")");
  }
  if (!face.matched) {
    return fail(Errc::refused, "face does not match the enrolled photo (" + face.outcome +
                                   ", confidence " + std::to_string(face.confidence) + ")");
  }
  return ok();
}

Status Recorder::queue_ext(std::uint16_t ext_id, const std::string& key,
                           Result<std::vector<std::uint8_t>> data, WallTime now) {
  if (!data) return fail(data.error());
  store::OutboxEntry e{.kind = tcp_kind(ext_id), .key = key, .payload = std::move(*data)};
  e.next_attempt_ms = ms(now);
  auto id = store_.outbox().enqueue(e, ms(now));
  if (!id) return fail(id.error());
  poke();
  return ok();
}

Status Recorder::add_photo(const std::string& person_no, std::uint32_t class_id,
                           std::uint8_t event_code, const FaceEvidence& face, WallTime now,
                           const uplink::PositionBlock& pos, std::uint8_t upload_mode) {
  if (face.jpeg.empty()) return ok();  // nothing to store: the session rules will flag it
  auto seq_text = store_.param("photo.seq");
  if (!seq_text) return fail(seq_text.error());
  const std::uint64_t seq = (*seq_text ? std::stoull(**seq_text) : 0) + 1;
  if (auto st = store_.set_param("photo.seq", std::to_string(seq), ms(now)); !st) return st;
  char no[16];
  std::snprintf(no, sizeof no, "%010llu", static_cast<unsigned long long>(seq % 10'000'000'000ULL));

  store::Photo photo{.photo_no = no, .person_no = person_no, .class_id = class_id,
                     .event = event_code, .size_code = face.size_code, .taken_ms = ms(now),
                     .confidence = face.confidence, .lat_e6 = std::nullopt, .lon_e6 = std::nullopt,
                     .jpeg = face.jpeg};
  if (auto lat = pos.latitude_deg()) photo.lat_e6 = static_cast<std::int32_t>(std::lround(*lat * 1e6));
  if (auto lon = pos.longitude_deg()) photo.lon_e6 = static_cast<std::int32_t>(std::lround(*lon * 1e6));

  uplink::PhotoUploadInit init;
  init.photo_no = no;
  init.person_no = person_no;
  init.upload_mode = upload_mode;
  init.size_code = face.size_code;
  init.event = event_code;
  init.photo_size_bytes = static_cast<std::uint32_t>(face.jpeg.size());
  init.class_id = class_id;
  init.gnss.basic = pos;
  init.face_confidence = face.confidence;
  auto data = init.encode();
  if (!data) return fail(data.error());
  store::OutboxEntry e{.kind = kPhotoKind, .key = no, .payload = std::move(*data)};
  e.next_attempt_ms = ms(now);
  if (auto st = store_.photos().add(photo, e); !st) return st;
  poke();
  return ok();
}

Status store_coach_change(Recorder& rec, SavedLogins& logins, const PersistedLogins& next,
                          const std::string& coach_no, std::uint8_t photo_event,
                          std::uint16_t ext_id, Result<std::vector<std::uint8_t>> message,
                          const FaceEvidence& face, const uplink::PositionBlock& pos, WallTime now) {
  return rec.store().transaction([&]() -> Status {
    if (auto e = rec.add_photo(coach_no, 0, photo_event, face, now, pos); !e) return e;
    const std::string key = coach_no + "@" + std::to_string(ms(now));
    if (auto e = rec.queue_ext(ext_id, key, std::move(message), now); !e) return e;
    return logins.store(next, now);
  });
}

void Recorder::set_timed_photos_paused(bool paused, WallTime now) {
  if (paused == photos_paused_) return;
  photos_paused_ = paused;
  event(paused ? "photos.paused" : "photos.resumed",
        paused ? "storage nearly full: no timed photos; minutes go on"
               : "storage has room again: timed photos go on",
        now);
}

void EngineTally::fill(EngineStatus& st) const {
  st.minutes_made = minutes_made;
  st.minutes_counted = minutes_counted;
  st.banned = banned;
  st.ban_message = ban_message;
  st.warnings = warnings;
}

// ---- the vehicle engine ----

TrainingEngine::TrainingEngine(store::Store& store, const config::Config& cfg,
                               std::string terminal_no)
    : store_(store),
      rec_(store),
      logins_(store, "vehicle"),
      cfg_(cfg),
      terminal_no_(std::move(terminal_no)),
      odometer_(gps::odometer_config(cfg.gps)),
      plausibility_(gps::plausibility_config(cfg.gps)),
      fences_(cfg.gps.fences) {}

std::optional<VehicleSample> TrainingEngine::fresh_vehicle(WallTime at) const {
  // A sample older than 5 s says nothing about now: the value is missing, not repeated.
  if (vehicle_.at == WallTime{} || at - vehicle_.at > std::chrono::seconds(5) ||
      vehicle_.at - at > std::chrono::seconds(5)) {
    return std::nullopt;
  }
  return vehicle_;
}

uplink::PositionBlock TrainingEngine::position_block() const {
  uplink::PositionBlock p;
  if (!last_fix_) return p;  // everything missing
  const gps::Fix& f = *last_fix_;
  if (f.has_fix()) {
    p.status_flags |= uplink::kStatusPositioned;
    p.set_latitude_deg(f.lat_deg);
    p.set_longitude_deg(f.lon_deg);
    if (!std::isnan(f.speed_kmh)) {
      p.gnss_speed_dkmh = static_cast<std::uint16_t>(std::lround(f.speed_kmh * 10));
    }
    if (!std::isnan(f.course_deg)) {
      p.direction_deg = static_cast<std::uint16_t>(std::lround(f.course_deg) % 360);
    }
  }
  p.time = f.utc();
  if (p.time) {
    if (auto v = fresh_vehicle(*p.time)) {
      if (v->ignition_on.value_or(false)) p.status_flags |= uplink::kStatusAccOn;
      if (v->sensor_speed_kmh) {
        p.vehicle_speed_dkmh =
            static_cast<std::uint16_t>(std::lround(*v->sensor_speed_kmh * 10));
      }
    }
  }
  return p;
}

PersistedLogins TrainingEngine::snapshot() const {
  PersistedLogins p;
  p.coach_no = coach_no_.value_or("");
  p.last_class_id = last_class_id_;
  if (student_) {
    p.students.push_back({.session_id = student_->session_id,
                          .last_photo_ms = ms(student_->last_photo_taken),
                          .last_recheck_ms = ms(student_->last_recheck),
                          .recheck_failed = student_->recheck_failed});
  }
  return p;
}

void TrainingEngine::persist(WallTime now) {
  logins_.save(snapshot(), now, "the login");
}


Status TrainingEngine::resume(WallTime now) {
  const std::int64_t day_start = local_day_start_ms(now);
  auto saved = logins_.resume(rec_, now, day_start);
  if (!saved) return fail(saved.error());
  if (!saved->found) return ok();  // never ran
  // Minutes may be made before the platform session is up again: number them with the
  // terminal number kept from registration.
  if (terminal_no_.empty()) terminal_no_ = rec_.stored_terminal_no();
  if (!saved->coach_no.empty()) coach_no_ = saved->coach_no;
  last_class_id_ = saved->last_class_id;
  for (const ResumedLogin& l : saved->students) {
    const store::TrainingSession& t = l.session;
    auto today = store_.counted_minutes(t.student_no, "vehicle", day_start, day_start + 86'400'000);
    if (!today) return fail(today.error());
    student_ = Student{.student_no = t.student_no, .course_code = t.course_code,
                       .class_id = t.class_id, .session_id = t.id,
                       .since = WallTime{std::chrono::milliseconds(t.started_ms)},
                       .last_photo = now,
                       .last_photo_taken = WallTime{std::chrono::milliseconds(l.saved.last_photo_ms)},
                       .last_recheck = WallTime{std::chrono::milliseconds(l.saved.last_recheck_ms)},
                       .recheck_failed = l.saved.recheck_failed,
                       .minutes = static_cast<std::uint16_t>(std::min<std::uint32_t>(l.totals.minutes, 0xFFFF)),
                       .mileage_hm = l.totals.mileage_hm,
                       .counted_today = *today - l.totals.counted_since_ms,
                       .counted = l.totals.counted,
                       .day_start_ms = day_start,
                       .resumed = true};
  }
  if (coach_no_ || student_) {
    event("session.resumed",
          "coach " + coach_no_.value_or("-") +
              (student_ ? ", student " + student_->student_no + " class " +
                              std::to_string(student_->class_id) + ", " +
                              std::to_string(student_->minutes) + " minutes so far"
                        : std::string(", no student")),
          now);
  }
  persist(now);  // drops sessions found closed
  return ok();
}

void TrainingEngine::set_ban(bool banned, std::string message, WallTime now) {
  tally_.banned = banned;
  tally_.ban_message = std::move(message);
  event(banned ? "training.banned" : "training.allowed", tally_.ban_message, now);
  if (banned && student_) {
    if (auto st = end_student(FaceEvidence{.outcome = "training ban"}, now, "training ban"); !st) {
      spdlog::error("training ban: student not checked out yet (tried again at the next fix): {}",
                    st.error().message);
    }
  }
}

Status TrainingEngine::can_coach_login() const {
  if (terminal_no_.empty()) {
    return fail(Errc::unavailable, "the terminal is not registered with the platform yet");
  }
  if (tally_.banned) return fail(Errc::refused, "training is banned on this terminal: " + tally_.ban_message);
  if (coach_no_) return fail(Errc::refused, "coach " + *coach_no_ + " is already logged in");
  return ok();
}

Status TrainingEngine::can_student_login(const std::string& course_code) const {
  if (tally_.banned) return fail(Errc::refused, "training is banned on this terminal: " + tally_.ban_message);
  if (!coach_no_) return fail(Errc::refused, "a student can log in only while a coach is logged in");
  if (student_) return fail(Errc::refused, "student " + student_->student_no + " is training now");
  if (auto cc = CourseCode::parse(course_code); !cc) return fail(cc.error());
  return ok();
}

Status TrainingEngine::coach_login(const std::string& coach_no, const FaceEvidence& face,
                                   WallTime now) {
  if (auto st = can_coach_login(); !st) return st;
  if (auto st = rec_.check_login(coach_no, store::Role::coach, face); !st) {
    event("coach.login_refused", coach_no + ": " + st.error().message, now);
    return st;
  }
  auto person = store_.people().find(coach_no);
  if (!person) return fail(person.error());
  if (!*person) return fail(Errc::not_found, coach_no + " is not enrolled");
  uplink::CoachLogin m{.coach_no = coach_no, .id_card = (*person)->id_card,
                       .licence_class = (*person)->licence_class, .gnss = position_block()};
  PersistedLogins next = snapshot();
  next.coach_no = coach_no;
  auto st = store_coach_change(rec_, logins_, next, coach_no, 20, m.kExtId, m.encode(), face,
                               position_block(), now);
  if (!st) {
    spdlog::error("coach {} not logged in: {}", coach_no, st.error().message);
    return st;
  }
  coach_no_ = coach_no;
  event("coach.login", coach_no, now);
  return ok();
}

Result<std::uint32_t> TrainingEngine::student_login(const std::string& student_no,
                                                    const std::string& course_code,
                                                    const FaceEvidence& face, WallTime now) {
  if (auto st = can_student_login(course_code); !st) return fail(st.error());
  if (auto st = rec_.check_login(student_no, store::Role::student, face); !st) {
    event("student.login_refused", student_no + ": " + st.error().message, now);
    return fail(st.error());
  }
  const std::int64_t day_start = local_day_start_ms(now);
  auto today = store_.counted_minutes(student_no, "vehicle", day_start, day_start + 86'400'000);
  if (!today) return fail(today.error());
  if (*today >= cfg_.training.daily_practical_max_min) {
    event("student.login_refused", student_no + ": daily cap reached", now);
    return fail(Errc::refused, "the daily cap of " +
                                   std::to_string(cfg_.training.daily_practical_max_min) +
                                   " practical minutes is reached");
  }
  // Unique per terminal even when a student checks out and in again within one second.
  const auto class_id =
      std::max(static_cast<std::uint32_t>(unix_seconds(now)), last_class_id_ + 1);
  uplink::StudentLogin m{.student_no = student_no, .coach_no = *coach_no_,
                         .course_code = course_code, .class_id = class_id,
                         .gnss = position_block()};
  std::int64_t sid = 0;
  auto st = store_.transaction([&]() -> Status {
    auto id = store_.begin_session(store::TrainingSession{
        .class_id = class_id, .mode = "vehicle", .student_no = student_no,
        .coach_no = *coach_no_, .course_code = course_code, .started_ms = ms(now)});
    if (!id) return fail(id.error());
    sid = *id;
    if (auto e = add_photo(student_no, class_id, 17, face, now); !e) return e;
    if (auto e = rec_.queue_ext(m.kExtId, std::to_string(class_id), m.encode(), now); !e) return e;
    PersistedLogins next = snapshot();
    next.last_class_id = class_id;
    next.students = {OpenLogin{.session_id = sid, .last_photo_ms = ms(now),
                               .last_recheck_ms = ms(now)}};
    return logins_.store(next, now);
  });
  if (!st) {
    spdlog::error("student {} not logged in: {}", student_no, st.error().message);
    return fail(st.error());
  }
  student_ = Student{.student_no = student_no, .course_code = course_code, .class_id = class_id,
                     .session_id = sid, .since = now, .last_photo = now, .last_photo_taken = now,
                     .last_recheck = now,
                     .counted_today = *today, .day_start_ms = day_start};
  last_class_id_ = class_id;
  event("student.login", student_no + " class " + std::to_string(class_id), now);
  return class_id;
}

Status TrainingEngine::end_student(const FaceEvidence& face, WallTime now, const char* why) {
  const Student& s = *student_;
  uplink::StudentLogout m{.student_no = s.student_no, .logout_time = now, .minutes = s.minutes,
                          .mileage_hm = static_cast<std::uint16_t>(std::min<std::uint32_t>(s.mileage_hm, 0xFFFF)),
                          .class_id = s.class_id, .gnss = position_block()};
  PersistedLogins next = snapshot();
  next.students.clear();
  auto st = store_.transaction([&]() -> Status {
    if (auto e = add_photo(s.student_no, s.class_id, 18, face, now); !e) return e;
    if (auto e = rec_.queue_ext(m.kExtId, std::to_string(s.class_id), m.encode(), now); !e) return e;
    if (auto e = store_.end_session(s.session_id, ms(now)); !e) return e;
    return logins_.store(next, now);
  });
  if (!st) {
    spdlog::error("student {} not checked out ({}): {}", s.student_no, why, st.error().message);
    return st;
  }
  const Student done = *student_;
  student_.reset();
  event("student.logout", done.student_no + " (" + why + "), " + std::to_string(done.minutes) +
                              " minutes", now);
  return ok();
}

Status TrainingEngine::student_logout(const FaceEvidence& face, WallTime now) {
  if (!student_) return fail(Errc::refused, "no student is logged in");
  if (auto st = rec_.check_person(student_->student_no, store::Role::student, face); !st) {
    return st;
  }
  return end_student(face, now, "check-out");
}

Status TrainingEngine::coach_logout(const FaceEvidence& face, WallTime now) {
  if (!coach_no_) return fail(Errc::refused, "no coach is logged in");
  if (student_) return fail(Errc::refused, "the student must check out first");
  if (auto st = rec_.check_person(*coach_no_, store::Role::coach, face); !st) return st;
  const std::string coach = *coach_no_;
  uplink::CoachLogout m{.coach_no = coach, .gnss = position_block()};
  PersistedLogins next = snapshot();
  next.coach_no.clear();
  auto st = store_coach_change(rec_, logins_, next, coach, 21, m.kExtId, m.encode(), face,
                               position_block(), now);
  if (!st) {
    spdlog::error("coach {} not logged out: {}", coach, st.error().message);
    return st;
  }
  coach_no_.reset();
  event("coach.logout", coach, now);
  return ok();
}

Status TrainingEngine::recheck(const FaceEvidence& face, WallTime now) {
  if (!student_) return fail(Errc::refused, "no student is logged in");
  const bool passed = face.performed && face.matched;
  PersistedLogins next = snapshot();
  next.students.at(0).last_recheck_ms = ms(now);
  next.students.at(0).recheck_failed = !passed;
  auto st = store_.transaction([&]() -> Status {
    if (auto e = add_photo(student_->student_no, student_->class_id, 19, face, now); !e) return e;
    return logins_.store(next, now);
  });
  // The verdict holds even when it could not be stored: a failed check stops the clock now
  // (a restart would forget it; the error is returned and logged).
  student_->last_recheck = now;
  student_->recheck_failed = !passed;
  event(passed ? "student.recheck_passed" : "student.recheck_failed",
        student_->student_no + " (" + face.outcome + ")", now);
  if (!st) spdlog::error("re-check of {} not stored: {}", student_->student_no, st.error().message);
  return st;
}

Status TrainingEngine::add_timed_photo(const FaceEvidence& face, WallTime now) {
  if (!student_) return fail(Errc::refused, "no student is logged in");
  student_->last_photo = now;
  if (face.jpeg.empty()) return fail(Errc::unavailable, "no photo could be taken: " + face.outcome);
  PersistedLogins next = snapshot();
  next.students.at(0).last_photo_ms = ms(now);
  auto st = store_.transaction([&]() -> Status {
    if (auto e = add_photo(student_->student_no, student_->class_id, 19, face, now); !e) return e;
    return logins_.store(next, now);
  });
  if (!st) return st;
  student_->last_photo_taken = now;
  return ok();
}

void TrainingEngine::on_vehicle(const VehicleSample& v) {
  vehicle_ = v;
  if (v.ignition_on) {
    if (*v.ignition_on) {
      ignition_off_since_.reset();
    } else if (!ignition_off_since_) {
      ignition_off_since_ = v.at;
    }
  }
  // A sample in a new minute closes the previous one, as a fix would; but only a sample on
  // the fixes' timeline (within 5 s of the last fix): one stamped by another clock, before
  // the first fix say, would open a minute the fixes never reach and no minute would be made.
  const auto fix_time = last_fix_ ? last_fix_->utc() : std::nullopt;
  if (v.sensor_speed_kmh && fix_time && v.at - *fix_time <= std::chrono::seconds(5) &&
      *fix_time - v.at <= std::chrono::seconds(5)) {
    if (auto done = minutes_.add_sensor_speed(v.at, *v.sensor_speed_kmh)) make_minute(*done);
  }
}

void TrainingEngine::on_fix(const gps::Fix& fix, MonoTime received) {
  const gps::OdometerStep step = odometer_.update(fix);
  const gps::PlausibilityReport report = plausibility_.on_fix(fix, received);
  if (report.has(gps::kSignalPositionJump)) minute_signals_.insert(flag::kPositionJump);
  if (report.has(gps::kSignalFrozenFix)) minute_signals_.insert(flag::kFrozenFix);
  if (report.has(gps::kSignalTimeBackwards)) minute_signals_.insert(flag::kTimeBackwards);
  if (report.has(gps::kSignalSpeedMismatch)) minute_signals_.insert(flag::kSpeedMismatch);
  if (step.good_fix()) (void)fences_.update(fix.lat_deg, fix.lon_deg);
  last_fix_ = fix;
  if (student_ && student_->resumed && !student_->resumed_at) student_->resumed_at = fix.utc();
  if (auto done = minutes_.add(fix, step)) make_minute(*done);
  if (auto t = fix.utc()) check_timers(*t);
}

void TrainingEngine::on_clock(WallTime now) {
  if (auto done = minutes_.add_time(now)) make_minute(*done);
  check_timers(now);
}

void TrainingEngine::check_timers(WallTime now) {
  if (ignition_off_since_) {
    const auto off = now - *ignition_off_since_;
    if (student_ && off >= minutes(cfg_.training.ignition_off_stop_min)) {
      // Failed (logged): the student stays on board and the next fix tries again.
      (void)end_student(FaceEvidence{.outcome = "ignition off"}, now, "ignition off");
    }
    if (coach_no_ && !student_ && off >= minutes(cfg_.training.coach_auto_logout_min)) {
      uplink::CoachLogout m{.coach_no = *coach_no_, .gnss = position_block()};
      PersistedLogins next = snapshot();
      next.coach_no.clear();
      auto st = store_.transaction([&]() -> Status {
        if (auto e = rec_.queue_ext(m.kExtId, *coach_no_ + "@" + std::to_string(ms(now)),
                                    m.encode(), now);
            !e) {
          return e;
        }
        return logins_.store(next, now);
      });
      if (st) {
        event("coach.logout", *coach_no_ + " (ignition off)", now);
        coach_no_.reset();
      } else {
        spdlog::error("coach {} not logged out (ignition off; tried again at the next fix): {}",
                      *coach_no_, st.error().message);
      }
    }
  }
  if (tally_.banned && student_) {
    // A ban whose check-out the store refused: try again.
    (void)end_student(FaceEvidence{.outcome = "training ban"}, now, "training ban");
  }
  if (!student_) return;
  if (now - student_->last_photo >= minutes(cfg_.training.photo_interval_min)) {
    student_->last_photo = now;  // asked once per interval; a failed photo is flagged
    if (on_photo_due_ && !rec_.timed_photos_paused()) on_photo_due_();
  }
  if (now - student_->last_recheck >= minutes(cfg_.training.recheck_interval_min)) {
    student_->last_recheck = now;
    if (on_recheck_due_) on_recheck_due_();
  }
}

void TrainingEngine::make_minute(const gps::MinuteRecord& m) {
  std::set<std::string> signals = std::move(minute_signals_);
  minute_signals_.clear();
  // Only whole minutes that started after the student logged in count.
  if (!student_ || m.minute_start < student_->since) return;
  Student& s = *student_;
  // After a restart the minute holding the first fix is partial: the downtime stays missing.
  if (s.resumed && (!s.resumed_at || m.minute_start < *s.resumed_at)) return;
  std::vector<std::string> flags;
  const auto minute_end = m.minute_start + std::chrono::minutes(1);
  auto vehicle = fresh_vehicle(minute_end);

  if (!m.sample) {
    flags.emplace_back(flag::kNoGnss);
  } else if (!fences_.fences().empty() &&
             !std::any_of(fences_.fences().begin(), fences_.fences().end(), [&](const auto& f) {
               return gps::point_in_polygon(m.sample->lat_deg, m.sample->lon_deg, f.points);
             })) {
    flags.emplace_back(flag::kOutsideFence);
  }
  if (!vehicle || !vehicle->engine_rpm) {
    flags.emplace_back(flag::kEngineSpeedMissing);
  } else if (*vehicle->engine_rpm == 0) {
    flags.emplace_back(flag::kEngineSpeedZero);
  }
  const bool still = m.mileage_hm == 0 || m.max_speed_dkmh == 0;
  if (still && prev_minute_still_) flags.emplace_back(flag::kStationary);
  prev_minute_still_ = still;
  if (out_of_hours(cfg_.training, m.minute_start)) flags.emplace_back(flag::kOutOfHours);
  if (s.recheck_failed) flags.emplace_back(flag::kRecheckFailed);
  if (m.minute_start - s.last_photo_taken >=
      std::chrono::minutes(cfg_.training.photo_interval_min + 1)) {
    flags.emplace_back(flag::kMissingPhoto);
  }
  for (const auto& sig : signals) flags.push_back(sig);
  const bool valid = flags.empty();
  if (valid && s.counted_today + s.counted >= cfg_.training.daily_practical_max_min) {
    flags.emplace_back(flag::kOverDailyCap);
  }
  const bool counted = flags.empty();

  const auto odometer_hm = static_cast<std::uint32_t>(odometer_.total_m() / 100.0);
  store::MinuteRecord rec = stored_minute(m, record_number(terminal_no_, m.minute_start),
                                          s.session_id, odometer_hm, vehicle);
  rec.status = counted ? 0 : 1;
  rec.flags = join_flags(flags);
  rec.counted = counted;
  const uplink::TrainingRecord r = training_record(
      rec, {.student_no = s.student_no, .coach_no = coach_no_.value_or(""),
            .class_id = s.class_id, .course_code = s.course_code, .report_type = 1,
            .ignition_on = vehicle && vehicle->ignition_on.value_or(false)});

  auto data = r.encode();
  if (!data) {
    spdlog::error("minute {}: {}", r.record_no, data.error().message);
    return;
  }
  store::OutboxEntry e{.kind = tcp_kind(r.kExtId), .key = r.record_no, .payload = std::move(*data)};
  e.next_attempt_ms = ms(minute_end);
  e.created_ms = e.next_attempt_ms;  // made now, at the end of the minute
  if (auto st = store_.add_minute(rec, e); !st) {
    if (st.error().code == Errc::already_exists) {
      // Made before a restart (same record number): the stored one stands, nothing is counted twice.
      spdlog::info("minute {} is already stored: not made again", r.record_no);
      return;
    }
    spdlog::error("minute {} not stored: {}", r.record_no, st.error().message);
    return;
  }
  ++tally_.minutes_made;
  ++s.minutes;
  s.mileage_hm += m.mileage_hm;
  if (counted) {
    ++tally_.minutes_counted;
    ++s.counted;
  }
  tally_.warnings = flags;
  if (!flags.empty()) spdlog::warn("minute {} abnormal: {}", r.record_no, rec.flags);
  rec_.poke();
}

std::vector<LiveWarning> TrainingEngine::live_warnings() const {
  std::vector<LiveWarning> out;
  if (!student_ || !last_fix_) return out;
  const auto now = last_fix_->utc();
  const auto open = minutes_.open_minute();
  if (!now || !open) return out;
  const Student& s = *student_;
  const auto into = std::chrono::duration_cast<std::chrono::seconds>(*now - open->minute_start);
  const int left = static_cast<int>(std::clamp<std::int64_t>(60 - into.count(), 0, 60));
  if (!fences_.fences().empty() && open->sample &&
      !std::any_of(fences_.fences().begin(), fences_.fences().end(), [&](const auto& f) {
        return gps::point_in_polygon(last_fix_->lat_deg, last_fix_->lon_deg, f.points);
      })) {
    out.push_back({flag::kOutsideFence, left});
  }
  if (const auto v = fresh_vehicle(*now); !v || !v->engine_rpm) {
    out.push_back({flag::kEngineSpeedMissing, std::nullopt});
  } else if (*v->engine_rpm == 0) {
    out.push_back({flag::kEngineSpeedZero, left});
  }
  // The rule of make_minute: a still minute after a still minute is void. The open minute is
  // still so far; moving before it closes saves it.
  const bool still_so_far = open->mileage_hm == 0 || open->max_speed_dkmh == 0;
  if (prev_minute_still_ && still_so_far) out.push_back({flag::kStationary, left});
  if (out_of_hours(cfg_.training, open->minute_start)) out.push_back({flag::kOutOfHours, std::nullopt});
  if (s.recheck_failed) out.push_back({flag::kRecheckFailed, std::nullopt});
  if (open->minute_start - s.last_photo_taken >=
      std::chrono::minutes(cfg_.training.photo_interval_min + 1)) {
    out.push_back({flag::kMissingPhoto, std::nullopt});
  }
  for (const auto& sig : minute_signals_) out.push_back({sig, std::nullopt});
  if (s.counted_today + s.counted >= cfg_.training.daily_practical_max_min) {
    out.push_back({flag::kOverDailyCap, std::nullopt});
  }
  return out;
}

EngineStatus TrainingEngine::status() const {
  EngineStatus st;
  st.coach_no = coach_no_.value_or("");
  if (student_) {
    st.student_no = student_->student_no;
    st.class_id = student_->class_id;
    st.mileage_hm = student_->mileage_hm;
    st.students.push_back({.student_no = student_->student_no,
                           .course_code = student_->course_code,
                           .class_id = student_->class_id,
                           .session_id = student_->session_id,
                           .since = student_->since,
                           .minutes = student_->minutes,
                           .minutes_counted = static_cast<std::uint32_t>(student_->counted),
                           .mileage_hm = student_->mileage_hm,
                           .recheck_failed = student_->recheck_failed,
                           .next_recheck = std::nullopt,
                           .continuing_education = false,
                           .warnings = tally_.warnings});
  }
  tally_.fill(st);
  return st;
}

}  // namespace tta::agent
