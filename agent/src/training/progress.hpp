#pragma once
/// A student's progress against the syllabus table of the config ([[syllabus]]), and the final
/// assessment that issues the completion certificate (training-rules.md §1-2).
///
/// Only counted (valid) minutes count. Practical minutes are those of vehicle sessions,
/// classroom minutes those of classroom sessions; mileage is the sum over counted vehicle
/// minutes that have one. A minute counts toward every part whose course-code patterns match
/// its session's course code (config/agent.example.toml explains the patterns).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// One part (科目) or stage: what was counted and what is required.
struct PartProgress {
  std::uint32_t part = 0;
  std::uint32_t subject = 0;          ///< for the stage-hour upload
  std::int64_t practical_min = 0;     ///< counted minutes of vehicle sessions
  std::int64_t classroom_min = 0;     ///< counted minutes of classroom sessions
  /// 0.1 km over the counted vehicle minutes that have a mileage; nullopt when there are
  /// counted vehicle minutes and none of them has one (unknown, not zero).
  std::optional<std::int64_t> mileage_hm;
  std::int64_t minutes_without_mileage = 0;  ///< counted vehicle minutes lacking a mileage
  std::int64_t required_practical_min = 0;
  std::int64_t required_classroom_min = 0;
  std::int64_t required_mileage_hm = 0;
  int percent = 0;        ///< 0-100, rounded down; 100 only when complete
  bool complete = false;  ///< every requirement met (a missing mileage never meets one)
};

struct ProgrammeProgress {
  std::string programme;  ///< syllabus id, e.g. "C1"
  std::string kind;       ///< "licence", "freight" or "continuing"
  std::string title;
  /// Continuing education: minutes count from here (the cycle window) to now.
  std::optional<std::int64_t> window_from_ms;
  std::vector<PartProgress> parts;
  int percent = 0;        ///< over every requirement of every part, rounded down
  bool complete = false;  ///< every part complete
};

struct StudentProgress {
  std::string student_no;
  std::string name;
  std::string licence_class;
  /// The licence programme of the student's class, then every other programme the student
  /// has counted minutes in, in syllabus order.
  std::vector<ProgrammeProgress> programmes;
  /// Counted minutes whose course code no part of the syllabus matches.
  std::int64_t unmatched_min = 0;
  std::vector<store::Assessment> assessments;
  std::vector<store::Certificate> certificates;
};

/// Does a course code match a pattern (10 characters, '?' = any digit)?
[[nodiscard]] bool course_matches(std::string_view pattern, std::string_view course_code);

/// The patterns a part counts: its `courses`, or for a licence part without them
/// "?" + class code + part + "??0000".
[[nodiscard]] std::vector<std::string> part_patterns(const config::SyllabusProgramme& prog,
                                                     const config::SyllabusPart& part);

/// Measure one programme against a student's counted totals (pure: the progress math).
/// `all` is the syllabus, whose explicit patterns take codes away from derived ones.
[[nodiscard]] ProgrammeProgress measure(const config::SyllabusProgramme& prog,
                                        const std::vector<config::SyllabusProgramme>& all,
                                        const std::vector<store::CourseTotals>& totals);

/// A student's progress at `now_ms`. Errc::not_found for an unknown student number (or a coach).
[[nodiscard]] Result<StudentProgress> progress(store::Store& store, const config::Config& cfg,
                                               std::string_view student_no, std::int64_t now_ms);
/// The same at the system clock's now.
[[nodiscard]] Result<StudentProgress> progress(store::Store& store, const config::Config& cfg,
                                               std::string_view student_no);

/// The JSON shape of `tta-agent progress --json` and the control API's progress endpoint.
/// Minutes are integers, km have one decimal; an unknown mileage is null, never 0.
[[nodiscard]] nlohmann::json progress_json(const StudentProgress& p);

/// `tta-agent complete`: the final assessment.
struct CompletionRequest {
  std::string student_no;
  std::string programme;  ///< empty: the licence programme of the student's class
  bool passed = false;
  std::string assessor;
  std::string date;       ///< YYYY-MM-DD (local); the assessment's and the certificate's date
};

struct CompletionOutcome {
  store::Assessment assessment;
  std::optional<store::Certificate> certificate;  ///< on a pass
  ProgrammeProgress programme;                    ///< the hours behind it
  std::vector<store::OutboxEntry> queued;         ///< uploads queued (kind, key, payload)
};

/// The certificate number: "{institution}-{programme}-{YYYY}-{terminal serial}-{NNNN}", NNNN
/// counting this terminal's certificates of that programme and year from 0001 (more digits
/// after 9999). Unique across institutions, terminals, programmes and years.
[[nodiscard]] std::string certificate_number(const config::Config& cfg, std::string_view programme,
                                             std::string_view date, std::int64_t seq);

/// Record a final assessment; on a pass with every part complete also issue the certificate
/// and queue its uploads ("http.stagetrainningtime" per part, then "http.graduation"), all in
/// one transaction. Refusals (nothing written): Errc::not_found (unknown student),
/// Errc::invalid_argument (bad date or result, programme not in the syllabus, continuing
/// education), Errc::already_exists (a certificate exists), Errc::refused (hours short on a
/// pass; the message lists what is missing).
[[nodiscard]] Result<CompletionOutcome> complete(store::Store& store, const config::Config& cfg,
                                                 const CompletionRequest& req,
                                                 std::int64_t now_ms);

}  // namespace tta::agent
