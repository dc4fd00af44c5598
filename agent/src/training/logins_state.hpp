#pragma once
/// Who is logged in, as an engine keeps it in the store (param `engine.vehicle` /
/// `engine.classroom`) so that `resume` after a restart finds it. The session rows hold who
/// and what (student, course, class ID); this holds the timers. Text, one item per line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

class Recorder;  // training/engine.hpp

/// A login that survives a restart: the session row holds who and what; this holds the timers.
struct OpenLogin {
  std::int64_t session_id = 0;
  std::int64_t last_photo_ms = 0;    ///< last photo stored (event 17 or 19)
  std::int64_t last_recheck_ms = 0;  ///< last re-check asked for
  bool recheck_failed = false;
  std::int64_t next_recheck_ms = 0;  ///< classroom: the next random re-check
};

/// Everything an engine needs to find its logins again.
struct PersistedLogins {
  std::string coach_no;  ///< coach or lecturer; empty = nobody
  std::uint32_t last_class_id = 0;
  std::vector<OpenLogin> students;

  [[nodiscard]] std::string encode() const;
  /// Unreadable text is an error (never guessed at).
  [[nodiscard]] static Result<PersistedLogins> decode(std::string_view text);
};

/// The logins kept in `param`; nullopt when the engine never stored any. Unreadable state is
/// an error.
[[nodiscard]] Result<std::optional<PersistedLogins>> load_logins(store::Store& store,
                                                                 std::string_view param);

/// What a session's stored minutes add up to.
struct SessionTotals {
  std::uint32_t minutes = 0;
  std::uint32_t counted = 0;
  std::uint32_t mileage_hm = 0;
  std::int64_t counted_since_ms = 0;  ///< counted minutes that started at or after `since_ms`
  std::optional<std::int64_t> last_minute_ms;
};
[[nodiscard]] Result<SessionTotals> session_totals(store::Store& store, std::int64_t session_id,
                                                   std::int64_t since_ms);

/// A saved login whose session row is still open, with what its stored minutes add up to.
struct ResumedLogin {
  OpenLogin saved;
  store::TrainingSession session;
  SessionTotals totals;  ///< `counted_since_ms` from the `since_ms` given to `resume`
};

/// What `SavedLogins::resume` found.
struct ResumedLogins {
  bool found = false;    ///< false: the engine never saved any (its first start)
  std::string coach_no;  ///< coach or lecturer; empty = nobody
  std::uint32_t last_class_id = 0;  ///< the saved one, or a resumed session's if higher
  std::vector<ResumedLogin> students;  ///< open sessions of this mode, in the saved order
  int orphans_closed = 0;              ///< open session rows no saved login knew, now closed
};

/// One engine's open logins in the store (param `engine.<mode>`): both engines keep them with
/// this as they change, and find them again with it after a restart.
class SavedLogins {
 public:
  /// `mode`: "vehicle" or "classroom", as the session rows spell it.
  SavedLogins(store::Store& store, std::string mode);

  /// Keep `logins`. A failure is logged, naming `what` a restart would lose, and not
  /// returned: the engine goes on (its minutes are stored separately).
  void save(const PersistedLogins& logins, WallTime now, std::string_view what);
  /// Keep `logins` and return the error: for a check-in or check-out, where the saved logins
  /// are written in the same transaction as the session row.
  [[nodiscard]] Status store(const PersistedLogins& logins, WallTime now);

  /// Once at start-up: load the saved logins; close every open session row of this mode they
  /// do not list, each in one transaction with its logout (0x0202, minutes and mileage from
  /// its stored minutes) queued through `rec` and "session.orphan_closed" logged (such a row
  /// is left by a saved state that was lost); and return the saved logins whose session rows
  /// are still open, with their totals (`since_ms`: see SessionTotals). An orphan ends at the
  /// end of its last minute, or at its start. Unreadable saved state is an error.
  [[nodiscard]] Result<ResumedLogins> resume(Recorder& rec, WallTime now, std::int64_t since_ms);

  [[nodiscard]] const std::string& param() const { return param_; }

 private:
  store::Store& store_;
  std::string mode_;
  std::string param_;
};

}  // namespace tta::agent
