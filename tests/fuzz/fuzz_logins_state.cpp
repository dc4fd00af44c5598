// libFuzzer target: the engines' stored login state (agent/src/training/logins_state.cpp) is read back
// after a restart; any text either fails cleanly or decodes to something that encodes and
// decodes to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "training/logins_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tta::agent::PersistedLogins;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = PersistedLogins::decode(text);
  if (!p) {
    if (p.error().message.empty()) __builtin_trap();
    return 0;
  }
  auto again = PersistedLogins::decode(p->encode());
  if (!again) __builtin_trap();
  if (again->coach_no != p->coach_no || again->last_class_id != p->last_class_id ||
      again->students.size() != p->students.size()) {
    __builtin_trap();
  }
  for (std::size_t i = 0; i < p->students.size(); ++i) {
    const auto& a = p->students[i];
    const auto& b = again->students[i];
    if (a.session_id != b.session_id || a.last_photo_ms != b.last_photo_ms ||
        a.last_recheck_ms != b.last_recheck_ms || a.recheck_failed != b.recheck_failed ||
        a.next_recheck_ms != b.next_recheck_ms) {
      __builtin_trap();
    }
  }
  return 0;
}
