// The HTTPS uplink against the platform simulator's HTTPS side, in one process on loopback:
// every resource delivered through the outbox exactly once as the platform counts it, with
// identical content, under every HTTP fault of the simulator's plan; refusals kept with their
// reason until an administrator requeues them; TLS and signature failures; connection reuse;
// and an uploader killed with SIGKILL mid-upload again and again.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "outbox/http_forwarder.hpp"
#include "sim.hpp"
#include "sim_https.hpp"
#include "tta/core/hex.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using uplink::Bytes;

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

void write_pem_cert(const fs::path& p, const uplink::Certificate& c) {
  const std::string b64 = uplink::base64_encode(c.der());
  std::ofstream out(p);
  out << "-----BEGIN CERTIFICATE-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out << b64.substr(i, 64) << '\n';
  out << "-----END CERTIFICATE-----\n";
}

/// Deterministic pseudo-JPEG bytes (the platform does not look inside).
Bytes fake_jpeg(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[0] = 0xFF;
  b[1] = 0xD8;
  return b;
}

struct Upload {
  std::string resource;  // outbox kind suffix
  std::string key;       // outbox key
  Bytes payload;
};

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-http-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_cfg_ = {dir_ / "tta.db", dir_ / "store.key"};
    ASSERT_TRUE(store::init_store(store_cfg_));
    open_store();
    auto bundle = uplink::make_self_signed_pkcs12("tta-http-test institution", "pw");
    ASSERT_TRUE(bundle);
    auto key = uplink::SigningKey::from_pkcs12(bundle->pkcs12_der, "pw");
    ASSERT_TRUE(key) << key.error().message;
    key_ = std::make_shared<const uplink::SigningKey>(std::move(*key));
    write_pem_cert(dir_ / "client-sign.pem", key_->certificate());
  }
  void TearDown() override {
    forwarder_.reset();
    client_.reset();
    sim_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void open_store() {
    auto s = store::Store::open(store_cfg_);
    ASSERT_TRUE(s) << s.error().message;
    store_.emplace(std::move(*s));
  }

  void start_sim(sim::FaultPlan faults = {}, bool trust_signer = true) {
    sim::SimOptions so;
    so.data_dir = dir_ / "platform";
    so.faults = faults;
    so.https = true;
    if (trust_signer) so.http_client_certs = {dir_ / "client-sign.pem"};
    auto s = sim::PlatformSim::create(io_, so);
    ASSERT_TRUE(s) << s.error().message;
    sim_ = std::move(*s);
    ASSERT_FALSE(sim_->https_ca_file().empty());
    config::HttpUplinkConfig cfg;
    cfg.base_url = "https://127.0.0.1:" + std::to_string(sim_->https_port());
    cfg.continuing_education.base_url = cfg.base_url + "/ce";
    auto api = uplink::HttpApi::create(cfg);
    ASSERT_TRUE(api) << api.error().message;
    api_ = std::make_shared<const uplink::HttpApi>(std::move(*api));
  }

  uplink::HttpClientOptions client_options() {
    uplink::HttpClientOptions o;
    o.ca_bundle = sim_->https_ca_file();
    o.connect_timeout = 2s;
    o.total_timeout = 5s;
    o.workers = 2;
    return o;
  }

  void start_forwarder(std::optional<uplink::HttpClientOptions> co = std::nullopt) {
    auto c = uplink::HttpClient::create(io_, co ? *co : client_options());
    ASSERT_TRUE(c) << c.error().message;
    client_ = std::move(*c);
    agent::HttpForwarderOptions fo;
    fo.window = 8;
    fo.pump_interval = 50ms;
    fo.retry_min = 20ms;
    fo.retry_max = 200ms;
    forwarder_ = std::make_unique<agent::HttpForwarder>(io_, *store_, *client_, api_, key_,
                                                        clock_, fo);
    forwarder_->start();
  }

  /// The uploads of one training: teaching logs, photos and a PDF, photo metadata, a stage
  /// review, a completion and a continuing-education record.
  std::vector<Upload> uploads(int logs, std::size_t photo_bytes = 20'000) {
    std::vector<Upload> out;
    for (int i = 0; i < logs; ++i) {
      char recnum[40];
      std::snprintf(recnum, sizeof recnum, "320113800138000026112700%04d", i);
      nlohmann::json j = {{"inscode", "3201000000000001"}, {"stunum", "3201000000000101"},
                          {"coachnum", "3201000000000201"}, {"recnum", recnum},
                          {"subjcode", "1212110000"},       {"starttime", "20261127080000"},
                          {"endtime", "20261127090000"},    {"duration", 45 + i},
                          {"mileage", 10.5},                {"coacmt", "良好"}};
      out.push_back({"classrecord", recnum, bytes_of(j.dump())});
    }
    for (std::uint32_t i = 0; i < 3; ++i) {
      uplink::FileUpload f{"jpg", "00000001" + std::to_string(10 + i) + ".jpg", "image/jpeg",
                           fake_jpeg(photo_bytes, i)};
      out.push_back({"imageup", "00000001" + std::to_string(10 + i),
                     uplink::encode_file_payload(f)});
    }
    uplink::FileUpload pdf{"pdf", "stage-2.pdf", "application/pdf",
                           bytes_of("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")};
    out.push_back({"imageup", "stage-2.pdf", uplink::encode_file_payload(pdf)});
    out.push_back({"trainimginfo", "F0001",
                   bytes_of(R"({"inscode":"3201000000000001","stunum":"3201000000000101",)"
                            R"("recnum":"3201138001380000261127000001","ptime":"20261127081500",)"
                            R"("fileid":"F0001"})")});
    out.push_back({"stagetrainningtime", "3201000000000101/2",
                   bytes_of(R"({"inscode":"3201000000000001","stunum":"3201000000000101",)"
                            R"("subject":2,"totaltime":1200,"examresult":"1","pdfid":"P1"})")});
    out.push_back({"graduation", "C1-2026-0001",
                   bytes_of(R"({"stunum":"3201000000000101","autinscode":"3201000000000001",)"
                            R"("gracertnum":"C1-2026-0001","grantdate":"20261127"})")});
    out.push_back({"ce.record", "320102199001011234-2026",
                   bytes_of(R"({"idcard":"320102199001011234","year":2026,"hours":8})")});
    return out;
  }

  void enqueue(const std::vector<Upload>& list) {
    const auto now = unix_millis(clock_.wall_now());
    for (const auto& u : list) {
      store::OutboxEntry e{.kind = agent::http_kind(u.resource), .key = u.key, .payload = u.payload};
      auto id = store_->outbox().enqueue(e, now);
      ASSERT_TRUE(id) << id.error().message;
      ids_[u.resource + " " + u.key] = *id;
    }
  }

  /// What the simulator must hold afterwards: (resource, its key) → sha256 of the content.
  std::map<std::pair<std::string, std::string>, std::string> expected(
      const std::vector<Upload>& list) {
    std::map<std::pair<std::string, std::string>, std::string> out;
    for (const auto& u : list) {
      auto b = api_->body(u.resource, u.payload);
      EXPECT_TRUE(b) << b.error().message;
      if (!b) continue;
      const std::string sha = to_hex(uplink::sha256(b->signed_data));
      std::string key = u.key;
      if (u.resource == "imageup") key = sha.substr(0, 32);
      if (u.resource.starts_with("ce.")) key = sha;
      out[{u.resource, key}] = sha;
    }
    return out;
  }

  void expect_exactly(const std::map<std::pair<std::string, std::string>, std::string>& want) {
    std::map<std::pair<std::string, std::string>, std::string> got;
    for (const auto& u : sim_->http_uploads()) {
      got[{u["resource"].get<std::string>(), u["key"].get<std::string>()}] =
          u["sha256"].get<std::string>();
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(summary("http_unique"), static_cast<std::int64_t>(want.size()));
    EXPECT_EQ(summary("http_conflicts"), 0);
  }

  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(10ms);
    }
    return true;
  }

  std::int64_t summary(const char* key) { return sim_->summary()[key].get<std::int64_t>(); }
  store::OutboxCounts counts() { return *store_->outbox().counts(); }
  /// Every entry enqueued so far has been tried at least `n` times.
  bool every_entry_attempted(int n) {
    for (const auto& [name, id] : ids_) {
      auto e = store_->outbox().entry(id);
      if (!e || !*e || (*e)->attempts < n) return false;
    }
    return true;
  }

  boost::asio::io_context io_;
  SystemClock clock_;
  fs::path dir_;
  config::StoreConfig store_cfg_;
  std::optional<store::Store> store_;
  std::shared_ptr<const uplink::SigningKey> key_;
  std::shared_ptr<const uplink::HttpApi> api_;
  std::unique_ptr<sim::PlatformSim> sim_;
  std::unique_ptr<uplink::HttpClient> client_;
  std::unique_ptr<agent::HttpForwarder> forwarder_;
  std::map<std::string, std::int64_t> ids_;
};

