#include "training/logins_state.hpp"

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "training/engine.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {

std::string PersistedLogins::encode() const {
  // One token per line so that a later version can add lines an older one skips.
  std::string out = "v1\ncoach " + (coach_no.empty() ? std::string("-") : coach_no) + "\n";
  out += "last_class_id " + std::to_string(last_class_id) + "\n";
  for (const auto& s : students) {
    out += "student " + std::to_string(s.session_id) + " " + std::to_string(s.last_photo_ms) + " " +
           std::to_string(s.last_recheck_ms) + " " + (s.recheck_failed ? "1" : "0") + " " +
           std::to_string(s.next_recheck_ms) + "\n";
  }
  return out;
}

Result<PersistedLogins> PersistedLogins::decode(std::string_view text) {
  PersistedLogins p;
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != "v1") {
    return fail(Errc::corrupt, "stored engine state has no v1 header");
  }
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string what;
    ls >> what;
    bool good = true;
    if (what == "coach") {
      ls >> p.coach_no;
      if (p.coach_no == "-") p.coach_no.clear();
    } else if (what == "last_class_id") {
      good = static_cast<bool>(ls >> p.last_class_id);
    } else if (what == "student") {
      OpenLogin s;
      int failed = 0;
      good = static_cast<bool>(ls >> s.session_id >> s.last_photo_ms >> s.last_recheck_ms >>
                               failed >> s.next_recheck_ms);
      s.recheck_failed = failed != 0;
      p.students.push_back(s);
    }
    if (!good || ls.fail())
      return fail(Errc::corrupt, "stored engine state: bad line '" + line + "'");
  }
  return p;
}

Result<std::optional<PersistedLogins>> load_logins(store::Store& store, std::string_view param) {
  auto text = store.param(param);
  if (!text) return fail(text.error());
  if (!*text) return std::optional<PersistedLogins>{};  // never stored
  auto saved = PersistedLogins::decode(**text);
  if (!saved) return fail(saved.error().context(std::string(param)));
  return std::optional<PersistedLogins>(std::move(*saved));
}

Result<SessionTotals> session_totals(store::Store& store, std::int64_t session_id,
                                     std::int64_t since_ms) {
  auto minutes = store.session_minutes(session_id);
  if (!minutes) return fail(minutes.error());
  SessionTotals t;
  for (const auto& m : *minutes) {
    ++t.minutes;
    t.mileage_hm += m.mileage_hm.value_or(0);
    if (m.counted) {
      ++t.counted;
      if (m.minute_ms >= since_ms) ++t.counted_since_ms;
    }
    t.last_minute_ms = std::max(t.last_minute_ms.value_or(m.minute_ms), m.minute_ms);
  }
  return t;
}

namespace {

/// Close every open session row of `mode` that `known` does not list (SavedLogins::resume).
Result<int> close_orphan_sessions(store::Store& store, Recorder& rec, std::string_view mode,
                                  const PersistedLogins& known, WallTime now) {
  auto open = store.open_sessions(mode);
  if (!open) return fail(open.error());
  int closed = 0;
  for (const store::TrainingSession& t : *open) {
    if (std::any_of(known.students.begin(), known.students.end(),
                    [&](const OpenLogin& l) { return l.session_id == t.id; })) {
      continue;
    }
    auto totals = session_totals(store, t.id, 0);
    if (!totals) return fail(totals.error());
    // Nothing says when it really ended: at the end of its last minute is what the records show.
    const std::int64_t end_ms =
        totals->last_minute_ms ? std::max(t.started_ms, *totals->last_minute_ms + 60'000)
                               : t.started_ms;
    uplink::StudentLogout m{
        .student_no = t.student_no, .logout_time = WallTime{std::chrono::milliseconds(end_ms)},
        .minutes = static_cast<std::uint16_t>(std::min<std::uint32_t>(totals->minutes, 0xFFFF)),
        .mileage_hm = static_cast<std::uint16_t>(std::min<std::uint32_t>(totals->mileage_hm, 0xFFFF)),
        .class_id = t.class_id, .gnss = uplink::PositionBlock{}};
    auto st = store.transaction([&]() -> Status {
      if (auto e = rec.queue_ext(m.kExtId, std::to_string(t.class_id), m.encode(), now); !e) return e;
      return store.end_session(t.id, end_ms);
    });
    if (!st) return fail(st.error().context("closing session " + std::to_string(t.id)));
    ++closed;
    rec.event("session.orphan_closed",
              std::string(mode) + " session " + std::to_string(t.id) + " of " + t.student_no +
                  " class " + std::to_string(t.class_id) +
                  " was open without a saved login: closed, " + std::to_string(totals->minutes) +
                  " minutes, logout queued",
              now);
  }
  return closed;
}

}  // namespace

SavedLogins::SavedLogins(store::Store& store, std::string mode)
    : store_(store), mode_(std::move(mode)), param_("engine." + mode_) {}

void SavedLogins::save(const PersistedLogins& logins, WallTime now, std::string_view what) {
  if (auto st = store(logins, now); !st) {
    spdlog::error("{} not stored (a restart would lose {}): {}", param_, what, st.error().message);
  }
}

Status SavedLogins::store(const PersistedLogins& logins, WallTime now) {
  return store_.set_param(param_, logins.encode(), unix_millis(now));
}

Result<ResumedLogins> SavedLogins::resume(Recorder& rec, WallTime now, std::int64_t since_ms) {
  auto loaded = load_logins(store_, param_);
  if (!loaded) return fail(loaded.error());
  ResumedLogins out;
  // Open session rows the saved logins do not know are closed first, their logouts queued.
  auto closed = close_orphan_sessions(store_, rec, mode_, loaded->value_or(PersistedLogins{}), now);
  if (!closed) return fail(closed.error());
  out.orphans_closed = *closed;
  if (!*loaded) return out;  // never ran
  const PersistedLogins& saved = **loaded;
  out.found = true;
  out.coach_no = saved.coach_no;
  out.last_class_id = saved.last_class_id;
  for (const OpenLogin& open : saved.students) {
    auto row = store_.find_session(open.session_id);
    if (!row) return fail(row.error());
    // Closed after the state was written, or not a session of this mode.
    if (!*row || (*row)->ended_ms || (*row)->mode != mode_) continue;
    auto totals = session_totals(store_, (*row)->id, since_ms);
    if (!totals) return fail(totals.error());
    out.last_class_id = std::max(out.last_class_id, (*row)->class_id);
    out.students.push_back({.saved = open, .session = std::move(**row), .totals = *totals});
  }
  return out;
}

}  // namespace tta::agent
