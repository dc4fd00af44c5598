#pragma once
/// Who is logged in, as an engine keeps it in the store (param `engine.vehicle` /
/// `engine.classroom`) so that `resume` after a restart finds it. The session rows hold who
/// and what (student, course, class ID); this holds the timers. Text, one item per line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

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

/// Keep `logins` in the store param `param`. A failure is logged, naming `what` a restart would
/// lose, and not returned: the engine goes on (its minutes are stored separately).
void save_logins(store::Store& store, std::string_view param, const PersistedLogins& logins,
                 std::int64_t now_ms, std::string_view what);

/// Keep `logins` in the store param `param` and return the error: for a check-in or check-out,
/// where the saved logins are written in the same transaction as the session row.
[[nodiscard]] Status store_logins(store::Store& store, std::string_view param,
                                  const PersistedLogins& logins, std::int64_t now_ms);

/// The logins kept in `param`; nullopt when the engine never stored any. Unreadable state is
/// an error.
[[nodiscard]] Result<std::optional<PersistedLogins>> load_logins(store::Store& store,
                                                                 std::string_view param);

}  // namespace tta::agent
