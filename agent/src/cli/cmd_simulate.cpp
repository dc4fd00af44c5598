// `simulate`: the demo's main job. A whole vehicle training session runs against the platform
// named in the config, on SIMULATED inputs that are labelled as such: GNSS from the route
// simulator (written as NMEA and read back through the real parser), vehicle signals made up
// from the simulated speed, and camera frames cut from the enrolment photos. Time is the GNSS
// time of the route, so an hour of training takes well under a minute. A vehicle session and a
// class both run on the Daemon of `tta-agent run` (daemon/daemon.hpp), given these SIMULATED
// parts.
//
// `demo-faces`: cut single faces out of group photos (the demo's people).
#include <utility>  // before Asio

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "daemon/daemon.hpp"
#include "daemon/parts.hpp"
#include "cli/common.hpp"
#include "training/engine.hpp"
#include "cli/logging.hpp"
#include "training/progress.hpp"
#include "tta/gps/route_sim.hpp"
#include "tta/core/time_util.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/evidence.hpp"
#include "tta/face/image.hpp"
#include "tta/gps/source.hpp"

namespace tta::agent {

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace std::chrono_literals;

/// A square crop around a box, grown by `margin` of its size, shifted by (dx, dy) pixels.
face::Image crop(const face::Image& img, const face::FaceBox& box, double margin, int dx, int dy) {
  const int side =
      static_cast<int>(static_cast<double>(std::max(box.width, box.height)) * (1 + 2 * margin));
  const int cx = static_cast<int>(box.x + box.width / 2) + dx;
  const int cy = static_cast<int>(box.y + box.height / 2) + dy;
  const int x0 = std::clamp(cx - side / 2, 0, std::max(0, img.width - 1));
  const int y0 = std::clamp(cy - side / 2, 0, std::max(0, img.height - 1));
  const int w = std::min(side, img.width - x0);
  const int h = std::min(side, img.height - y0);
  face::Image out{w, h, img.format, {}};
  const int ch = img.channels();
  out.pixels.resize(static_cast<std::size_t>(w * h * ch));
  for (int y = 0; y < h; ++y) {
    const auto* src = img.pixels.data() + (static_cast<std::size_t>(y0 + y) * img.width + x0) * ch;
    std::copy(src, src + w * ch, out.pixels.data() + static_cast<std::size_t>(y * w * ch));
  }
  return out;
}

/// SIMULATED camera frame: the enrolment photo shifted by a few pixels, as a person in front of
/// the terminal's camera moves a little between checks.
face::Image demo_frame(const face::Image& enrolled, int n) {
  const int dx = (n % 5) - 2;
  const int dy = ((n / 5) % 5) - 2;
  const int m = std::max(4, std::min(enrolled.width, enrolled.height) / 40);
  face::FaceBox whole{static_cast<float>(m + dx), static_cast<float>(m + dy),
                      static_cast<float>(enrolled.width - 2 * m),
                      static_cast<float>(enrolled.height - 2 * m), 1};
  return crop(enrolled, whole, 0.0, 0, 0);
}

Result<std::string> http_get(const std::string& url) {
  // http://host:port/path (the simulator's admin endpoint on loopback)
  if (!url.starts_with("http://")) return fail(Errc::invalid_argument, "only http:// URLs");
  const auto rest = url.substr(7);
  const auto slash = rest.find('/');
  const auto hostport = rest.substr(0, slash);
  const auto colon = hostport.find(':');
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    boost::beast::tcp_stream stream(io);
    stream.connect(resolver.resolve(hostport.substr(0, colon), hostport.substr(colon + 1)));
    namespace http = boost::beast::http;
    http::request<http::empty_body> req{http::verb::get, rest.substr(slash), 11};
    req.set(http::field::host, hostport);
    http::write(stream, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return res.body();
  } catch (const std::exception& e) {
    return fail(Errc::unavailable, std::string("GET ") + url + ": " + e.what());
  }
}

struct SimArgs {
  std::string config;
  std::string mode;  ///< "vehicle" or "classroom"; empty = terminal.mode of the config
  std::string coach;
  std::vector<std::string> students;
  std::string course;  ///< empty: 1212110000 (vehicle), classroom.course_code (classroom)
  int minutes = 60;
  std::string summary_url;
  int drain_seconds = 120;  ///< how long to keep delivering after the session
  bool json = false;
};

struct Who {
  face::Template templ;
  face::Image photo;
};

/// A face check of `who` on a SIMULATED camera frame, with its stamped evidence photo.
FaceEvidence simulated_check(face::FaceEngine& faces, const Who& who, int frame_no,
                             const face::EvidenceStamp& stamp, std::uint8_t event) {
  const face::Image frame = demo_frame(who.photo, frame_no);
  FaceEvidence ev;
  auto v = faces.verify(who.templ, frame);
  if (!v) {
    ev.outcome = v.error().message;
    return ev;
  }
  ev.performed = v->quality == face::Quality::ok;
  ev.matched = v->match;
  ev.confidence = v->confidence;
  ev.outcome = v->match                          ? "match"
               : v->quality == face::Quality::ok ? "no match"
                                                 : std::string(face::to_string(v->quality));
  if (auto photo = face::make_evidence_photo(frame, 1, stamp, event, v->confidence)) {
    ev.jpeg = std::move(photo->jpeg);
    ev.size_code = photo->size_code;
  }
  return ev;
}

/// SIMULATED camera and face engine as the daemon's FaceChecker: the person being checked is
/// the one in front of the camera, whose frame is their enrolment photo shifted a little
/// (demo_frame), checked by the real face engine.
class SimulatedFaceChecker final : public FaceChecker {
 public:
  SimulatedFaceChecker(face::FaceEngine& faces, const std::map<std::string, Who>& people)
      : faces_(faces), people_(people) {}
  FaceEvidence check(const face::Template& templ, const face::EvidenceStamp& stamp,
                     std::uint8_t event, std::uint8_t size_code) override {
    (void)size_code;  // the simulated camera's photos are all of size 1
    for (const auto& [no, who] : people_) {
      if (who.templ.bytes == templ.bytes) {
        return simulated_check(faces_, who, frame_no_++, stamp, event);
      }
    }
    return FaceEvidence{.outcome = "nobody with this face is in the SIMULATED session"};
  }
  FaceEvidence photo(const face::EvidenceStamp& stamp, std::uint8_t size_code) override {
    (void)stamp;
    return FaceEvidence{.size_code = size_code,
                        .outcome = "the SIMULATED camera shows only people being checked"};
  }
  Result<face::Enrolment> enrol(std::span<const std::uint8_t> photo) override {
    (void)photo;
    return fail(Errc::unavailable, "no enrolment during a SIMULATED session");
  }
  Result<Preview> preview() override {
    return fail(Errc::not_found, "the SIMULATED camera has no preview");
  }
  Result<std::vector<std::uint8_t>> capture() override {
    return fail(Errc::unavailable, "the SIMULATED camera shows only people being checked");
  }

