// `simulate`: the demo's main job. A whole vehicle training session runs against the platform
// named in the config, on SIMULATED inputs that are labelled as such: GNSS from the route
// simulator (written as NMEA and read back through the real parser), vehicle signals made up
// from the simulated speed, and camera frames cut from the enrolment photos. Time is the GNSS
// time of the route, so an hour of training takes well under a minute.
//
// `demo-faces`: cut single faces out of group photos (the demo's people).
#include <utility>  // before Asio

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "common.hpp"
#include "engine.hpp"
#include "forwarder.hpp"
#include "logging.hpp"
#include "route_sim.hpp"
#include "store_credentials.hpp"
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
  std::string coach;
  std::string student;
  std::string course = "1212110000";
  int minutes = 60;
  std::string summary_url;
  bool json = false;
};

class Listener final : public uplink::SessionListener {
 public:
  explicit Listener(TrainingEngine*& engine) : engine_(engine) {}
  void on_platform_command(const uplink::ExtendedMessage& m) override {
    if (m.ext_id == uplink::extid::kSetTrainingBan && engine_ != nullptr) {
      if (auto ban = uplink::SetTrainingBan::decode(m.data)) {
        engine_->set_ban(ban->state == 2, ban->message, last_);
      }
    }
  }
  WallTime last_{};

 private:
  TrainingEngine*& engine_;
};

