#include "sim_audit.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "tta/core/ids.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/geo.hpp"
#include "tta/uplink/position.hpp"

namespace tta::sim {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;

/// "HH:MM" → minutes after midnight (the config has validated the spelling).
int hhmm(const std::string& s) { return std::stoi(s.substr(0, 2)) * 60 + std::stoi(s.substr(3)); }

using ClassKey = std::pair<std::string, std::uint32_t>;  // terminal, class ID

/// Vehicle training (teaching mode 1) or a course code that does not parse: the driving rules
/// apply. Classroom, simulator and remote courses have no engine, route or timed photos.
bool driving(const std::string& course_code) {
  auto c = CourseCode::parse(course_code);
  return !c || c->mode == TeachingMode::vehicle;
}

}  // namespace

Result<AuditRules> audit_rules_from_config(const std::filesystem::path& file) {
  auto cfg = config::load_config(file);
  if (!cfg) {
    std::string msg;
    for (const auto& d : cfg.error()) msg += (msg.empty() ? "" : "; ") + d.to_string();
    return fail(Errc::invalid_argument, msg);
  }
  AuditRules r;
  r.fences = cfg->gps.fences;
  r.day_start_min = hhmm(cfg->training.day_start);
  r.day_end_min = hhmm(cfg->training.day_end);
  r.photo_window_min = static_cast<int>(cfg->training.photo_interval_min);
  return r;
}

