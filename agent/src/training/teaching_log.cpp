#include "training/teaching_log.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include <spdlog/spdlog.h>

#include "outbox/http_forwarder.hpp"
#include "training/progress.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/http_api.hpp"

namespace tta::agent {

namespace {

using ojson = nlohmann::ordered_json;

constexpr int kSessionsPerScan = 64;
constexpr const char* kCursorParam = "teachlog.cursor";
constexpr const char* kNextParam = "teachlog.next";

std::string state_param(std::int64_t session_id) {
  return "teachlog." + std::to_string(session_id);
}

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

/// Queue one entry; an entry already queued under the key with other content (a config change
/// between two runs) is left as it is: the platform must never see two contents under one key.
Result<std::int64_t> queue(store::Store& store, std::string_view resource, std::string key,
                           std::vector<std::uint8_t> payload, std::int64_t now_ms) {
  store::OutboxEntry e{.kind = http_kind(resource), .key = std::move(key),
                       .payload = std::move(payload)};
  e.next_attempt_ms = now_ms;
  auto id = store.outbox().enqueue(e, now_ms);
  if (!id && id.error().code == Errc::already_exists) {
    spdlog::warn("teaching log: {} {} was queued before with other content; kept as it was",
                 e.kind, e.key);
    return std::int64_t{0};
  }
  return id;
}

/// Step 1: the session's photos as imageup uploads. Returns the state to keep.
Result<ojson> queue_images(store::Store& store, const std::vector<store::Photo>& photos,
                           std::int64_t now_ms, int& queued) {
  ojson ids = ojson::object();
  for (const auto& p : photos) {
    uplink::FileUpload f{.type = "jpg", .filename = p.photo_no + ".jpg",
                         .content_type = "image/jpeg", .bytes = p.jpeg};
    auto id = queue(store, "imageup", p.photo_no, uplink::encode_file_payload(f), now_ms);
    if (!id) return fail(id.error());
    ids[p.photo_no] = *id;
    ++queued;
  }
  return ojson{{"step", "images"}, {"ids", ids}};
}

/// Whether every imageup of step 1 was accepted or refused (an entry that is gone counts as
/// refused: there will be no file id).
Result<bool> images_settled(store::Store& store, const ojson& ids) {
  for (const auto& [photo_no, v] : ids.items()) {
    if (!v.is_number_integer() || v.get<std::int64_t>() == 0) continue;
    auto e = store.outbox().entry(v.get<std::int64_t>());
    if (!e) return fail(e.error());
    if (*e && ((*e)->state == store::OutboxState::queued ||
               (*e)->state == store::OutboxState::in_flight)) {
      return false;
    }
  }
  return true;
}

Result<std::optional<std::string>> file_id(store::Store& store, const std::string& photo_no) {
  return store.param("http.fileid." + photo_no);
}

/// Step 2: trainimginfo per accepted photo, then the classrecord.
Status queue_records(store::Store& store, const TeachingLogIdentity& id,
                     const store::TrainingSession& session, const std::vector<store::Photo>& photos,
                     const StudentTotalsFn& totals, const ContinuingFn& continuing,
                     std::int64_t now_ms, int& queued) {
  std::optional<std::string> photo1, photo2, photo3;
  for (const auto& p : photos) {
    auto fid = file_id(store, p.photo_no);
    if (!fid) return fail(fid.error());
    if (!*fid) continue;  // refused or never uploaded: no metadata for it
    const auto body = trainimginfo_payload(id, session, p, **fid).dump();
    auto q = queue(store, "trainimginfo", p.photo_no, bytes_of(body), now_ms);
    if (!q) return fail(q.error());
    ++queued;
    if (p.event == 17 && !photo1) photo1 = *fid;
    if ((p.event == 19 || p.event == 5) && !photo2) photo2 = *fid;
    if (p.event == 18) photo3 = *fid;
  }
  auto minutes = store.session_minutes(session.id);
  if (!minutes) return fail(minutes.error());
  const auto body =
      classrecord_payload(id, session, *minutes, photo1, photo2, photo3,
                          totals ? totals(session.student_no) : std::nullopt)
          .dump();
  auto q = queue(store, "classrecord", std::to_string(session.class_id), bytes_of(body), now_ms);
  if (!q) return fail(q.error());
  ++queued;
  if (session.mode == "classroom" && continuing) {
    if (auto cycle = continuing(session)) {
      auto person = store.people().find(session.student_no);
      if (!person) return fail(person.error());
      const std::optional<std::string> id_card =
          *person ? std::optional<std::string>((*person)->id_card) : std::nullopt;
      const auto ce = ce_record_payload(id, session, id_card, *minutes, *cycle).dump();
      auto c = queue(store, "ce.record", teaching_log_number(id.terminal_no, session.class_id),
                     bytes_of(ce), now_ms);
      if (!c) return fail(c.error());
      ++queued;
    }
  }
  return ok();
}

}  // namespace

std::string teaching_log_number(const std::string& terminal_no, std::uint32_t class_id) {
  char tail[16];
  std::snprintf(tail, sizeof tail, "%010u", class_id);
  return terminal_no + tail;
}

std::string platform_time(std::int64_t unix_ms) {
  const CivilTime c = to_civil(WallTime{std::chrono::milliseconds(unix_ms)}, kChinaUtcOffset);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

nlohmann::ordered_json classrecord_payload(const TeachingLogIdentity& id,
                                           const store::TrainingSession& session,
                                           const std::vector<store::MinuteRecord>& minutes,
                                           const std::optional<std::string>& photo1,
                                           const std::optional<std::string>& photo2,
                                           const std::optional<std::string>& photo3,
                                           const std::optional<StudentTotals>& totals) {
  std::int64_t counted = 0;
  std::int64_t mileage_hm = 0;
  for (const auto& m : minutes) {
    if (m.counted) ++counted;
    mileage_hm += m.mileage_hm.value_or(0);  // a minute without mileage adds none
  }
  const double km = static_cast<double>(mileage_hm) / 10.0;
  const double hours = static_cast<double>(minutes.size()) / 60.0;
  ojson j{{"inscode", id.institution_code},
          {"stunum", session.student_no},
          {"coachnum", session.coach_no},
          {"carnum", id.car_no},
          {"simunum", id.terminal_no},
          {"platnum", id.platform_no},
          {"recnum", teaching_log_number(id.terminal_no, session.class_id)},
          {"subjcode", session.course_code}};
  if (photo1) j["photo1"] = *photo1;
  if (photo2) j["photo2"] = *photo2;
  if (photo3) j["photo3"] = *photo3;
  j["starttime"] = platform_time(session.started_ms);
  j["endtime"] = platform_time(session.ended_ms.value_or(session.started_ms));
  j["duration"] = counted;                      // counted (valid) minutes
  j["mileage"] = std::round(km * 10.0) / 10.0;  // km
  j["avevelocity"] = hours > 0 ? std::round(km / hours * 10.0) / 10.0 : 0.0;  // km/h
  if (totals) {
    j["total"] = totals->total_min;
    for (std::size_t i = 0; i < totals->part_min.size(); ++i) {
      if (totals->part_min[i]) j["part" + std::to_string(i + 1)] = *totals->part_min[i];
    }
  }
  return j;
}

std::optional<ContinuingTotals> continuing_totals(store::Store& store, const config::Config& cfg,
                                                  const store::TrainingSession& session) {
  const config::SyllabusProgramme* prog = nullptr;
  for (const auto& p : cfg.syllabus) {
    if (p.kind != "continuing" || prog != nullptr) continue;
    for (const auto& part : p.parts) {
      for (const auto& pattern : part.courses) {
        if (course_matches(pattern, session.course_code)) prog = &p;
      }
    }
  }
  if (prog == nullptr) return std::nullopt;
  ContinuingTotals out{.programme = prog->programme,
                       .cycle_min = std::nullopt,
                       .required_min = std::nullopt,
                       .cycle_from_ms = std::nullopt};
  auto p = progress(store, cfg, session.student_no, session.ended_ms.value_or(session.started_ms));
  if (!p) {
    spdlog::warn("continuing education: progress of {}: {}", session.student_no, p.error().message);
    return out;  // the record goes without the cycle figures
  }
  for (const auto& pp : p->programmes) {
    if (pp.programme != prog->programme) continue;
    std::int64_t done = 0;
    std::int64_t need = 0;
    for (const auto& part : pp.parts) {
      done += part.practical_min + part.classroom_min;
      need += part.required_practical_min + part.required_classroom_min;
    }
    out.cycle_min = done;
    out.required_min = need;
    out.cycle_from_ms = pp.window_from_ms;
  }
  return out;
}

nlohmann::ordered_json ce_record_payload(const TeachingLogIdentity& id,
                                         const store::TrainingSession& session,
                                         const std::optional<std::string>& id_card,
                                         const std::vector<store::MinuteRecord>& minutes,
                                         const ContinuingTotals& cycle) {
  std::int64_t counted = 0;
  for (const auto& m : minutes)
    counted += m.counted ? 1 : 0;
  ojson j{{"inscode", id.institution_code}, {"stunum", session.student_no}};
  if (id_card) j["idcard"] = *id_card;
  j["subjcode"] = session.course_code;
  j["programme"] = cycle.programme;
  j["simunum"] = id.terminal_no;
  j["platnum"] = id.platform_no;
  j["recnum"] = teaching_log_number(id.terminal_no, session.class_id);
  j["starttime"] = platform_time(session.started_ms);
  j["endtime"] = platform_time(session.ended_ms.value_or(session.started_ms));
  j["duration"] = counted;  // counted (valid) minutes of this session
  if (cycle.cycle_from_ms) j["cyclestart"] = platform_time(*cycle.cycle_from_ms);
  if (cycle.cycle_min) j["cycletime"] = *cycle.cycle_min;
  if (cycle.required_min) j["cyclerequired"] = *cycle.required_min;
  return j;
}

nlohmann::ordered_json trainimginfo_payload(const TeachingLogIdentity& id,
                                            const store::TrainingSession& session,
                                            const store::Photo& photo,
                                            const std::string& file_id) {
  return ojson{{"inscode", id.institution_code},
               {"stunum", session.student_no},
               {"coachnum", session.coach_no},
               {"subjcode", session.course_code},
               {"platnum", id.platform_no},
               {"recnum", teaching_log_number(id.terminal_no, session.class_id)},
               {"ptime", platform_time(photo.taken_ms)},
               {"fileid", file_id}};
}

Result<int> scan_teaching_logs(store::Store& store, const TeachingLogIdentity& id,
                               std::int64_t now_ms, const StudentTotalsFn& totals,
                               const ContinuingFn& continuing) {
  if (id.terminal_no.empty()) return 0;  // not registered: no session can exist yet
  auto read_position = [&](const char* name) -> Result<std::int64_t> {
    auto text = store.param(name);
    if (!text) return fail(text.error());
    return *text ? std::max<std::int64_t>(1, std::atoll((*text)->c_str())) : 1;
  };
  // `cursor`: every session before it is done. `next`: where the last scan stopped. A scan
  // visits at most kSessionsPerScan sessions from `next` on, then wraps to the cursor, so a
  // session that never finishes (open, or its photos never settle) cannot hide the ones after
  // it, and no scan grows with the store.
  auto cursor_pos = read_position(kCursorParam);
  if (!cursor_pos) return fail(cursor_pos.error());
  auto next_pos = read_position(kNextParam);
  if (!next_pos) return fail(next_pos.error());
  std::int64_t cursor = *cursor_pos;
  const std::int64_t first_cursor = cursor;
  const std::int64_t from = std::max(cursor, *next_pos);
  std::int64_t sid = from;
  const bool started_at_cursor = from == cursor;  // then one pass covers everything
  bool wrapped = started_at_cursor;
  int queued = 0;
  for (int visited = 0; visited < kSessionsPerScan; ++visited) {
    if (wrapped && !started_at_cursor && sid >= from) break;  // a whole round
    auto session = store.find_session(sid);
    if (!session) return fail(session.error());
    if (!*session) {
      if (wrapped) break;
      wrapped = true;  // past the newest session: back to the oldest unfinished one
      sid = cursor;
      continue;
    }
    auto state_text = store.param(state_param(sid));
    if (!state_text) return fail(state_text.error());
    ojson state = *state_text ? ojson::parse(**state_text, nullptr, false) : ojson::object();
    if (state.is_discarded()) state = ojson::object();
    const std::string step = state.value("step", "");
    if (step != "done" && (*session)->ended_ms) {
      auto photos = store.photos().of_class((*session)->class_id);
      if (!photos) return fail(photos.error());
      if (step.empty()) {
        auto next = queue_images(store, *photos, now_ms, queued);
        if (!next) return fail(next.error());
        state = std::move(*next);
        if (auto st = store.set_param(state_param(sid), state.dump(), now_ms); !st) return fail(st.error());
      }
      auto settled = images_settled(store, state.value("ids", ojson::object()));
      if (!settled) return fail(settled.error());
      if (*settled) {
        if (auto st =
                queue_records(store, id, **session, *photos, totals, continuing, now_ms, queued);
            !st) {
          return fail(st.error());
        }
        state = ojson{{"step", "done"}};
        if (auto st = store.set_param(state_param(sid), state.dump(), now_ms); !st) return fail(st.error());
        spdlog::info("teaching log of session {} (class {}) queued", sid, (*session)->class_id);
      }
    }
    if (sid == cursor && state.value("step", "") == "done") cursor = sid + 1;
    ++sid;
  }
  if (cursor != first_cursor) {
    if (auto st = store.set_param(kCursorParam, std::to_string(cursor), now_ms); !st) {
      return fail(st.error());
    }
  }
  if (sid != *next_pos) {
    if (auto st = store.set_param(kNextParam, std::to_string(sid), now_ms); !st) {
      return fail(st.error());
    }
  }
  return queued;
}

}  // namespace tta::agent
