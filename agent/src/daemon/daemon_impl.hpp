#pragma once
// Daemon::Impl, the daemon's state on the event loop, shared by the files that implement its
// parts: uplinks.cpp (the platform session's listener, the HTTPS uplink), timers.cpp
// (position reports, teaching logs, classroom ticks), command_handlers.cpp (the platform's
// commands), face_worker.cpp (face checks and photos on the worker thread),
// control_backend.cpp (the control API's and the administrator's backends) and daemon.cpp
// (assembly, start and stop). Internal to tta_daemon.

#include <utility>  // before Asio

#include <boost/asio.hpp>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/admin_accounts.hpp"
#include "training/admin_export.hpp"
#include "control/admin.hpp"
#include "control/api.hpp"
#include "control/control_target.hpp"
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
#include "tta/face/engine.hpp"
#include "tta/face/evidence.hpp"
#include "tta/gps/source.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"
#include "tta/vehicle/signals.hpp"  // [vehicle-signals]

#include "daemon/asio_scheduler.hpp"
#include "daemon/daemon.hpp"
#include "daemon/face_worker.hpp"
#include "daemon/parts.hpp"
#include "daemon/mode_engine.hpp"

namespace tta::agent {

namespace asio = boost::asio;

/// The config with the platform's stored application parameters (0x8501) applied.
config::Config with_stored_params(const config::Config& cfg, store::Store& store);
/// The TCP forwarder's pacing with [uplink.tcp] test_platform and max_refusals.
inline ForwarderOptions tcp_options(ForwarderOptions o, const config::Config& cfg) {
  o.test_platform = cfg.uplink.tcp.test_platform;
  o.max_refusals = static_cast<int>(cfg.uplink.tcp.max_refusals);
  return o;
}

struct Daemon::Impl final : uplink::SessionListener, control::Backend, control::admin::AdminBackend {
  asio::io_context& io;
  const config::Config& cfg;
  store::Store& store;
  const Clock& clock;
  std::unique_ptr<Scheduler> scheduler;  ///< the timers below run on it (parts.hpp)
  FixClock fix_clock{clock};  ///< GNSS time carried by the monotonic clock (records, forwarder)
  StoreCredentials creds;
  const config::Config live;  ///< cfg with the platform's parameters as they were at start
  std::unique_ptr<PlatformLink> platform;  ///< the timing platform's link (parts.hpp)
  PlatformLink& session;                   ///< *platform
  Forwarder forwarder;
  ModeEngine engine;
  Timer tick_timer;    ///< classroom mode: minutes are made on time ticks
  Timer gnss_watch_timer;  ///< vehicle mode: minutes go on without fixes (no receiver)
  Timer report_timer;  ///< 0x0200 position reports (terminal_params.hpp)
  TerminalParams term;              ///< JT/T 808 parameters in force (0x8103)
  std::uint64_t positions_sent = 0;
  Recorder photos;  ///< photos the platform asks for (0x8301)
  Retention retention{store, cfg.store, cfg.retention};  // [retention] pruning, storage budget
  std::unique_ptr<gps::GnssSource> gnss;
  std::unique_ptr<vehicle::VehicleSignals> vehicle;  // [vehicle-signals] null when [vehicle] names none
  std::optional<MonoTime> last_fix_mono;  ///< when the last fix came (classroom ticks)
  std::optional<WallTime> last_fix_wall;  ///< the same on the daemon's timeline (/status)
  std::optional<WallTime> tcp_last_online;  ///< when the platform link was last up (/status)
  bool tcp_was_online = false;
  std::uint64_t fixes = 0;
  std::string uplink_error;               ///< why the platform connection last ended
  std::optional<WallTime> uplink_since;   ///< when it last came up or went down (system time)

  // The HTTPS uplink, when uplink.http.base_url is set. The sender signs with the terminal's
  // key from registration, so it starts once the terminal has one.
  std::shared_ptr<const uplink::HttpApi> http_api;
  std::unique_ptr<HttpTransfers> https;              ///< given as a part, else null …
  std::unique_ptr<uplink::HttpClient> http_client;  ///< … and this made from [uplink.http]
  std::unique_ptr<HttpForwarder> http;
  TeachingLogIdentity teach_id;
  Timer teach_timer;
  bool teach_posted = false;
  bool teach_ready = false;  ///< registered: teaching logs are queued (with or without HTTPS)
  std::string http_error;  ///< why the HTTPS sender is not running, for /status

