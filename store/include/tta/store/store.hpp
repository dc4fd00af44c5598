#pragma once
/// The encrypted local store: the only code that touches SQLCipher.
///
/// Everything the terminal makes is written here first (a write that returned is on disk:
/// WAL with synchronous=FULL) and leaves through the outbox. The database is encrypted with
/// a 32-byte raw key read from a 0600 key file; the key is never logged.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"

namespace tta::store {

/// The schema version this build creates and understands.
int current_schema_version();

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
  /// When it was made. `enqueue` sets it to its now_ms; `add_minute` takes it as given (the
  /// minute's end, when the record became complete), or the minute's start when left 0.
  std::int64_t created_ms = 0;
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

/// What one prune pass may remove: records made before each cutoff (Unix ms; 0 = keep that
/// kind for ever), at most `batch` rows of each kind.
struct PruneLimits {
  std::int64_t minutes_before_ms = 0;  ///< minutes, then the sessions left without any
  std::int64_t photos_before_ms = 0;
  std::int64_t events_before_ms = 0;
  int batch = 200;
};

/// What one prune pass removed.
struct PruneCounts {
  std::int64_t minutes = 0;
  std::int64_t sessions = 0;
  std::int64_t photos = 0;
  std::int64_t events = 0;
  std::int64_t outbox = 0;  ///< acknowledged outbox entries of the records above
  bool more = false;        ///< a kind filled its batch: another pass has work
};

/// How much of the database file is in use.
struct StorageUse {
  std::int64_t file_bytes = 0;  ///< pages in the file (without the WAL)
  std::int64_t used_bytes = 0;  ///< of which in use (free pages are reused before it grows)
};

/// How to open; the defaults are what the agent uses.
struct OpenOptions {
  bool create = false;  ///< create key file and database when absent (`tta-agent init`)
  /// Stop migrating at this version (tests build old-schema files with it).
  int migrate_to = 0;   ///< 0 = current
};

/// An open, migrated, encrypted database. Move-only; one per process.
class Store {
 public:
  /// Open the store. Errors: Errc::permission (key file readable by others, or malformed),
  /// Errc::not_found (no database and !create), Errc::wrong_key (the key does not open it;
  /// the file is left untouched), Errc::corrupt (damaged or truncated file; never repaired),
  /// Errc::incompatible (schema newer than this build).
  static Result<Store> open(const config::StoreConfig& cfg, OpenOptions opts = {});

  /// Benchmarks only: the same schema in an UNENCRYPTED file, to measure what encryption costs.
  static Result<Store> open_unencrypted_for_benchmark(const std::filesystem::path& database);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  [[nodiscard]] Result<int> schema_version();
  /// PRAGMA integrity_check: "ok", or the problems it lists (`db-check`).
  [[nodiscard]] Result<std::string> integrity_check();
  /// PRAGMA quick_check: the same minus the index checks, far faster (start-up).
  [[nodiscard]] Result<std::string> quick_check();

  /// Run `body` as one transaction: every store write it makes is committed together or, when
  /// it returns an error (or the commit fails, e.g. disk full), none is. Nested calls, and the
  /// store's own multi-row writes inside, are savepoints of the outer transaction. The body
  /// must return the first error it meets; the error is returned here. Exceptions from `body`
  /// are caught, rolled back and returned as Errc::internal.
  [[nodiscard]] Status transaction(const std::function<Status()>& body);
  /// cipher parameters in force, e.g. "aes-256-cbc, page 4096, hmac on"
  [[nodiscard]] Result<std::string> cipher_summary();

  // People
  [[nodiscard]] Result<std::int64_t> add_person(const Person& p, std::int64_t now_ms);
  [[nodiscard]] Result<std::optional<Person>> find_person(std::string_view national_no);
  [[nodiscard]] Result<std::vector<Person>> people();
  /// Replace a person's face template; the old one stays in the enrolment history.
  [[nodiscard]] Status update_face(std::int64_t person_id, const std::vector<std::uint8_t>& templ,
                                   const std::vector<std::uint8_t>& photo_jpeg,
                                   std::int64_t now_ms);
  [[nodiscard]] Result<std::int64_t> face_history_count(std::int64_t person_id);

