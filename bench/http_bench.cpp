// HTTPS uplink throughput against the platform simulator on loopback (its HTTPS side runs on
// its own thread, storing and deduplicating every upload as in the tests):
//   BM_Sign            the RSA-2048 raw-digest signature alone (the per-request CPU floor)
//   BM_JsonUpload      one blocking connection: build, sign, POST classrecord, read the reply
//   BM_JsonUploadPool  HttpClient, 2 workers, 16 requests outstanding (the forwarder's path)
//   BM_PhotoUpload     imageup/jpg of the given size: MB/s
// Each with connection reuse (keep-alive) on (arg 1) and off (arg 0).
//   cmake --build build/release --target http_bench && build/release/bench/http_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include <unistd.h>

#include "sim.hpp"
#include "tta/core/clock.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tta;

/// The simulator on its own thread, and what a client needs to talk to it.
struct World {
  fs::path dir;
  boost::asio::io_context io;
  std::unique_ptr<sim::PlatformSim> sim;
  std::thread thread;
  std::shared_ptr<uplink::SigningKey> key;
  std::optional<uplink::HttpApi> api;
  uplink::HttpClientOptions options;
  std::atomic<std::uint64_t> seq{0};

  World() {
    dir = fs::temp_directory_path() / ("tta-http-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto bundle = uplink::make_self_signed_pkcs12("tta-http-bench", "pw");
    key = std::make_shared<uplink::SigningKey>(
        *uplink::SigningKey::from_pkcs12(bundle->pkcs12_der, "pw"));
    {
      const std::string b64 = uplink::base64_encode(key->certificate().der());
      std::ofstream out(dir / "signer.pem");
      out << "-----BEGIN CERTIFICATE-----\n";
      for (std::size_t i = 0; i < b64.size(); i += 64) out << b64.substr(i, 64) << '\n';
      out << "-----END CERTIFICATE-----\n";
    }
    sim::SimOptions so;
    so.data_dir = dir / "platform";
    so.https = true;
    so.http_client_certs = {dir / "signer.pem"};
    auto s = sim::PlatformSim::create(io, so);
    if (!s) throw std::runtime_error(s.error().message);
    sim = std::move(*s);
    config::HttpUplinkConfig cfg;
    cfg.base_url = "https://127.0.0.1:" + std::to_string(sim->https_port());
    api = *uplink::HttpApi::create(cfg);
    options.ca_bundle = sim->https_ca_file();
    thread = std::thread([this] { io.run(); });
  }
  ~World() {
    boost::asio::post(io, [this] { sim->stop(); io.stop(); });
    thread.join();
    sim.reset();
    fs::remove_all(dir);
  }

  std::vector<std::uint8_t> classrecord() {
    char recnum[40];
    std::snprintf(recnum, sizeof recnum, "3201138001380000%010llu",
                  static_cast<unsigned long long>(++seq));
    const std::string j =
        std::string(R"({"inscode":"3201000000000001","stunum":"3201000000000101",)") +
        R"("coachnum":"3201000000000201","recnum":")" + recnum +
        R"(","subjcode":"1212110000","starttime":"20261127080000","endtime":"20261127090000",)"
        R"("duration":60,"mileage":12.5,"avevelocity":25.1,"total":60,"part1":0,"part2":60})";
    return {j.begin(), j.end()};
  }
};

World& world() {
  static World w;
  return w;
}

std::int64_t now_ms() { return unix_millis(SystemClock{}.wall_now()); }

void BM_Sign(benchmark::State& state) {
  auto& w = world();
  const auto body = w.classrecord();
  for (auto _ : state) {
    auto sig = w.key->sign(uplink::http_signed_bytes(body, now_ms()));
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sign)->Unit(benchmark::kMicrosecond);

void BM_JsonUpload(benchmark::State& state) {
  auto& w = world();
  auto o = w.options;
  o.reuse_connections = state.range(0) != 0;
  auto conn = uplink::HttpConnection::create(o);
  if (!conn) return state.SkipWithError(conn.error().message.c_str());
  for (auto _ : state) {
    auto req = w.api->build("classrecord", w.classrecord(), *w.key, now_ms());
    auto r = conn->perform(*req);
    if (!r || uplink::judge_http(r).verdict != uplink::HttpVerdict::accepted) {
      return state.SkipWithError(r ? r->body.c_str() : r.error().message.c_str());
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["new_connections"] = static_cast<double>(conn->stats().new_connections);
}
BENCHMARK(BM_JsonUpload)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

void BM_JsonUploadPool(benchmark::State& state) {
  auto& w = world();
  auto o = w.options;
  o.reuse_connections = state.range(0) != 0;
  o.workers = 2;
  boost::asio::io_context io;  // results come back here, as to the agent's loop
  auto guard = boost::asio::make_work_guard(io);  // results are posted from the workers
  auto client = uplink::HttpClient::create(io, o);
  if (!client) return state.SkipWithError(client.error().message.c_str());
  constexpr int kBatch = 64;
  constexpr int kOutstanding = 16;
  std::uint64_t failures = 0;
  for (auto _ : state) {
    int submitted = 0;
    int done = 0;
    auto submit = [&] {
      ++submitted;
      auto payload = w.classrecord();
      (*client)->submit(
          [&w, payload, ts = now_ms()] { return w.api->build("classrecord", payload, *w.key, ts); },
          [&](Result<uplink::HttpResponse> r) {
            ++done;
            if (uplink::judge_http(r).verdict != uplink::HttpVerdict::accepted) ++failures;
          });
    };
    for (int i = 0; i < kOutstanding; ++i) submit();
    while (done < kBatch) {
      io.run_one();
      while (submitted < kBatch && submitted - done < kOutstanding) submit();
    }
  }
  if (failures != 0) state.SkipWithError("uploads failed");
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["new_connections"] = static_cast<double>((*client)->stats().new_connections);
}
BENCHMARK(BM_JsonUploadPool)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PhotoUpload(benchmark::State& state) {
  auto& w = world();
  auto o = w.options;
  o.reuse_connections = state.range(1) != 0;
  auto conn = uplink::HttpConnection::create(o);
  if (!conn) return state.SkipWithError(conn.error().message.c_str());
  uplink::FileUpload f{"jpg", "photo.jpg", "image/jpeg",
                       std::vector<std::uint8_t>(static_cast<std::size_t>(state.range(0)))};
  std::mt19937 rng(1);
  for (auto& b : f.bytes) b = static_cast<std::uint8_t>(rng());
  for (auto _ : state) {
    const auto n = ++w.seq;  // a new photo each time (the platform stores every one)
    std::memcpy(f.bytes.data() + 2, &n, sizeof n);
    auto req = w.api->build("imageup", uplink::encode_file_payload(f), *w.key, now_ms());
    auto r = conn->perform(*req);
    if (!r || uplink::judge_http(r).verdict != uplink::HttpVerdict::accepted) {
      return state.SkipWithError(r ? r->body.c_str() : r.error().message.c_str());
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhotoUpload)
    ->Args({100'000, 1})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