  bool photo_busy = false;  ///< a 0x8301 photo is being taken

  /// The camera as the last check or photo found it (/status sources.camera).
  struct CameraState {
    bool known = false;  ///< nothing asked of it yet
    bool ok = true;
    std::optional<WallTime> last_ok;
    std::string last_error;
    std::optional<WallTime> last_error_at;
    std::uint64_t failures = 0;
  } camera;
  /// The vehicle signals' last reading with a value, and when the last one came (/status).
  std::optional<WallTime> vehicle_last_ok;
  std::optional<WallTime> vehicle_last_sample;

  std::unique_ptr<control::Server> api;  ///< the control API (control/api.hpp)
  std::unique_ptr<control::admin::Server> admin;  ///< the administrator's pages (TLS), if set
  std::uint64_t reloads_refused = 0;     ///< SIGHUP with a config that has problems
  std::string reload_problem;            ///< the last one's first problem
  // Called only on the worker thread:
  std::unique_ptr<FaceChecker> faces;  ///< camera and face engine (parts.hpp)
  const DaemonOptions options;
  FaceWorker worker;  // last: joined first, while everything it uses still exists

  Impl(asio::io_context& ctx, const config::Config& c, store::Store& s, const Clock& clk,
       DaemonParts parts, DaemonOptions opts)
      : io(ctx),
        cfg(c),
        store(s),
        clock(clk),
        scheduler(parts.timers ? std::move(parts.timers)
                               : std::make_unique<AsioScheduler>(ctx, clk)),
        creds(s, clock),
        live(with_stored_params(c, s)),
        platform(parts.platform ? parts.platform(creds, *this)
                                : make_session_link(ctx, c, clock, creds, *this)),
        session(*platform),
        forwarder(ctx, s, session, fix_clock, tcp_options(opts.forwarder, c)),
        engine(s, live, opts.classroom_seed),
        tick_timer(*scheduler),
        gnss_watch_timer(*scheduler),
        report_timer(*scheduler),
        photos(s),
        gnss(std::move(parts.gnss)),
        vehicle(std::move(parts.vehicle)),
        https(std::move(parts.https)),
        teach_timer(*scheduler),
        faces(std::move(parts.faces)),
        options(std::move(opts)) {}

  WallTime now() const { return fix_clock.wall_now(); }
  std::int64_t now_ms() const { return unix_millis(now()); }
  using json = nlohmann::json;

  void on_offline(const Error& why) override;
  void on_online() override;

  // ---- JT/T 808 duties: position reports and terminal parameters ---------------------------

  /// Seconds to the next 0x0200: the report interval, or the one for the ignition off (0: no
  /// reports while it stays off). A classroom kiosk has no ignition.
  std::uint32_t report_interval();
  void arm_report();
  void send_position_report();
  std::uint8_t on_core_command(const uplink::Frame& f) override;
  void load_term_params();
  void on_refused_message(const Error& why) override;

  // ---- HTTPS uplink and the teaching log ----

  Status prepare_http();
  void start_http();

  /// Look for ended sessions soon (after the current handler: the engine ends a session after
  /// it queued the logout).

  void post_teach_scan();
  void teach_scan();

  /// The student's counted minutes per part of the licence programme, for the log's
  /// total/part1-4; without a syllabus entry they are left out.
  std::optional<StudentTotals> student_totals(const std::string& student_no);
  void teach_tick();

  // ---- timed photos, re-checks and classroom minutes ----

  /// The engine asks for a timed photo or a re-check (event 19): a face check of that student.
  void wire_checks();

  /// Classroom minutes, every second, on the same timeline as check-ins (now(): GNSS time
  /// when a receiver gives fixes, else the system clock). With GNSS each fix ticks too, so a
  /// replayed route (faster than real time) leaves no gaps.
  /// The timer ticks only while no fix came for 2 s, so the two clocks never mix.