 private:
  face::FaceEngine& faces_;
  const std::map<std::string, Who>& people_;
  int frame_no_ = 0;
};

/// SIMULATED vehicle signals, derived from the simulated route's speed.
class SimulatedSignals final : public vehicle::VehicleSignals {
 public:
  Status start(SampleHandler on_sample) override {
    on_sample_ = std::move(on_sample);
    return ok();
  }
  void stop() override { on_sample_ = nullptr; }
  [[nodiscard]] vehicle::VehicleStats stats() const override { return stats_; }
  [[nodiscard]] std::string describe() const override {
    return "SIMULATED (from the simulated route's speed)";
  }
  void on_fix(const gps::Fix& fix, WallTime t) {
    if (!on_sample_) return;
    const double kmh = std::isnan(fix.speed_kmh) ? 0 : fix.speed_kmh;
    ++stats_.samples;
    on_sample_({.at = t, .ignition_on = true,
                .engine_rpm = static_cast<std::uint16_t>(800 + kmh * 45),
                .sensor_speed_kmh = kmh});
  }

 private:
  SampleHandler on_sample_;
  vehicle::VehicleStats stats_;
};

/// The daemon's clock in a simulation: the system's wall time (the platform link's
/// timestamps), and a monotonic time that follows the SIMULATED route while it is replayed
/// (`hold`: it stands at the route's time since its start) and the real monotonic clock
/// before and after (`release` carries on from where the route left it, so retries come due
/// during the drain). The daemon's time base (GNSS time carried forward by this monotonic
/// time) is then exactly a fix's time while the simulated signals and check-ins of that fix
/// are handled, however fast the route is read.
class RouteClock final : public Clock {
 public:
  explicit RouteClock(const Clock& real) : real_(real) {}
  [[nodiscard]] WallTime wall_now() const override { return real_.wall_now(); }
  [[nodiscard]] MonoTime mono_now() const override {
    return held_ ? *held_ : real_.mono_now() + skew_;
  }
  void hold(MonoTime at) { held_ = at; }
  void release() {
    if (!held_) return;
    skew_ = *held_ - real_.mono_now();
    held_.reset();
  }

