// The control API's backend (control/api.hpp) and the administrator's (control/admin.hpp).
#include "daemon/daemon_impl.hpp"
#include "outbox/kinds.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {

namespace asio = boost::asio;
using nlohmann::json;

namespace {
json when(const std::optional<WallTime>& t) { return t ? json(iso8601_utc(*t)) : json(nullptr); }
json when_ms(std::int64_t ms) {
  return ms != 0 ? json(iso8601_utc(WallTime(std::chrono::milliseconds(ms)))) : json(nullptr);
}
json words(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

/// How a check judged liveness, for the check-in and check-out replies: null when the check
/// never got that far (no camera, no face checks); `words` null when the face was live.
json liveness_json(const FaceEvidence& ev) {
  if (!ev.liveness) return nullptr;
  const auto& l = *ev.liveness;
  return {{"outcome", l.outcome},         {"decided_by", l.decided_by},
          {"challenge", l.challenge},     {"challenge_met", l.challenge_met},
          {"score", l.score},             {"frames", l.frames},
          {"words", words(l.words)},      {"words_zh", words(l.words_zh)}};
}
}  // namespace

nlohmann::json Daemon::Impl::status() {
  const auto s = engine.status();
  const auto& fs_ = forwarder.stats();
  const auto ss = session.stats();
  // SIMULATED records are held from a platform that is not a test platform (delivery.hpp).
  const bool tcp_held = cfg.agent.simulated && !cfg.uplink.tcp.test_platform;
  const bool https_held = cfg.agent.simulated && !cfg.uplink.http.test_platform;
  const std::string tcp_error = !fs_.last_error.empty() ? fs_.last_error : uplink_error;
  json tcp_state{{"state", session.online()      ? "online"
                           : uplink_error.empty() ? "connecting"
                                                  : "offline, reconnecting"},
                 {"simulated_records", !cfg.agent.simulated ? json(nullptr)
                                       : tcp_held ? json("held: refused in the outbox, this is "
                                                         "not a test platform")
                                                  : json("sent: a test platform")},
                 {"since", uplink_since ? json(iso8601_utc(*uplink_since)) : json(nullptr)},
                 {"last_ok", session.online() ? json(iso8601_utc(now())) : when(tcp_last_online)},
                 {"last_ack", when_ms(fs_.last_ack_ms)},
                 {"test_platform", cfg.uplink.tcp.test_platform},
                 {"last_error", words(tcp_error)},
                 {"online", session.online()},
                 {"terminal_no", session.terminal_no()},
                 {"connects", ss.connects},
                 {"sent", fs_.sent},
                 {"acked", fs_.acked},
                 {"failed", fs_.failed},
                 {"resent_flagged", fs_.resent_flagged},
                 {"photos_sent", fs_.photos_sent}};
  json https_state{{"enabled", !cfg.uplink.http.base_url.empty()}, {"running", http != nullptr},
                   {"test_platform", cfg.uplink.http.test_platform}};
  https_state["state"] = cfg.uplink.http.base_url.empty() ? "not configured (uplink.http.base_url "
                                                            "is empty; uploads stay queued)"
                         : !http                          ? "waiting: " + http_error
                                                          : std::string("running");
  https_state["simulated_records"] = !cfg.agent.simulated ? json(nullptr)
                                     : https_held ? json("held: refused in the outbox, this is "
                                                         "not a test platform")
                                                  : json("sent: a test platform");
  https_state["last_ok"] = nullptr;
  https_state["last_error"] = words(http_error);
  if (!http_error.empty()) https_state["waiting"] = http_error;
  if (http) {
    const auto& h = http->stats();
    https_state["last_ok"] = when_ms(h.last_ack_ms);
    https_state["last_error"] = words(h.last_error);
    https_state["sent"] = h.sent;
    https_state["acked"] = h.acked;
    https_state["refused"] = h.refused;
    https_state["retried"] = h.retried;
    https_state["in_flight"] = http->in_flight();
  }
  json students = json::array();
  for (const auto& st : s.students) {
    students.push_back({{"student_no", st.student_no},
                        {"course", st.course_code},
                        {"class_id", st.class_id},
                        {"minutes", st.minutes},
                        {"minutes_counted", st.minutes_counted},
                        {"mileage_km", st.mileage_hm / 10.0},
                        {"recheck_failed", st.recheck_failed},
                        {"since", iso8601_utc(st.since)},
                        {"next_recheck",
                         st.next_recheck ? json(iso8601_utc(*st.next_recheck)) : json(nullptr)},
                        {"warnings", st.warnings}});
  }
  // What holds against the open minute, for the screens to say before the minute is void.
  json open_minute = json::array();
  if (auto* v = engine.vehicle(); v && !s.student_no.empty()) {
    const auto g = gnss_state();
    if (g.value("state", "") != "fix") open_minute.push_back({{"code", flag::kNoGnss}, {"seconds_left", nullptr}});
    for (const auto& w : v->live_warnings()) {
      open_minute.push_back({{"code", w.code},
                      {"seconds_left", w.seconds_left ? json(*w.seconds_left) : json(nullptr)}});
    }
  }
  json j{{"mode", s.mode},
         {"coach_no", s.coach_no},
         {"student_no", s.student_no},
         {"class_id", s.class_id},
         {"minutes_made", s.minutes_made},
         {"minutes_counted", s.minutes_counted},
         {"mileage_km", s.mileage_hm / 10.0},
         {"warnings", s.warnings},
         {"live_warnings", open_minute},
         {"config_reload", {{"refused", reloads_refused},
                            {"last_problem", reload_problem.empty() ? json(nullptr) : json(reload_problem)}}},
         {"now", iso8601_utc(now())},
         {"daily_cap_min", engine.classroom() ? live.training.daily_classroom_max_min
                                              : live.training.daily_practical_max_min},
         {"students", students},
         {"banned", s.banned},
         {"ban_message", s.ban_message},
         {"uplink_online", session.online()},
         {"uplink", {{"tcp", tcp_state}, {"https", https_state}}},
         {"simulated", cfg.agent.simulated},
         {"sources", {{"gnss", gnss_state()}, {"camera", camera_state()},
                      {"vehicle", vehicle_state()}}},
         {"gnss_fixes", fixes},
         {"position_reports", positions_sent},
         {"terminal_params", {{"heartbeat_s", term.heartbeat_s},
                              {"report_s", term.report_s},
                              {"sleep_report_s", term.sleep_report_s}}},
         {"last_fix_utc",
          fix_clock.last_fix() ? json(iso8601_utc(*fix_clock.last_fix())) : json(nullptr)}};
  if (auto c = store.outbox().counts()) {
    j["outbox"] = {{"queued", c->queued}, {"acked", c->acked}, {"refused", c->refused}};
  }
  j["storage"] = retention.status_json();  // [retention]
  if (auto msgs = agent::messages(store, 100)) {
    j["messages_unread"] = std::count_if(msgs->begin(), msgs->end(),
                                         [](const PlatformMessage& m) { return !m.read; });
  }
  return j;
}

json Daemon::Impl::camera_state() const {
  const auto scheme = cfg.face.camera.substr(0, cfg.face.camera.find(':'));
  json c{{"source", scheme}, {"simulated", scheme == "dir"}};
  // What a face check asks the person to do: the screens show the prompt while it runs.
  const auto asked = liveness_challenge(cfg);
  c["challenge"] = {{"code", face::to_string(asked)},
                    {"prompt", asked == face::Challenge::none ? json(nullptr) : json(face::prompt(asked))},
                    {"prompt_zh",
                     asked == face::Challenge::none ? json(nullptr) : json(face::prompt_zh(asked))}};
  c["state"] = cfg.face.camera.empty() ? "not configured (face.camera): check-ins answer "
                                         "camera_unavailable"
               : !camera.known         ? "not used yet (opened at the first check)"
               : camera.ok             ? "ok"
                                       : "unavailable: check-ins answer camera_unavailable";
  c["last_ok"] = when(camera.last_ok);
  c["last_error"] = words(camera.last_error);
  c["last_error_at"] = when(camera.last_error_at);
  c["failures"] = camera.failures;
  return c;
}

json Daemon::Impl::vehicle_state() const {
  json v{{"simulated", cfg.vehicle.obd.starts_with("sim://")}};
  if (!vehicle) {
    v["state"] = "not configured ([vehicle]): engine speed is missing in every minute";
    v["source"] = nullptr;
    v["last_ok"] = nullptr;
    v["last_error"] = nullptr;
    return v;
  }
  const auto st = vehicle->stats();
  v["source"] = vehicle->describe();
  v["state"] = !st.last_problem.empty() ? "missing: " + st.last_problem
               : !vehicle_last_ok       ? std::string("no reading yet")
                                        : std::string("ok");
  v["last_ok"] = when(vehicle_last_ok);
  v["last_error"] = words(st.last_problem);
  v["samples"] = st.samples;
  v["errors"] = st.errors;
  v["timeouts"] = st.timeouts;
  return v;
}

json Daemon::Impl::gnss_state() const {
  const auto scheme = cfg.gps.source.substr(0, cfg.gps.source.find(':'));
  json g{{"source", scheme.empty() ? json(nullptr) : json(scheme)},
         {"simulated", scheme == "replay"}};
  if (!gnss) {
    g["state"] = engine.is_classroom() && cfg.gps.source.empty()
                     ? "not configured: the classroom's fixed position is used"
                     : "not started";
    g["last_ok"] = nullptr;
    g["last_error"] = nullptr;
    g["last_fix_age_s"] = nullptr;
    return g;
  }
  const auto st = gnss->stats();
  const bool had_fix = last_fix_mono.has_value();
  const double age =
      had_fix ? std::chrono::duration<double>(clock.mono_now() - *last_fix_mono).count() : 0.0;
  const char* state = st.finished                           ? "finished"
                      : !st.connected && scheme != "replay" ? "waiting for the receiver"
                      : !had_fix                            ? "no fix yet"
                      : age > 5.0                           ? "fix lost"
                                                            : "fix";
  g["state"] = state;
  g["connects"] = st.connects;
  g["disconnects"] = st.disconnects;
  g["last_error"] = st.last_error.empty() ? json(nullptr) : json(st.last_error);
  g["last_ok"] = when(last_fix_wall);
  g["last_fix_age_s"] = had_fix ? json(age) : json(nullptr);
  g["fresh"] = had_fix && age <= 5.0;
  g["failed_attempts"] = st.failed_attempts;
  if (!st.connected && scheme != "replay") {
    g["next_retry_s"] = static_cast<double>(st.next_retry_ms) / 1000.0;
  }
  return g;
}

void Daemon::Impl::check(const control::CheckRequest& r, control::Respond done) {
  auto* classroom = engine.classroom();
  const auto st = engine.status();
  std::string number = r.number.value_or("");
  if (!r.in && !classroom) number = r.role == "coach" ? st.coach_no : st.student_no;
  if (!r.in && classroom && r.role == "coach") number = st.coach_no;
  if (number.empty()) {
    // Which student leaves is the client's to say (400); nobody there is the terminal's
    // state (409).
    if ((!r.in && classroom && r.role == "student") || r.in) {
      done({400,
            {{"error", "field \"number\" is required: which " + r.role + " checks " +
                           (r.in ? "in" : "out")}},
            {}});
    } else {
      done({409, {{"error", "nobody to check out"}}, {}});
    }
    return;
  }
  const bool in = r.in;
  const std::string role = r.role;
  const std::uint8_t event = role == "coach" ? (in ? 20 : 21) : (in ? 17 : 18);
  const std::string course = r.course.value_or(classroom ? "" : "1212110000");
  // What the engine would refuse anyway, said before a face check costs the person time.
  if (in) {
    const Status can = classroom ? (role == "coach" ? classroom->can_lecturer_login()
                                                    : classroom->can_student_login(number, course))
                                 : (role == "coach" ? engine.vehicle()->can_coach_login()
                                                    : engine.vehicle()->can_student_login(course));
    if (!can) {
      done({409, {{"error", can.error().message}}, {}});
      return;
    }
    if (auto may = person_may_check_in(store, number); !may) {
      done({may.error().code == Errc::refused ? 409u : 500u,
            {{"error", may.error().message}, {"reason", kPersonDisabled}}, {}});
      return;
    }
  }
  face_check(number, event, [this, in, role, number, course, done](FaceEvidence ev) {
    // Runs on the loop when the face worker is done: an exception here must not escape
    // the Asio completion.
    try {
      if (in && ev.camera_unavailable) {
        // Missing hardware is a state: nobody could be looked at, so nobody is checked in;
        // the agent goes on (timing, uploads) and /status says what the camera lacks.
        done({503,
              {{"error", "camera_unavailable"},
               {"message", "The camera is not available, so the face check cannot be done. "
                           "Please call the administrator."},
               {"message_zh", "摄像头不可用，无法进行人脸核验，请联系管理员。"},
               {"detail", ev.outcome}},
              {}});
        return;
      }
      const WallTime t = now();
      std::uint32_t class_id = 0;
      auto login = [&](Result<std::uint32_t> res) {
        if (res) class_id = *res;
        return res ? Status(ok()) : Status(fail(res.error()));
      };
      Status result = ok();
      if (auto* c = engine.classroom()) {
        result = role == "coach" ? (in ? c->lecturer_login(number, ev, t) : c->lecturer_logout(ev, t))
                 : in            ? login(c->student_login(number, course, ev, t))
                                 : c->student_logout(number, ev, t);
      } else {
        auto& e = *engine.vehicle();
        result = role == "coach" ? (in ? e.coach_login(number, ev, t) : e.coach_logout(ev, t))
                 : in            ? login(e.student_login(number, course, ev, t))
                                 : e.student_logout(ev, t);
      }
      if (!result) {
        done({409,
              {{"error", result.error().message}, {"face", ev.outcome},
               {"confidence", ev.confidence}, {"liveness", liveness_json(ev)}},
              {}});
        return;
      }
      done({200,
            {{"ok", true}, {"number", number}, {"class_id", class_id}, {"face", ev.outcome},
             {"confidence", ev.confidence}, {"liveness", liveness_json(ev)}},
            {}});
    } catch (const std::exception& e) {
      spdlog::error("control API: check-{} of {}: {}", in ? "in" : "out", number, e.what());
      done({500, {{"error", "internal error; the agent keeps running"}}, {}});
    }
  });
}

Result<nlohmann::json> Daemon::Impl::messages(bool unread_only) {
  auto all = agent::messages(store, 100);
  if (!all) return fail(all.error());
  json list = json::array();
  int unread = 0;
  for (const auto& m : *all) {
    if (!m.read) ++unread;
    if (!unread_only || !m.read) list.push_back(message_json(m));
  }
  return json{{"messages", list}, {"unread", unread}};
}

Result<std::int64_t> Daemon::Impl::ack_messages(const std::vector<std::int64_t>& ids) {
  auto n = agent::ack_messages(store, ids, now_ms());
  if (!n) return fail(n.error());
  return static_cast<std::int64_t>(*n);
}

Result<nlohmann::json> Daemon::Impl::progress(const std::string& student) {
  auto p = agent::progress(store, cfg, student, unix_millis(clock.wall_now()));
  if (!p) return fail(p.error());
  return progress_json(*p);
}

Result<std::string> Daemon::Impl::enrol_photo(const std::string& number) {
  auto person = store.people().find(number);
  if (!person) return fail(person.error());
  if (!*person || (*person)->enrol_photo_jpeg.empty()) {
    return fail(Errc::not_found, "no enrolled photo for " + number);
  }
  const auto& jpeg = (*person)->enrol_photo_jpeg;
  return std::string(jpeg.begin(), jpeg.end());
}

Result<std::string> Daemon::Impl::camera_preview() {
  auto p = faces->preview();
  if (!p) return fail(p.error());
  // An old frame would show whoever stood there last: the screen shows nothing instead.
  if (std::chrono::steady_clock::now() - p->grabbed > FaceChecker::kPreviewMaxAge) {
    return fail(Errc::not_found, "no recent camera frame");
  }
  return std::string(p->jpeg.begin(), p->jpeg.end());
}

void Daemon::Impl::capture(std::function<void(Result<std::string>)> done) {
  // A grab may block for seconds: on the face worker, in turn with the checks.
  worker.submit([this, done = std::move(done)]() mutable {
    auto jpeg = faces->capture();
    Result<std::string> out = jpeg ? Result<std::string>(std::string(jpeg->begin(), jpeg->end()))
                                   : Result<std::string>(fail(jpeg.error()));
    asio::post(io, [out = std::move(out), done = std::move(done)]() mutable {
      try {
        done(std::move(out));
      } catch (const std::exception& e) {
        spdlog::error("camera capture: {}", e.what());
      }
    });
  });
}

void Daemon::Impl::verify(const std::string& user, const std::string& password,
            std::function<void(bool)> done) {
  auto stored = admin_hash(store, user);
  if (!stored) spdlog::error("admin login: {}", stored.error().message);
  // An unknown name costs the same hash as a known one: the answer's time says nothing.
  static const std::string kUnknown =
      "scrypt$32768$8$1$00000000000000000000000000000000$"
      "0000000000000000000000000000000000000000000000000000000000000000";
  const bool known = stored && *stored;
  std::string hash = known ? **stored : kUnknown;
  worker.submit([this, hash = std::move(hash), password, known, done = std::move(done)] {
    const bool match = password_matches(password, hash) && known;
    asio::post(io, [done, match] { done(match); });
  });
}

Result<json> Daemon::Impl::people() {
  auto list = store.people().all();
  if (!list) return fail(list.error());
  json out = json::array();
  for (const auto& p : *list) {
    // The ID-card number is shown masked: enough to tell two people apart.
    const std::string masked = p.id_card.size() >= 10
                                   ? p.id_card.substr(0, 6) + std::string(p.id_card.size() - 10, '*') +
                                         p.id_card.substr(p.id_card.size() - 4)
                                   : std::string(p.id_card.size(), '*');
    out.push_back({{"role", p.role == store::Role::coach ? "coach" : "student"},
                   {"number", p.national_no},
                   {"name", p.name},
                   {"id_card", masked},
                   {"licence", p.licence_class},
                   {"face", !p.face_template.empty()},
                   {"photo", !p.enrol_photo_jpeg.empty()},
                   {"disabled", p.disabled_at_ms.has_value()},
                   {"disabled_at", p.disabled_at_ms ? json(local_time_text(*p.disabled_at_ms)) : json(nullptr)},
                   {"disabled_by", p.disabled_at_ms ? json(p.disabled_by) : json(nullptr)}});
  }
  return json{{"people", out}};
}

Status Daemon::Impl::set_disabled(const std::string& number, bool disabled, const std::string& user) {
  return store.people().set_disabled(number, disabled, user, now_ms());
}

void Daemon::Impl::enrol(const control::admin::EnrolRequest& r, control::Respond done) {
  for (const auto& st : {validate_national_number(r.number), validate_id_card(r.id_card)}) {
    if (!st) return done({400, {{"error", st.error().message}}, {}});
  }
  if (!licence_class_code(r.licence)) {
    return done({400, {{"error", "unknown licence class " + r.licence}}, {}});
  }
  // The face template is made on the face worker (it owns the models); the store is
  // written back here on the loop.
  worker.submit([this, r, done = std::move(done)]() mutable {
    Result<face::Enrolment> enrolment = faces->enrol(
        std::span(reinterpret_cast<const std::uint8_t*>(r.photo.data()), r.photo.size()));
    asio::post(io, [this, r, enrolment = std::move(enrolment), done = std::move(done)] {
      try {
        if (!enrolment) {
          return done({409, {{"error", "not enrolled: " + enrolment.error().message}}, {}});
        }
        const auto t = now_ms();
        auto existing = store.people().find(r.number);
        if (!existing) return done({500, {{"error", existing.error().message}}, {}});
        if (*existing) {
          if (auto st = store.people().update_face((*existing)->id, enrolment->templ.bytes,
                                          enrolment->photo_jpeg, t);
              !st) {
            return done({500, {{"error", st.error().message}}, {}});
          }
        } else {
          store::Person p{.role = r.role == "coach" ? store::Role::coach : store::Role::student,
                          .national_no = r.number, .id_card = r.id_card, .name = r.name,
                          .licence_class = r.licence, .face_template = enrolment->templ.bytes,
                          .enrol_photo_jpeg = enrolment->photo_jpeg};
          if (auto id = store.people().add(p, t); !id) {
            return done({id.error().code == Errc::already_exists ? 409u : 500u,
                         {{"error", id.error().message}}, {}});
          }
        }
        photos.event("person.enrolled", r.role + " " + r.number, now());
        done({200, {{"ok", true}, {"number", r.number}, {"re_enrolled", static_cast<bool>(*existing)}}, {}});
      } catch (const std::exception& e) {
        spdlog::error("enrolment of {}: {}", r.number, e.what());
        done({500, {{"error", "internal error; the agent keeps running"}}, {}});
      }
    });
  });
}

Result<json> Daemon::Impl::outbox(int limit) {
  auto counts = store.outbox().counts();
  if (!counts) return fail(counts.error());
  auto pending = store.outbox().pending(limit);
  if (!pending) return fail(pending.error());
  auto refused = store.outbox().refused(limit);
  if (!refused) return fail(refused.error());
  auto entry = [](const store::OutboxEntry& e) {
    return json{{"id", e.id},
                {"kind", e.kind},
                {"key", e.key},
                {"attempts", e.attempts},
                {"refusals", e.refusals},
                {"last_error", e.last_error},
                {"created", e.created_ms > 0 ? json(local_time_text(e.created_ms)) : json(nullptr)}};
  };
  json p = json::array();
  for (const auto& e : *pending) p.push_back(entry(e));
  json r = json::array();
  for (const auto& e : *refused) {
    if (r.size() >= static_cast<std::size_t>(limit)) break;
    r.push_back(entry(e));
  }
  return json{{"counts", {{"queued", counts->queued}, {"in_flight", counts->in_flight},
                          {"acked", counts->acked}, {"refused", counts->refused}}},
              {"pending", p},
              {"refused", r}};
}

Status Daemon::Impl::retry(std::int64_t id) {
  auto e = store.outbox().entry(id);
  if (!e) return fail(e.error());
  if (!*e) return fail(Errc::not_found, "no outbox entry " + std::to_string(id));
  if ((*e)->state != store::OutboxState::refused) {
    return fail(Errc::refused, "entry " + std::to_string(id) + " is not refused");
  }
  if (auto st = store.outbox().requeue(id, now_ms()); !st) return st;
  forwarder.poke();
  if (http) http->poke();
  return ok();
}

Result<json> Daemon::Impl::sessions(const std::string& from, const std::string& to) {
  auto lo = local_day_start_ms(from);
  if (!lo) return fail(Errc::invalid_argument, "from: " + lo.error().message);
  auto hi = local_day_start_ms(to);
  if (!hi) return fail(Errc::invalid_argument, "to: " + hi.error().message);
  if (*lo > *hi) return fail(Errc::invalid_argument, "from is after to");
  auto list = store.session_summaries("", *lo, *hi + 24 * 3600 * 1000LL);
  if (!list) return fail(list.error());
  json out = json::array();
  for (const auto& x : *list) {
    if (out.size() >= 1000) break;  // a page, not the whole store
    out.push_back(session_json(x));
  }
  return json{{"sessions", out}, {"more", list->size() > out.size()}};
}

Result<json> Daemon::Impl::session_minutes(std::int64_t session_id, int limit) {
  auto found = store.find_session(session_id);
  if (!found) return fail(found.error());
  if (!*found) return fail(Errc::not_found, "no session " + std::to_string(session_id));
  auto list = store.minute_uploads(session_id, tcp_kind(uplink::TrainingRecord::kExtId), limit);
  if (!list) return fail(list.error());
  json out = json::array();
  for (const auto& u : *list) {
    // What the terminal knows: the platform's 0x8001 ack (received), a refusal with its
    // reason, still to send, or nothing (no outbox entry: pruned or never queued).
    const char* upload = !u.state                                   ? nullptr
                         : *u.state == store::OutboxState::acked     ? "acked"
                         : *u.state == store::OutboxState::refused   ? "refused"
                         : *u.state == store::OutboxState::in_flight ? "in_flight"
                                                                     : "queued";
    out.push_back({{"record_no", u.minute.record_no},
                   {"time", local_time_text(u.minute.minute_ms)},
                   {"counted", u.minute.counted},
                   {"flags", u.minute.flags},
                   {"upload", upload ? json(upload) : json(nullptr)},
                   {"reason", u.last_error.empty() ? json(nullptr) : json(u.last_error)},
                   {"attempts", u.attempts}});
  }
  return json{{"session_id", session_id},
              {"class_id", (*found)->class_id},
              {"student_no", (*found)->student_no},
              {"minutes", out},
              {"more", static_cast<int>(list->size()) >= limit}};
}

Result<std::string> Daemon::Impl::export_csv(const std::string& what, const std::string& from,
                               const std::string& to) {
  auto lo = local_day_start_ms(from);
  if (!lo) return fail(Errc::invalid_argument, "from: " + lo.error().message);
  auto hi = local_day_start_ms(to);
  if (!hi) return fail(Errc::invalid_argument, "to: " + hi.error().message);
  if (*lo > *hi) return fail(Errc::invalid_argument, "from is after to");
  auto csv = agent::export_csv(store, what, *lo, *hi + 24 * 3600 * 1000LL);
  if (!csv) return fail(csv.error());
  return std::move(csv->text);
}

Result<json> Daemon::Impl::complete(const std::string& student, bool passed, const std::string& assessor,
                      const std::string& date) {
  CompletionRequest req{.student_no = student, .programme = "", .passed = passed,
                        .assessor = assessor, .date = date};
  auto r = agent::complete(store, live, req, now_ms());
  if (!r) return fail(r.error());
  photos.event("student.assessed", student + " " + r->assessment.programme + (passed ? " pass" : " fail"),
                now());
  if (http) http->poke();
  json cert = nullptr;
  if (r->certificate) cert = {{"number", r->certificate->number}, {"granted_on", r->certificate->granted_on}};
  return json{{"student", student},
              {"programme", r->assessment.programme},
              {"result", passed ? "pass" : "fail"},
              {"date", r->assessment.assessed_on},
              {"certificate", cert},
              {"queued", r->queued.size()}};
}

Result<json> Daemon::Impl::certificate(const std::string& student, const std::string& number) {
  auto certs = store.certificates(student);
  if (!certs) return fail(certs.error());
  const auto it = std::find_if(certs->begin(), certs->end(),
                               [&](const store::Certificate& c) { return c.number == number; });
  if (it == certs->end()) return fail(Errc::not_found, "no certificate " + number + " of " + student);
  auto person = store.people().find(student);
  if (!person) return fail(person.error());
  std::string title = it->programme;
  for (const auto& p : live.syllabus) {
    if (p.programme == it->programme && !p.title.empty()) title = p.title;
  }
  json parts = json::array();
  if (auto prog = agent::progress(store, live, student, now_ms())) {
    for (const auto& pp : prog->programmes) {
      if (pp.programme != it->programme) continue;
      for (const auto& part : pp.parts) {
        parts.push_back({{"part", part.part},
                         {"practical_min", part.practical_min},
                         {"classroom_min", part.classroom_min},
                         {"mileage_km", part.mileage_hm ? json(static_cast<double>(*part.mileage_hm) / 10.0) : json(nullptr)}});
      }
    }
  }
  return json{{"number", it->number},
              {"institution_code", it->institution_code},
              {"student_no", student},
              {"name", *person ? (*person)->name : std::string()},
              {"id_card", *person ? (*person)->id_card : std::string()},
              {"programme", it->programme},
              {"title", title},
              {"kind", it->kind},
              {"granted_on", it->granted_on},
              {"practical_min", it->practical_min},
              {"classroom_min", it->classroom_min},
              {"mileage_km", it->mileage_hm ? json(static_cast<double>(*it->mileage_hm) / 10.0) : json(nullptr)},
              {"parts", parts}};
}

void Daemon::Impl::audit(const std::string& user, const std::string& action, const std::string& detail) {
  const std::string who = user.empty() ? "(nobody)" : user;
  photos.event(action, "by " + who + (detail.empty() ? "" : ": " + detail), now());
}

}  // namespace tta::agent
