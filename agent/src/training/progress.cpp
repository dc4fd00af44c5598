#include "training/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "training/admin_export.hpp"
#include "outbox/http_records.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/ids.hpp"
#include "tta/core/time_util.hpp"

namespace tta::agent {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kEver = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

/// Every pattern some part lists explicitly: derived licence patterns give these codes up.
std::set<std::string> explicit_patterns(const std::vector<config::SyllabusProgramme>& all) {
  std::set<std::string> out;
  for (const auto& p : all) {
    for (const auto& part : p.parts) out.insert(part.courses.begin(), part.courses.end());
  }
  return out;
}

bool part_takes(const config::SyllabusProgramme& prog, const config::SyllabusPart& part,
                const std::set<std::string>& claimed, std::string_view code) {
  const auto pats = part_patterns(prog, part);
  const bool any = std::any_of(pats.begin(), pats.end(),
                               [&](const std::string& p) { return course_matches(p, code); });
  if (!any || !part.courses.empty()) return any;
  return std::none_of(claimed.begin(), claimed.end(),
                      [&](const std::string& p) { return course_matches(p, code); });
}

/// done/required capped at 1, for each requirement of a part.
void fractions(const PartProgress& p, std::vector<double>& out) {
  auto add = [&](std::int64_t done, std::int64_t req) {
    if (req > 0) out.push_back(std::min(1.0, static_cast<double>(done) / static_cast<double>(req)));
  };
  add(p.practical_min, p.required_practical_min);
  add(p.classroom_min, p.required_classroom_min);
  add(p.mileage_hm.value_or(0), p.required_mileage_hm);
}

int percent_of(const std::vector<double>& f, bool complete) {
  if (complete) return 100;
  if (f.empty()) return 0;
  double sum = 0;
  for (const double x : f) sum += x;
  const int pct = static_cast<int>(std::floor(100.0 * sum / static_cast<double>(f.size()) + 1e-9));
  return std::min(99, pct);
}

double km(std::int64_t hm) { return static_cast<double>(hm) / 10.0; }

nlohmann::json km_or_null(const std::optional<std::int64_t>& hm) {
  return hm ? nlohmann::json(km(*hm)) : nlohmann::json(nullptr);
}

std::string local_date(std::int64_t ms) {
  const auto c = to_civil(WallTime{std::chrono::milliseconds{ms}}, kChinaUtcOffset);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

std::string shortfall(const ProgrammeProgress& p) {
  std::string out;
  auto add = [&](const PartProgress& part, std::string what) {
    out += (out.empty() ? "" : "; ") + std::string("part ") + std::to_string(part.part) + ": " + what;
  };
  for (const auto& part : p.parts) {
    if (part.practical_min < part.required_practical_min) {
      add(part, std::to_string(part.practical_min) + " of " +
                    std::to_string(part.required_practical_min) + " practical minutes");
    }
    if (part.classroom_min < part.required_classroom_min) {
      add(part, std::to_string(part.classroom_min) + " of " +
                    std::to_string(part.required_classroom_min) + " classroom minutes");
    }
    if (part.required_mileage_hm > 0 && part.mileage_hm.value_or(0) < part.required_mileage_hm) {
      char buf[96];
      if (part.mileage_hm) {
        std::snprintf(buf, sizeof buf, "%.1f of %.1f km", km(*part.mileage_hm),
                      km(part.required_mileage_hm));
      } else {
        std::snprintf(buf, sizeof buf, "mileage unknown (none recorded) of %.1f km",
                      km(part.required_mileage_hm));
      }
      add(part, buf);
    }
  }
  return out;
}

}  // namespace

bool course_matches(std::string_view pattern, std::string_view code) {
  if (pattern.size() != code.size()) return false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const bool digit = code[i] >= '0' && code[i] <= '9';
    if (pattern[i] == '?' ? !digit : pattern[i] != code[i]) return false;
  }
  return true;
}

std::vector<std::string> part_patterns(const config::SyllabusProgramme& prog,
                                       const config::SyllabusPart& part) {
  if (!part.courses.empty()) return part.courses;
  const auto code = licence_class_code(prog.programme);
  if (prog.kind != "licence" || !code || part.part < 1 || part.part > 9) return {};
  return {"?" + std::string(*code) + static_cast<char>('0' + part.part) + "??0000"};
}