  // Training sessions and minutes
  [[nodiscard]] Result<std::int64_t> begin_session(const TrainingSession& s);
  [[nodiscard]] Status end_session(std::int64_t session_id, std::int64_t ended_ms);
  [[nodiscard]] Result<std::optional<TrainingSession>> find_session(std::int64_t session_id);
  /// Sessions of one mode ("vehicle" or "classroom") that have no end, oldest first.
  [[nodiscard]] Result<std::vector<TrainingSession>> open_sessions(std::string_view mode);
  /// Store a minute and its outbox entry in one transaction: both or neither.
  [[nodiscard]] Status add_minute(const MinuteRecord& m, const OutboxEntry& out);
  [[nodiscard]] Result<std::optional<MinuteRecord>> find_minute(std::string_view record_no);
  [[nodiscard]] Result<std::vector<std::string>> minute_record_numbers();
  // (daemon helper: the teaching log and the platform's 0x8205 record requests)
  /// The minutes of one session, oldest first.
  [[nodiscard]] Result<std::vector<MinuteRecord>> session_minutes(std::int64_t session_id);
  /// The newest `limit` minutes, oldest first.
  [[nodiscard]] Result<std::vector<MinuteRecord>> latest_minutes(int limit);
  /// Counted (valid) minutes of a student's sessions of one mode, made in [from_ms, to_ms).
  [[nodiscard]] Result<std::int64_t> counted_minutes(std::string_view student_no,
                                                     std::string_view mode, std::int64_t from_ms,
                                                     std::int64_t to_ms);

  /// Sessions started in [from_ms, to_ms), of one student (empty: every student), oldest
  /// first, with their minute counts, mileage and flags.
  [[nodiscard]] Result<std::vector<SessionSummary>> session_summaries(std::string_view student_no,
                                                                      std::int64_t from_ms,
                                                                      std::int64_t to_ms);
  /// Minutes made in [from_ms, to_ms), oldest first.
  [[nodiscard]] Result<std::vector<MinuteRecord>> minutes_between(std::int64_t from_ms,
                                                                  std::int64_t to_ms);
  /// A student's counted minutes made in [from_ms, to_ms) per course code and session mode.
  [[nodiscard]] Result<std::vector<CourseTotals>> counted_by_course(std::string_view student_no,
                                                                    std::int64_t from_ms,
                                                                    std::int64_t to_ms);

  // Assessments and completion certificates
  /// Record a final assessment and, with a certificate, store it and queue its uploads: all in
  /// one transaction. Returns the assessment's id. Errc::already_exists when the student
  /// already holds a certificate for the programme (or the number is taken); nothing is
  /// written then.
  [[nodiscard]] Result<std::int64_t> record_assessment(const Assessment& a,
                                                       const std::optional<Certificate>& cert,
                                                       std::span<const OutboxEntry> uploads,
                                                       std::int64_t now_ms);
  /// A student's assessments, oldest first.
  [[nodiscard]] Result<std::vector<Assessment>> assessments(std::string_view student_no);
  /// A student's certificates, oldest first.
  [[nodiscard]] Result<std::vector<Certificate>> certificates(std::string_view student_no);
  /// How many certificate numbers start with `prefix` (for numbering the next one).
  [[nodiscard]] Result<std::int64_t> count_certificates(std::string_view prefix);

  // Photos
  [[nodiscard]] Status add_photo(const Photo& p, const OutboxEntry& out);
  [[nodiscard]] Result<std::optional<Photo>> find_photo(std::string_view photo_no);
  /// The photos of one class ID (a student session), oldest first (daemon helper).
  [[nodiscard]] Result<std::vector<Photo>> class_photos(std::uint32_t class_id);
  /// Numbers of the photos taken in [from_ms, to_ms], oldest first, at most `limit` (0x8302).
  [[nodiscard]] Result<std::vector<std::string>> photo_numbers_between(std::int64_t from_ms,
                                                                       std::int64_t to_ms,
                                                                       int limit);