 private:
  const Clock& real_;
  std::optional<MonoTime> held_;
  MonoTime::duration skew_{};
};

/// The SIMULATED route as the daemon's GNSS source: the route simulator's NMEA read back
/// through the real replay source. Fixes are held until `begin()` (once the platform has
/// accepted the terminal); around each, `before` and `after` run (the simulated signals and
/// the session's script).
class SimulatedRoute final : public gps::GnssSource {
 public:
  using Hook = std::function<void(const gps::Fix&)>;
  SimulatedRoute(std::unique_ptr<gps::GnssSource> replay, Hook before, Hook after)
      : replay_(std::move(replay)), before_(std::move(before)), after_(std::move(after)) {}
  Status start(FixHandler on_fix) override {
    on_fix_ = std::move(on_fix);
    return ok();
  }
  Status begin() {
    return replay_->start([this](const gps::Fix& fix) {
      before_(fix);
      if (on_fix_) on_fix_(fix);
      after_(fix);
    });
  }
  void stop() override {
    on_fix_ = nullptr;
    replay_->stop();
  }
  [[nodiscard]] gps::SourceStats stats() const override { return replay_->stats(); }

 private:
  std::unique_ptr<gps::GnssSource> replay_;
  Hook before_, after_;
  FixHandler on_fix_;
};

/// Everything made, delivered and (with --platform-admin) accepted: the report and JSON line.
int finish(const SimArgs& a, const config::Config& cfg, store::Store& st,
           const EngineStatus& status, int failures, double wall_s);

/// An outbox kind in words: "training-hour record (tcp.0203)", "photo (tcp.photo)".
std::string outbox_kind_words(const std::string& kind) {
  if (kind == kPhotoKind) return "photo (" + kind + ")";
  if (const auto id = ext_id_of(kind)) {
    const auto name = uplink::extended_message_name(*id);
    if (!name.empty()) return std::string(name) + " (" + kind + ")";
  }
  return kind;
}

/// Deliver everything that was made: run the loop until nothing the configured platforms
/// take is queued or in flight (unsettled_deliveries), at most `seconds` of real time. Retries are due on the daemon's clock, which keeps moving after the
/// simulated route's last fix.
void drain(store::Store& st, bool https, const std::function<std::size_t()>& in_flight,
           asio::io_context& io, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    // Teaching logs kept for an HTTPS platform that is not configured never settle: not
    // waited for (reported by finish() as kept_for_https).
    auto pending = unsettled_deliveries(st.outbox(), https);
    if (pending && *pending == 0 && in_flight() == 0) break;
    io.run_for(20ms);
  }
}

