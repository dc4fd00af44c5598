#include "training/logins_state.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

namespace tta::agent {

std::string PersistedLogins::encode() const {
  // One token per line so that a later version can add lines an older one skips.
  std::string out = "v1\ncoach " + (coach_no.empty() ? std::string("-") : coach_no) + "\n";
  out += "last_class_id " + std::to_string(last_class_id) + "\n";
  for (const auto& s : students) {
    out += "student " + std::to_string(s.session_id) + " " + std::to_string(s.last_photo_ms) + " " +
           std::to_string(s.last_recheck_ms) + " " + (s.recheck_failed ? "1" : "0") + " " +
           std::to_string(s.next_recheck_ms) + "\n";
  }
  return out;
}

Result<PersistedLogins> PersistedLogins::decode(std::string_view text) {
  PersistedLogins p;
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != "v1") {
    return fail(Errc::corrupt, "stored engine state has no v1 header");
  }
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string what;
    ls >> what;
    bool good = true;
    if (what == "coach") {
      ls >> p.coach_no;
      if (p.coach_no == "-") p.coach_no.clear();
    } else if (what == "last_class_id") {
      good = static_cast<bool>(ls >> p.last_class_id);
    } else if (what == "student") {
      OpenLogin s;
      int failed = 0;
      good = static_cast<bool>(ls >> s.session_id >> s.last_photo_ms >> s.last_recheck_ms >>
                               failed >> s.next_recheck_ms);
      s.recheck_failed = failed != 0;
      p.students.push_back(s);
    }
    if (!good || ls.fail())
      return fail(Errc::corrupt, "stored engine state: bad line '" + line + "'");
  }
  return p;
}

void save_logins(store::Store& store, std::string_view param, const PersistedLogins& logins,
                 std::int64_t now_ms, std::string_view what) {
  if (auto st = store.set_param(param, logins.encode(), now_ms); !st) {
    spdlog::error("{} not stored (a restart would lose {}): {}", param, what, st.error().message);
  }
}

Status store_logins(store::Store& store, std::string_view param, const PersistedLogins& logins,
                    std::int64_t now_ms) {
  return store.set_param(param, logins.encode(), now_ms);
}

Result<std::optional<PersistedLogins>> load_logins(store::Store& store, std::string_view param) {
  auto text = store.param(param);
  if (!text) return fail(text.error());
  if (!*text) return std::optional<PersistedLogins>{};  // never stored
  auto saved = PersistedLogins::decode(**text);
  if (!saved) return fail(saved.error().context(std::string(param)));
  return std::optional<PersistedLogins>(std::move(*saved));
}

}  // namespace tta::agent