ProgrammeProgress measure(const config::SyllabusProgramme& prog,
                          const std::vector<config::SyllabusProgramme>& all,
                          const std::vector<store::CourseTotals>& totals) {
  const auto claimed = explicit_patterns(all);
  ProgrammeProgress out;
  out.programme = prog.programme;
  out.kind = prog.kind;
  out.title = prog.title.empty() ? prog.programme : prog.title;
  std::vector<double> all_fractions;
  out.complete = true;
  for (const auto& part : prog.parts) {
    PartProgress p;
    p.part = part.part;
    p.subject = part.subject != 0 ? part.subject : part.part;
    p.required_practical_min = part.practical_min;
    p.required_classroom_min = part.classroom_min;
    p.required_mileage_hm = std::llround(part.mileage_km * 10.0);
    std::int64_t vehicle = 0;
    std::int64_t known_hm = 0;
    for (const auto& t : totals) {
      if (!part_takes(prog, part, claimed, t.course_code)) continue;
      if (t.mode == "vehicle") {
        vehicle += t.counted_minutes;
        known_hm += t.mileage_hm;
        p.minutes_without_mileage += t.minutes_without_mileage;
      } else if (t.mode == "classroom") {
        p.classroom_min += t.counted_minutes;
      }
    }
    p.practical_min = vehicle;
    if (vehicle == 0 || p.minutes_without_mileage < vehicle) p.mileage_hm = known_hm;
    p.complete = p.practical_min >= p.required_practical_min &&
                 p.classroom_min >= p.required_classroom_min &&
                 (p.required_mileage_hm == 0 || p.mileage_hm.value_or(0) >= p.required_mileage_hm);
    std::vector<double> f;
    fractions(p, f);
    p.percent = percent_of(f, p.complete);
    all_fractions.insert(all_fractions.end(), f.begin(), f.end());
    out.complete = out.complete && p.complete;
    out.parts.push_back(p);
  }
  out.percent = percent_of(all_fractions, out.complete);
  return out;
}

Result<StudentProgress> progress(store::Store& store, const config::Config& cfg,
                                 std::string_view student_no, std::int64_t now_ms) {
  auto person = store.people().find(student_no);
  if (!person) return fail(person.error());
  if (!*person || (*person)->role != store::Role::student) {
    return fail(Errc::not_found, "no student " + std::string(student_no) + " is enrolled");
  }
  StudentProgress out;
  out.student_no = std::string(student_no);
  out.name = (*person)->name;
  out.licence_class = (*person)->licence_class;
  auto totals = store.counted_by_course(student_no, kEver, kNever);
  if (!totals) return fail(totals.error());

  auto has_minutes = [](const ProgrammeProgress& p) {
    return std::any_of(p.parts.begin(), p.parts.end(), [](const PartProgress& part) {
      return part.practical_min > 0 || part.classroom_min > 0;
    });
  };
  std::vector<ProgrammeProgress> others;
  for (const auto& prog : cfg.syllabus) {
    ProgrammeProgress p = measure(prog, cfg.syllabus, *totals);
    const bool own = prog.kind == "licence" && prog.programme == out.licence_class;
    if (!own && !has_minutes(p)) continue;
    if (prog.kind == "continuing") {
      const std::int64_t from = now_ms - std::int64_t{prog.cycle_days} * kDayMs;
      auto window = store.counted_by_course(student_no, from, kNever);
      if (!window) return fail(window.error());
      p = measure(prog, cfg.syllabus, *window);
      p.window_from_ms = from;
    }
    if (own) {
      out.programmes.insert(out.programmes.begin(), std::move(p));
    } else {
      others.push_back(std::move(p));
    }
  }
  // The student's own programme first, the others in syllabus order.
  out.programmes.insert(out.programmes.end(), others.begin(), others.end());

  const auto claimed = explicit_patterns(cfg.syllabus);
  for (const auto& t : *totals) {
    bool matched = false;
    for (const auto& prog : cfg.syllabus) {
      for (const auto& part : prog.parts) matched = matched || part_takes(prog, part, claimed, t.course_code);
    }
    if (!matched) out.unmatched_min += t.counted_minutes;
  }
  auto a = store.assessments(student_no);
  if (!a) return fail(a.error());
  out.assessments = std::move(*a);
  auto c = store.certificates(student_no);
  if (!c) return fail(c.error());
  out.certificates = std::move(*c);
  return out;
}

Result<StudentProgress> progress(store::Store& store, const config::Config& cfg,
                                 std::string_view student_no) {
  SystemClock clock;
  return progress(store, cfg, student_no, unix_millis(clock.wall_now()));
}

nlohmann::json progress_json(const StudentProgress& p) {
  nlohmann::json programmes = nlohmann::json::array();
  for (const auto& prog : p.programmes) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& part : prog.parts) {
      parts.push_back({{"part", part.part},
                       {"subject", part.subject},
                       {"percent", part.percent},
                       {"complete", part.complete},
                       {"counted",
                        {{"practical_min", part.practical_min},
                         {"classroom_min", part.classroom_min},
                         {"mileage_km", km_or_null(part.mileage_hm)},
                         {"minutes_without_mileage", part.minutes_without_mileage}}},
                       {"required",
                        {{"practical_min", part.required_practical_min},
                         {"classroom_min", part.required_classroom_min},
                         {"mileage_km", km(part.required_mileage_hm)}}}});
    }
    nlohmann::json j{{"programme", prog.programme}, {"kind", prog.kind},
                     {"title", prog.title},         {"percent", prog.percent},
                     {"complete", prog.complete},   {"parts", std::move(parts)}};
    if (prog.window_from_ms) {
      j["window_from"] = iso8601_utc(WallTime{std::chrono::milliseconds{*prog.window_from_ms}});
    }
    programmes.push_back(std::move(j));
  }
  nlohmann::json assessments = nlohmann::json::array();
  for (const auto& a : p.assessments) {
    assessments.push_back({{"programme", a.programme},
                           {"result", a.passed ? "pass" : "fail"},
                           {"assessor", a.assessor},
                           {"date", a.assessed_on}});
  }
  nlohmann::json certificates = nlohmann::json::array();
  for (const auto& c : p.certificates) {
    certificates.push_back({{"number", c.number},
                            {"programme", c.programme},
                            {"kind", c.kind},
                            {"granted_on", c.granted_on},
                            {"practical_min", c.practical_min},
                            {"classroom_min", c.classroom_min},
                            {"mileage_km", km_or_null(c.mileage_hm)}});
  }
  return {{"student", p.student_no},
          {"name", p.name},
          {"licence_class", p.licence_class},
          {"programmes", std::move(programmes)},
          {"unmatched_min", p.unmatched_min},
          {"assessments", std::move(assessments)},
          {"certificates", std::move(certificates)}};
}

