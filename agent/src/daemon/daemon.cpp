#include "daemon/daemon.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/admin_accounts.hpp"
#include "training/admin_export.hpp"
#include "training/classroom.hpp"
#include "control/admin.hpp"
#include "control/api.hpp"
#include "control/control_target.hpp"
#include "training/engine.hpp"
#include "training/fix_clock.hpp"
#include "outbox/forwarder.hpp"
#include "outbox/http_forwarder.hpp"
#include "daemon/platform_commands.hpp"
#include "training/progress.hpp"
#include "outbox/retention.hpp"  // [retention]
#include "outbox/store_credentials.hpp"
#include "training/teaching_log.hpp"
#include "daemon/terminal_params.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/ids.hpp"
#include "tta/core/secure_file.hpp"
#include "tta/core/time_util.hpp"
#include "tta/face/camera.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/evidence.hpp"
#include "tta/face/image.hpp"
#include "tta/gps/source.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"
#include "tta/vehicle/signals.hpp"  // [vehicle-signals]

namespace tta::agent {

namespace asio = boost::asio;
namespace fs = std::filesystem;
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

/// The config with the platform's stored application parameters (0x8501) applied.
config::Config with_stored_params(const config::Config& cfg, store::Store& store) {
  config::Config out = cfg;
  if (auto p = current_app_params(store, cfg.training)) {
    apply_app_params(out.training, *p);
  } else {
    spdlog::warn("application parameters: {}; the config's are used", p.error().message);
  }
  return out;
}

/// The engine of the terminal's mode (terminal.mode): a vehicle's TrainingEngine or a
/// classroom kiosk's ClassroomEngine. What both do goes through here; the rest asks which.
class ModeEngine {
 public:
  ModeEngine(store::Store& s, const config::Config& cfg) : e_(make(s, cfg)) {}

  [[nodiscard]] TrainingEngine* vehicle() { return std::get_if<TrainingEngine>(&e_); }
  [[nodiscard]] ClassroomEngine* classroom() { return std::get_if<ClassroomEngine>(&e_); }

  void set_terminal_no(const std::string& no) { each([&](auto& e) { e.set_terminal_no(no); }); }
  void set_training(const config::TrainingConfig& t) { each([&](auto& e) { e.set_training(t); }); }
  void on_outbox(std::function<void()> fn) { each([&](auto& e) { e.on_outbox(fn); }); }
  void set_ban(bool banned, const std::string& message, WallTime now) {
    each([&](auto& e) { e.set_ban(banned, message, now); });
  }
  void set_timed_photos_paused(bool paused, WallTime now) {  // [retention]
    each([&](auto& e) { e.set_timed_photos_paused(paused, now); });
  }
  [[nodiscard]] Status resume(WallTime now) {
    return std::visit([&](auto& e) { return e.resume(now); }, e_);
  }
  [[nodiscard]] EngineStatus status() const {
    return std::visit([](const auto& e) { return e.status(); }, e_);
  }
  [[nodiscard]] uplink::PositionBlock position_block(WallTime now) const {
    if (const auto* c = std::get_if<ClassroomEngine>(&e_)) return c->position_block(now);
    return std::get<TrainingEngine>(e_).position_block();
  }

 private:
  using Engines = std::variant<TrainingEngine, ClassroomEngine>;
  static Engines make(store::Store& s, const config::Config& cfg) {
    if (cfg.terminal.mode == "classroom") {
      return Engines(std::in_place_type<ClassroomEngine>, s, cfg, "");
    }
    return Engines(std::in_place_type<TrainingEngine>, s, cfg, "");
  }
  template <class F>
  void each(F&& f) {
    std::visit(f, e_);
  }

  Engines e_;
};

}  // namespace

struct Daemon::Impl final : uplink::SessionListener, control::Backend, control::admin::AdminBackend {
  asio::io_context& io;
  const config::Config& cfg;
  store::Store& store;
  SystemClock clock;
  FixClock fix_clock{clock};  ///< GNSS time carried by the monotonic clock (records, forwarder)
  StoreCredentials creds;
  const config::Config live;  ///< cfg with the platform's parameters as they were at start
  uplink::TerminalSession session;
  Forwarder forwarder;
  ModeEngine engine;
  asio::steady_timer tick_timer;  ///< classroom mode: minutes are made on time ticks
  asio::steady_timer report_timer;  ///< 0x0200 position reports (terminal_params.hpp)
  TerminalParams term;              ///< JT/T 808 parameters in force (0x8103)
  std::uint64_t positions_sent = 0;
  Recorder photos;  ///< photos the platform asks for (0x8301)
  Retention retention{store, cfg.store, cfg.retention};  // [retention] pruning, storage budget
  std::unique_ptr<gps::GnssSource> gnss;
  std::unique_ptr<vehicle::VehicleSignals> vehicle;  // [vehicle-signals] null when [vehicle] names none
  std::optional<MonoTime> last_fix_mono;  ///< when the last fix came (classroom ticks)
  std::uint64_t fixes = 0;
  std::string uplink_error;               ///< why the platform connection last ended
  std::optional<WallTime> uplink_since;   ///< when it last came up or went down (system time)

  // The HTTPS uplink, when uplink.http.base_url is set. The sender signs with the terminal's
  // key from registration, so it starts once the terminal has one.
  std::shared_ptr<const uplink::HttpApi> http_api;
  std::unique_ptr<uplink::HttpClient> http_client;
  std::unique_ptr<HttpForwarder> http;
  TeachingLogIdentity teach_id;
  asio::steady_timer teach_timer;
  bool teach_posted = false;
  std::string http_error;  ///< why the HTTPS sender is not running, for /status

  bool photo_busy = false;  ///< a 0x8301 photo is being taken

  std::unique_ptr<control::Server> api;  ///< the control API (control/api.hpp)
  std::unique_ptr<control::admin::Server> admin;  ///< the administrator's pages (TLS), if set
  std::uint64_t reloads_refused = 0;     ///< SIGHUP with a config that has problems
  std::string reload_problem;            ///< the last one's first problem
  // Touched only on the worker thread:
  std::optional<face::FaceEngine> faces;
  std::unique_ptr<face::Camera> camera;
  FaceWorker worker;  // last: joined first, while everything it uses still exists

  Impl(asio::io_context& ctx, const config::Config& c, store::Store& s)
      : io(ctx),
        cfg(c),
        store(s),
        creds(s, clock),
        live(with_stored_params(c, s)),
        session(ctx, uplink::SessionOptions::from_config(c), clock, creds, *this),
        forwarder(ctx, s, session, fix_clock),
        engine(s, live),
        tick_timer(ctx),
        report_timer(ctx),
        photos(s),
        teach_timer(ctx) {}

  WallTime now() const { return fix_clock.wall_now(); }
  std::int64_t now_ms() const { return unix_millis(now()); }

  void on_offline(const Error& why) override {
    uplink_error = why.message;
    uplink_since = clock.wall_now();
    spdlog::warn("platform connection lost: {}", why.message);
  }

