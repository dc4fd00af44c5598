#include "training/admin_export.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "tta/core/clock.hpp"
#include "tta/core/time_util.hpp"

namespace tta::agent {
namespace {

/// An integer in tenths as "12.3" ("-0.5" for -5).
std::string tenths(std::int64_t v) {
  const auto a = std::llabs(v);
  return (v < 0 ? "-" : "") + std::to_string(a / 10) + "." + std::to_string(a % 10);
}

/// Micro-degrees as "32.044000".
std::string e6(std::int64_t v) {
  const auto a = std::llabs(v);
  char frac[8];
  std::snprintf(frac, sizeof frac, "%06lld", static_cast<long long>(a % 1'000'000));
  return (v < 0 ? "-" : "") + std::to_string(a / 1'000'000) + "." + frac;
}

template <typename T, typename F>
std::string opt(const std::optional<T>& v, F&& fmt) {
  return v ? fmt(static_cast<std::int64_t>(*v)) : std::string();
}

std::string plain(std::int64_t v) { return std::to_string(v); }

template <typename T>
nlohmann::json jtenths(const std::optional<T>& v) {
  return v ? nlohmann::json(static_cast<double>(*v) / 10.0) : nlohmann::json(nullptr);
}

}  // namespace

Result<std::int64_t> local_day_start_ms(std::string_view d) {
  bool shape = d.size() == 10;
  for (std::size_t i = 0; shape && i < d.size(); ++i) {
    shape = i == 4 || i == 7 ? d[i] == '-' : d[i] >= '0' && d[i] <= '9';
  }
  std::string why = "1970 or later";
  if (shape) {
    auto num = [&](std::size_t at, std::size_t n) {
      int v = 0;
      for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (d[i] - '0');
      return v;
    };
    const int year = num(0, 4);
    if (year >= 1970) {
      auto t = from_civil({year, num(5, 2), num(8, 2), 0, 0, 0}, kChinaUtcOffset);
      if (t) return unix_millis(*t);
      why = t.error().message;
    }
  }
  return fail(Errc::invalid_argument,
              "\"" + std::string(d) + "\" is not a date of the form YYYY-MM-DD (" + why + ")");
}

std::string local_time_text(std::int64_t unix_ms) {
  const auto c = to_civil(WallTime{std::chrono::milliseconds{unix_ms}}, kChinaUtcOffset);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", c.year, c.month, c.day,
                c.hour, c.minute, c.second);
  return buf;
}

std::string csv_field(std::string_view s) {
  const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  return out + "\r\n";
}

std::string minutes_csv(const std::vector<store::MinuteRecord>& minutes,
                        const std::map<std::int64_t, store::TrainingSession>& sessions) {
  std::string out = csv_record({"record_no", "student_no", "coach_no", "class_id", "course_code",
                                "mode", "minute_start", "status", "counted", "max_speed_kmh",
                                "mileage_km", "lat", "lon", "gnss_speed_kmh", "sensor_speed_kmh",
                                "heading_deg", "odometer_km", "engine_rpm", "gnss_time", "flags"});
  for (const auto& m : minutes) {
    const auto it = sessions.find(m.session_id);
    const store::TrainingSession* s = it == sessions.end() ? nullptr : &it->second;
    out += csv_record(
        {m.record_no, s ? s->student_no : "", s ? s->coach_no : "",
         s ? std::to_string(s->class_id) : "", s ? s->course_code : "", s ? s->mode : "",
         local_time_text(m.minute_ms), std::to_string(m.status), m.counted ? "1" : "0",
         opt(m.max_speed_dkmh, tenths), opt(m.mileage_hm, tenths), opt(m.lat_e6, e6),
         opt(m.lon_e6, e6), opt(m.gnss_speed_dkmh, tenths), opt(m.sensor_speed_dkmh, tenths),
         opt(m.heading_deg, plain), opt(m.odometer_hm, tenths), opt(m.engine_rpm, plain),
         m.gnss_time_ms ? local_time_text(*m.gnss_time_ms) : "", m.flags});
  }
  return out;
}

std::string sessions_csv(const std::vector<store::SessionSummary>& sessions) {
  std::string out = csv_record({"session_id", "class_id", "mode", "student_no", "coach_no",
                                "course_code", "started", "ended", "minutes", "counted_minutes",
                                "mileage_km", "flags"});
  for (const auto& x : sessions) {
    const auto& s = x.session;
    out += csv_record({std::to_string(s.id), std::to_string(s.class_id), s.mode, s.student_no,
                       s.coach_no, s.course_code, local_time_text(s.started_ms),
                       s.ended_ms ? local_time_text(*s.ended_ms) : "", std::to_string(x.minutes),
                       std::to_string(x.counted_minutes), opt(x.mileage_hm, tenths), x.flags});
  }
  return out;
}

nlohmann::json session_json(const store::SessionSummary& x) {
  const auto& s = x.session;
  return {{"session_id", s.id},
          {"class_id", s.class_id},
          {"mode", s.mode},
          {"student_no", s.student_no},
          {"coach_no", s.coach_no.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.coach_no)},
          {"course_code", s.course_code},
          {"started", local_time_text(s.started_ms)},
          {"ended", s.ended_ms ? nlohmann::json(local_time_text(*s.ended_ms)) : nlohmann::json(nullptr)},
          {"minutes", x.minutes},
          {"counted_minutes", x.counted_minutes},
          {"mileage_km", jtenths(x.mileage_hm)},
          {"flags", x.flags}};
}

Result<CsvExport> export_csv(store::Store& store, std::string_view what, std::int64_t from_ms,
                             std::int64_t to_ms) {
  if (what == "sessions") {
    auto list = store.session_summaries("", from_ms, to_ms);
    if (!list) return fail(list.error());
    return CsvExport{sessions_csv(*list), list->size()};
  }
  if (what != "minutes") return fail(Errc::invalid_argument, "export: minutes or sessions");
  auto minutes = store.minutes_between(from_ms, to_ms);
  if (!minutes) return fail(minutes.error());
  std::map<std::int64_t, store::TrainingSession> sessions;
  for (const auto& m : *minutes) {
    if (sessions.contains(m.session_id)) continue;
    auto s = store.find_session(m.session_id);
    if (!s) return fail(s.error());
    if (*s) sessions.emplace(m.session_id, std::move(**s));
  }
  return CsvExport{minutes_csv(*minutes, sessions), minutes->size()};
}

}  // namespace tta::agent