  void classroom_tick();
  /// Vehicle mode: every second, when no fix came for 2 s, the engine's minutes move on by
  /// the daemon's clock (TrainingEngine::on_clock).
  void gnss_watch_tick();

  // ---- platform commands ----

  template <typename Msg>
  void reply(const Msg& msg);
  void message(const std::string& source, const std::string& text, std::uint8_t read_aloud);
  void on_platform_command(const uplink::ExtendedMessage& m) override;
  void on_ban(const uplink::ExtendedMessage& m);
  void on_set_params(const uplink::ExtendedMessage& m);
  void on_query_params();
  void on_take_photo(const uplink::ExtendedMessage& m);
  void on_record_request(const uplink::ExtendedMessage& m);

  /// Answers of `what` (e.g. "0x8205") one at a time, each after the previous one's ack: a
  /// request never floods the link. One that cannot be encoded is logged and skipped.
  template <typename Msg>
  void send_in_turn(std::shared_ptr<std::vector<Msg>> msgs, std::size_t i, const char* what);
  void on_photo_query(const uplink::ExtendedMessage& m);
  void on_upload_photo(const uplink::ExtendedMessage& m);

  /// Replies to queued logins carry text for the screen (0x8101, 0x8201).
  void on_platform_reply(const uplink::ExtendedMessage& m);

  // ---- face checks and photos on the worker ----

  /// A face check of `number` on the worker; `done` runs on the loop with the evidence.
  void face_check(const std::string& number, std::uint8_t event, std::uint8_t size_code,
                  std::function<void(FaceEvidence)> done);

  void face_check(const std::string& number, std::uint8_t event,
                  std::function<void(FaceEvidence)> done);

  /// One picture without a face check (nobody to compare with); confidence stays 0.
  void grab_photo(std::uint8_t size_code, std::function<void(FaceEvidence)> done);
  face::EvidenceStamp evidence_stamp() const;
  /// Keep what a check or photo says of the camera (loop thread).
  void note_camera(const FaceEvidence& ev);



  // ---- control API ----

  nlohmann::json status() override;

  /// The GNSS source in words: a missing receiver or a gpsd that is down is a state, not an
  /// exit; the age of the last fix tells a fresh position from a stale one.
  json gnss_state() const;
  /// The camera and the vehicle signals the same way: state, last_ok, last_error.
  json camera_state() const;
  json vehicle_state() const;

  // ---- the control API's backend (control/api.hpp) -------------------------------------

  /// Check a coach or student in or out. Vehicle: the one logged in is checked out. Classroom:
  /// the coach role is the lecturer, and a student's check-out names the student.
  void check(const control::CheckRequest& r, control::Respond done) override;
  Result<nlohmann::json> messages(bool unread_only) override;
  Result<std::int64_t> ack_messages(const std::vector<std::int64_t>& ids) override;
  Result<nlohmann::json> progress(const std::string& student) override;
  Result<std::string> enrol_photo(const std::string& number) override;
  Result<std::string> camera_preview() override;

  // ---- the administrator's pages' backend (control/admin.hpp) --------------------------

  void verify(const std::string& user, const std::string& password,
              std::function<void(bool)> done) override;
  Result<json> people() override;
  Status set_disabled(const std::string& number, bool disabled, const std::string& user) override;
  void enrol(const control::admin::EnrolRequest& r, control::Respond done) override;
  void capture(std::function<void(Result<std::string>)> done) override;
  Result<json> outbox(int limit) override;
  Status retry(std::int64_t id) override;
  Result<json> sessions(const std::string& from, const std::string& to) override;
  Result<json> session_minutes(std::int64_t session_id, int limit) override;
  Result<std::string> export_csv(const std::string& what, const std::string& from,
                                 const std::string& to) override;
  Result<json> complete(const std::string& student, bool passed, const std::string& assessor,
                        const std::string& date) override;
  Result<json> certificate(const std::string& student, const std::string& number) override;
  void audit(const std::string& user, const std::string& action, const std::string& detail) override;
};

}  // namespace tta::agent
