#pragma once
/// What the store keeps: plain records, shared by the store and its parts (outbox, photos,
/// people). Anything the terminal did not have stays nullopt.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tta::store {

enum class Role { coach, student };

/// A coach or student enrolled on this terminal.
struct Person {
  std::int64_t id = 0;
  Role role = Role::student;
  std::string national_no;    ///< 16-character national number
  std::string id_card;        ///< 18-character ID-card number
  std::string name;           ///< UTF-8
  std::string licence_class;  ///< e.g. "C1" (taught, for coaches; trained for, for students)
  std::vector<std::uint8_t> face_template;
  std::vector<std::uint8_t> enrol_photo_jpeg;
  /// Set while an administrator has disabled the person (Unix ms UTC): no check-in.
  std::optional<std::int64_t> disabled_at_ms;
  std::string disabled_by;  ///< who disabled them; empty while enabled
};

/// One student's training from login to logout (a class ID).
struct TrainingSession {
  std::int64_t id = 0;
  std::uint32_t class_id = 0;
  std::string mode = "vehicle";  ///< "vehicle" or "classroom"
  std::string student_no;
  std::string coach_no;          ///< empty in classroom mode
  std::string course_code;       ///< 10 digits
  std::int64_t started_ms = 0;
  std::optional<std::int64_t> ended_ms;
};

/// One training minute (0x0203). Anything the terminal did not have stays nullopt.
struct MinuteRecord {
  std::string record_no;  ///< 26 characters: terminal no. + YYMMDD + sequence
  std::int64_t session_id = 0;
  std::int64_t minute_ms = 0;  ///< start of the minute, Unix ms UTC
  std::uint8_t status = 0;     ///< 0 normal, 1 abnormal
  std::optional<std::uint16_t> max_speed_dkmh;     ///< 0.1 km/h, satellite
  std::optional<std::uint16_t> mileage_hm;         ///< 0.1 km in this minute
  std::optional<std::int32_t> lat_e6;
  std::optional<std::int32_t> lon_e6;
  std::optional<std::uint16_t> gnss_speed_dkmh;
  std::optional<std::uint16_t> sensor_speed_dkmh;
  std::optional<std::uint16_t> heading_deg;
  std::optional<std::uint32_t> odometer_hm;
  std::optional<std::uint16_t> engine_rpm;
  std::optional<std::int64_t> gnss_time_ms;
  std::string flags;  ///< comma-separated rule and anti-cheat reasons
  bool counted = true;

  friend bool operator==(const MinuteRecord&, const MinuteRecord&) = default;
};

/// An evidence photo (JPEG) with what travels with it in 0x0305.
struct Photo {
  std::string photo_no;  ///< 10 digits
  std::string person_no;
  std::uint32_t class_id = 0;
  std::uint8_t event = 0;
  std::uint8_t size_code = 1;
  std::int64_t taken_ms = 0;
  std::optional<std::uint8_t> confidence;  ///< face-match confidence 0-100
  std::optional<std::int32_t> lat_e6;
  std::optional<std::int32_t> lon_e6;
  std::vector<std::uint8_t> jpeg;
};

enum class OutboxState { queued, in_flight, acked, refused };

/// Something to deliver, keyed by its natural idempotency key (record no., photo no., …).
struct OutboxEntry {
  std::int64_t id = 0;
  std::string kind;  ///< e.g. "tcp.0203", "http.classrecord"
  std::string key;   ///< unique within `kind`
  std::vector<std::uint8_t> payload;
  OutboxState state = OutboxState::queued;
  std::int32_t attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
  /// Times the platform refused it (a non-zero ack result); capped, then it stays refused.
  std::int32_t refusals = 0;
  /// When it was made. `enqueue` sets it to its now_ms; `add_minute` takes it as given (the
  /// minute's end, when the record became complete), or the minute's start when left 0.
  std::int64_t created_ms = 0;
  /// Made on SIMULATED inputs (agent.simulated): sent only to a test platform. A store
  /// opened with StoreConfig::simulated marks every entry it queues, whatever this says.
  bool simulated = false;
};

struct OutboxCounts {
  std::int64_t queued = 0;
  std::int64_t in_flight = 0;
  std::int64_t acked = 0;
  std::int64_t refused = 0;
};

struct LoggedEvent {
  std::int64_t seq = 0;
  std::int64_t at_ms = 0;
  std::string kind;
  std::string detail;
};

/// A training session with what its minutes add up to (administrator listings).
struct SessionSummary {
  TrainingSession session;
  std::int64_t minutes = 0;                ///< minute records made
  std::int64_t counted_minutes = 0;        ///< of which counted (valid)
  std::optional<std::int64_t> mileage_hm;  ///< over minutes that have one; nullopt: none had
  std::string flags;                       ///< distinct minute flags, sorted, comma-separated
};

/// One training minute with what the terminal knows of its upload: the state of its outbox
/// entry. No state: there is no entry (never queued, or pruned by retention) — unknown.
struct MinuteUpload {
  MinuteRecord minute;
  std::optional<OutboxState> state;
  std::string last_error;    ///< the platform's or the link's last word on it
  std::int64_t attempts = 0;
};

/// A student's counted minutes of one course code in sessions of one mode.
struct CourseTotals {
  std::string course_code;
  std::string mode;                          ///< "vehicle" or "classroom"
  std::int64_t counted_minutes = 0;
  std::int64_t mileage_hm = 0;               ///< over the counted minutes that have a mileage
  std::int64_t minutes_without_mileage = 0;  ///< counted minutes whose mileage is missing
};

/// Outbox entries of one kind by state.
struct OutboxKindCounts {
  std::string kind;
  OutboxCounts counts;
};

/// A final assessment (`tta-agent complete`).
struct Assessment {
  std::int64_t id = 0;
  std::string student_no;
  std::string programme;    ///< syllabus programme id, e.g. "C1"
  bool passed = false;
  std::string assessor;
  std::string assessed_on;  ///< YYYY-MM-DD, local date
  std::int64_t created_ms = 0;
};

/// A completion certificate with the hours behind it as they were when it was issued.
struct Certificate {
  std::string number;
  std::string student_no;
  std::string programme;
  std::string kind;                 ///< syllabus kind: "licence" or "freight"
  std::int64_t assessment_id = 0;   ///< set by record_assessment
  std::string institution_code;
  std::string granted_on;           ///< YYYY-MM-DD, local date
  std::int64_t classroom_min = 0;
  std::int64_t practical_min = 0;
  std::optional<std::int64_t> mileage_hm;
  std::int64_t created_ms = 0;
};

}  // namespace tta::store