TEST_F(HttpTest, DeliversEveryResourceOnceOverOneKeptAliveConnectionPerWorker) {
  start_sim();
  const auto list = uploads(40);
  enqueue(list);
  start_forwarder();
  const auto total = static_cast<std::int64_t>(list.size());
  ASSERT_TRUE(run_until([&] { return counts().acked == total; })) << sim_->summary().dump();
  expect_exactly(expected(list));
  EXPECT_EQ(summary("http_duplicates"), 0);
  EXPECT_EQ(summary("http_signature_failures"), 0);
  EXPECT_EQ(sim_->summary()["http_by_resource"]["classrecord"].get<int>(), 40);
  EXPECT_EQ(sim_->summary()["http_by_resource"]["ce.record"].get<int>(), 1);
  EXPECT_LE(client_->stats().new_connections, 2U);  // keep-alive: one per worker
  EXPECT_LE(summary("http_connections"), 2);
  EXPECT_EQ(forwarder_->stats().refused, 0U);
  // The photo's file id, for the records that reference it.
  auto file_id = store_->param("http.fileid.0000000110");
  ASSERT_TRUE(file_id && *file_id);
  EXPECT_EQ((*file_id)->size(), 32U);
}

TEST_F(HttpTest, EachSenderSeesOnlyItsOwnKindsInTheOutbox) {
  const auto now = unix_millis(clock_.wall_now());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->outbox().enqueue({.kind = "tcp.0203", .key = "r" + std::to_string(i),
                                 .payload = {1}}, now));
  }
  ASSERT_TRUE(store_->outbox().enqueue({.kind = agent::http_kind("graduation"), .key = "g",
                               .payload = bytes_of("{}")}, now));
  auto http = store_->outbox().due(now + 1, 3, "http.");
  ASSERT_TRUE(http);
  ASSERT_EQ(http->size(), 1U);  // not hidden behind the older TCP backlog
  EXPECT_EQ(http->front().kind, "http.graduation");
  auto tcp = store_->outbox().due(now + 1, 10, "tcp.");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->size(), 5U);
}

