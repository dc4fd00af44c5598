#pragma once
// The platform's own audit (training-rules.md §4): which of the minutes and sessions it
// received it accepts. It trusts nothing the terminal concluded: a minute the terminal sent
// as normal (status 0) is still checked against the platform's rules, and one the terminal
// reported abnormal (status 1) is never accepted.
//
// Minute rules (reason spellings as stored and served):
//   reported_abnormal  the terminal sent status 1
//   bad_time           the record number holds no date (YYMMDD after the terminal number)
//   out_of_hours       the minute lies outside the allowed training hours (GMT+8)
//   no_gnss            the attached block has no position (not positioned)
//   outside_fence      the GNSS point is outside every teaching area (rule off without fences)
//   engine_speed_zero  engine speed 0 in the attached block (the wire writes a missing
//                      engine speed as 0, so missing lands here too)
//   stationary         speed or mileage 0 in two or more consecutive minutes (every minute of
//                      such a run, the first included)
//   no_session         no student login (0x0201) for its class ID and student was received
//   outside_session    the minute does not overlap the session (before the login, or it
//                      starts at or after the logout)
//   coach_mismatch     its coach is not the coach of the session's login
//   missing_photo      the photo window holding the minute (windows of photo_window_min from
//                      the login) has no photo of the class
//   duplicate          another record of the same student for the same minute came first
//   session_void       its (closed) session is void by the session rules below
// The driving rules (no_gnss, outside_fence, engine_speed_zero, stationary, missing_photo,
// mileage_under_100m) apply to vehicle courses (teaching mode 1 of the course code, or a code
// that does not parse); classroom, simulator and remote courses are judged by the others.
// Session rules (a closed session, i.e. its logout arrived, unless noted):
//   mileage_under_100m      the minutes' mileage adds up to less than 100 m (also while open)
//   no_photos               no photo of the class (also while open)
//   first_photo_not_login   the first photo is not a student-login photo (17) (also while open)
//   last_photo_not_logout   the last photo is not a student-logout photo (18)
//   under_75_percent_valid  fewer than 75 % of its minutes pass the minute rules

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim_db.hpp"
#include "tta/config/config.hpp"
#include "tta/core/result.hpp"

namespace tta::sim {

struct AuditRules {
  std::vector<config::Fence> fences;  ///< teaching areas; empty: the fence rule is off
  int day_start_min = 5 * 60;         ///< allowed hours, minutes after local midnight (GMT+8)
  int day_end_min = 22 * 60;          ///< exclusive
  int photo_window_min = 15;
};

/// The platform's copy of the institution's rules, read from an agent config file (TOML):
/// its [[gps.fence]] areas, training.day_start / day_end and training.photo_interval_min.
/// Every problem of the file is reported, as `tta-agent check-config` would.
[[nodiscard]] Result<AuditRules> audit_rules_from_config(const std::filesystem::path& file);

struct MinuteVerdict {
  std::string record_no;
  std::vector<std::string> reasons;  ///< empty: accepted
  [[nodiscard]] bool valid() const { return reasons.empty(); }
};

struct SessionVerdict {
  std::string terminal_no;
  std::uint32_t class_id = 0;
  std::string student_no;
  bool closed = false;              ///< its logout arrived
  std::int64_t minutes = 0;         ///< minutes received for it
  std::int64_t minutes_valid = 0;   ///< of those, accepted
  std::int64_t mileage_hm = 0;
  std::uint16_t logout_minutes = 0;  ///< the total its logout carried
  std::int64_t photos = 0;
  std::vector<std::string> reasons;  ///< empty: accepted (so far, while open)
  [[nodiscard]] bool valid() const { return reasons.empty(); }
};

struct AuditResult {
  std::vector<MinuteVerdict> minutes;  ///< in the order of the minutes given
  std::vector<SessionVerdict> sessions;
};

/// Audit everything received. Minutes are taken in the order given (received first wins a
/// duplicate); photos need their GNSS time (`taken_ms`) to fill a photo window.
[[nodiscard]] AuditResult audit(const std::vector<MinuteRow>& minutes,
                                const std::vector<PhotoRow>& photos,
                                const std::vector<SessionRow>& sessions, const AuditRules& rules);

/// The start of a minute (Unix ms): the record number's date (YYMMDD after the 16-character
/// terminal number) and the record's time of day, both GMT+8. Nullopt when the date is bad.
[[nodiscard]] std::optional<std::int64_t> minute_start_ms(const MinuteRow& m);

}  // namespace tta::sim
