// A terminal draining a backlog of 10,000 stored minute records to the platform simulator on
// loopback: every record is read from the encrypted store, signed at send time (re-send flag
// inside the signed bytes), sent, acked, and marked acked in the store, by the TCP forwarder
// over the delivery core (agent/src/outbox/delivery.hpp). Records/s.
//
// The floor is what the signatures alone cost: the same process signs as many records'
// signed bytes with the session's key on the same thread, once before and once after the
// drain (`floor_s` is their mean, so that a change of load on a shared machine during the run
// weighs on both), and `ratio` = seconds / floor_s; issue #13 asks for at most 1.5.
// `cpu_ratio` is the same with this thread's CPU time, which other processes on the machine
// hardly move; `runqueue_s` is the time the thread waited for a core and `blocked_s` the rest
// (disk syncs, waiting for the platform). Cross-check floor_s with
// `openssl speed -seconds 5 rsa2048`: 10,000 / sign/s.
//
// The third argument says where the simulated platform runs. 0: on the terminal's thread, as
// the tests run it, so its work (decoding, verifying every signature, one SQLite insert per
// minute) is inside `seconds` and `cpu_s`; `verify_s` is what verifying that many signatures
// alone costs. 1: on a thread of its own, as if on another machine (it still shares the
// cores); `platform_cpu_s` is that thread's CPU time.
//
//   build/release/bench/backlog_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include <pthread.h>
#include <unistd.h>

#include "outbox/forwarder.hpp"
#include "sim.hpp"
#include "outbox/store_credentials.hpp"
#include "tta/uplink/signing.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class NullListener final : public tta::uplink::SessionListener {
 public:
  void on_platform_command(const tta::uplink::ExtendedMessage&) override {}
};

