// A terminal draining a backlog of 10,000 stored minute records to the platform simulator on
// loopback: every record is read from the encrypted store, signed at send time (re-send flag
// inside the signed bytes), sent, acked, and marked acked in the store. Records/s.
//
//   build/release/bench/backlog_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "forwarder.hpp"
#include "sim.hpp"
#include "store_credentials.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class NullListener final : public tta::uplink::SessionListener {
 public:
  void on_platform_command(const tta::uplink::ExtendedMessage&) override {}
};

void BM_DrainBacklog(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const auto window = static_cast<std::size_t>(state.range(1));
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
      r.max_speed_tenth_km_h = 300;
      r.mileage_tenth_km = 5;
      r.gnss.basic.set_latitude_deg(32.04);
      r.gnss.basic.set_longitude_deg(118.78);
      r.gnss.basic.gnss_speed_tenth_km_h = 300;
      r.gnss.basic.vehicle_speed_tenth_km_h = 300;
      r.gnss.basic.direction_deg = 0;
      r.gnss.basic.time = clock.wall_now();
      r.gnss.odometer_tenth_km = 1;
      r.gnss.engine_speed_rpm = 1500;
      tta::store::MinuteRecord m{.record_no = r.record_no, .session_id = *sid,
                                 .minute_ms = made_ms + i};
      tta::store::OutboxEntry e{.kind = tta::agent::tcp_kind(0x0203), .key = r.record_no,
                                .payload = *r.encode()};
      if (!store->add_minute(m, e)) return state.SkipWithError("add_minute");
    }
    boost::asio::io_context io;
    tta::sim::SimOptions so;
    so.data_dir = dir / "platform";
    auto sim = tta::sim::PlatformSim::create(io, so);
    if (!sim) return state.SkipWithError(sim.error().message.c_str());
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
    tta::agent::ForwarderOptions fo;
    fo.window = window;
    fo.pump_interval = 5ms;
    tta::agent::Forwarder forwarder(io, *store, session, clock, fo);
    state.ResumeTiming();

    const auto t0 = std::chrono::steady_clock::now();
    forwarder.start();
    while (forwarder.stats().acked < static_cast<std::uint64_t>(records) ||
           forwarder.in_flight() > 0) {
      io.run_for(5ms);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    state.PauseTiming();
    const auto summary = (*sim)->summary();
    state.counters["records_per_s"] = records / s;
    state.counters["seconds"] = s;
    state.counters["unique_at_platform"] = summary["minutes_unique"].get<double>();
    state.counters["resent_flagged"] = summary["resent_minutes"].get<double>();
    state.counters["acked_in_store"] = static_cast<double>(store->outbox_counts()->acked);
    forwarder.stop();
    session.stop();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
}

BENCHMARK(BM_DrainBacklog)->Args({10'000, 64})->Args({10'000, 16})->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
