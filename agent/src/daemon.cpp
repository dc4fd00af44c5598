#include "daemon.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "engine.hpp"
#include "forwarder.hpp"
#include "store_credentials.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/secure_file.hpp"
#include "tta/core/time_util.hpp"
#include "tta/face/camera.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/evidence.hpp"
#include "tta/gps/source.hpp"

namespace tta::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using nlohmann::json;

Status ensure_control_token(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return ok();
  auto bytes = random_bytes(32);
  if (!bytes) return fail(bytes.error());
  const std::string hex = to_hex(*bytes);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  return write_secret_file(file, std::vector<std::uint8_t>(hex.begin(), hex.end()));
}

namespace {

/// One thread for camera grabs and face inference; results go back through `post`.
class FaceWorker {
 public:
  FaceWorker() : thread_([this] { loop(); }) {}
  ~FaceWorker() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
        if (done_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

struct Daemon::Impl final : uplink::SessionListener {
  asio::io_context& io;
  const config::Config& cfg;
  store::Store& store;
  SystemClock clock;
  StoreCredentials creds;
  uplink::TerminalSession session;
  Forwarder forwarder;
  TrainingEngine engine;
  std::unique_ptr<gps::GnssSource> gnss;
  std::optional<WallTime> last_fix;
  std::uint64_t fixes = 0;
  tcp::acceptor api;
  std::string token;
  // Touched only on the worker thread:
  std::optional<face::FaceEngine> faces;
  std::unique_ptr<face::Camera> camera;
  std::string face_error;
  FaceWorker worker;  // last: joined first, while everything it uses still exists

  Impl(asio::io_context& ctx, const config::Config& c, store::Store& s)
      : io(ctx),
        cfg(c),
        store(s),
        creds(s, clock),
        session(ctx, uplink::SessionOptions::from_config(c), clock, creds, *this),
        forwarder(ctx, s, session, clock),
        engine(s, c, ""),
        api(ctx) {}

  WallTime now() const { return last_fix.value_or(clock.wall_now()); }

  void on_online() override {
    engine.set_terminal_no(session.terminal_no());
    forwarder.poke();
  }
  void on_platform_command(const uplink::ExtendedMessage& m) override {
    if (m.ext_id == uplink::extid::kSetTrainingBan) {
      if (auto ban = uplink::SetTrainingBan::decode(m.data)) {
        engine.set_ban(ban->state == 2, ban->message, now());
      }
      return;
    }
    spdlog::info("platform command 0x{:04x} received (not handled yet)", m.ext_id);
  }

  /// A face check of `number` on the worker; `done` runs on the loop with the evidence.
  void face_check(const std::string& number, std::uint8_t event,
                  std::function<void(FaceEvidence)> done) {
    auto person = store.find_person(number);
    if (!person || !*person || (*person)->face_template.empty()) {
      done(FaceEvidence{.outcome = "not enrolled with a face"});
      return;
    }
    face::Template templ{(*person)->face_template};
    const auto pos = engine.position_block();
    face::EvidenceStamp stamp{.terminal_no = session.terminal_no(), .time = now(),
                              .lat_deg = pos.latitude_deg(), .lon_deg = pos.longitude_deg()};
    worker.submit([this, templ, stamp, event, done = std::move(done)]() mutable {
      FaceEvidence ev = run_check(templ, stamp, event);
      asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
    });
  }

  // Worker thread only.
  FaceEvidence run_check(const face::Template& templ, const face::EvidenceStamp& stamp,
                         std::uint8_t event) {
    FaceEvidence ev;
    if (!faces) {
      auto loaded = face::FaceEngine::load(face::options_from_config(cfg.face));
      if (!loaded) {
        ev.outcome = "face checks unavailable: " + loaded.error().message;
        return ev;
      }
      faces.emplace(std::move(*loaded));
    }
    if (!camera) {
      auto cam = face::open_camera(cfg.face.camera);
      if (!cam) {
        ev.outcome = "camera: " + cam.error().message;
        return ev;
      }
      camera = std::move(*cam);
    }
    std::vector<face::Image> frames;
    for (int i = 0; i < 5; ++i) {
      auto f = camera->grab(std::chrono::seconds(2));
      if (!f) break;
      frames.push_back(std::move(*f));
    }
    if (frames.empty()) {
      ev.outcome = "no frame from the camera";
      return ev;
    }
    auto v = faces->check(templ, frames);
    if (!v) {
      ev.outcome = v.error().message;
      return ev;
    }
    const bool live = v->liveness && v->liveness->outcome == face::Liveness::live;
    ev.performed = v->quality == face::Quality::ok;
    ev.matched = v->match && live;
    ev.confidence = v->confidence;
    ev.outcome = !ev.performed ? std::string(face::describe(v->quality))
                 : !v->match   ? "face does not match"
                 : !live       ? "liveness " + std::string(face::to_string(v->liveness
                                                                      ? v->liveness->outcome
                                                                      : face::Liveness::inconclusive))
                               : "match";
    if (auto photo = face::make_evidence_photo(frames[v->best_frame], 1, stamp, event,
                                               v->confidence)) {
      ev.jpeg = std::move(photo->jpeg);
    }
    return ev;
  }

  json status_json() {
    const auto s = engine.status();
    json j{{"coach_no", s.coach_no},
           {"student_no", s.student_no},
           {"class_id", s.class_id},
           {"minutes_made", s.minutes_made},
           {"minutes_counted", s.minutes_counted},
           {"mileage_km", s.mileage_hm / 10.0},
           {"warnings", s.warnings},
           {"banned", s.banned},
           {"ban_message", s.ban_message},
           {"uplink_online", session.online()},
           {"gnss_fixes", fixes},
           {"last_fix_utc", last_fix ? json(iso8601_utc(*last_fix)) : json(nullptr)}};
    if (auto c = store.outbox_counts()) {
      j["outbox"] = {{"queued", c->queued}, {"acked", c->acked}, {"refused", c->refused}};
    }
    return j;
  }

  void accept();
};

namespace {

class ApiSession : public std::enable_shared_from_this<ApiSession> {
 public:
  ApiSession(Daemon::Impl& d, tcp::socket s) : d_(d), stream_(std::move(s)) {}
  void start() {
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buf_, req_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->route();
                     });
  }

 private:
  void reply(http::status status, const json& body) {
    res_.version(req_.version());
    res_.keep_alive(false);
    res_.result(status);
    res_.set(http::field::content_type, "application/json");
    res_.body() = body.dump() + "\n";
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  bool authorised() const {
    const auto it = req_.find(http::field::authorization);
    if (it == req_.end()) return false;
    const std::string expected = "Bearer " + d_.token;
    const std::string given(it->value());
    return given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
  }

  void route() {
    if (!authorised()) {
      reply(http::status::unauthorized, {{"error", "a valid bearer token is required"}});
      return;
    }
    const std::string target(req_.target());
    if (req_.method() == http::verb::get && target == "/status") {
      reply(http::status::ok, d_.status_json());
      return;
    }
    const bool in = target == "/checkin";
    if (req_.method() == http::verb::post && (in || target == "/checkout")) {
      auto body = json::parse(req_.body(), nullptr, false);
      const std::string role = body.is_object() ? body.value("role", "") : "";
      if (role != "coach" && role != "student") {
        reply(http::status::bad_request, {{"error", "expected {\"role\": \"coach\"|\"student\", …}"}});
        return;
      }
      check(in, role, body);
      return;
    }
    reply(http::status::not_found, {{"error", "unknown endpoint"}});
  }

  void check(bool in, const std::string& role, const json& body) {
    const auto st = d_.engine.status();
    std::string number = body.value("number", "");
    if (!in) number = role == "coach" ? st.coach_no : st.student_no;
    if (number.empty()) {
      reply(http::status::conflict, {{"error", "nobody to check " + std::string(in ? "in" : "out")}});
      return;
    }
    const std::uint8_t event = role == "coach" ? (in ? 20 : 21) : (in ? 17 : 18);
    const std::string course = body.value("course", "1212110000");
    d_.face_check(number, event, [self = shared_from_this(), in, role, number, course](FaceEvidence ev) {
      auto& e = self->d_.engine;
      const WallTime t = self->d_.now();
      Status result = ok();
      std::uint32_t class_id = 0;
      if (in && role == "coach") {
        result = e.coach_login(number, ev, t);
      } else if (in) {
        auto r = e.student_login(number, course, ev, t);
        if (r) class_id = *r;
        result = r ? Status(ok()) : Status(fail(r.error()));
      } else if (role == "student") {
        result = e.student_logout(ev, t);
      } else {
        result = e.coach_logout(ev, t);
      }
      if (!result) {
        self->reply(http::status::conflict,
                    {{"error", result.error().message}, {"face", ev.outcome},
                     {"confidence", ev.confidence}});
        return;
      }
      self->reply(http::status::ok, {{"ok", true}, {"number", number}, {"class_id", class_id},
                                     {"face", ev.outcome}, {"confidence", ev.confidence}});
    });
  }

  Daemon::Impl& d_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

void Daemon::Impl::accept() {
  api.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec) return;
    std::make_shared<ApiSession>(*this, std::move(s))->start();
    accept();
  });
}

Daemon::Daemon(asio::io_context& io, const config::Config& cfg, store::Store& store)
    : impl_(std::make_unique<Impl>(io, cfg, store)) {}
Daemon::~Daemon() { stop(); }

Status Daemon::start() {
  auto& d = *impl_;
  auto token = read_secret_file(d.cfg.agent.control_token_file);
  if (!token) return fail(token.error().context("control-API token"));
  d.token.assign(token->begin(), token->end());
  while (!d.token.empty() && (d.token.back() == '\n' || d.token.back() == '\r')) d.token.pop_back();
  if (d.token.size() < 16) return fail(Errc::permission, "control-API token is too short");

  const std::string& listen = d.cfg.agent.control_listen;
  if (listen.starts_with("unix:")) {
    return fail(Errc::invalid_argument, "control_listen unix: sockets are not supported yet");
  }
  const auto colon = listen.rfind(':');
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(listen.substr(0, colon), ec);
  if (ec) return fail(Errc::invalid_argument, "control_listen: bad address " + listen);
  if (!addr.is_loopback()) {
    return fail(Errc::invalid_argument, "control_listen must be a loopback address");
  }
  tcp::endpoint ep(addr, static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1))));
  d.api.open(ep.protocol(), ec);
  if (!ec) d.api.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) d.api.bind(ep, ec);
  if (!ec) d.api.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::unavailable, "control API on " + listen + ": " + ec.message());
  d.accept();

  auto source = gps::make_source(d.cfg.gps.source, d.io, d.clock);
  if (!source) return fail(source.error().context("GNSS source"));
  d.gnss = std::move(*source);
  if (auto st = d.gnss->start([&d](const gps::Fix& fix) {
        ++d.fixes;
        if (auto t = fix.utc(); t && (!d.last_fix || *t > *d.last_fix)) d.last_fix = t;
        d.engine.on_fix(fix, d.clock.mono_now());
      });
      !st) {
    return fail(st.error().context("GNSS source"));
  }
  d.engine.on_outbox([&d] { d.forwarder.poke(); });
  d.engine.on_photo_due([&d] {
    const auto st = d.engine.status();
    d.face_check(st.student_no, 19, [&d](FaceEvidence ev) {
      if (auto r = d.engine.add_timed_photo(ev, d.now()); !r) spdlog::warn("timed photo: {}", r.error().message);
    });
  });
  d.engine.on_recheck_due([&d] {
    const auto st = d.engine.status();
    d.face_check(st.student_no, 19, [&d](FaceEvidence ev) {
      if (auto r = d.engine.recheck(ev, d.now()); !r) spdlog::warn("re-check: {}", r.error().message);
    });
  });
  d.session.start();
  d.forwarder.start();
  spdlog::info("agent running; control API on {}", listen);
  return ok();
}

void Daemon::stop() {
  if (!impl_) return;
  boost::system::error_code ec;
  impl_->api.close(ec);
  if (impl_->gnss) impl_->gnss->stop();
  impl_->forwarder.stop();
  impl_->session.stop();
}

std::uint16_t Daemon::control_port() const { return impl_->api.local_endpoint().port(); }

}  // namespace tta::agent
