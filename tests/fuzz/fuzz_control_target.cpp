// libFuzzer target: the control API's request-target parser takes any bytes without crashing;
// the path is everything before the first '?', and a target without '?' has no query.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/control_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto t = tta::agent::parse_control_target(text);
  if (text.substr(0, text.find('?')) != t.path) __builtin_trap();
  if (text.find('?') == std::string_view::npos && !t.query.empty()) __builtin_trap();
  return 0;
}