TEST_F(HttpTest, MissingTlsFilesAreReportedAtCreate) {
  uplink::HttpClientOptions o;
  o.ca_bundle = dir_ / "nope.pem";
  auto c = uplink::HttpConnection::create(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::not_found);
  o.ca_bundle.clear();
  o.client_cert = dir_ / "client-sign.pem";  // a key is needed too
  c = uplink::HttpConnection::create(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::invalid_argument);
}

TEST_F(HttpTest, EveryEntryOnceUnder5xxResetsAndSlowReplies) {
  sim::FaultPlan f;
  f.http_5xx_every = 3;
  f.http_reset_every = 4;
  f.http_delay = 15ms;
  start_sim(f);
  const auto list = uploads(40);
  enqueue(list);
  start_forwarder();
  const auto total = static_cast<std::int64_t>(list.size());
  ASSERT_TRUE(run_until([&] { return counts().acked == total; }, 60s)) << sim_->summary().dump();
  expect_exactly(expected(list));
  EXPECT_GT(summary("http_5xx_by_fault"), 0);
  EXPECT_GT(summary("http_resets_by_fault"), 0);
  EXPECT_GT(summary("http_delayed_by_fault"), 0);
  // Each reset lost a reply to an upload the platform had stored: sent again, deduplicated.
  EXPECT_GT(summary("http_duplicates"), 0);
  EXPECT_EQ(counts().refused, 0);
  EXPECT_GT(forwarder_->stats().retried, 0U);
}

