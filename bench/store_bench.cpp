// Commit latency of one training minute with its outbox entry, on SQLCipher (encrypted, the
// product) versus the same schema in an unencrypted file, both with WAL and
// synchronous=FULL, measured in one run. Prints p50/p99 per variant and the ratios.
//
//   build/release/bench/store_bench [--benchmark_min_time=...]
//   TTA_BENCH_DIR=/path/on/the/real/disk to choose where the files go (default: /var/tmp).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "tta/store/store.hpp"

namespace {

namespace fs = std::filesystem;
using tta::store::MinuteRecord;
using tta::store::OutboxEntry;
using tta::store::Store;

struct Percentiles {
  double p50_ms = 0;
  double p99_ms = 0;
};
std::map<std::string, Percentiles> g_results;

fs::path bench_dir() {
  const char* env = std::getenv("TTA_BENCH_DIR");
  fs::path d = fs::path(env ? env : "/var/tmp") / ("tta-store-bench-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

MinuteRecord minute(std::int64_t session, int seq) {
  MinuteRecord m;
  char num[32];
  std::snprintf(num, sizeof num, "%010d", seq);
  m.record_no = std::string("3201000000000001") + num;
  m.session_id = session;
  m.minute_ms = 1'795'786'200'000 + std::int64_t{seq} * 60'000;
  m.max_speed_dkmh = 312;
  m.mileage_hm = 5;
  m.lat_e6 = 32'044'000;
  m.lon_e6 = 118'785'000;
  m.gnss_speed_dkmh = 280;
  m.heading_deg = 90;
  m.odometer_hm = 12'345;
  m.engine_rpm = 1800;
  m.gnss_time_ms = m.minute_ms + 30'000;
  return m;
}

void run(benchmark::State& state, Store& store, const std::string& label) {
  tta::store::TrainingSession t;
  t.class_id = 1;
  t.student_no = "3201000000000101";
  t.coach_no = "3201000000000201";
  t.course_code = "1212110000";
  t.started_ms = 1;
  auto sid = store.begin_session(t);
  if (!sid) {
    state.SkipWithError(sid.error().message.c_str());
    return;
  }
  std::vector<double> ms;
  int seq = 0;
  // An outbox payload the size of a signed 0x0203 frame (~370 bytes).
  const std::vector<std::uint8_t> payload(370, 0x5A);
  for (auto _ : state) {
    const MinuteRecord m = minute(*sid, seq++);
    OutboxEntry e;
    e.kind = "tcp.0203";
    e.key = m.record_no;
    e.payload = payload;
    e.next_attempt_ms = m.minute_ms;
    const auto t0 = std::chrono::steady_clock::now();
    auto st = store.add_minute(m, e);
    const auto t1 = std::chrono::steady_clock::now();
    if (!st) {
      state.SkipWithError(st.error().message.c_str());
      return;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  Percentiles p{ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
  state.counters["p50_ms"] = p.p50_ms;
  state.counters["p99_ms"] = p.p99_ms;
  g_results[label] = p;
}

void BM_CommitMinute_Encrypted(benchmark::State& state) {
  const fs::path dir = bench_dir();
  tta::config::StoreConfig cfg{dir / "enc.db", dir / "enc.key"};
  if (auto st = tta::store::init_store(cfg); !st) {
    state.SkipWithError(st.error().message.c_str());
    return;
  }
  auto store = Store::open(cfg);
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  run(state, *store, "encrypted");
  fs::remove_all(dir);
}

void BM_CommitMinute_Plain(benchmark::State& state) {
  const fs::path dir = bench_dir();
  auto store = Store::open_unencrypted_for_benchmark(dir / "plain.db");
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  run(state, *store, "plain");
  fs::remove_all(dir);
}

BENCHMARK(BM_CommitMinute_Plain)->Iterations(2000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CommitMinute_Encrypted)->Iterations(2000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_results.contains("encrypted") && g_results.contains("plain")) {
    const auto& e = g_results["encrypted"];
    const auto& p = g_results["plain"];
    std::printf("\ncommit of one minute + outbox entry (WAL, synchronous=FULL)\n");
    std::printf("  plain      p50 %.3f ms  p99 %.3f ms\n", p.p50_ms, p.p99_ms);
    std::printf("  encrypted  p50 %.3f ms  p99 %.3f ms\n", e.p50_ms, e.p99_ms);
    std::printf("  encrypted/plain ratio  p50 %.2f  p99 %.2f\n", e.p50_ms / p.p50_ms,
                e.p99_ms / p.p99_ms);
  }
  return 0;
}
