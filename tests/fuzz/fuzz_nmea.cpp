// libFuzzer target: the NMEA lexer, parser, epoch assembler and the whole-log summary take any
// bytes without crashing, and a lexer split at any point frames the same sentences.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tta/gps/fix.hpp"
#include "tta/gps/nmea.hpp"
#include "tta/gps/replay_summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::span<const char> bytes(text.data(), text.size());

  // Whole input at once vs. split in two: identical sentences and counters.
  std::vector<std::string> whole, split;
  tta::gps::NmeaLexer a(true), b(true);
  a.feed(bytes, [&](std::string_view s) {
    whole.emplace_back(s);
    tta::gps::Sentence parsed;
    (void)tta::gps::parse_sentence(s, parsed);
  });
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  b.feed(bytes.first(cut), [&](std::string_view s) { split.emplace_back(s); });
  b.feed(bytes.subspan(cut), [&](std::string_view s) { split.emplace_back(s); });
  if (whole != split || a.stats().bad_checksum != b.stats().bad_checksum) std::abort();

  // Every body the parser sees directly, even without a checksum.
  tta::gps::Sentence s;
  (void)tta::gps::parse_sentence(text, s);
  (void)tta::gps::parse_line(text);

  // The full pipeline with odometer, plausibility and a fence.
  tta::config::GpsConfig cfg;
  cfg.fences.push_back({"f", {{30.0, 104.0}, {30.0, 104.01}, {30.01, 104.01}}});
  const auto summary = tta::gps::summarize_nmea(text, cfg);
  if (summary.distance_m < 0) std::abort();
  return 0;
}