std::string certificate_number(const config::Config& cfg, std::string_view programme,
                               std::string_view date, std::int64_t seq) {
  char n[24];
  std::snprintf(n, sizeof n, "%04lld", static_cast<long long>(seq));
  return cfg.terminal.institution_code + "-" + std::string(programme) + "-" +
         std::string(date.substr(0, 4)) + "-" + cfg.terminal.serial + "-" + n;
}

Result<CompletionOutcome> complete(store::Store& store, const config::Config& cfg,
                                   const CompletionRequest& req, std::int64_t now_ms) {
  const std::string date = req.date.empty() ? local_date(now_ms) : req.date;
  if (auto day = local_day_start_ms(date); !day) return fail(day.error());
  if (req.assessor.empty()) return fail(Errc::invalid_argument, "the assessor's name is empty");
  auto p = progress(store, cfg, req.student_no, now_ms);
  if (!p) return fail(p.error());
  const std::string programme = req.programme.empty() ? p->licence_class : req.programme;
  const auto prog = std::find_if(cfg.syllabus.begin(), cfg.syllabus.end(),
                                 [&](const auto& s) { return s.programme == programme; });
  if (prog == cfg.syllabus.end()) {
    return fail(Errc::invalid_argument, "programme " + programme + " is not in the syllabus table ([[syllabus]] of " +
                                            cfg.source.string() + ")");
  }
  if (prog->kind == "continuing") {
    return fail(Errc::invalid_argument,
                "continuing education (" + programme + ") ends in no completion certificate; its "
                "hours go to the qualification platform");
  }
  for (const auto& c : p->certificates) {
    if (c.programme == programme) {
      return fail(Errc::already_exists, "student " + req.student_no + " already holds certificate " +
                                            c.number + " for " + programme + " (granted " +
                                            c.granted_on + "); nothing was recorded");
    }
  }
  CompletionOutcome out;
  auto totals = store.counted_by_course(req.student_no, kEver, kNever);
  if (!totals) return fail(totals.error());
  out.programme = measure(*prog, cfg.syllabus, *totals);
  if (req.passed && !out.programme.complete) {
    return fail(Errc::refused, "hours short for " + programme + ": " + shortfall(out.programme) +
                                   "; nothing was recorded");
  }
  out.assessment = store::Assessment{.student_no = req.student_no, .programme = programme,
                                     .passed = req.passed, .assessor = req.assessor,
                                     .assessed_on = date, .created_ms = now_ms};
  if (req.passed) {
    std::string prefix = certificate_number(cfg, programme, date, 0);
    prefix.resize(prefix.size() - 4);  // without the sequence
    auto n = store.count_certificates(prefix);
    if (!n) return fail(n.error());
    store::Certificate c{.number = certificate_number(cfg, programme, date, *n + 1),
                         .student_no = req.student_no, .programme = programme,
                         .kind = prog->kind, .institution_code = cfg.terminal.institution_code,
                         .granted_on = date, .created_ms = now_ms};
    bool any_mileage = false;
    std::int64_t hm = 0;
    for (const auto& part : out.programme.parts) {
      c.practical_min += part.practical_min;
      c.classroom_min += part.classroom_min;
      if (part.mileage_hm) {
        any_mileage = true;
        hm += *part.mileage_hm;
      }
      out.queued.push_back(stage_hours_entry(
          StageHours{.institution_code = cfg.terminal.institution_code,
                     .student_no = req.student_no, .subject = part.subject,
                     .practical_min = part.practical_min, .classroom_min = part.classroom_min,
                     .mileage_hm = part.mileage_hm, .passed = true},
          now_ms));
    }
    if (any_mileage) c.mileage_hm = hm;
    out.queued.push_back(graduation_entry(c, now_ms));
    out.certificate = std::move(c);
  }
  auto id = store.record_assessment(out.assessment, out.certificate, out.queued, now_ms);
  if (!id) return fail(id.error());
  out.assessment.id = *id;
  if (out.certificate) out.certificate->assessment_id = *id;
  return out;
}

}  // namespace tta::agent