/// One thing the terminal's screen asks for at a moment of the SIMULATED session.
struct Step {
  WallTime at;
  bool in = true;
  std::string role;    ///< "coach" (a class's lecturer) or "student"
  std::string number;  ///< empty: whoever is checked in (a vehicle's check-outs)
  std::string course;  ///< check-ins of students; empty: the terminal's default
  std::string what;    ///< for the log
};

/// A vehicle session: the coach checks in at 5 s, the student at 30 s; the student stays
/// `minutes` minutes and 20 s, the coach 10 s more.
std::vector<Step> vehicle_script(const SimArgs& a, WallTime t0) {
  const std::string course = a.course.empty() ? "1212110000" : a.course;
  const WallTime student_out = t0 + 30s + std::chrono::minutes(a.minutes) + 20s;
  return {{t0 + 5s, true, "coach", a.coach, "", "coach login"},
          {t0 + 30s, true, "student", a.students.front(), course, "student login"},
          {student_out, false, "student", "", "", "student logout"},
          {student_out + 10s, false, "coach", "", "", "coach logout"}};
}

/// A class: the lecturer (if any) checks in at 5 s; the students one after another, 50 s
/// apart from 20 s, each staying `minutes` minutes and 15 s; the lecturer leaves 10 s after
/// the last student.
std::vector<Step> classroom_script(const SimArgs& a, WallTime t0) {
  std::vector<Step> steps;
  if (!a.coach.empty()) steps.push_back({t0 + 5s, true, "coach", a.coach, "", "lecturer login"});
  WallTime last_out = t0;
  for (std::size_t i = 0; i < a.students.size(); ++i) {
    const std::string& no = a.students[i];
    const WallTime in = t0 + 20s + std::chrono::seconds(50 * i);
    last_out = in + std::chrono::minutes(a.minutes) + 15s;
    steps.push_back({in, true, "student", no, a.course, "check-in " + no});
    steps.push_back({last_out, false, "student", no, "", "check-out " + no});
  }
  if (!a.coach.empty()) {
    steps.push_back({last_out + 10s, false, "coach", "", "", "lecturer logout"});
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const Step& x, const Step& y) { return x.at < y.at; });
  return steps;
}