double thread_cpu_s(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double thread_cpu_s() {
  return thread_cpu_s(CLOCK_THREAD_CPUTIME_ID);
}

/// Time this thread has spent runnable but waiting for a core (the second field of
/// /proc/thread-self/schedstat): what other processes on a shared machine take from it.
double thread_runqueue_s() {
  std::FILE* f = std::fopen("/proc/thread-self/schedstat", "r");
  if (f == nullptr) return 0;
  unsigned long long on_cpu = 0;
  unsigned long long waiting = 0;
  const int n = std::fscanf(f, "%llu %llu", &on_cpu, &waiting);
  std::fclose(f);
  return n == 2 ? static_cast<double>(waiting) * 1e-9 : 0.0;
}

void BM_DrainBacklog(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const auto window = static_cast<std::size_t>(state.range(1));
  const bool platform_thread = state.range(2) != 0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path dir = fs::temp_directory_path() / ("tta-backlog-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    tta::config::StoreConfig cfg{dir / "tta.db", dir / "store.key"};
    if (!tta::store::init_store(cfg)) return state.SkipWithError("init");
    auto store = tta::store::Store::open(cfg);
    if (!store) return state.SkipWithError(store.error().message.c_str());
    tta::SystemClock clock;
    auto sid = store->begin_session({.class_id = 1, .student_no = "3201000000000101",
                                     .coach_no = "3201000000000201",
                                     .course_code = "1212110000", .started_ms = 0});
    const auto made_ms = tta::unix_millis(clock.wall_now()) - 3'600'000;  // an hour offline
    for (int i = 0; i < records; ++i) {
      tta::uplink::TrainingRecord r;
      char num[16];
      std::snprintf(num, sizeof num, "%010d", i);
      r.record_no = std::string("3201138001380000") + num;
      r.student_no = "3201000000000101";
      r.coach_no = "3201000000000201";
      r.class_id = 1;
      r.course_code = "1212110000";
      r.max_speed_dkmh = 300;
      r.mileage_hm = 5;
      r.gnss.basic.set_latitude_deg(32.04);
      r.gnss.basic.set_longitude_deg(118.78);
      r.gnss.basic.gnss_speed_dkmh = 300;
      r.gnss.basic.vehicle_speed_dkmh = 300;
      r.gnss.basic.direction_deg = 0;
      r.gnss.basic.time = clock.wall_now();
      r.gnss.odometer_hm = 1;
      r.gnss.engine_speed_rpm = 1500;
      tta::store::MinuteRecord m{.record_no = r.record_no, .session_id = *sid,
                                 .minute_ms = made_ms + i};
      tta::store::OutboxEntry e{.kind = std::string(tta::agent::to_string(
                                    tta::agent::OutboxKind::training_record)),
                                .key = r.record_no,
                                .payload = *r.encode()};
      if (!store->add_minute(m, e)) return state.SkipWithError("add_minute");
    }
    boost::asio::io_context io;
    boost::asio::io_context platform_io;
    tta::sim::SimOptions so;
    so.data_dir = dir / "platform";
    auto sim = tta::sim::PlatformSim::create(platform_thread ? platform_io : io, so);
    if (!sim) return state.SkipWithError(sim.error().message.c_str());
    auto platform_work = boost::asio::make_work_guard(platform_io);
    std::thread platform;
    clockid_t platform_clock{};
    if (platform_thread) {
      platform = std::thread([&platform_io] { platform_io.run(); });
      ::pthread_getcpuclockid(platform.native_handle(), &platform_clock);
    }
    struct Joiner {
      boost::asio::io_context& io;
      std::thread& thread;
      ~Joiner() {
        io.stop();
        if (thread.joinable()) thread.join();
      }
    } joiner{platform_io, platform};
    tta::agent::StoreCredentials creds(*store, clock);
    NullListener listener;
    tta::uplink::SessionOptions opt;
    opt.host = "127.0.0.1";
    opt.port = (*sim)->tcp_port();
    opt.phone = "13800138000";
    opt.registration.imei = "860000000000001";
    opt.ack_timeout = 10s;
    tta::uplink::TerminalSession session(io, opt, clock, creds, listener);
    session.start();
    while (!session.online()) io.run_for(10ms);
    // The floor: the same number of signatures over records' signed bytes, with the key the
    // session signs with, on this thread. Then verifying them, as the platform does.
    auto c = creds.load();
    if (!c || !*c) return state.SkipWithError("no credentials after registration");
    auto key = tta::uplink::SigningKey::from_pkcs12_base64((*c)->certificate_base64,
                                                           (*c)->certificate_password);
    if (!key) return state.SkipWithError(key.error().message.c_str());
    auto first = store->outbox().due(tta::unix_millis(clock.wall_now()), 1);
    if (!first || first->empty()) return state.SkipWithError("no record to sign");
    tta::uplink::ExtendedMessage m;
    m.ext_id = 0x0203;
    m.terminal_no = (*c)->terminal_no;
    m.data = first->front().payload;
    m.resent = true;
    m.signature_algorithm = 2;
    std::vector<tta::uplink::Bytes> sigs(static_cast<std::size_t>(records));
    struct Took {
      double wall = 0;
      double cpu = 0;
      double runqueue = 0;
    };
    auto sign_all = [&]() -> std::optional<Took> {
      const auto w0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_s();
      const double q0 = thread_runqueue_s();
      for (int i = 0; i < records; ++i) {
        m.packet_no = static_cast<std::uint16_t>(i + 1);
        auto bytes = m.signed_bytes();
        if (!bytes) return std::nullopt;
        auto sig = key->sign(*bytes);
        if (!sig) return std::nullopt;
        sigs[static_cast<std::size_t>(i)] = std::move(*sig);
      }
      return Took{std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count(),
                  thread_cpu_s() - c0, thread_runqueue_s() - q0};
    };
    const auto floor_before = sign_all();
    if (!floor_before) return state.SkipWithError("signing failed");
    const auto v0 = std::chrono::steady_clock::now();
    for (int i = 0; i < records; ++i) {
      m.packet_no = static_cast<std::uint16_t>(i + 1);
      m.signature = sigs[static_cast<std::size_t>(i)];
      if (!tta::uplink::verify_extended(m, key->certificate())) {
        return state.SkipWithError("a signature does not verify");
      }
    }
    const double verify_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - v0).count();
    tta::agent::ForwarderOptions fo;
    fo.window = window;
    fo.pump_interval = 5ms;
    tta::agent::Forwarder forwarder(io, *store, session, clock, fo);
    state.ResumeTiming();

    const double platform_cpu0 = platform_thread ? thread_cpu_s(platform_clock) : 0.0;
    const double cpu0 = thread_cpu_s();
    const double runqueue0 = thread_runqueue_s();
    const auto t0 = std::chrono::steady_clock::now();
    forwarder.start();
    while (forwarder.stats().acked < static_cast<std::uint64_t>(records) ||
           forwarder.in_flight() > 0) {
      io.run_for(5ms);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu_s = thread_cpu_s() - cpu0;
    const double runqueue_s = thread_runqueue_s() - runqueue0;
    const double platform_cpu_s =
        platform_thread ? thread_cpu_s(platform_clock) - platform_cpu0 : 0.0;

    state.PauseTiming();
    const auto floor_after = sign_all();
    if (!floor_after) return state.SkipWithError("signing failed");
    const double floor_s = (floor_before->wall + floor_after->wall) / 2;
    const double floor_cpu_s = (floor_before->cpu + floor_after->cpu) / 2;
    const double floor_runqueue_s = (floor_before->runqueue + floor_after->runqueue) / 2;
    platform_work.reset();
    platform_io.stop();  // the platform's counts are read on this thread
    if (platform.joinable()) platform.join();
    const auto summary = (*sim)->summary();
    state.counters["records_per_s"] = records / s;
    state.counters["seconds"] = s;
    state.counters["floor_s"] = floor_s;
    state.counters["floor_before_s"] = floor_before->wall;
    state.counters["floor_after_s"] = floor_after->wall;
    state.counters["ratio"] = s / floor_s;
    state.counters["cpu_s"] = cpu_s;
    state.counters["cpu_ratio"] = cpu_s / floor_cpu_s;
    state.counters["floor_cpu_s"] = floor_cpu_s;
    // Wall time = CPU + waiting for a core (runqueue) + blocked (disk syncs, the network).
    state.counters["runqueue_s"] = runqueue_s;
    state.counters["floor_runqueue_s"] = floor_runqueue_s;
    state.counters["blocked_s"] = s - cpu_s - runqueue_s;
    state.counters["verify_s"] = verify_s;
    if (platform_thread) state.counters["platform_cpu_s"] = platform_cpu_s;
    state.counters["unique_at_platform"] = summary["minutes_unique"].get<double>();
    state.counters["resent_flagged"] = summary["resent_minutes"].get<double>();
    state.counters["acked_in_store"] = static_cast<double>(store->outbox().counts()->acked);
    forwarder.stop();
    session.stop();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
}

BENCHMARK(BM_DrainBacklog)
    ->ArgNames({"records", "window", "platform_thread"})
    ->Args({10'000, 64, 0})
    ->Args({10'000, 16, 0})
    ->Args({10'000, 64, 1})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