std::optional<std::int64_t> minute_start_ms(const MinuteRow& m) {
  if (m.record_no.size() < 22) return std::nullopt;
  const std::string d = m.record_no.substr(16, 6);
  if (!std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int tod = static_cast<int>(m.time_of_day_s);
  auto t = from_civil({2000 + std::stoi(d.substr(0, 2)), std::stoi(d.substr(2, 2)),
                       std::stoi(d.substr(4, 2)), tod / 3600, (tod / 60) % 60, 0},
                      kChinaUtcOffset);
  if (!t) return std::nullopt;
  return unix_millis(*t);
}

AuditResult audit(const std::vector<MinuteRow>& minutes, const std::vector<PhotoRow>& photos,
                  const std::vector<SessionRow>& sessions, const AuditRules& rules) {
  AuditResult out;
  std::map<ClassKey, const SessionRow*> session_of;
  for (const auto& s : sessions) session_of[{s.terminal_no, s.class_id}] = &s;
  // Student photos with a time, per class, in time order.
  std::map<ClassKey, std::vector<const PhotoRow*>> photos_of;
  for (const auto& p : photos) {
    if (p.class_id != 0 && p.taken_ms) photos_of[{p.terminal_no, p.class_id}].push_back(&p);
  }
  for (auto& [key, list] : photos_of) {
    std::sort(list.begin(), list.end(), [](const PhotoRow* a, const PhotoRow* b) {
      return std::tie(*a->taken_ms, a->photo_no) < std::tie(*b->taken_ms, b->photo_no);
    });
  }
  const std::int64_t window_ms = std::int64_t{std::max(1, rules.photo_window_min)} * kMinuteMs;

  std::vector<std::optional<std::int64_t>> starts;
  std::set<std::pair<std::string, std::int64_t>> seen;  // (student, minute start)
  std::map<ClassKey, std::vector<std::size_t>> minutes_of;
  for (std::size_t i = 0; i < minutes.size(); ++i) {
    const MinuteRow& m = minutes[i];
    MinuteVerdict v{m.record_no, {}};
    auto add = [&](const char* why) { v.reasons.emplace_back(why); };
    const auto start = minute_start_ms(m);
    starts.push_back(start);
    const ClassKey key{m.terminal_no, m.class_id};
    minutes_of[key].push_back(i);

    if (m.status != 0) add("reported_abnormal");
    if (!start) add("bad_time");
    const int minute_of_day = static_cast<int>(m.time_of_day_s / 60);
    if (minute_of_day < rules.day_start_min || minute_of_day >= rules.day_end_min) {
      add("out_of_hours");
    }
    const bool drive = driving(m.course_code);
    auto gnss = uplink::decode_attached_gnss(m.gnss);
    if (!drive) {
      // A classroom's records carry the kiosk's fixed position: no fence, engine or photo rule.
    } else if (!gnss || (gnss->basic.status_flags & uplink::kStatusPositioned) == 0 ||
        !gnss->basic.latitude_deg() || !gnss->basic.longitude_deg()) {
      add("no_gnss");
    } else if (!rules.fences.empty() &&
               std::none_of(rules.fences.begin(), rules.fences.end(), [&](const auto& f) {
                 return gps::point_in_polygon(*gnss->basic.latitude_deg(),
                                              *gnss->basic.longitude_deg(), f.points);
               })) {
      add("outside_fence");
    }
    if (drive && (!gnss || gnss->engine_speed_rpm.value_or(0) == 0)) add("engine_speed_zero");

    const auto sit = session_of.find(key);
    const SessionRow* s = sit == session_of.end() ? nullptr : sit->second;
    if (s == nullptr || s->student_no != m.student_no) {
      add("no_session");
    } else if (start) {
      if ((s->login_ms && *start + kMinuteMs <= *s->login_ms) ||
          (s->logged_out && s->logout_ms && *start >= *s->logout_ms)) {
        add("outside_session");
      }
      if (!s->coach_no.empty() && s->coach_no != m.coach_no) add("coach_mismatch");
    }
    if (start && !drive) {
      if (!seen.insert({m.student_no, *start}).second) add("duplicate");
    } else if (start) {
      // The photo windows run from the login (or, without one, from the first photo).
      const auto& class_photos = photos_of[key];
      std::optional<std::int64_t> anchor = s != nullptr ? s->login_ms : std::nullopt;
      if (!anchor && !class_photos.empty()) anchor = *class_photos.front()->taken_ms;
      bool covered = false;
      if (anchor) {
        const std::int64_t k = (std::max(*start, *anchor) - *anchor) / window_ms;
        const std::int64_t from = *anchor + k * window_ms;
        covered = std::any_of(class_photos.begin(), class_photos.end(), [&](const PhotoRow* p) {
          return *p->taken_ms >= from && *p->taken_ms < from + window_ms;
        });
      }
      if (!covered) add("missing_photo");
      if (!seen.insert({m.student_no, *start}).second) add("duplicate");
    }
    out.minutes.push_back(std::move(v));
  }

  // Speed or mileage 0 in two or more consecutive minutes: every minute of the run.
  for (auto& [key, idx] : minutes_of) {
    std::vector<std::size_t> timed;
    for (auto i : idx) {
      if (starts[i] && driving(minutes[i].course_code)) timed.push_back(i);
    }
    std::sort(timed.begin(), timed.end(), [&](auto a, auto b) { return *starts[a] < *starts[b]; });
    auto still = [&](std::size_t i) {
      return minutes[i].max_speed_dkmh == 0 || minutes[i].mileage_hm == 0;
    };
    std::size_t j = 0;
    while (j < timed.size()) {
      std::size_t end = j + 1;
      while (still(timed[j]) && end < timed.size() && still(timed[end]) &&
             *starts[timed[end]] - *starts[timed[end - 1]] == kMinuteMs) {
        ++end;
      }
      if (end - j >= 2) {
        for (std::size_t r = j; r < end; ++r) out.minutes[timed[r]].reasons.emplace_back("stationary");
      }
      j = end;
    }
  }

  // Sessions.
  for (const auto& s : sessions) {
    const ClassKey key{s.terminal_no, s.class_id};
    SessionVerdict v;
    v.terminal_no = s.terminal_no;
    v.class_id = s.class_id;
    v.student_no = s.student_no;
    v.closed = s.logged_out;
    v.logout_minutes = s.logout_minutes;
    for (auto i : minutes_of[key]) {
      ++v.minutes;
      v.minutes_valid += out.minutes[i].valid() ? 1 : 0;
      v.mileage_hm += minutes[i].mileage_hm;
    }
    const auto& ph = photos_of[key];
    v.photos = static_cast<std::int64_t>(ph.size());
    if (driving(s.course_code) && v.mileage_hm < 1) {
      v.reasons.emplace_back("mileage_under_100m");
    }
    if (ph.empty()) {
      v.reasons.emplace_back("no_photos");
    } else {
      if (ph.front()->event != 17) v.reasons.emplace_back("first_photo_not_login");
      if (s.logged_out && ph.back()->event != 18) v.reasons.emplace_back("last_photo_not_logout");
    }
    if (s.logged_out && v.minutes_valid * 4 < v.minutes * 3) {
      v.reasons.emplace_back("under_75_percent_valid");
    }
    if (!v.valid() && s.logged_out) {
      for (auto i : minutes_of[key]) out.minutes[i].reasons.emplace_back("session_void");
      v.minutes_valid = 0;
    }
    out.sessions.push_back(std::move(v));
  }
  return out;
}

}  // namespace tta::sim