/// A session on the daemon a terminal runs (`tta-agent run`), assembled from SIMULATED
/// parts: a vehicle's route or a classroom's standing receiver as its GNSS source, signals
/// from the route's speed (a vehicle), the camera showing the person being checked. Check-ins
/// and check-outs go through the daemon's control backend, as the terminal's screen or the
/// kiosk asks; face checks run inline, so they take no route time. The daemon's time base is
/// the route's GNSS time (RouteClock), carried forward by the real monotonic clock after the
/// last fix so that retries come due.
int simulate_on_daemon(const SimArgs& a, const std::string& mode, const config::Config& given,
                       store::Store& st, face::FaceEngine& faces,
                       const std::map<std::string, Who>& people, asio::io_context& io,
                       const Clock& real, WallTime t0) {
  config::Config cfg = given;
  cfg.terminal.mode = mode;
  const bool classroom = mode == "classroom";
  const std::vector<Step> steps = classroom ? classroom_script(a, t0) : vehicle_script(a, t0);
  std::vector<gps::Fix> fixes;
  if (classroom) {
    // SIMULATED receiver standing in the classroom, until 10 s after the last step.
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(steps.back().at - t0);
    fixes = gps::simulate_stay(t0, static_cast<int>(seconds.count()) + 10,
                               cfg.classroom.latitude_deg, cfg.classroom.longitude_deg);
  } else {
    // SIMULATED route: 09:00 local time today, inside the first teaching area.
    if (cfg.gps.fences.empty()) {
      std::cerr << "tta-agent simulate: the config needs a [[gps.fence]] to drive in\n";
      return kExitUsage;
    }
    gps::RouteOptions route;
    route.start = t0;
    route.seconds = a.minutes * 60 + 120;
    route.area = cfg.gps.fences.front();
    fixes = gps::simulate_route(route);
  }
  const fs::path nmea_file = cfg.store.database.parent_path() / "route-SIMULATED.nmea";
  std::ofstream(nmea_file) << gps::to_nmea(fixes);
  auto replay = gps::make_source("replay://" + nmea_file.string() + "?rate=0", io, real);
  if (!replay) {
    std::cerr << "tta-agent simulate: " << replay.error().message << '\n';
    return kExitFailure;
  }

  Daemon* daemon = nullptr;
  int failures = 0;
  // A check-in or check-out as the screen asks for one; answered at once (inline face
  // checks). A refusal fails the run.
  auto ask = [&](const Step& s) {
    control::CheckRequest r{.in = s.in, .role = s.role};
    if (!s.number.empty()) r.number = s.number;
    if (!s.course.empty()) r.course = s.course;
    daemon->backend().check(r, [&failures, what = s.what](control::Response res) {
      if (res.status != 200) {
        ++failures;
        spdlog::error("{}: {}", what, res.body.value("error", res.body.dump()));
      }
    });
  };
  std::size_t next = 0;
  auto script = [&](const gps::Fix& fix) {
    const auto t = fix.utc();
    if (!t) return;
    while (next < steps.size() && *t >= steps[next].at) ask(steps[next++]);
  };
  RouteClock clock(real);
  MonoTime route_mono{};  ///< the monotonic time at which the route starts
  // A vehicle's signals follow the route's speed; a classroom has none.
  auto signals = classroom ? nullptr : std::make_unique<SimulatedSignals>();
  auto* signals_ptr = signals.get();
  auto route_source = std::make_unique<SimulatedRoute>(
      std::move(*replay),
      [&clock, &route_mono, t0, signals_ptr](const gps::Fix& fix) {
        const auto t = fix.utc();
        if (!t) return;
        if (*t >= t0) clock.hold(route_mono + (*t - t0));
        if (signals_ptr) signals_ptr->on_fix(fix, *t);
      },
      script);
  auto* route_ptr = route_source.get();
  DaemonOptions options;
  options.forwarder.pump_interval = 50ms;
  // An hour is simulated in about a second: retries back off to 5 s at most (not the
  // terminal's 5 minutes), so what a faulty platform dropped is delivered within the drain.
  options.forwarder.retry_max = 5s;
  options.serve_control = false;
  options.face_checks_inline = true;
  options.start_time = t0;
  options.classroom_seed = 20261127;  // a class replays the same re-check moments
  Daemon d(io, cfg, st, clock,
           DaemonParts{.gnss = std::move(route_source), .vehicle = std::move(signals),
                       .faces = std::make_unique<SimulatedFaceChecker>(faces, people)},
           std::move(options));
  daemon = &d;
  if (auto started = d.start(); !started) {
    std::cerr << "tta-agent simulate: " << started.error().message << '\n';
    return exit_code_for(started.error());
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!d.online() && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  if (!d.online()) {
    std::cerr << "tta-agent simulate: the platform at " << cfg.uplink.tcp.host << ':'
              << cfg.uplink.tcp.port << " did not accept the terminal in 30 s\n";
    return kExitFailure;
  }
  route_mono = clock.mono_now();
  clock.hold(route_mono);
  if (auto begun = route_ptr->begin(); !begun) {
    std::cerr << "tta-agent simulate: " << begun.error().message << '\n';
    return kExitFailure;
  }
  const auto wall_start = std::chrono::steady_clock::now();
  while (!route_ptr->stats().finished) io.run_for(10ms);
  clock.release();
  drain(st, !cfg.uplink.http.base_url.empty(), [&] { return d.deliveries_in_flight(); }, io,
        a.drain_seconds);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  d.stop();
  return finish(a, cfg, st, d.training_status(), failures, wall_s);
}

int simulate(const SimArgs& a) {
  auto cfg = load_config_or_report(a.config);
  if (!cfg) return kExitUsage;
  init_logging(cfg->agent.log_level);
  // Everything made here is SIMULATED, whatever the config says: marked so in the store, and
  // sent only to a platform the config calls a test platform.
  if (!cfg->uplink.tcp.test_platform) {
    std::cerr << "tta-agent simulate: everything it makes is SIMULATED and goes only to a test "
                 "platform: set uplink.tcp.test_platform = true for "
              << cfg->uplink.tcp.host << ':' << cfg->uplink.tcp.port
              << " (the platform simulator) in " << a.config << '\n';
    return kExitUsage;
  }
  cfg->agent.simulated = true;
  cfg->store.simulated = true;
  auto st = store::Store::open(cfg->store);
  if (!st) {
    std::cerr << "tta-agent simulate: " << st.error().message << '\n';
    return exit_code_for(st.error());
  }
  auto faces = face::FaceEngine::load(face::options_from_config(cfg->face));
  if (!faces) {
    std::cerr << "tta-agent simulate: face checks are unavailable: " << faces.error().message
              << '\n';
    return kExitFailure;
  }
  const std::string mode = a.mode.empty() ? cfg->terminal.mode : a.mode;
  if (mode == "vehicle" && (a.coach.empty() || a.students.size() != 1)) {
    std::cerr << "tta-agent simulate: a vehicle session needs --coach and one --student\n";
    return kExitUsage;
  }
  if (mode == "classroom" && (a.students.empty() || cfg->classroom.course_code.empty() ||
                              !cfg->classroom.has_position)) {
    std::cerr << "tta-agent simulate: a class needs --student (one or more) and a [classroom] "
                 "section with course_code, latitude and longitude\n";
    return kExitUsage;
  }
  std::vector<std::string> numbers = a.students;
  if (!a.coach.empty()) numbers.push_back(a.coach);
  std::map<std::string, Who> people;
  for (const auto& no : numbers) {
    auto p = st->people().find(no);
    if (!p || !*p || (*p)->face_template.empty()) {
      std::cerr << "tta-agent simulate: " << no << " is not enrolled with a face\n";
      return kExitUsage;
    }
    auto img = face::decode_image((*p)->enrol_photo_jpeg);
    if (!img) {
      std::cerr << "tta-agent simulate: " << no << ": " << img.error().message << '\n';
      return kExitFailure;
    }
    people[no] = Who{face::Template{(*p)->face_template}, std::move(*img)};
  }

  asio::io_context io;
  SystemClock real;
  // The daemon's time base: the SIMULATED route's GNSS time, carried forward by the monotonic
  // clock (fix_clock.hpp). It runs as fast as the route is replayed and keeps moving after
  // the last fix, so retries come due. It starts at the route's start, 09:00 local today.
  const CivilTime today = to_civil(real.wall_now(), kChinaUtcOffset);
  const WallTime t0 = *from_civil({today.year, today.month, today.day, 9, 0, 0}, kChinaUtcOffset);
  return simulate_on_daemon(a, mode, *cfg, *st, *faces, people, io, real, t0);
}

int finish(const SimArgs& a, const config::Config& cfg, store::Store& st,
           const EngineStatus& status, int failures, double wall_s) {
  const auto minutes_out = st.outbox().counts(tcp_kind(uplink::extid::kTrainingRecord));
  const auto photos = st.photos().counts();
  nlohmann::json out{{"minutes_made", status.minutes_made},
                     {"minutes_counted", status.minutes_counted},
                     {"minutes_uploaded", minutes_out ? minutes_out->acked : 0},
                     {"wall_seconds", wall_s},
                     {"failures", failures}};
  nlohmann::json photo_json = nlohmann::json::object();
  if (photos) {
    for (const auto& [event, n] : *photos) photo_json[std::to_string(event)] = n;
  }
  out["photos_made"] = photo_json;
  // Made and never delivered (still queued or in flight after the drain, or refused): the
  // run failed, whatever else it did.
  nlohmann::json undelivered = nlohmann::json::object();
  // Without an HTTPS platform (uplink.http.base_url empty) the teaching logs are kept in the
  // outbox for the day one is configured: reported, not a failure of the run.
  nlohmann::json kept = nlohmann::json::object();
  std::string undelivered_text;
  if (auto by_kind = st.outbox().counts_by_kind()) {
    for (const auto& k : *by_kind) {
      const auto n = k.counts.queued + k.counts.in_flight + k.counts.refused;
      if (n == 0) continue;
      if (!delivered_here(k.kind, !cfg.uplink.http.base_url.empty()) && k.counts.refused == 0) {
        kept[k.kind] = n;
        continue;
      }
      undelivered[k.kind] = n;
      undelivered_text += (undelivered_text.empty() ? "" : ", ") + std::to_string(n) + " " +
                          outbox_kind_words(k.kind) + " (" + std::to_string(k.counts.refused) +
                          " refused)";
    }
  } else {
    undelivered["error"] = by_kind.error().message;
    undelivered_text = "the outbox could not be read: " + by_kind.error().message;
  }
  out["undelivered"] = undelivered;
  out["kept_for_https"] = kept;
  if (!undelivered.empty()) {
    ++failures;
    std::cerr << "tta-agent simulate: made but never delivered: " << undelivered_text << '\n';
  }
  if (!a.summary_url.empty()) {
    // What the platform says it received and accepted: minutes_valid is what the
    // simulator's own audit (training-rules.md §4) accepts, not the terminal's status.
    auto summary = http_get(a.summary_url + "/sim/summary");
    if (summary) {
      auto s = nlohmann::json::parse(*summary, nullptr, false);
      if (!s.is_discarded()) {
        out["minutes_valid"] = s["minutes_valid"];
        out["minutes_void"] = s["minutes_void"];
        out["duplicates"] = s["duplicates"];
        out["photos"] = s["photos_by_event"];
        out["platform_minutes_unique"] = s["minutes_unique"];
        out["signature_failures"] = s["signature_failures"];
        out["platform_resent_minutes"] = s["resent_minutes"];
        out["platform_errors"] = s["errors"];
      }
    }
    if (!out.contains("minutes_valid")) {
      // Without the platform's verdicts the report would show the terminal's own count as if
      // the platform had said it: fail instead.
      ++failures;
      std::cerr << "tta-agent simulate: the platform's verdicts could not be read from "
                << a.summary_url << ": "
                << (summary ? "not a JSON summary" : summary.error().message) << '\n';
    }
  }
  if (!out.contains("photos")) out["photos"] = photo_json;
  // Without the platform's verdicts (no --platform-admin) there is no "valid" figure: the
  // terminal's own count is reported under its own name, never as the platform's.
  if (!out.contains("minutes_valid")) out["minutes_valid"] = nullptr;
  out["minutes_counted_by_terminal"] = status.minutes_counted;
  out["simulated"] = true;
  if (!out.contains("duplicates")) out["duplicates"] = nullptr;
  // The student's hours against the syllabus after the session (the first student of a class;
  // every student's under "progress_all"). Not found: null, and the reason is logged.
  std::vector<std::string> progress_lines;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& no : a.students) {
    auto p = progress(st, cfg, no);
    if (!p) {
      spdlog::warn("progress of {}: {}", no, p.error().message);
      all.push_back(nullptr);
      continue;
    }
    all.push_back(progress_json(*p));
    for (const auto& prog : p->programmes) {
      progress_lines.push_back(no + " " + prog.programme + " (" + prog.title + "): " +
                               std::to_string(prog.percent) + "%");
    }
  }
  out["progress"] = all.empty() ? nlohmann::json(nullptr) : all.front();
  if (all.size() > 1) out["progress_all"] = all;
  if (!a.json) {
    std::cout << "\nSIMULATED training session (route, vehicle signals and camera frames are "
                 "simulated)\n"
              << "  minutes made:      " << status.minutes_made << " (" << status.minutes_counted
              << " valid by the terminal's live rules)\n"
              << "  minutes uploaded:  " << out["minutes_uploaded"] << '\n'
              << "  minutes valid at the platform: " << out["minutes_valid"]
              << (out.contains("minutes_void") ? " (void: " + out["minutes_void"].dump() + ")" : "")
              << '\n'
              << "  duplicates at the platform:    " << out["duplicates"] << '\n'
              << "  photos by event:   " << out["photos"].dump() << '\n'
              << "  wall time:         " << wall_s << " s\n"
              << "  progress:" << (progress_lines.empty() ? " none (no syllabus programme)" : "")
              << '\n';
    for (const auto& line : progress_lines) std::cout << "    " << line << '\n';
  }
  std::cout << out.dump() << std::endl;
  return failures == 0 ? kExitOk : kExitFailure;
}