  void on_online() override {
    uplink_since = clock.wall_now();
    engine.set_terminal_no(session.terminal_no());
    forwarder.poke();
    start_http();
  }

  // ---- JT/T 808 duties: position reports and terminal parameters ---------------------------

  /// Seconds to the next 0x0200: the report interval, or the one for the ignition off (0: no
  /// reports while it stays off). A classroom kiosk has no ignition.
  std::uint32_t report_interval() {
    if (auto* v = engine.vehicle(); v && v->ignition_on(now()) == false) return term.sleep_report_s;
    return term.report_s;
  }

  void arm_report() {
    const std::uint32_t interval = report_interval();
    // With reports off, look again in a minute (the ignition may come on).
    report_timer.expires_after(std::chrono::seconds(interval != 0 ? interval : 60));
    report_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (report_interval() != 0) send_position_report();
      arm_report();
    });
  }

  void send_position_report() {
    if (!session.online()) return;  // positions are not stored for later: the next one comes
    uplink::PositionReport r;
    if (auto* v = engine.vehicle()) r.basic = v->position_block();
    if (auto* c = engine.classroom()) r.basic = c->position_block(now());
    session.send_position(r, [this](Result<uplink::Reply> res) {
      if (res && res->ack_result == 0) ++positions_sent;
    });
  }

  std::uint8_t on_core_command(const uplink::Frame& f) override {
    try {
      switch (f.header.msg_id) {
        case uplink::msgid::kSetParams: {
          auto cmd = uplink::SetTerminalParams::decode(f.body);
          if (!cmd) {
            spdlog::warn("0x8103: {}", cmd.error().message);
            return 2;
          }
          if (auto st = apply_terminal_params(store, *cmd, now_ms()); !st) {
            spdlog::warn("0x8103 refused: {}", st.error().message);
            return 1;
          }
          load_term_params();
          arm_report();
          spdlog::info("0x8103: {} terminal parameter(s) set; heartbeat {} s, reports every {} s "
                       "({} s with the ignition off)",
                       cmd->params.size(), term.heartbeat_s, term.report_s, term.sleep_report_s);
          return 0;
        }
        case uplink::msgid::kQueryParams:
        case uplink::msgid::kQuerySomeParams: {
          std::vector<std::uint32_t> ids;
          if (f.header.msg_id == uplink::msgid::kQuerySomeParams) {
            auto q = uplink::QuerySomeTerminalParams::decode(f.body);
            if (!q) {
              spdlog::warn("0x8106: {}", q.error().message);
              return 2;
            }
            ids = q->ids;
          }
          auto reply = query_terminal_params(store, cfg, f.header.serial, ids);
          if (!reply) {
            spdlog::error("0x8104/0x8106: {}", reply.error().message);
            return 1;
          }
          if (auto body = reply->encode()) session.send_reply(uplink::msgid::kQueryParamsReply, *body);
          return 0;
        }
        case uplink::msgid::kTerminalControl: {
          auto c = uplink::TerminalControl::decode(f.body);
          if (!c) return 2;
          if (c->command == 4) {  // terminal reset: a new connection, a new authentication
            spdlog::info("0x8105: the platform asked for a reset; reconnecting");
            asio::post(io, [this] { session.reconnect("reset by the platform (0x8105)"); });
            return 0;
          }
          spdlog::warn("0x8105 command {} is not supported", c->command);
          return 3;
        }
        default:
          return 3;
      }
    } catch (const std::exception& e) {
      spdlog::error("platform command 0x{:04x}: {}", f.header.msg_id, e.what());
      return 1;
    }
  }

  void load_term_params() {
    auto p = load_terminal_params(store, cfg);
    if (!p) {
      spdlog::error("terminal parameters: {}; the config's are used", p.error().message);
      return;
    }
    term = *p;
    session.set_heartbeat(std::chrono::seconds(term.heartbeat_s));
  }

  void on_refused_message(const Error& why) override {
    spdlog::warn("platform message refused: {}", why.message);
  }

  // ---- HTTPS uplink and the teaching log ----

  Status prepare_http() {
    if (cfg.uplink.http.base_url.empty()) return ok();
    auto api_table = uplink::HttpApi::create(cfg.uplink.http);
    if (!api_table) return fail(api_table.error().context("uplink.http"));
    http_api = std::make_shared<const uplink::HttpApi>(std::move(*api_table));
    auto client = uplink::HttpClient::create(io, uplink::HttpClientOptions::from_config(cfg.uplink.http));
    if (!client) return fail(client.error().context("uplink.http"));
    http_client = std::move(*client);
    http_error = "waiting for the terminal's certificate (registration)";
    start_http();
    return ok();
  }

  void start_http() {
    if (!http_client || http) return;
    auto c = creds.load();
    if (!c || !*c) return;  // not registered yet: on_online tries again
    auto key = uplink::SigningKey::from_pkcs12_base64((*c)->certificate_base64,
                                                      (*c)->certificate_password);
    if (!key) {
      http_error = "the terminal's certificate does not load: " + key.error().message;
      spdlog::error("HTTPS uplink: {}", http_error);
      return;
    }
    teach_id = TeachingLogIdentity{
        .institution_code = (*c)->institution_no.empty() ? cfg.terminal.institution_code
                                                         : (*c)->institution_no,
        .terminal_no = (*c)->terminal_no,
        .platform_no = (*c)->platform_no,
        .car_no = cfg.terminal.plate};
    http = std::make_unique<HttpForwarder>(
        io, store, *http_client, http_api,
        std::make_shared<const uplink::SigningKey>(std::move(*key)), clock,
        HttpForwarderOptions::from_config(cfg.uplink.http));
    http->start();
    http_error.clear();
    spdlog::info("HTTPS uplink to {} running", cfg.uplink.http.base_url);
    teach_tick();
  }

  /// Look for ended sessions soon (after the current handler: the engine ends a session after
  /// it queued the logout).
  void post_teach_scan() {
    if (!http || teach_posted) return;
    teach_posted = true;
    asio::post(io, [this] {
      teach_posted = false;
      teach_scan();
    });
  }

  void teach_scan() {
    if (!http) return;
    auto n = scan_teaching_logs(
        store, teach_id, now_ms(), [this](const std::string& no) { return student_totals(no); },
        [this](const store::TrainingSession& t) { return continuing_totals(store, cfg, t); });
    if (!n) {
      spdlog::error("teaching log: {}", n.error().message);
    } else if (*n > 0) {
      http->poke();
    }
  }

  /// The student's counted minutes per part of the licence programme, for the log's
  /// total/part1-4; without a syllabus entry they are left out.
  std::optional<StudentTotals> student_totals(const std::string& student_no) {
    auto p = agent::progress(store, cfg, student_no, now_ms());
    if (!p) {
      spdlog::warn("teaching log: progress of {}: {}", student_no, p.error().message);
      return std::nullopt;
    }
    for (const auto& prog : p->programmes) {
      if (prog.kind != "licence") continue;
      StudentTotals t;
      for (const auto& part : prog.parts) {
        if (part.part < 1 || part.part > 4) continue;
        const auto minutes = part.practical_min + part.classroom_min;
        t.part_min[part.part - 1] = minutes;
        t.total_min += minutes;
      }
      return t;
    }
    return std::nullopt;
  }

  void teach_tick() {
    teach_scan();
    teach_timer.expires_after(std::chrono::seconds(1));
    teach_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) teach_tick();
    });
  }

  // ---- timed photos, re-checks and classroom minutes ----

  /// The engine asks for a timed photo or a re-check (event 19): a face check of that student.
  void wire_checks() {
    if (auto* v = engine.vehicle()) {
      v->on_photo_due([this, v] {
        face_check(v->status().student_no, 19, [this, v](FaceEvidence ev) {
          if (auto r = v->add_timed_photo(ev, now()); !r) spdlog::warn("timed photo: {}", r.error().message);
        });
      });
      v->on_recheck_due([this, v] {
        face_check(v->status().student_no, 19, [this, v](FaceEvidence ev) {
          if (auto r = v->recheck(ev, now()); !r) spdlog::warn("re-check: {}", r.error().message);
        });
      });
    } else if (auto* c = engine.classroom()) {
      c->on_photo_due([this, c](const std::string& no) {
        face_check(no, 19, [this, c, no](FaceEvidence ev) {
          if (auto r = c->add_timed_photo(no, ev, now()); !r) spdlog::warn("timed photo of {}: {}", no, r.error().message);
        });
      });
      c->on_recheck_due([this, c](const std::string& no) {
        face_check(no, 19, [this, c, no](FaceEvidence ev) {
          if (auto r = c->recheck(no, ev, now()); !r) spdlog::warn("re-check of {}: {}", no, r.error().message);
        });
      });
    }
  }

  /// Classroom minutes, every second, on the same timeline as check-ins (now(): GNSS time
  /// when a receiver gives fixes, else the system clock). With GNSS each fix ticks too, so a
  /// replayed route (faster than real time) leaves no gaps.
  /// The timer ticks only while no fix came for 2 s, so the two clocks never mix.
  void classroom_tick() {
    tick_timer.expires_after(std::chrono::seconds(1));
    tick_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto* c = engine.classroom();
      if (c && (!last_fix_mono || clock.mono_now() - *last_fix_mono > std::chrono::seconds(2))) {
        c->on_tick(now());
      }
      classroom_tick();
    });
  }

  // ---- platform commands ----

  template <typename Msg>
  void reply(const Msg& msg) {
    auto data = msg.encode();
    if (!data) {
      spdlog::error("reply {:04x}: {}", Msg::kExtId, data.error().message);
      return;
    }
    uplink::ExtendedMessage m;
    m.ext_id = Msg::kExtId;
    m.data = std::move(*data);
    session.send_extended(std::move(m), [](Result<uplink::Reply> r) {
      if (!r) spdlog::warn("reply {:04x} not delivered: {}", Msg::kExtId, r.error().message);
    });
  }

  void message(const std::string& source, const std::string& text, std::uint8_t read_aloud) {
    if (text.empty()) return;
    // Read aloud: 1 yes, 2 no, 0 the terminal's default (application parameter).
    bool aloud = read_aloud != 2;
    if (read_aloud == 0) {
      auto p = current_app_params(store, cfg.training);
      aloud = !p || p->read_aloud != 2;
    }
    if (auto id = add_message(store, source, text, aloud, now_ms()); !id) {
      spdlog::error("platform message not kept: {}", id.error().message);
    }
  }

  void on_platform_command(const uplink::ExtendedMessage& m) override {
    namespace x = uplink::extid;
    switch (m.ext_id) {
      case x::kSetTrainingBan: on_ban(m); return;
      case x::kSetAppParams: on_set_params(m); return;
      case x::kQueryAppParams: on_query_params(); return;
      case x::kTakePhoto: on_take_photo(m); return;
      case x::kRecordRequest: on_record_request(m); return;
      case x::kPhotoQuery: on_photo_query(m); return;
      case x::kUploadPhoto: on_upload_photo(m); return;
      default:
        spdlog::info("platform command 0x{:04x} ({}) is not handled",
                     m.ext_id, uplink::extended_message_name(m.ext_id));
    }
  }

  void on_ban(const uplink::ExtendedMessage& m) {
    auto ban = uplink::SetTrainingBan::decode(m.data);
    if (!ban) {
      spdlog::warn("0x8502: {}", ban.error().message);
      reply(uplink::SetTrainingBanReply{.result = 2, .state = 1, .message = ""});
      return;
    }
    engine.set_ban(ban->state == 2, ban->message, now());
    message("0x8502 training ban", ban->message, 0);
    reply(uplink::SetTrainingBanReply{.result = 1, .state = ban->state, .message = ban->message});
  }

  void on_set_params(const uplink::ExtendedMessage& m) {
    auto cmd = uplink::SetAppParams::decode(m.data);
    auto current = current_app_params(store, cfg.training);
    Result<uplink::AppParams> merged = !cmd       ? Result<uplink::AppParams>(fail(cmd.error()))
                                       : !current ? Result<uplink::AppParams>(fail(current.error()))
                                                  : merge_app_params(*current, *cmd);
    Status saved = merged ? save_app_params(store, *merged, now_ms()) : Status(fail(merged.error()));
    if (!saved) {
      spdlog::warn("0x8501 refused: {}", saved.error().message);
      reply(uplink::SetAppParamsReply{.result = 2});
      return;
    }
    (void)store.log_event("platform.params", app_params_json(*merged).dump(), now_ms());
    auto t = live.training;
    apply_app_params(t, *merged);
    engine.set_training(t);  // intervals and caps apply from the next check
    spdlog::info("application parameters set by the platform: {}", app_params_json(*merged).dump());
    reply(uplink::SetAppParamsReply{.result = 1});
  }

  void on_query_params() {
    auto p = current_app_params(store, cfg.training);
    if (!p) {
      spdlog::error("0x8503: {}", p.error().message);
      reply(uplink::QueryAppParamsReply{.result = 1, .params = default_app_params(cfg.training)});
      return;
    }
    reply(uplink::QueryAppParamsReply{.result = 0, .params = *p});
  }

  void on_take_photo(const uplink::ExtendedMessage& m) {
    auto req = uplink::TakePhoto::decode(m.data);
    if (!req) {
      spdlog::warn("0x8301: {}", req.error().message);
      reply(uplink::TakePhotoReply{.result = 2});
      return;
    }
    const std::uint8_t size = face::photo_size(req->size_code) ? req->size_code : 1;
    if (photo_busy) {
      reply(uplink::TakePhotoReply{.result = 4, .upload_mode = req->upload_mode,
                                   .channel = req->channel, .size_code = size});
      return;
    }
    photo_busy = true;
    const auto st = engine.status();
    // Of whoever is training (the student, else the coach), with a face check for the
    // confidence; nobody logged in: a plain picture.
    const bool student = !st.student_no.empty();
    const std::string person = student ? st.student_no : st.coach_no;
    const std::uint32_t class_id = student ? st.class_id : 0;
    auto done = [this, req = *req, size, person, class_id](FaceEvidence ev) {
      photo_busy = false;
      uplink::TakePhotoReply r{.result = 1, .upload_mode = req.upload_mode,
                               .channel = req.channel, .size_code = size};
      if (ev.jpeg.empty()) {
        spdlog::warn("0x8301: no photo: {}", ev.outcome);
        r.result = 2;
      } else if (auto stored = photos.add_photo(person, class_id, 0, ev, now(),
                                                engine.position_block(now()), req.upload_mode);
                 !stored) {
        spdlog::error("0x8301: photo not stored: {}", stored.error().message);
        r.result = 3;
      }
      reply(r);
    };
    if (!person.empty()) {
      face_check(person, 0, size, std::move(done));
    } else {
      grab_photo(size, std::move(done));
    }
  }

  void on_record_request(const uplink::ExtendedMessage& m) {
    auto req = uplink::RecordRequest::decode(m.data);
    if (!req) {
      spdlog::warn("0x8205: {}", req.error().message);
      reply(uplink::RecordRequestReply{.result = 9});
      return;
    }
    auto minutes = requested_minutes(store, *req);
    if (!minutes) {
      spdlog::warn("0x8205: {}", minutes.error().message);
      reply(uplink::RecordRequestReply{.result = 9});
      return;
    }
    if (minutes->empty()) {
      reply(uplink::RecordRequestReply{.result = 3});
      return;
    }
    reply(uplink::RecordRequestReply{.result = 1});
    auto records = std::make_shared<std::vector<uplink::TrainingRecord>>();
    std::map<std::int64_t, store::TrainingSession> sessions;
    for (const auto& mr : *minutes) {
      auto it = sessions.find(mr.session_id);
      if (it == sessions.end()) {
        auto s = store.find_session(mr.session_id);
        if (!s || !*s) continue;
        it = sessions.emplace(mr.session_id, **s).first;
      }
      records->push_back(record_on_request(mr, it->second));
    }
    spdlog::info("0x8205: sending {} records on request", records->size());
    send_in_turn(records, 0, "0x8205");
  }

  /// Answers of `what` (e.g. "0x8205") one at a time, each after the previous one's ack: a
  /// request never floods the link. One that cannot be encoded is logged and skipped.
  template <typename Msg>
  void send_in_turn(std::shared_ptr<std::vector<Msg>> msgs, std::size_t i, const char* what) {
    for (; i < msgs->size(); ++i) {
      auto data = (*msgs)[i].encode();
      if (!data) {
        spdlog::error("{}: answer {} of {}: {}", what, i + 1, msgs->size(), data.error().message);
        continue;
      }
      uplink::ExtendedMessage m;
      m.ext_id = Msg::kExtId;
      m.data = std::move(*data);
      session.send_extended(std::move(m), [this, msgs, i, what](Result<uplink::Reply> r) {
        if (!r) {
          spdlog::warn("{}: stopped after {} of {} answers: {}", what, i, msgs->size(),
                       r.error().message);
          return;
        }
        send_in_turn(msgs, i + 1, what);
      });
      return;
    }
  }

  void on_photo_query(const uplink::ExtendedMessage& m) {
    auto query = uplink::PhotoQuery::decode(m.data);
    auto nos = query ? queried_photos(store, *query)
                     : Result<std::vector<std::string>>(fail(query.error()));
    if (!nos) {
      spdlog::warn("0x8302: {}", nos.error().message);
      reply(uplink::PhotoQueryReply{.result = 2});
      return;
    }
    reply(uplink::PhotoQueryReply{.result = 1});
    spdlog::info("0x8302: {} photos found", nos->size());
    send_in_turn(std::make_shared<std::vector<uplink::PhotoQueryResult>>(photo_query_results(*nos)),
                 0, "0x8302");
  }

  void on_upload_photo(const uplink::ExtendedMessage& m) {
    auto req = uplink::UploadPhoto::decode(m.data);
    if (!req) {
      spdlog::warn("0x8304: {}", req.error().message);
      reply(uplink::UploadPhotoReply{.result = 9});
      return;
    }
    auto entry = photo_upload_on_request(store, req->photo_no, now_ms());
    Result<std::int64_t> queued =
        entry ? store.outbox().enqueue(*entry, now_ms()) : Result<std::int64_t>(fail(entry.error()));
    if (!queued) {
      spdlog::warn("0x8304: {}", queued.error().message);
      reply(uplink::UploadPhotoReply{
          .result = static_cast<std::uint8_t>(queued.error().code == Errc::not_found ? 1 : 9)});
      return;
    }
    reply(uplink::UploadPhotoReply{.result = 0});
    forwarder.poke();
  }

  /// Replies to queued logins carry text for the screen (0x8101, 0x8201).
  void on_platform_reply(const uplink::ExtendedMessage& m) {
    if (m.ext_id == uplink::extid::kCoachLoginReply) {
      if (auto r = uplink::CoachLoginReply::decode(m.data)) {
        if (r->result != 1) {
          message("0x8101 coach login reply", "the platform refused coach " + r->coach_no +
                                                  " (result " + std::to_string(r->result) + ")", 0);
        }
        message("0x8101 coach login reply", r->extra, r->read_aloud);
      }
    } else if (m.ext_id == uplink::extid::kStudentLoginReply) {
      if (auto r = uplink::StudentLoginReply::decode(m.data)) {
        if (r->result != 1) {
          message("0x8201 student login reply", "the platform answered student " + r->student_no +
                                                    " with result " + std::to_string(r->result), 0);
        }
        message("0x8201 student login reply", r->extra, r->read_aloud);
      }
    }
  }

  // ---- face checks and photos on the worker ----

  /// A face check of `number` on the worker; `done` runs on the loop with the evidence.
  void face_check(const std::string& number, std::uint8_t event, std::uint8_t size_code,
                  std::function<void(FaceEvidence)> done) {
    auto person = store.people().find(number);
    if (!person || !*person || (*person)->face_template.empty()) {
      done(FaceEvidence{.outcome = "not enrolled with a face"});
      return;
    }
    face::Template templ{(*person)->face_template};
    const auto stamp = evidence_stamp();
    worker.submit([this, templ, stamp, event, size_code, done = std::move(done)]() mutable {
      FaceEvidence ev = run_check(templ, stamp, event, size_code);
      asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
    });
  }
  void face_check(const std::string& number, std::uint8_t event,
                  std::function<void(FaceEvidence)> done) {
    face_check(number, event, 1, std::move(done));
  }

  /// One picture without a face check (nobody to compare with); confidence stays 0.
  void grab_photo(std::uint8_t size_code, std::function<void(FaceEvidence)> done) {
    const auto stamp = evidence_stamp();
    worker.submit([this, stamp, size_code, done = std::move(done)]() mutable {
      FaceEvidence ev{.size_code = size_code};
      std::string why;
      if (ensure_camera(why)) {
        auto frame = camera->grab(std::chrono::seconds(2));
        if (!frame) {
          ev.outcome = "no frame from the camera: " + frame.error().message;
        } else if (auto photo = face::make_evidence_photo(*frame, size_code, stamp, 0, std::nullopt)) {
          ev.jpeg = std::move(photo->jpeg);
          ev.outcome = "photo";
        } else {
          ev.outcome = photo.error().message;
        }
      } else {
        ev.outcome = why;
      }
      asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
    });
  }

  face::EvidenceStamp evidence_stamp() const {
    const auto pos = engine.position_block(now());
    return face::EvidenceStamp{.terminal_no = session.terminal_no(), .time = now(),
                               .lat_deg = pos.latitude_deg(), .lon_deg = pos.longitude_deg()};
  }

  // Worker thread only.
  bool ensure_camera(std::string& why) {
    if (camera) return true;
    auto cam = face::open_camera(cfg.face.camera);
    if (!cam) {
      why = "camera: " + cam.error().message;
      return false;
    }
    camera = std::move(*cam);
    return true;
  }

  // Worker thread only.
  FaceEvidence run_check(const face::Template& templ, const face::EvidenceStamp& stamp,
                         std::uint8_t event, std::uint8_t size_code) {
    FaceEvidence ev;
    ev.size_code = size_code;
    if (!faces) {
      auto loaded = face::FaceEngine::load(face::options_from_config(cfg.face));
      if (!loaded) {
        ev.outcome = "face checks unavailable: " + loaded.error().message;
        return ev;
      }
      faces.emplace(std::move(*loaded));
    }
    if (!ensure_camera(ev.outcome)) return ev;
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
    const bool live_face = v->liveness && v->liveness->outcome == face::Liveness::live;
    ev.performed = v->quality == face::Quality::ok;
    ev.matched = v->match && live_face;
    ev.confidence = v->confidence;
    ev.outcome = !ev.performed ? std::string(face::describe(v->quality))
                 : !v->match   ? "face does not match"
                 : !live_face  ? "liveness " + std::string(face::to_string(v->liveness
                                                                      ? v->liveness->outcome
                                                                      : face::Liveness::inconclusive))
                               : "match";
    if (auto photo = face::make_evidence_photo(frames[v->best_frame], size_code, stamp, event,
                                               v->confidence)) {
      ev.jpeg = std::move(photo->jpeg);
    }
    return ev;
  }

  // ---- control API ----

  nlohmann::json status() override {
    const auto s = engine.status();
    const auto& fs_ = forwarder.stats();
    const auto ss = session.stats();
    json tcp_state{{"state", session.online() ? "online" : "connecting"},
                   {"since", uplink_since ? json(iso8601_utc(*uplink_since)) : json(nullptr)},
                   {"last_error", uplink_error.empty() ? json(nullptr) : json(uplink_error)},
                   {"online", session.online()},
                   {"terminal_no", session.terminal_no()},
                   {"connects", ss.connects},
                   {"sent", fs_.sent},
                   {"acked", fs_.acked},
                   {"failed", fs_.failed},
                   {"resent_flagged", fs_.resent_flagged},
                   {"photos_sent", fs_.photos_sent}};
    json https_state{{"enabled", !cfg.uplink.http.base_url.empty()}, {"running", http != nullptr}};
    if (!http_error.empty()) https_state["waiting"] = http_error;
    if (http) {
      const auto& h = http->stats();
      https_state["sent"] = h.sent;
      https_state["acked"] = h.acked;
      https_state["refused"] = h.refused;
      https_state["retried"] = h.retried;
      https_state["in_flight"] = http->in_flight();
    }
    json students = json::array();
    for (const auto& st : s.students) {
      students.push_back({{"student_no", st.student_no},
                          {"course", st.course_code},
                          {"class_id", st.class_id},
                          {"minutes", st.minutes},
                          {"minutes_counted", st.minutes_counted},
                          {"mileage_km", st.mileage_hm / 10.0},
                          {"recheck_failed", st.recheck_failed},
                          {"since", iso8601_utc(st.since)},
                          {"next_recheck",
                           st.next_recheck ? json(iso8601_utc(*st.next_recheck)) : json(nullptr)},
                          {"warnings", st.warnings}});
    }
    // What holds against the open minute, for the screens to say before the minute is void.
    json open_minute = json::array();
    if (auto* v = engine.vehicle(); v && !s.student_no.empty()) {
      const auto g = gnss_state();
      if (g.value("state", "") != "fix") open_minute.push_back({{"code", flag::kNoGnss}, {"seconds_left", nullptr}});
      for (const auto& w : v->live_warnings()) {
        open_minute.push_back({{"code", w.code},
                        {"seconds_left", w.seconds_left ? json(*w.seconds_left) : json(nullptr)}});
      }
    }
    json j{{"mode", s.mode},
           {"coach_no", s.coach_no},
           {"student_no", s.student_no},
           {"class_id", s.class_id},
           {"minutes_made", s.minutes_made},
           {"minutes_counted", s.minutes_counted},
           {"mileage_km", s.mileage_hm / 10.0},
           {"warnings", s.warnings},
           {"live_warnings", open_minute},
           {"config_reload", {{"refused", reloads_refused},
                              {"last_problem", reload_problem.empty() ? json(nullptr) : json(reload_problem)}}},
           {"now", iso8601_utc(now())},
           {"daily_cap_min", engine.classroom() ? live.training.daily_classroom_max_min
                                                : live.training.daily_practical_max_min},
           {"students", students},
           {"banned", s.banned},
           {"ban_message", s.ban_message},
           {"uplink_online", session.online()},
           {"uplink", {{"tcp", tcp_state}, {"https", https_state}}},
           {"sources", {{"gnss", gnss_state()}}},
           {"gnss_fixes", fixes},
           {"position_reports", positions_sent},
           {"terminal_params", {{"heartbeat_s", term.heartbeat_s},
                                {"report_s", term.report_s},
                                {"sleep_report_s", term.sleep_report_s}}},
           {"last_fix_utc",
            fix_clock.last_fix() ? json(iso8601_utc(*fix_clock.last_fix())) : json(nullptr)}};
    if (auto c = store.outbox().counts()) {
      j["outbox"] = {{"queued", c->queued}, {"acked", c->acked}, {"refused", c->refused}};
    }
    j["storage"] = retention.status_json();  // [retention]
    if (auto msgs = agent::messages(store, 100)) {
      j["messages_unread"] = std::count_if(msgs->begin(), msgs->end(),
                                           [](const PlatformMessage& m) { return !m.read; });
    }
    return j;
  }

  /// The GNSS source in words: a missing receiver or a gpsd that is down is a state, not an
  /// exit; the age of the last fix tells a fresh position from a stale one.
  json gnss_state() const {
    const auto scheme = cfg.gps.source.substr(0, cfg.gps.source.find(':'));
    json g{{"source", scheme}, {"simulated", scheme == "replay"}};
    if (!gnss) {
      g["state"] = "not started";
      return g;
    }
    const auto st = gnss->stats();
    const bool had_fix = last_fix_mono.has_value();
    const double age =
        had_fix ? std::chrono::duration<double>(clock.mono_now() - *last_fix_mono).count() : 0.0;
    const char* state = st.finished                           ? "finished"
                        : !st.connected && scheme != "replay" ? "waiting for the receiver"
                        : !had_fix                            ? "no fix yet"
                        : age > 5.0                           ? "fix lost"
                                                              : "fix";
    g["state"] = state;
    g["connects"] = st.connects;
    g["disconnects"] = st.disconnects;
    g["last_error"] = st.last_error.empty() ? json(nullptr) : json(st.last_error);
    g["last_fix_age_s"] = had_fix ? json(age) : json(nullptr);
    return g;
  }

  // ---- the control API's backend (control/api.hpp) -------------------------------------

  /// Check a coach or student in or out. Vehicle: the one logged in is checked out. Classroom:
  /// the coach role is the lecturer, and a student's check-out names the student.
  void check(const control::CheckRequest& r, control::Respond done) override {
    auto* classroom = engine.classroom();
    const auto st = engine.status();
    std::string number = r.number.value_or("");
    if (!r.in && !classroom) number = r.role == "coach" ? st.coach_no : st.student_no;
    if (!r.in && classroom && r.role == "coach") number = st.coach_no;
    if (number.empty()) {
      // Which student leaves is the client's to say (400); nobody there is the terminal's
      // state (409).
      if ((!r.in && classroom && r.role == "student") || r.in) {
        done({400,
              {{"error", "field \"number\" is required: which " + r.role + " checks " +
                             (r.in ? "in" : "out")}},
              {}});
      } else {
        done({409, {{"error", "nobody to check out"}}, {}});
      }
      return;
    }
    const bool in = r.in;
    const std::string role = r.role;
    const std::uint8_t event = role == "coach" ? (in ? 20 : 21) : (in ? 17 : 18);
    const std::string course = r.course.value_or(classroom ? "" : "1212110000");
    // What the engine would refuse anyway, said before a face check costs the person time.
    if (in) {
      const Status can = classroom ? (role == "coach" ? classroom->can_lecturer_login()
                                                      : classroom->can_student_login(number, course))
                                   : (role == "coach" ? engine.vehicle()->can_coach_login()
                                                      : engine.vehicle()->can_student_login(course));
      if (!can) {
        done({409, {{"error", can.error().message}}, {}});
        return;
      }
    }
    face_check(number, event, [this, in, role, number, course, done](FaceEvidence ev) {
      // Runs on the loop when the face worker is done: an exception here must not escape
      // the Asio completion.
      try {
        const WallTime t = now();
        std::uint32_t class_id = 0;
        auto login = [&](Result<std::uint32_t> res) {
          if (res) class_id = *res;
          return res ? Status(ok()) : Status(fail(res.error()));
        };
        Status result = ok();
        if (auto* c = engine.classroom()) {
          result = role == "coach" ? (in ? c->lecturer_login(number, ev, t) : c->lecturer_logout(ev, t))
                   : in            ? login(c->student_login(number, course, ev, t))
                                   : c->student_logout(number, ev, t);
        } else {
          auto& e = *engine.vehicle();
          result = role == "coach" ? (in ? e.coach_login(number, ev, t) : e.coach_logout(ev, t))
                   : in            ? login(e.student_login(number, course, ev, t))
                                   : e.student_logout(ev, t);
        }
        if (!result) {
          done({409,
                {{"error", result.error().message}, {"face", ev.outcome}, {"confidence", ev.confidence}},
                {}});
          return;
        }
        done({200,
              {{"ok", true}, {"number", number}, {"class_id", class_id}, {"face", ev.outcome},
               {"confidence", ev.confidence}},
              {}});
      } catch (const std::exception& e) {
        spdlog::error("control API: check-{} of {}: {}", in ? "in" : "out", number, e.what());
        done({500, {{"error", "internal error; the agent keeps running"}}, {}});
      }
    });
  }

  Result<nlohmann::json> messages(bool unread_only) override {
    auto all = agent::messages(store, 100);
    if (!all) return fail(all.error());
    json list = json::array();
    int unread = 0;
    for (const auto& m : *all) {
      if (!m.read) ++unread;
      if (!unread_only || !m.read) list.push_back(message_json(m));
    }
    return json{{"messages", list}, {"unread", unread}};
  }

  Result<std::int64_t> ack_messages(const std::vector<std::int64_t>& ids) override {
    auto n = agent::ack_messages(store, ids, now_ms());
    if (!n) return fail(n.error());
    return static_cast<std::int64_t>(*n);
  }

  Result<nlohmann::json> progress(const std::string& student) override {
    auto p = agent::progress(store, cfg, student, unix_millis(clock.wall_now()));
    if (!p) return fail(p.error());
    return progress_json(*p);
  }

  Result<std::string> enrol_photo(const std::string& number) override {
    auto person = store.people().find(number);
    if (!person) return fail(person.error());
    if (!*person || (*person)->enrol_photo_jpeg.empty()) {
      return fail(Errc::not_found, "no enrolled photo for " + number);
    }
    const auto& jpeg = (*person)->enrol_photo_jpeg;
    return std::string(jpeg.begin(), jpeg.end());
  }

  // ---- the administrator's pages' backend (control/admin.hpp) --------------------------

  void verify(const std::string& user, const std::string& password,
              std::function<void(bool)> done) override {
    auto stored = admin_hash(store, user);
    if (!stored) spdlog::error("admin login: {}", stored.error().message);
    // An unknown name costs the same hash as a known one: the answer's time says nothing.
    static const std::string kUnknown =
        "scrypt$32768$8$1$00000000000000000000000000000000$"
        "0000000000000000000000000000000000000000000000000000000000000000";
    const bool known = stored && *stored;
    std::string hash = known ? **stored : kUnknown;
    worker.submit([this, hash = std::move(hash), password, known, done = std::move(done)] {
      const bool match = password_matches(password, hash) && known;
      asio::post(io, [done, match] { done(match); });
    });
  }

  Result<json> people() override {
    auto list = store.people().all();
    if (!list) return fail(list.error());
    json out = json::array();
    for (const auto& p : *list) {
      // The ID-card number is shown masked: enough to tell two people apart.
      const std::string masked = p.id_card.size() >= 10
                                     ? p.id_card.substr(0, 6) + std::string(p.id_card.size() - 10, '*') +
                                           p.id_card.substr(p.id_card.size() - 4)
                                     : std::string(p.id_card.size(), '*');
      out.push_back({{"role", p.role == store::Role::coach ? "coach" : "student"},
                     {"number", p.national_no},
                     {"name", p.name},
                     {"id_card", masked},
                     {"licence", p.licence_class},
                     {"face", !p.face_template.empty()},
                     {"photo", !p.enrol_photo_jpeg.empty()}});
    }
    return json{{"people", out}};
  }

  void enrol(const control::admin::EnrolRequest& r, control::Respond done) override {
    for (const auto& st : {validate_national_number(r.number), validate_id_card(r.id_card)}) {
      if (!st) return done({400, {{"error", st.error().message}}, {}});
    }
    if (!licence_class_code(r.licence)) {
      return done({400, {{"error", "unknown licence class " + r.licence}}, {}});
    }
    // The face template is made on the face worker (it owns the models); the store is
    // written back here on the loop.
    worker.submit([this, r, done = std::move(done)]() mutable {
      Result<face::Enrolment> enrolment = fail(Errc::unavailable, "face checks unavailable");
      if (!faces) {
        auto loaded = face::FaceEngine::load(face::options_from_config(cfg.face));
        if (loaded) faces.emplace(std::move(*loaded));
        else enrolment = fail(loaded.error().context("face checks unavailable"));
      }
      if (faces) {
        auto image = face::decode_image(std::span(reinterpret_cast<const std::uint8_t*>(r.photo.data()),
                                                  r.photo.size()));
        enrolment = image ? faces->enrol(*image) : Result<face::Enrolment>(fail(image.error()));
      }
      asio::post(io, [this, r, enrolment = std::move(enrolment), done = std::move(done)] {
        try {
          if (!enrolment) {
            return done({409, {{"error", "not enrolled: " + enrolment.error().message}}, {}});
          }
          const auto t = now_ms();
          auto existing = store.people().find(r.number);
          if (!existing) return done({500, {{"error", existing.error().message}}, {}});
          if (*existing) {
            if (auto st = store.people().update_face((*existing)->id, enrolment->templ.bytes,
                                            enrolment->photo_jpeg, t);
                !st) {
              return done({500, {{"error", st.error().message}}, {}});
            }
          } else {
            store::Person p{.role = r.role == "coach" ? store::Role::coach : store::Role::student,
                            .national_no = r.number, .id_card = r.id_card, .name = r.name,
                            .licence_class = r.licence, .face_template = enrolment->templ.bytes,
                            .enrol_photo_jpeg = enrolment->photo_jpeg};
            if (auto id = store.people().add(p, t); !id) {
              return done({id.error().code == Errc::already_exists ? 409u : 500u,
                           {{"error", id.error().message}}, {}});
            }
          }
          photos.event("person.enrolled", r.role + " " + r.number, now());
          done({200, {{"ok", true}, {"number", r.number}, {"re_enrolled", static_cast<bool>(*existing)}}, {}});
        } catch (const std::exception& e) {
          spdlog::error("enrolment of {}: {}", r.number, e.what());
          done({500, {{"error", "internal error; the agent keeps running"}}, {}});
        }
      });
    });
  }

  Result<json> outbox(int limit) override {
    auto counts = store.outbox().counts();
    if (!counts) return fail(counts.error());
    auto pending = store.outbox().pending(limit);
    if (!pending) return fail(pending.error());
    auto refused = store.outbox().refused();
    if (!refused) return fail(refused.error());
    auto entry = [](const store::OutboxEntry& e) {
      return json{{"id", e.id},
                  {"kind", e.kind},
                  {"key", e.key},
                  {"attempts", e.attempts},
                  {"last_error", e.last_error},
                  {"created", e.created_ms > 0 ? json(local_time_text(e.created_ms)) : json(nullptr)}};
    };
    json p = json::array();
    for (const auto& e : *pending) p.push_back(entry(e));
    json r = json::array();
    for (const auto& e : *refused) {
      if (r.size() >= static_cast<std::size_t>(limit)) break;
      r.push_back(entry(e));
    }
    return json{{"counts", {{"queued", counts->queued}, {"in_flight", counts->in_flight},
                            {"acked", counts->acked}, {"refused", counts->refused}}},
                {"pending", p},
                {"refused", r}};
  }

  Status retry(std::int64_t id) override {
    auto e = store.outbox().entry(id);
    if (!e) return fail(e.error());
    if (!*e) return fail(Errc::not_found, "no outbox entry " + std::to_string(id));
    if ((*e)->state != store::OutboxState::refused) {
      return fail(Errc::refused, "entry " + std::to_string(id) + " is not refused");
    }
    if (auto st = store.outbox().requeue(id, now_ms()); !st) return st;
    forwarder.poke();
    if (http) http->poke();
    return ok();
  }

  Result<json> sessions(const std::string& from, const std::string& to) override {
    auto lo = local_day_start_ms(from);
    if (!lo) return fail(Errc::invalid_argument, "from: " + lo.error().message);
    auto hi = local_day_start_ms(to);
    if (!hi) return fail(Errc::invalid_argument, "to: " + hi.error().message);
    if (*lo > *hi) return fail(Errc::invalid_argument, "from is after to");
    auto list = store.session_summaries("", *lo, *hi + 24 * 3600 * 1000LL);
    if (!list) return fail(list.error());
    json out = json::array();
    for (const auto& x : *list) {
      if (out.size() >= 1000) break;  // a page, not the whole store
      out.push_back(session_json(x));
    }
    return json{{"sessions", out}, {"more", list->size() > out.size()}};
  }

  Result<std::string> export_csv(const std::string& what, const std::string& from,
                                 const std::string& to) override {
    auto lo = local_day_start_ms(from);
    if (!lo) return fail(Errc::invalid_argument, "from: " + lo.error().message);
    auto hi = local_day_start_ms(to);
    if (!hi) return fail(Errc::invalid_argument, "to: " + hi.error().message);
    if (*lo > *hi) return fail(Errc::invalid_argument, "from is after to");
    auto csv = agent::export_csv(store, what, *lo, *hi + 24 * 3600 * 1000LL);
    if (!csv) return fail(csv.error());
    return std::move(csv->text);
  }

  Result<json> complete(const std::string& student, bool passed, const std::string& assessor,
                        const std::string& date) override {
    CompletionRequest req{.student_no = student, .programme = "", .passed = passed,
                          .assessor = assessor, .date = date};
    auto r = agent::complete(store, live, req, now_ms());
    if (!r) return fail(r.error());
    photos.event("student.assessed", student + " " + r->assessment.programme + (passed ? " pass" : " fail"),
                  now());
    if (http) http->poke();
    json cert = nullptr;
    if (r->certificate) cert = {{"number", r->certificate->number}, {"granted_on", r->certificate->granted_on}};
    return json{{"student", student},
                {"programme", r->assessment.programme},
                {"result", passed ? "pass" : "fail"},
                {"date", r->assessment.assessed_on},
                {"certificate", cert},
                {"queued", r->queued.size()}};
  }

  Result<json> certificate(const std::string& student, const std::string& number) override {
    auto certs = store.certificates(student);
    if (!certs) return fail(certs.error());
    const auto it = std::find_if(certs->begin(), certs->end(),
                                 [&](const store::Certificate& c) { return c.number == number; });
    if (it == certs->end()) return fail(Errc::not_found, "no certificate " + number + " of " + student);
    auto person = store.people().find(student);
    if (!person) return fail(person.error());
    std::string title = it->programme;
    for (const auto& p : live.syllabus) {
      if (p.programme == it->programme && !p.title.empty()) title = p.title;
    }
    json parts = json::array();
    if (auto prog = agent::progress(store, live, student, now_ms())) {
      for (const auto& pp : prog->programmes) {
        if (pp.programme != it->programme) continue;
        for (const auto& part : pp.parts) {
          parts.push_back({{"part", part.part},
                           {"practical_min", part.practical_min},
                           {"classroom_min", part.classroom_min},
                           {"mileage_km", part.mileage_hm ? json(static_cast<double>(*part.mileage_hm) / 10.0) : json(nullptr)}});
        }
      }
    }
    return json{{"number", it->number},
                {"institution_code", it->institution_code},
                {"student_no", student},
                {"name", *person ? (*person)->name : std::string()},
                {"id_card", *person ? (*person)->id_card : std::string()},
                {"programme", it->programme},
                {"title", title},
                {"kind", it->kind},
                {"granted_on", it->granted_on},
                {"practical_min", it->practical_min},
                {"classroom_min", it->classroom_min},
                {"mileage_km", it->mileage_hm ? json(static_cast<double>(*it->mileage_hm) / 10.0) : json(nullptr)},
                {"parts", parts}};
  }

  void audit(const std::string& user, const std::string& action, const std::string& detail) override {
    const std::string who = user.empty() ? "(nobody)" : user;
    photos.event(action, "by " + who + (detail.empty() ? "" : ": " + detail), now());
  }
};