TEST_F(HttpTest, RefusalsAreKeptWithTheReasonUntilRequeued) {
  sim::FaultPlan f;
  f.http_refuse_every = 4;
  start_sim(f);
  const auto list = uploads(20);
  enqueue(list);
  start_forwarder();
  const auto total = static_cast<std::int64_t>(list.size());
  ASSERT_TRUE(run_until([&] {
    auto c = counts();
    return c.acked + c.refused == total && forwarder_->in_flight() == 0;
  })) << sim_->summary().dump();
  auto refused = store_->outbox().refused();
  ASSERT_TRUE(refused);
  ASSERT_FALSE(refused->empty());
  EXPECT_EQ(static_cast<std::int64_t>(refused->size()), summary("http_refused_by_fault"));
  for (const auto& e : *refused) {
    EXPECT_NE(e.last_error.find("errorcode 9: fault plan: refused"), std::string::npos)
        << e.last_error;
  }
  // Not retried by itself: many retry intervals later nothing more was asked.
  const auto requests = summary("http_requests");
  io_.run_for(400ms);
  EXPECT_EQ(summary("http_requests"), requests);
  EXPECT_EQ(counts().refused, static_cast<std::int64_t>(refused->size()));
  // The administrator requeues; the platform still refuses every 4th, so repeat until done.
  for (int round = 0; round < 10 && counts().acked < total; ++round) {
    const auto again = store_->outbox().refused();
    ASSERT_TRUE(again);
    for (const auto& e : *again) {
      const auto st = store_->outbox().requeue(e.id, unix_millis(clock_.wall_now()));
      ASSERT_TRUE(st) << st.error().message;
    }
    forwarder_->poke();
    ASSERT_TRUE(run_until([&] {
      auto c = counts();
      return c.acked + c.refused == total && forwarder_->in_flight() == 0;
    }));
  }
  EXPECT_EQ(counts().acked, total);
  expect_exactly(expected(list));
}

TEST_F(HttpTest, RepliesSlowerThanTheTimeoutAreRetried) {
  sim::FaultPlan f;
  f.http_delay = 600ms;
  start_sim(f);
  const auto list = uploads(3);
  enqueue(list);
  auto co = client_options();
  co.total_timeout = 200ms;
  start_forwarder(co);
  ASSERT_TRUE(run_until([&] { return every_entry_attempted(2); })) << sim_->summary().dump();
  EXPECT_EQ(counts().acked, 0);
  EXPECT_EQ(counts().refused, 0);
  auto e = store_->outbox().entry(ids_.begin()->second);
  EXPECT_NE((*e)->last_error.find("Timeout"), std::string::npos) << (*e)->last_error;
  // The platform stored each upload once; the repeats were duplicates, never conflicts.
  expect_exactly(expected(list));
  EXPECT_GT(summary("http_duplicates"), 0);
}

