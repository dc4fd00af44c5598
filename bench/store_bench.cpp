// Commit latency of one training minute with its outbox entry, on SQLCipher (encrypted, the
// product) versus the same schema in an unencrypted file, both with WAL and
// synchronous=FULL, measured in one run. Prints p50/p99 per variant and the ratios.
//
// BM_StatusCounts_*: what `/status` asks the store for on the event loop, the outbox counts
// per state, with 100 000 acknowledged entries: the counters schema v5 keeps by trigger
// (Outbox::counts(), now) against the `count(*) … GROUP BY state` scan /status made before
// (the same scan as Outbox::counts(kind) over one kind, all 100 000 rows being that kind).
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
#include <optional>
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

/// An encrypted store with `n` acknowledged 0x0203 entries and 10 queued ones, made once.
Store* big_outbox(std::int64_t n) {
  static std::optional<Store> store;
  static fs::path dir;
  if (store) return &*store;
  dir = bench_dir();
  tta::config::StoreConfig cfg{dir / "big.db", dir / "big.key"};
  if (!tta::store::init_store(cfg)) return nullptr;
  auto s = Store::open(cfg);
  if (!s) return nullptr;
  store.emplace(std::move(*s));
  const std::vector<std::uint8_t> payload(370, 0x5A);
  for (std::int64_t base = 0; base < n + 10; base += 1000) {
    auto st = store->transaction([&]() -> tta::Status {
      for (std::int64_t i = base; i < std::min(base + 1000, n + 10); ++i) {
        OutboxEntry e{.kind = "tcp.0203", .key = std::to_string(1'000'000'000 + i), .payload = payload};
        auto id = store->outbox().enqueue(e, i);
        if (!id) return tta::fail(id.error());
        if (i < n) {
          if (auto a = store->outbox().mark_acked(*id, i); !a) return a;
        }
      }
      return tta::ok();
    });
    if (!st) return nullptr;
  }
  std::atexit([] {
    store.reset();
    fs::remove_all(dir);
  });
  return &*store;
}

void status_counts(benchmark::State& state, bool scan) {
  Store* s = big_outbox(100'000);
  if (s == nullptr) {
    state.SkipWithError("making the 100k-entry store failed");
    return;
  }
  std::int64_t acked = 0;
  for (auto _ : state) {
    auto c = scan ? s->outbox().counts("tcp.0203") : s->outbox().counts();
    if (!c) {
      state.SkipWithError(c.error().message.c_str());
      return;
    }
    acked = c->acked;
  }
  state.counters["acked"] = static_cast<double>(acked);
}
void BM_StatusCounts_100k_Counters(benchmark::State& state) { status_counts(state, false); }
void BM_StatusCounts_100k_GroupByScan(benchmark::State& state) { status_counts(state, true); }

BENCHMARK(BM_StatusCounts_100k_Counters)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StatusCounts_100k_GroupByScan)->Unit(benchmark::kMicrosecond);
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