Daemon::Daemon(asio::io_context& io, const config::Config& cfg, store::Store& store)
    : impl_(std::make_unique<Impl>(io, cfg, store)) {}
Daemon::~Daemon() { stop(); }

Status Daemon::start() {
  auto& d = *impl_;
  auto token = read_secret_file(d.cfg.agent.control_token_file);
  if (!token) return fail(token.error().context("control-API token"));
  std::string api_token(token->begin(), token->end());
  while (!api_token.empty() && (api_token.back() == '\n' || api_token.back() == '\r')) {
    api_token.pop_back();
  }
  if (api_token.size() < 16) return fail(Errc::permission, "control-API token is too short");

  const std::string& listen = d.cfg.agent.control_listen;
  std::string where = listen;
  if (listen.starts_with("unix:")) {
    fs::path path = listen.substr(5);
    if (path.is_relative()) path = d.cfg.source.parent_path() / path;
    where = "unix:" + path.string();
  }
  d.api = std::make_unique<control::Server>(d.io, d, std::move(api_token));
  if (auto st = d.api->listen(where); !st) return st;
  if (!d.cfg.agent.admin_listen.empty()) {
    auto tls = control::admin::tls_context(d.cfg.agent.admin_tls_cert, d.cfg.agent.admin_tls_key);
    if (!tls) return fail(tls.error().context("administrator's pages"));
    d.admin = std::make_unique<control::admin::Server>(d.io, d, std::move(*tls));
    if (auto st = d.admin->listen(d.cfg.agent.admin_listen); !st) return st;
    spdlog::info("administrator's pages on https://{}/admin/", d.cfg.agent.admin_listen);
  }
  if (auto st = d.prepare_http(); !st) return st;
  auto source = gps::make_source(d.cfg.gps.source, d.io, d.clock);
  if (!source) return fail(source.error().context("GNSS source"));
  d.gnss = std::move(*source);
  if (auto st = d.gnss->start([&d](const gps::Fix& fix) {
        ++d.fixes;
        if (auto t = fix.utc()) d.fix_clock.on_fix(*t, d.clock.mono_now());
        if (auto* v = d.engine.vehicle()) v->on_fix(fix, d.clock.mono_now());
        d.last_fix_mono = d.clock.mono_now();
        if (auto* c = d.engine.classroom()) c->on_tick(d.now());  // GNSS time: tick per fix
      });
      !st) {
    return fail(st.error().context("GNSS source"));
  }
  // --- [vehicle-signals] begin: ignition/OBD/pulses from [vehicle] (tta/vehicle/signals.hpp).
  // Samples are stamped on the engine's timeline (GNSS time, as every minute is).
  auto vehicle = vehicle::make_vehicle_signals(d.cfg.vehicle, d.io, d.clock);
  if (!vehicle) return fail(vehicle.error().context("vehicle signals"));
  d.vehicle = std::move(*vehicle);
  if (d.vehicle) {
    if (auto st = d.vehicle->start([&d](VehicleSample v) {
          v.at = d.now();
          if (auto* e = d.engine.vehicle()) e->on_vehicle(v);
        });
        !st) {
      return fail(st.error().context("vehicle signals"));
    }
  }
  // --- [vehicle-signals] end
  d.engine.on_outbox([&d] {
    d.forwarder.poke();
    d.post_teach_scan();
  });
  d.photos.on_outbox([&d] { d.forwarder.poke(); });
  d.forwarder.on_reply([&d](const uplink::ExtendedMessage& m) { d.on_platform_reply(m); });
  d.wire_checks();
  // After on_outbox: what resuming queues is delivered.
  if (auto st = d.engine.resume(d.now()); !st) spdlog::error("resume: {}", st.error().message);
  if (d.engine.classroom()) d.classroom_tick();
  // --- [retention] begin: prune acknowledged records; nearly full stops timed photos.
  d.retention.on_nearly_full([&d](bool full) { d.engine.set_timed_photos_paused(full, d.now()); });
  d.retention.start(d.io, [&d] { return d.now(); });
  // --- [retention] end
  d.load_term_params();
  d.session.start();
  d.forwarder.start();
  d.arm_report();
  spdlog::info("agent running; control API on {}", listen);
  return ok();
}

void Daemon::stop() {
  if (!impl_) return;
  auto& d = *impl_;
  if (d.api) d.api->stop();
  if (d.admin) d.admin->stop();
  d.teach_timer.cancel();
  d.tick_timer.cancel();
  d.report_timer.cancel();
  d.retention.stop();  // [retention]
  if (d.gnss) d.gnss->stop();
  if (d.http) d.http->stop();
  d.forwarder.stop();
  d.session.stop();
}

void Daemon::config_reload_refused(const std::string& problem) {
  ++impl_->reloads_refused;
  impl_->reload_problem = problem;
  impl_->photos.event("config.reload_refused", problem, impl_->now());
}

std::uint16_t Daemon::control_port() const {
  return impl_->api ? impl_->api->port() : 0;
}

}  // namespace tta::agent
