// In-process NMEA throughput: lexer alone, lexer + parser, and the full decoder (lexer, parser,
// epoch assembler) over the shared receiver logs (or a synthetic log when ../shared is absent).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tta/gps/fix.hpp"
#include "tta/gps/nmea.hpp"
#include "tta/gps/replay_summary.hpp"

namespace {

std::string load_corpus() {
  std::string all;
  const std::filesystem::path dir = std::filesystem::path(TTA_SHARED_DATA_DIR) / "nmea";
  if (std::filesystem::is_directory(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() != ".log") continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str();
    }
  }
  if (all.empty()) {
    for (int i = 0; i < 1000; ++i) {
      char body[128], line[160];
      std::snprintf(body, sizeof body, "GPRMC,12%02d%02d.00,A,3000.%04d,N,10400.0000,E,10.0,0.0,010126,,,A",
                    (i / 60) % 60, i % 60, i % 10000);
      std::snprintf(line, sizeof line, "$%s*%02X\r\n", body, tta::gps::nmea_checksum(body));
      all += line;
    }
  }
  return all;
}

const std::string& corpus() {
  static const std::string c = load_corpus();
  return c;
}

void BM_Lexer(benchmark::State& state) {
  const std::string& c = corpus();
  std::uint64_t n = 0;
  for (auto _ : state) {
    tta::gps::NmeaLexer lexer(true);
    lexer.feed(std::span<const char>(c.data(), c.size()), [&](std::string_view s) {
      benchmark::DoNotOptimize(s.data());
      ++n;
    });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.size()));
}
BENCHMARK(BM_Lexer);

void BM_LexAndParse(benchmark::State& state) {
  const std::string& c = corpus();
  std::uint64_t n = 0;
  for (auto _ : state) {
    tta::gps::NmeaLexer lexer(true);
    lexer.feed(std::span<const char>(c.data(), c.size()), [&](std::string_view s) {
      tta::gps::Sentence parsed;
      benchmark::DoNotOptimize(tta::gps::parse_sentence(s, parsed));
      ++n;
    });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.size()));
}
BENCHMARK(BM_LexAndParse);

void BM_DecoderToFixes(benchmark::State& state) {
  const std::string& c = corpus();
  std::uint64_t sentences = 0;
  for (auto _ : state) {
    tta::gps::NmeaDecoder d(true);
    std::uint64_t fixes = 0;
    const auto sink = [&](const tta::gps::Fix& f) { fixes += f.sentences; };
    d.feed(std::span<const char>(c.data(), c.size()), sink);
    d.finish(sink);
    benchmark::DoNotOptimize(fixes);
    sentences += d.stats().lex.sentences;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sentences));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.size()));
}
BENCHMARK(BM_DecoderToFixes);

void BM_SummaryWithOdometer(benchmark::State& state) {
  const std::string& c = corpus();
  std::uint64_t sentences = 0;
  tta::config::GpsConfig cfg;
  cfg.fences.push_back({"yard", {{30.0, 104.0}, {30.0, 104.01}, {30.01, 104.01}, {30.01, 104.0}}});
  for (auto _ : state) {
    const auto s = tta::gps::summarize_nmea(c, cfg);
    benchmark::DoNotOptimize(s.distance_m);
    sentences += s.decode.lex.sentences;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sentences));
}
BENCHMARK(BM_SummaryWithOdometer);

}  // namespace

BENCHMARK_MAIN();