int demo_faces(const std::string& from, const std::string& out_dir, const std::string& config) {
  auto cfg = load_config_or_report(config);
  if (!cfg) return kExitUsage;
  auto faces = face::FaceEngine::load(face::options_from_config(cfg->face));
  if (!faces) {
    std::cerr << "tta-agent demo-faces: " << faces.error().message << '\n';
    return kExitFailure;
  }
  fs::create_directories(out_dir);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(from)) {
    if (e.path().extension() == ".jpg") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int written = 0;
  std::vector<face::Template> seen;
  for (const auto& f : files) {
    auto img = face::load_image(f);
    if (!img) continue;
    auto analysis = faces->analyse(*img);
    if (!analysis || analysis->faces.empty()) continue;
    // The largest face of each photo, if it is someone not already taken.
    auto face_img = crop(*img, analysis->faces.front(), 0.6, 0, 0);
    auto enrolment = faces->enrol(face_img);
    if (!enrolment) continue;
    bool same = false;
    for (const auto& t : seen) {
      auto score = face::compare_templates(t, enrolment->templ);
      same = same || (score && *score >= cfg->face.match_threshold);
    }
    if (same) continue;
    seen.push_back(enrolment->templ);
    const auto name = out_dir + "/person" + std::to_string(++written) + ".jpg";
    if (auto st = face::save_image(face_img, name); !st) {
      std::cerr << "tta-agent demo-faces: " << st.error().message << '\n';
      return kExitFailure;
    }
    std::cout << name << " (from " << f.filename().string() << ")\n";
    if (written == 2) return kExitOk;
  }
  std::cerr << "tta-agent demo-faces: found " << written << " distinct usable faces, need 2\n";
  return kExitNoFace;
}

}  // namespace