  // Outbox
  /// Queue an entry. Same (kind, key) with the same payload again: returns the existing id.
  /// Same key with a different payload: Errc::already_exists (the platform must never see
  /// two contents under one key).
  [[nodiscard]] Result<std::int64_t> enqueue(const OutboxEntry& e, std::int64_t now_ms);
  /// Entries to send now: queued ones due, and in-flight ones whose lease ran out (a crash
  /// mid-send), oldest first.
  [[nodiscard]] Result<std::vector<OutboxEntry>> due(std::int64_t now_ms, int limit);
  /// The same, only kinds starting with `kind_prefix` (e.g. "http."), so one sender's
  /// backlog never hides another's entries.
  [[nodiscard]] Result<std::vector<OutboxEntry>> due(std::int64_t now_ms, int limit,
                                                     std::string_view kind_prefix);
  [[nodiscard]] Status mark_in_flight(std::int64_t id, std::int64_t now_ms,
                                      std::int64_t lease_until_ms);
  [[nodiscard]] Status mark_acked(std::int64_t id, std::int64_t now_ms);
  /// Mark several entries acked in one transaction (the forwarder batches acks).
  [[nodiscard]] Status mark_acked(std::span<const std::int64_t> ids, std::int64_t now_ms);
  /// Back to the queue after a failed attempt (counts the attempt).
  [[nodiscard]] Status mark_retry(std::int64_t id, std::int64_t now_ms,
                                  std::int64_t next_attempt_ms, std::string_view error);
  [[nodiscard]] Status mark_refused(std::int64_t id, std::int64_t now_ms, std::string_view reason);
  /// Put a refused entry back in the queue (an administrator's retry).
  [[nodiscard]] Status requeue(std::int64_t id, std::int64_t now_ms);
  [[nodiscard]] Result<std::optional<OutboxEntry>> outbox_entry(std::int64_t id);
  /// The entry of `kind` under `key`, in whatever state.
  [[nodiscard]] Result<std::optional<OutboxEntry>> outbox_entry(std::string_view kind,
                                                                std::string_view key);
  [[nodiscard]] Result<std::vector<OutboxEntry>> refused_entries();
  [[nodiscard]] Result<OutboxCounts> outbox_counts();
  /// The same for one kind of entry (e.g. "tcp.0203").
  [[nodiscard]] Result<OutboxCounts> outbox_counts(std::string_view kind);
  /// Counts per kind and state, kinds in order.
  [[nodiscard]] Result<std::vector<OutboxKindCounts>> outbox_counts_by_kind();
  /// Queued and in-flight entries, oldest first, without their payloads (left empty).
  [[nodiscard]] Result<std::vector<OutboxEntry>> pending_entries(int limit);
  /// Stored photos per event code.
  [[nodiscard]] Result<std::map<int, std::int64_t>> photo_counts();

  // Platform parameters (0x8501) and other small settings
  [[nodiscard]] Status set_param(std::string_view name, std::string_view value,
                                 std::int64_t now_ms);
  [[nodiscard]] Result<std::optional<std::string>> param(std::string_view name);

  // Append-only event log
  [[nodiscard]] Status log_event(std::string_view kind, std::string_view detail,
                                 std::int64_t at_ms);
  [[nodiscard]] Result<std::vector<LoggedEvent>> events_since(std::int64_t seq, int limit);

  // Retention
  /// One prune pass, each kind in its own short transaction. Only records the platform has
  /// acknowledged go: a minute or photo whose outbox entries (key = its number, or number#…)
  /// are all acked, at least one; never one of a session still open, nor one whose class
  /// still has an unacknowledged entry (a teaching log, a logout). Sessions go when no minute
  /// or photo is left, they ended before the minutes cutoff and their class's entries are
  /// acked. The acked outbox entries of what is pruned go with it.
  [[nodiscard]] Result<PruneCounts> prune(const PruneLimits& limits);
  /// Pages in use and in the file.
  [[nodiscard]] Result<StorageUse> storage_use();

  /// Testing hook: every INSERT, UPDATE or DELETE on `table` fails (Errc::permission) from now
  /// on, as a write that fails midway through a transaction; "" lifts it.
  [[nodiscard]] Status fail_writes_for_test(std::string table);
  /// Testing hook: cap the database at `pages` pages so a write fails as on a full disk.
  [[nodiscard]] Status limit_pages_for_test(std::int64_t pages);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// `tta-agent init`: create the key file (0600, 32 random bytes) if absent and the database
/// if absent, then open and migrate. Running it again changes nothing.
[[nodiscard]] Status init_store(const config::StoreConfig& cfg);

}  // namespace tta::store
