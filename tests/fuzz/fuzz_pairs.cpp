// libFuzzer target: the face-eval pairs parser must turn any bytes into pairs or a parse error
// naming a line, never crash or hang; the rate helpers must accept whatever it produces.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tta/face/eval.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pairs = tta::face::parse_pairs(text);
  if (!pairs) {
    if (pairs.error().message.find("line ") == std::string::npos) __builtin_trap();
    return 0;
  }
  tta::face::ScoreSet s;
  for (const auto& p : *pairs) {
    if (p.enrolled.empty() || p.probe.empty() || p.line == 0) __builtin_trap();
    (p.same ? s.genuine : s.impostor).push_back(static_cast<double>(p.enrolled.size() % 7) / 7.0);
  }
  (void)tta::face::threshold_for_far(s, 0.001);
  return 0;
}
