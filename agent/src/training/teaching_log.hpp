#pragma once
/// The electronic teaching log (`classrecord`) and the photo metadata (`trainimginfo`) of every
/// ended student session, queued for the HTTPS uplink (shared/spec/platform-http.md).
///
/// Both refer to photos by the file id the platform returns for `imageup`, so a session goes
/// out in two steps, each built from the store alone:
///   1. its photos as "http.imageup" entries (key: photo no.);
///   2. once every one of those was accepted or refused: one "http.trainimginfo" per accepted
///      photo (key: photo no.) and the "http.classrecord" (key: class ID), whose photo1/2/3 are
///      the file ids of the login photo, the first photo taken during training and the logout
///      photo. A photo without a file id leaves its field out: nothing is made up.
/// Progress lives in store parameters ("teachlog.<session id>", "teachlog.cursor"), and every
/// entry has its natural key with a content that depends only on the store, so a scan after a
/// kill or a restart queues exactly what is still missing, whatever ended the session
/// (check-out, ban, ignition off, a crash followed by the engine's resume).

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// Who sends: the fields every teaching-log upload carries.
struct TeachingLogIdentity {
  std::string institution_code;  ///< inscode
  std::string terminal_no;       ///< simunum (16 characters, from registration)
  std::string platform_no;       ///< platnum (from registration)
  std::string car_no;            ///< carnum: the plate the terminal is configured with
};

/// A student's counted minutes so far, for the log's `total` and `part1`-`part4`.
struct StudentTotals {
  std::int64_t total_min = 0;
  std::array<std::optional<std::int64_t>, 4> part_min;  ///< parts 1-4; nullopt: left out
};
/// Where the totals come from (the daemon asks progress.hpp); nullopt leaves them out.
using StudentTotalsFn = std::function<std::optional<StudentTotals>(const std::string& student_no)>;

/// A continuing-education session's place in its cycle (training-rules.md §1: hours per
/// cycle), for the provincial qualification platform. Unknown figures are left out.
struct ContinuingTotals {
  std::string programme;                  ///< syllabus id of the continuing programme
  std::optional<std::int64_t> cycle_min;  ///< counted minutes in the cycle up to the session's end
  std::optional<std::int64_t> required_min;   ///< minutes the cycle requires
  std::optional<std::int64_t> cycle_from_ms;  ///< where the cycle window starts
};
/// The continuing programme a classroom session counts toward, or nullopt when it is not
/// continuing education.
using ContinuingFn =
    std::function<std::optional<ContinuingTotals>(const store::TrainingSession& session)>;

/// The electronic-teaching-log number of a session: terminal no. + class ID as 10 digits
/// (platform-http.md gives no format; this is unique per terminal and session).
[[nodiscard]] std::string teaching_log_number(const std::string& terminal_no,
                                              std::uint32_t class_id);

/// Local (GMT+8) "yyyyMMddHHmmss" of Unix milliseconds.
[[nodiscard]] std::string platform_time(std::int64_t unix_ms);

/// The `classrecord` payload of an ended session from its minutes and its photos' file ids
/// (absent = the field is left out) and the student's totals when known.
[[nodiscard]] nlohmann::ordered_json classrecord_payload(
    const TeachingLogIdentity& id, const store::TrainingSession& session,
    const std::vector<store::MinuteRecord>& minutes, const std::optional<std::string>& photo1,
    const std::optional<std::string>& photo2, const std::optional<std::string>& photo3,
    const std::optional<StudentTotals>& totals);

/// The continuing programme of the syllabus whose courses include the session's, with the
/// student's counted minutes in its cycle as they stood at the session's end (progress.hpp);
/// nullopt for other courses. When progress cannot be measured the figures stay unknown.
[[nodiscard]] std::optional<ContinuingTotals> continuing_totals(
    store::Store& store, const config::Config& cfg, const store::TrainingSession& session);

/// The continuing-education record ("ce.record" on [uplink.http.continuing_education]) of an
/// ended classroom session: who (with the ID card when enrolled), the course, the session's
/// times and counted minutes, and the cycle so far. The qualification platform's interface is
/// not public (platform-http.md): these are canonical names, renamed per field in the config.
[[nodiscard]] nlohmann::ordered_json ce_record_payload(
    const TeachingLogIdentity& id, const store::TrainingSession& session,
    const std::optional<std::string>& id_card, const std::vector<store::MinuteRecord>& minutes,
    const ContinuingTotals& cycle);

/// The `trainimginfo` payload of one accepted photo.
[[nodiscard]] nlohmann::ordered_json trainimginfo_payload(const TeachingLogIdentity& id,
                                                          const store::TrainingSession& session,
                                                          const store::Photo& photo,
                                                          const std::string& file_id);

/// Walk the sessions and queue what each ended one still needs; a classroom session that
/// `continuing` names continuing education also gets its "http.ce.record" (key: the log
/// number), queued with the classrecord. Returns the number of outbox entries queued (0 when
/// nothing was due). A scan visits at most 64 sessions: from where the last one stopped
/// ("teachlog.next"), wrapping to the oldest unfinished one ("teachlog.cursor"), so an
/// unfinished session never hides later ones and a scan never grows with the store.
[[nodiscard]] Result<int> scan_teaching_logs(store::Store& store, const TeachingLogIdentity& id,
                                             std::int64_t now_ms,
                                             const StudentTotalsFn& totals = {},
                                             const ContinuingFn& continuing = {});

}  // namespace tta::agent
