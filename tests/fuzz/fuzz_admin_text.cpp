// libFuzzer target: the administrator's text inputs and outputs. Dates take any bytes without
// crashing, a CSV field reads back as what was written, course-code patterns never overrun.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "training/admin_export.hpp"
#include "training/progress.hpp"

namespace {

/// RFC 4180 reading of one field as csv_field writes it.
std::string unquote(std::string_view f) {
  if (f.empty() || f.front() != '"') return std::string(f);
  std::string out;
  for (std::size_t i = 1; i + 1 < f.size(); ++i) {
    out += f[i];
    if (f[i] == '"') ++i;  // a doubled quote
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ms = tta::agent::local_day_start_ms(text)) {
    // A date that parses prints back as itself.
    if (tta::agent::local_time_text(*ms).substr(0, 10) != text) std::abort();
  }
  if (tta::agent::csv_field(text).size() < size || unquote(tta::agent::csv_field(text)) != text) {
    std::abort();
  }
  const auto half = text.substr(0, size / 2);
  (void)tta::agent::course_matches(half, text.substr(size / 2));
  return 0;
}