void add_simulate_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "simulate", "Run a whole training session on SIMULATED GNSS, signals and camera (demo)");
  auto a = std::make_shared<SimArgs>();
  cmd->add_option("--config", a->config, "TOML config file")->required();
  cmd->add_option("--mode", a->mode, "vehicle or classroom (default: terminal.mode)")
      ->check(CLI::IsMember({"vehicle", "classroom"}));
  cmd->add_option("--coach", a->coach,
                  "coach's national number (vehicle; in a classroom: the lecturer, optional)");
  cmd->add_option("--student", a->students,
                  "student's national number (a classroom takes several: --student A --student B)")
      ->required();
  cmd->add_option("--course", a->course,
                  "course code (default 1212110000; classroom: classroom.course_code)");
  cmd->add_option("--minutes", a->minutes, "minutes of training")->capture_default_str();
  cmd->add_option("--drain-seconds", a->drain_seconds,
                  "keep delivering this long after the session; what is left then fails the run")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--platform-admin", a->summary_url,
                  "tta-platform-sim admin URL (http://127.0.0.1:PORT) for the report");
  cmd->add_flag("--json", a->json, "print only the JSON line");
  cmd->callback([a, &exit_code] { exit_code = simulate(*a); });
}

void add_demo_faces_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("demo-faces", "Cut two distinct faces out of group photos");
  auto from = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  cmd->add_option("--from", *from, "folder of photos")->required();
  cmd->add_option("--out", *out, "where person1.jpg and person2.jpg go")->required();
  cmd->add_option("--config", *config, "TOML config file (for the models)")->required();
  cmd->callback([from, out, config, &exit_code] { exit_code = demo_faces(*from, *out, *config); });
}

}  // namespace tta::agent