TEST_F(HttpTest, AResponseBodyPastTheCapAbortsTheTransferAndIsRetried) {
  start_sim();
  const auto list = uploads(2);
  enqueue(list);
  auto co = client_options();
  co.max_response_bytes = 16;  // every reply of the simulator is longer
  start_forwarder(co);
  ASSERT_TRUE(run_until([&] { return every_entry_attempted(2); })) << sim_->summary().dump();
  EXPECT_EQ(counts().acked, 0);
  EXPECT_EQ(counts().refused, 0) << "an oversized reply is a transient failure";
  auto e = store_->outbox().entry(ids_.begin()->second);
  EXPECT_NE((*e)->last_error.find("response body larger than 16 bytes"), std::string::npos)
      << (*e)->last_error;
}

TEST_F(HttpTest, AnUntrustedServerCertificateIsRetriedNeverSent) {
  start_sim();
  ASSERT_TRUE(sim::make_test_tls_files(dir_ / "other-ca"));
  const auto list = uploads(2);
  enqueue(list);
  auto co = client_options();
  co.ca_bundle = dir_ / "other-ca" / "ca.pem";  // not the CA that signed the simulator
  start_forwarder(co);
  ASSERT_TRUE(run_until([&] {
    auto e = store_->outbox().entry(ids_.begin()->second);
    return e && *e && (*e)->attempts >= 2;
  })) << sim_->summary().dump();
  EXPECT_EQ(counts().acked, 0);
  EXPECT_EQ(counts().refused, 0);
  auto e = store_->outbox().entry(ids_.begin()->second);
  EXPECT_NE((*e)->last_error.find("certificate"), std::string::npos) << (*e)->last_error;
  EXPECT_EQ(summary("http_requests"), 0);  // nothing got past the TLS handshake
}

TEST_F(HttpTest, ABadSignatureIsRefusedNotRetried) {
  start_sim({}, /*trust_signer=*/false);
  const auto list = uploads(2);
  enqueue(list);
  start_forwarder();
  const auto total = static_cast<std::int64_t>(list.size());
  ASSERT_TRUE(run_until([&] { return counts().refused == total; })) << sim_->summary().dump();
  EXPECT_EQ(summary("http_signature_failures"), total);
  EXPECT_EQ(summary("http_unique"), 0);
  const auto refused = store_->outbox().refused();
  ASSERT_TRUE(refused);
  for (const auto& e : *refused) {
    EXPECT_NE(e.last_error.find("HTTP 403"), std::string::npos) << e.last_error;
  }
}

TEST_F(HttpTest, ConnectionReuseOnAndOff) {
  start_sim();
  // The blocking connection runs on its own thread while the loop serves the simulator.
  for (const bool reuse : {true, false}) {
    auto co = client_options();
    co.reuse_connections = reuse;
    auto conn = uplink::HttpConnection::create(co);
    ASSERT_TRUE(conn) << conn.error().message;
    const auto list = uploads(10);
    std::vector<Result<uplink::HttpResponse>> results;
    std::thread worker([&] {
      for (const auto& u : list) {
        auto req = api_->build(u.resource, u.payload, *key_, unix_millis(clock_.wall_now()));
        results.push_back(req ? conn->perform(*req) : Result<uplink::HttpResponse>(fail(req.error())));
      }
    });
    ASSERT_TRUE(run_until([&] { return results.size() == list.size(); }));
    worker.join();
    for (const auto& r : results) {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(uplink::judge_http(r).verdict, uplink::HttpVerdict::accepted) << r->body;
    }
    EXPECT_EQ(conn->stats().new_connections, reuse ? 1U : list.size()) << "reuse=" << reuse;
    EXPECT_EQ(results.back()->reused_connection, reuse);
  }
}

TEST_F(HttpTest, GetQueriesAreSignedOverThePathKey) {
  start_sim();
  auto conn = uplink::HttpConnection::create(client_options());
  ASSERT_TRUE(conn);
  Result<uplink::HttpResponse> r = fail(Errc::internal, "not run");
  bool done = false;
  std::thread worker([&] {
    auto req = api_->build("stuinfoquery", bytes_of("3201000000000101"), *key_,
                           unix_millis(clock_.wall_now()));
    r = req ? conn->perform(*req) : Result<uplink::HttpResponse>(fail(req.error()));
    done = true;
  });
  ASSERT_TRUE(run_until([&] { return done; }));
  worker.join();
  ASSERT_TRUE(r) << r.error().message;
  auto reply = uplink::parse_platform_reply(r->body);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->errorcode, 0);
  EXPECT_EQ(summary("http_queries"), 1);
}