int simulate(const SimArgs& a) {
  auto cfg = load_config_or_report(a.config);
  if (!cfg) return kExitUsage;
  init_logging(cfg->agent.log_level);
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
  struct Who {
    face::Template templ;
    face::Image photo;
  };
  std::map<std::string, Who> people;
  for (const auto& no : {a.coach, a.student}) {
    auto p = st->find_person(no);
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
  FakeClock vclock;  // the route's GNSS time drives the engine and the outbox
  SystemClock real;
  TrainingEngine* engine_ptr = nullptr;
  Listener listener(engine_ptr);
  StoreCredentials creds(*st, real);
  uplink::TerminalSession session(io, uplink::SessionOptions::from_config(*cfg), real, creds,
                                  listener);
  ForwarderOptions fo;
  fo.pump_interval = 50ms;
  Forwarder forwarder(io, *st, session, vclock, fo);
  session.start();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!session.online() && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  if (!session.online()) {
    std::cerr << "tta-agent simulate: the platform at " << cfg->uplink.tcp.host << ':'
              << cfg->uplink.tcp.port << " did not accept the terminal in 30 s\n";
    return kExitFailure;
  }
  TrainingEngine engine(*st, *cfg, session.terminal_no());
  engine_ptr = &engine;
  engine.on_outbox([&] { forwarder.poke(); });
  forwarder.start();

  // SIMULATED route: 09:00 local time today, inside the first teaching area.
  if (cfg->gps.fences.empty()) {
    std::cerr << "tta-agent simulate: the config needs a [[gps.fence]] to drive in\n";
    return kExitUsage;
  }
  const CivilTime today = to_civil(real.wall_now(), kChinaUtcOffset);
  RouteOptions route;
  route.start = *from_civil({today.year, today.month, today.day, 9, 0, 0}, kChinaUtcOffset);
  route.seconds = a.minutes * 60 + 120;
  route.area = cfg->gps.fences.front();
  const fs::path nmea_file = cfg->store.database.parent_path() / "route-SIMULATED.nmea";
  std::ofstream(nmea_file) << to_nmea(simulate_route(route));
  auto source = gps::make_source("replay://" + nmea_file.string() + "?rate=0", io, real);
  if (!source) {
    std::cerr << "tta-agent simulate: " << source.error().message << '\n';
    return kExitFailure;
  }

  int frame_no = 0;
  auto check = [&](const std::string& who, std::uint8_t event) {
    const face::Image frame = demo_frame(people[who].photo, frame_no++);
    FaceEvidence ev;
    auto v = faces->verify(people[who].templ, frame);
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
    const auto pos = engine.position_block();
    face::EvidenceStamp stamp{.terminal_no = session.terminal_no(), .time = vclock.wall_now(),
                              .lat_deg = pos.latitude_deg(), .lon_deg = pos.longitude_deg()};
    if (auto photo = face::make_evidence_photo(frame, 1, stamp, event, v->confidence)) {
      ev.jpeg = std::move(photo->jpeg);
      ev.size_code = photo->size_code;
    }
    return ev;
  };
  engine.on_photo_due([&] { (void)engine.add_timed_photo(check(a.student, 19), vclock.wall_now()); });
  engine.on_recheck_due([&] { (void)engine.recheck(check(a.student, 19), vclock.wall_now()); });

  const WallTime t0 = route.start;
  const WallTime student_out = t0 + 30s + std::chrono::minutes(a.minutes) + 20s;
  int stage = 0;
  int failures = 0;
  auto report = [&](const Status& s, const char* what) {
    if (!s) {
      ++failures;
      spdlog::error("{}: {}", what, s.error().message);
    }
  };
  auto start_fixes = (*source)->start([&](const gps::Fix& fix) {
    const auto t = fix.utc();
    if (!t) return;
    if (*t > vclock.wall_now()) vclock.set_wall(*t);
    listener.last_ = *t;
    // SIMULATED vehicle signals, derived from the simulated speed.
    const double kmh = std::isnan(fix.speed_kmh) ? 0 : fix.speed_kmh;
    engine.on_vehicle({.at = *t, .ignition_on = true,
                       .engine_rpm = static_cast<std::uint16_t>(800 + kmh * 45),
                       .sensor_speed_kmh = kmh});
    engine.on_fix(fix, real.mono_now());
    if (stage == 0 && *t >= t0 + 5s) {
      report(engine.coach_login(a.coach, check(a.coach, 20), *t), "coach login");
      stage = 1;
    } else if (stage == 1 && *t >= t0 + 30s) {
      report(engine.student_login(a.student, a.course, check(a.student, 17), *t).map([](auto) {}),
             "student login");
      stage = 2;
    } else if (stage == 2 && *t >= student_out) {
      report(engine.student_logout(check(a.student, 18), *t), "student logout");
      stage = 3;
    } else if (stage == 3 && *t >= student_out + 10s) {
      report(engine.coach_logout(check(a.coach, 21), *t), "coach logout");
      stage = 4;
    }
  });
  if (!start_fixes) {
    std::cerr << "tta-agent simulate: " << start_fixes.error().message << '\n';
    return kExitFailure;
  }
  const auto wall_start = std::chrono::steady_clock::now();
  while (!(*source)->stats().finished) io.run_for(10ms);
  // Deliver everything that was made.
  const auto drain_deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < drain_deadline) {
    auto c = st->outbox_counts();
    if (c && c->queued + c->in_flight == 0 && forwarder.in_flight() == 0) break;
    io.run_for(20ms);
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  forwarder.stop();
  session.stop();

  const auto status = engine.status();
  const auto minutes_out = st->outbox_counts(tcp_kind(uplink::extid::kTrainingRecord));
  const auto photos = st->photo_counts();
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
  if (!a.summary_url.empty()) {
    // What the platform says it received and accepted.
    auto summary = http_get(a.summary_url + "/sim/summary");
    auto minutes = http_get(a.summary_url + "/sim/minutes");
    if (summary && minutes) {
      auto s = nlohmann::json::parse(*summary, nullptr, false);
      auto m = nlohmann::json::parse(*minutes, nullptr, false);
      if (!s.is_discarded() && !m.is_discarded()) {
        int valid = 0;
        for (const auto& row : m) valid += row.value("status", 1) == 0 ? 1 : 0;
        out["minutes_valid"] = valid;
        out["duplicates"] = s["duplicates"];
        out["photos"] = s["photos_by_event"];
        out["platform_minutes_unique"] = s["minutes_unique"];
        out["signature_failures"] = s["signature_failures"];
      }
    } else {
      spdlog::warn("platform summary: {}", (summary ? minutes.error() : summary.error()).message);
    }
  }
  if (!out.contains("photos")) out["photos"] = photo_json;
  if (!out.contains("minutes_valid")) out["minutes_valid"] = status.minutes_counted;
  if (!out.contains("duplicates")) out["duplicates"] = nullptr;
  if (!a.json) {
    std::cout << "\nSIMULATED training session (route, vehicle signals and camera frames are "
                 "simulated)\n"
              << "  minutes made:      " << status.minutes_made << " (" << status.minutes_counted
              << " valid by the terminal's live rules)\n"
              << "  minutes uploaded:  " << out["minutes_uploaded"] << '\n'
              << "  minutes valid at the platform: " << out["minutes_valid"] << '\n'
              << "  duplicates at the platform:    " << out["duplicates"] << '\n'
              << "  photos by event:   " << out["photos"].dump() << '\n'
              << "  wall time:         " << wall_s << " s\n";
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
  cmd->add_option("--coach", a->coach, "coach's national number")->required();
  cmd->add_option("--student", a->student, "student's national number")->required();
  cmd->add_option("--course", a->course, "course code")->capture_default_str();
  cmd->add_option("--minutes", a->minutes, "minutes of training")->capture_default_str();
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
