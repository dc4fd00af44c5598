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
#include "tta/store/outbox.hpp"
#include "tta/store/people.hpp"
#include "tta/store/photos.hpp"
#include "tta/store/records.hpp"

namespace tta::store {

/// The schema version this build creates and understands.
int current_schema_version();

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
  /// Minutes, photos and outbox entries marked SIMULATED (schema v5; db-check, tests).
  struct SimulatedCounts {
    std::int64_t minutes = 0;
    std::int64_t photos = 0;
    std::int64_t outbox = 0;
  };
  [[nodiscard]] Result<SimulatedCounts> simulated_counts();
  /// cipher parameters in force, e.g. "aes-256-cbc, page 4096, hmac on"
  [[nodiscard]] Result<std::string> cipher_summary();

  /// The outbox (what waits for the platforms), the evidence photos and the enrolled people:
  /// parts of this store over its one connection, valid while it is.
  [[nodiscard]] Outbox& outbox() { return outbox_; }
  [[nodiscard]] Photos& photos() { return photos_; }
  [[nodiscard]] People& people() { return people_; }

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
  /// A session's minutes, oldest first (at most `limit`), each with the state of its outbox
  /// entry of kind `kind` keyed by its record number.
  [[nodiscard]] Result<std::vector<MinuteUpload>> minute_uploads(std::int64_t session_id,
                                                                 std::string_view kind, int limit);
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
  explicit Store(std::unique_ptr<Connection> impl);
  std::unique_ptr<Connection> impl_;
  Outbox outbox_;
  Photos photos_;
  People people_;
};

/// `tta-agent init`: create the key file (0600, 32 random bytes) if absent and the database
/// if absent, then open and migrate. Running it again changes nothing.
[[nodiscard]] Status init_store(const config::StoreConfig& cfg);

}  // namespace tta::store