// ---- SIGKILL ---------------------------------------------------------------------------------

/// The uploader as a separate process: its own loop, store, client and forwarder; exits 0
/// when the outbox has nothing left, 3 on a set-up failure. Never returns.
[[noreturn]] void run_uploader(const config::StoreConfig& store_cfg,
                               const uplink::HttpClientOptions& co,
                               std::shared_ptr<const uplink::HttpApi> api,
                               std::shared_ptr<const uplink::SigningKey> key) {
  spdlog::set_level(spdlog::level::err);
  boost::asio::io_context io;
  SystemClock clock;
  auto st = store::Store::open(store_cfg);
  if (!st) ::_exit(3);
  auto client = uplink::HttpClient::create(io, co);
  if (!client) ::_exit(3);
  agent::HttpForwarderOptions fo;
  fo.window = 8;
  fo.pump_interval = 30ms;
  fo.retry_min = 10ms;
  fo.retry_max = 100ms;
  agent::HttpForwarder fwd(io, *st, **client, std::move(api), std::move(key), clock, fo);
  fwd.start();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    io.run_for(20ms);
    auto c = st->outbox().counts();
    if (c && c->queued == 0 && c->in_flight == 0 && fwd.in_flight() == 0) {
      fwd.stop();
      ::_exit(c->refused == 0 ? 0 : 4);
    }
  }
  ::_exit(5);
}

TEST_F(HttpTest, KilledMidUploadAgainAndAgainNothingLostNothingDifferent) {
  sim::FaultPlan f;
  f.http_delay = 20ms;  // keeps uploads in flight when the kill comes (~100 uploads/s)
  start_sim(f);
  const auto list = uploads(250, 400'000);  // photos large enough to be killed mid-body
  enqueue(list);
  const auto total = static_cast<std::int64_t>(list.size());
  store_.reset();  // the children own the store now
  const auto co = client_options();
  std::mt19937 rng(20261127);
  int kills = 0;
  std::int64_t requests_at_kills = 0;
  for (int round = 0; round < 15; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) run_uploader(store_cfg_, co, api_, key_);
    // Serve it for a random while, then kill it wherever it is.
    const auto slice = std::chrono::milliseconds(40 + rng() % 160);
    const auto until = std::chrono::steady_clock::now() + slice;
    int status = 0;
    bool exited = false;
    while (std::chrono::steady_clock::now() < until && !exited) {
      io_.run_for(5ms);
      exited = ::waitpid(pid, &status, WNOHANG) == pid;
    }
    if (exited) {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
      break;  // it finished before being killed: nothing left to kill
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, WNOHANG) != pid) io_.run_for(1ms);
    // Killed while it was uploading: the platform saw requests from this round.
    if (summary("http_requests") > requests_at_kills) ++kills;
    requests_at_kills = summary("http_requests");
  }
  EXPECT_GE(kills, 8) << "the uploads finished too fast to be killed mid-way";
  // A last run to the end.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) run_uploader(store_cfg_, co, api_, key_);
  int status = 0;
  ASSERT_TRUE(run_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 90s));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  io_.run_for(50ms);

  open_store();
  const auto c = counts();
  EXPECT_EQ(c.acked, total);
  EXPECT_EQ(c.queued + c.in_flight + c.refused, 0);
  expect_exactly(expected(list));  // every entry once, the same content every time
  EXPECT_EQ(summary("http_signature_failures"), 0);
  EXPECT_GT(requests_at_kills, 0);
  std::cout << "kills=" << kills << " " << sim_->summary().dump() << '\n';
}

}  // namespace
}  // namespace tta
