#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <charconv>
#include <functional>
#include <span>
#include <cstring>
#include <fstream>
#include <sstream>

#include "reader.hpp"
#include "tta/config/config.hpp"
#include "tta/core/ids.hpp"

namespace tta::config {
namespace {

using detail::Diagnostics;
using detail::Section;

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool has_scheme(std::string_view uri, std::initializer_list<std::string_view> schemes) {
  for (auto s : schemes) {
    if (uri.starts_with(s)) return true;
  }
  return false;
}

/// For file-backed URIs (replay://, dir://, file://) resolve a relative path against the
/// config file's directory, as for every other path in the file.
std::string resolve_uri(const Section& s, const std::string& uri) {
  for (std::string_view scheme : {"replay://", "dir://", "file://"}) {
    if (!uri.starts_with(scheme)) continue;
    std::string rest = uri.substr(scheme.size());
    const auto q = rest.find('?');
    const std::string query = q == std::string::npos ? "" : rest.substr(q);
    const std::string path = rest.substr(0, q);
    if (path.empty() || path.front() == '/') return uri;
    return std::string(scheme) + s.resolve(path).string() + query;
  }
  return uri;
}

bool valid_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':' || !all_digits(s.substr(0, 2)) || !all_digits(s.substr(3))) {
    return false;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  return h <= 24 && m <= 59 && !(h == 24 && m != 0);
}

void read_terminal(Section s, TerminalConfig& t) {
  s.str("phone", t.phone, true);
  if (!t.phone.empty() && (t.phone.size() > 16 || !all_digits(t.phone))) {
    s.error("phone", "must be 1 to 16 digits");
  }
  s.integer("province_id", t.province_id, 0, 0xFFFF, true);
  s.integer("city_id", t.city_id, 0, 0xFFFF, true);
  s.str("maker_id", t.maker_id, true);
  if (t.maker_id.size() > 5) s.error("maker_id", "must be at most 5 characters");
  s.str("model", t.model, true);
  if (t.model.size() > 20) s.error("model", "must be at most 20 characters");
  s.str("serial", t.serial, true);
  if (t.serial.size() > 7) s.error("serial", "must be at most 7 characters");
  s.str("imei", t.imei, true);
  if (!t.imei.empty() && (t.imei.size() != 15 || !all_digits(t.imei))) {
    s.error("imei", "must be 15 digits");
  }
  s.integer("plate_colour", t.plate_colour, 0, 255);
  s.str("plate", t.plate, true);
  s.str("institution_code", t.institution_code, true);
  if (!t.institution_code.empty()) {
    if (auto st = validate_national_number(t.institution_code); !st) {
      s.error("institution_code", st.error().message);
    }
  }
  s.str("mode", t.mode);
  if (t.mode != "vehicle" && t.mode != "classroom") {
    s.error("mode", "must be \"vehicle\" or \"classroom\", got \"" + t.mode + "\"");
  }
  s.finish();
}

void read_store(Section s, StoreConfig& st) {
  s.path("database", st.database, true);
  s.path("key_file", st.key_file, true);
  if (!st.database.empty() && st.database == st.key_file) {
    s.error("key_file", "must not be the database file");
  }
  s.integer("budget_mb", st.budget_mb, 0, 16 * 1024 * 1024);
  s.integer("nearly_full_percent", st.nearly_full_percent, 50, 100);
  s.integer("min_free_mb", st.min_free_mb, 0, 1024 * 1024);
  s.finish();
}

void read_retention(Section s, RetentionConfig& r) {
  s.integer("minutes_days", r.minutes_days, 0, 100 * 366);
  s.integer("photos_days", r.photos_days, 0, 100 * 366);
  s.integer("events_days", r.events_days, 0, 100 * 366);
  s.integer("batch", r.batch, 1, 10000);
  s.integer("interval_s", r.interval_s, 10, 86400);
  s.finish();
}

void read_fence(Section s, Fence& f) {
  s.str("name", f.name, true);
  const toml::node* pts = s.raw("points");
  if (pts == nullptr) {
    s.error("points", "required key is missing");
  } else if (const toml::array* arr = pts->as_array(); arr == nullptr) {
    s.error_at(*pts, "points", "must be an array of [lat, lon] pairs");
  } else {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& p = *arr->get(i);
      const toml::array* pair = p.as_array();
      const std::string key = "points[" + std::to_string(i) + "]";
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_number() ||
          !(*pair)[1].is_number()) {
        s.error_at(p, key, "must be a [lat, lon] pair of numbers");
        continue;
      }
      const double lat = *(*pair)[0].value<double>();
      const double lon = *(*pair)[1].value<double>();
      if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) {
        s.error_at(p, key, "latitude must be within ±90 and longitude within ±180 degrees");
        continue;
      }
      f.points.push_back({lat, lon});
    }
    if (arr->size() < 3) s.error_at(*pts, "points", "a fence needs at least 3 points");
  }
  s.finish();
}

void read_gps(Section s, GpsConfig& g, bool source_required) {
  // A classroom kiosk has a fixed position ([classroom]): a receiver is optional there.
  s.str("source", g.source, source_required);
  if (!g.source.empty() && !has_scheme(g.source, {"serial://", "gpsd://", "replay://"})) {
    s.error("source", "must start with serial://, gpsd:// or replay://");
  }
  g.source = resolve_uri(s, g.source);
  for (Section f : s.tables("fence")) {
    Fence fence;
    read_fence(std::move(f), fence);
    g.fences.push_back(std::move(fence));
  }
  s.real("max_hdop", g.max_hdop, 0.5, 99.99);
  s.integer("min_satellites", g.min_satellites, 0, 64);
  s.real("stationary_speed_kmh", g.stationary_speed_kmh, 0.0, 20.0);
  s.real("noise_m_per_hdop", g.noise_m_per_hdop, 0.0, 100.0);
  s.real("max_vehicle_speed_kmh", g.max_vehicle_speed_kmh, 10.0, 1000.0);
  s.integer("frozen_epochs", g.frozen_epochs, 2, 3600);
  s.real("speed_mismatch_kmh", g.speed_mismatch_kmh, 1.0, 200.0);
  s.finish();
}

void read_face(Section s, FaceConfig& f) {
  s.str("camera", f.camera, true);
  if (!f.camera.empty() &&
      !has_scheme(f.camera, {"v4l2://", "rtsp://", "rtsps://", "file://", "dir://"})) {
    s.error("camera", "must start with v4l2://, rtsp://, rtsps://, file:// or dir://");
  }
  f.camera = resolve_uri(s, f.camera);
  s.path("models_dir", f.models_dir, true);
  const bool point_given = s.raw("operating_point") != nullptr;
  const bool threshold_given = s.raw("match_threshold") != nullptr;
  s.str("operating_point", f.operating_point);
  if (f.operating_point == "balanced") {
    f.match_threshold = kFaceThresholdBalanced;
  } else if (f.operating_point == "far_first") {
    f.match_threshold = kFaceThresholdFarFirst;
  } else if (f.operating_point == "frr_first") {
    f.match_threshold = kFaceThresholdFrrFirst;
  } else {
    s.error("operating_point", "must be balanced, far_first or frr_first");
  }
  if (point_given && threshold_given) {
    s.error("match_threshold", "give either operating_point or match_threshold, not both");
  }
  s.real("match_threshold", f.match_threshold, -1.0, 1.0);
  if (threshold_given) f.operating_point = "custom";
  s.integer("min_face_px", f.min_face_px, 16, 1024);
  s.real("liveness_threshold", f.liveness_threshold, 0.0, 1.0);
  s.str("liveness_challenge", f.liveness_challenge);
  if (f.liveness_challenge != "auto" && f.liveness_challenge != "none" &&
      f.liveness_challenge != "blink" && f.liveness_challenge != "turn") {
    s.error("liveness_challenge", "must be auto, none, blink or turn");
  }
  s.real("turn_min_deg", f.turn_min_deg, 5.0, 60.0);
  s.real("min_brightness", f.min_brightness, 0.0, 128.0);
  s.real("max_brightness", f.max_brightness, 128.0, 255.0);
  s.real("max_clipped_fraction", f.max_clipped_fraction, 0.0, 1.0);
  s.real("min_sharpness", f.min_sharpness, 0.0, 1000.0);
  s.real("min_eye_distance_px", f.min_eye_distance_px, 0.0, 256.0);
  s.real("max_yaw_deg", f.max_yaw_deg, 5.0, 90.0);
  s.real("max_pitch_deg", f.max_pitch_deg, 5.0, 90.0);
  s.finish();
}

void read_tcp(Section s, TcpUplinkConfig& t) {
  s.str("host", t.host, true);
  s.integer("port", t.port, 1, 65535, true);
  s.boolean("tls", t.tls);
  s.path("ca_file", t.ca_file);
  s.integer("heartbeat_s", t.heartbeat_s, 5, 3600);
  s.integer("ack_timeout_s", t.ack_timeout_s, 1, 600);
  s.integer("reconnect_min_s", t.reconnect_min_s, 1, 3600);
  s.integer("reconnect_max_s", t.reconnect_max_s, 1, 86400);
  if (t.reconnect_max_s < t.reconnect_min_s) {
    s.error("reconnect_max_s", "must not be less than reconnect_min_s");
  }
  s.integer("subpacket_bytes", t.subpacket_bytes, 256, 1023);
  s.boolean("test_platform", t.test_platform);
  s.integer("reassembly_timeout_s", t.reassembly_timeout_s, 5, 3600);
  s.integer("resend_after_s", t.resend_after_s, 1, 600);
  s.integer("resend_requests", t.resend_requests, 0, 10);
  s.integer("resend_request_id", t.resend_request_id, 0, 0xFFFF);
  s.integer("max_refusals", t.max_refusals, 1, 1000);
  s.finish();
}

/// The supervision platform's resources (platform-http.md); other names are typos.
constexpr std::string_view kHttpResources[] = {"imageup",    "classrecord", "trainimginfo",
                                               "stagetrainningtime", "graduation",
                                               "stuinfoquery", "traininfo"};

void read_http_resource(Section s, HttpResourceConfig& r) {
  s.str("path", r.path);
  if (r.path.find_first_of("?# ") != std::string::npos || r.path.starts_with("/")) {
    s.error("path", "must be a relative URL path without '?', '#', spaces or a leading '/'");
  }
  s.str("version", r.version);
  if (const toml::node* f = s.raw("fields"); f != nullptr) {
    const toml::table* t = f->as_table();
    if (t == nullptr) {
      s.error_at(*f, "fields", "must be a table of canonical = \"wire name\" strings");
    } else {
      for (const auto& [k, v] : *t) {
        if (auto str = v.value<std::string>(); str && v.is_string() && !str->empty()) {
          r.fields[std::string(k.str())] = *str;
        } else {
          s.error_at(v, "fields." + std::string(k.str()), "must be a non-empty string");
        }
      }
    }
  }
  s.finish();
}

/// [….resources.NAME] tables; `known` restricts the names (empty: any name).
void read_http_resources(Section& parent, std::map<std::string, HttpResourceConfig>& out,
                         std::span<const std::string_view> known) {
  const toml::node* n = parent.raw("resources");
  if (n == nullptr) return;
  const toml::table* t = n->as_table();
  if (t == nullptr) {
    parent.error_at(*n, "resources", "must be a table of [resources.NAME] tables");
    return;
  }
  Section res = parent.table("resources");
  for (const auto& [k, v] : *t) {
    const std::string name(k.str());
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (auto kn : known) list += (list.empty() ? "" : ", ") + std::string(kn);
      res.error(name, "unknown resource; known: " + list);
      (void)res.raw(name);
      continue;
    }
    read_http_resource(res.table(name), out[name]);
  }
  res.finish();
}

void read_http_target(Section s, HttpTargetConfig& t) {
  s.str("base_url", t.base_url);
  if (!t.base_url.empty() && !t.base_url.starts_with("https://")) {
    s.error("base_url", "must be an https:// URL (TLS is not optional)");
  }
  s.str("api_version", t.api_version);
  read_http_resources(s, t.resources, {});
  s.finish();
}

void read_http(Section s, HttpUplinkConfig& h) {
  s.str("base_url", h.base_url);
  if (!h.base_url.empty() && !h.base_url.starts_with("https://")) {
    s.error("base_url", "must be an https:// URL (TLS is not optional)");
  }
  s.str("api_version", h.api_version);
  s.boolean("test_platform", h.test_platform);
  s.path("ca_bundle", h.ca_bundle);
  s.path("client_cert", h.client_cert);
  s.path("client_key", h.client_key);
  if (h.client_cert.empty() != h.client_key.empty()) {
    s.error(h.client_cert.empty() ? "client_cert" : "client_key",
            "client_cert and client_key go together");
  }
  s.str("proxy", h.proxy);
  s.integer("connect_timeout_ms", h.connect_timeout_ms, 100, 120000);
  s.integer("total_timeout_ms", h.total_timeout_ms, 100, 600000);
  s.boolean("reuse_connections", h.reuse_connections);
  s.integer("workers", h.workers, 1, 8);
  s.integer("retry_min_ms", h.retry_min_ms, 10, 3600000);
  s.integer("retry_max_ms", h.retry_max_ms, 10, 86400000);
  if (h.retry_max_ms < h.retry_min_ms) s.error("retry_max_ms", "must not be less than retry_min_ms");
  s.integer("max_response_bytes", h.max_response_bytes, 1024, 256 * 1024 * 1024);
  read_http_resources(s, h.resources, kHttpResources);
  read_http_target(s.table("continuing_education"), h.continuing_education);
  s.finish();
}

void read_training(Section s, TrainingConfig& t) {
  s.integer("daily_practical_max_min", t.daily_practical_max_min, 0, 1440);
  s.integer("daily_classroom_max_min", t.daily_classroom_max_min, 0, 1440);
  s.integer("effective_minutes_per_hour", t.effective_minutes_per_hour, 1, 60);
  s.integer("photo_interval_min", t.photo_interval_min, 1, 255);
  s.integer("recheck_interval_min", t.recheck_interval_min, 1, 65535);
  s.integer("ignition_off_stop_min", t.ignition_off_stop_min, 0, 255);
  s.integer("coach_auto_logout_min", t.coach_auto_logout_min, 0, 65535);
  s.str("day_start", t.day_start);
  if (!valid_hhmm(t.day_start)) s.error("day_start", "must be HH:MM");
  s.str("day_end", t.day_end);
  if (!valid_hhmm(t.day_end)) s.error("day_end", "must be HH:MM");
  if (valid_hhmm(t.day_start) && valid_hhmm(t.day_end) && t.day_end <= t.day_start) {
    s.error("day_end", "must be later than day_start");
  }
  s.finish();
}

/// One [vehicle] source URI: scheme://path?key=value&… with the schemes (and their query keys)
/// a key allows. Query values are whole numbers; `check` vets each one.
struct VehicleScheme {
  std::string_view scheme;
  std::initializer_list<std::string_view> keys;
};

void check_vehicle_uri(Section& s, std::string_view key, const std::string& uri,
                       std::initializer_list<VehicleScheme> allowed,
                       const std::function<std::string(std::string_view, std::uint64_t)>& check) {
  if (uri.empty()) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a.scheme) + "://";
  const auto sep = uri.find("://");
  const VehicleScheme* scheme = nullptr;
  for (const auto& a : allowed) {
    if (sep != std::string::npos && uri.compare(0, sep, a.scheme) == 0) scheme = &a;
  }
  if (scheme == nullptr) {
    s.error(key, "must start with " + list + ", got \"" + uri + "\"");
    return;
  }
  std::string_view rest = std::string_view(uri).substr(sep + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (scheme->scheme == "sim") {
    if (!rest.empty()) s.error(key, "sim:// takes no path");
  } else if (scheme->scheme == "socketcan") {
    if (rest.empty() || rest.size() > 15 || rest.find('/') != std::string_view::npos) {
      s.error(key, "socketcan:// needs a CAN interface name (1-15 characters, e.g. can0)");
    }
  } else if (rest.size() < 2 || rest.front() != '/') {
    s.error(key, std::string(scheme->scheme) + ":// needs an absolute path, e.g. " +
                     std::string(scheme->scheme) + ":///dev/…");
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = kv.find('=');
    const std::string_view name = kv.substr(0, eq);
    if (std::find(scheme->keys.begin(), scheme->keys.end(), name) == scheme->keys.end()) {
      std::string known;
      for (auto k : scheme->keys) known += (known.empty() ? "" : ", ") + std::string(k);
      s.error(key, "unknown option \"" + std::string(name) + "\" for " +
                       std::string(scheme->scheme) + ":// (known: " +
                       (known.empty() ? "none" : known) + ")");
      continue;
    }
    const std::string_view value = eq == std::string_view::npos ? "" : kv.substr(eq + 1);
    std::uint64_t n = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
    std::string why = r.ec != std::errc{} || r.ptr != value.data() + value.size() || value.empty()
                          ? "must be a whole number"
                          : check(name, n);
    if (!why.empty()) s.error(key, std::string(name) + "=" + std::string(value) + ": " + why);
  }
}

void read_vehicle(Section s, VehicleConfig& v) {
  const auto numbers = [](std::string_view name, std::uint64_t n) -> std::string {
    if (name == "active_low" && n > 1) return "must be 0 or 1";
    if (name == "pulses_per_km" && (n < 1 || n > 1'000'000)) return "must be 1 to 1000000";
    if (name == "baud") {
      for (std::uint64_t b : {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 500000}) {
        if (n == b) return "";
      }
      return "not a standard rate (1200 … 500000; ELM327 adapters use 38400 or 9600)";
    }
    return "";
  };
  s.str("ignition", v.ignition);
  check_vehicle_uri(s, "ignition", v.ignition, {{"sysfs", {"active_low"}}}, numbers);
  s.str("obd", v.obd);
  check_vehicle_uri(s, "obd", v.obd, {{"elm327", {"baud"}}, {"socketcan", {}}, {"sim", {}}},
                    numbers);
  s.str("pulses", v.pulses);
  check_vehicle_uri(s, "pulses", v.pulses, {{"sysfs", {"pulses_per_km"}}}, numbers);
  if (v.pulses.starts_with("sysfs://") && v.pulses.find("pulses_per_km=") == std::string::npos) {
    s.error("pulses", "needs ?pulses_per_km=N (the counter's pulses per kilometre)");
  }
  if (v.obd.starts_with("sim://") && (!v.ignition.empty() || !v.pulses.empty())) {
    s.error("obd", "sim:// simulates every signal; leave ignition and pulses empty with it");
  }
  s.integer("poll_interval_ms", v.poll_interval_ms, 50, 60000);
  s.integer("obd_timeout_ms", v.obd_timeout_ms, 50, 30000);
  s.integer("max_age_ms", v.max_age_ms, 100, 600000);
  if (v.max_age_ms < v.poll_interval_ms) {
    s.error("max_age_ms", "must not be less than poll_interval_ms (every reading would be stale)");
  }
  s.finish();
}

void read_classroom(Section s, ClassroomConfig& c, bool classroom_mode) {
  const bool lat_given = s.raw("latitude") != nullptr;
  const bool lon_given = s.raw("longitude") != nullptr;
  double lat = std::numeric_limits<double>::quiet_NaN();
  double lon = lat;
  s.real("latitude", lat, -90.0, 90.0);
  s.real("longitude", lon, -180.0, 180.0);
  c.has_position = !std::isnan(lat) && !std::isnan(lon);
  if (c.has_position) {
    c.latitude_deg = lat;
    c.longitude_deg = lon;
  }
  if (lat_given != lon_given) {
    s.error(lat_given ? "longitude" : "latitude", "latitude and longitude go together");
  }
  s.str("course_code", c.course_code);
  if (!c.course_code.empty()) {
    if (auto cc = CourseCode::parse(c.course_code); !cc) {
      s.error("course_code", cc.error().message);
    } else if (cc->mode != TeachingMode::classroom) {
      s.error("course_code", "a classroom course has teaching mode 2 (first digit), got \"" +
                                 c.course_code + "\"");
    }
  }
  s.integer("recheck_min_interval_min", c.recheck_min_interval_min, 1, 1440);
  s.integer("recheck_max_interval_min", c.recheck_max_interval_min, 1, 1440);
  if (c.recheck_max_interval_min < c.recheck_min_interval_min) {
    s.error("recheck_max_interval_min", "must not be less than recheck_min_interval_min");
  }
  s.boolean("require_lecturer", c.require_lecturer);
  s.str("record_sequence", c.record_sequence);
  if (c.record_sequence != "counter" && c.record_sequence != "minute_of_day") {
    s.error("record_sequence", "must be \"counter\" or \"minute_of_day\", got \"" +
                                   c.record_sequence + "\"");
  }
  if (classroom_mode) {
    if (c.course_code.empty()) s.error("course_code", "required when terminal.mode = \"classroom\"");
    if (!lat_given && !lon_given) {
      s.error("latitude", "the classroom's latitude and longitude are required when "
                          "terminal.mode = \"classroom\"");
    }
  }
  s.finish();
}

void read_agent(Section s, AgentConfig& a) {
  s.str("log_level", a.log_level);
  if (a.log_level != "trace" && a.log_level != "debug" && a.log_level != "info" &&
      a.log_level != "warn" && a.log_level != "error") {
    s.error("log_level", "must be one of trace, debug, info, warn, error");
  }
  s.str("control_listen", a.control_listen);
  if (!a.control_listen.starts_with("unix:") &&
      a.control_listen.find(':') == std::string::npos) {
    s.error("control_listen", "must be HOST:PORT or unix:/path");
  }
  s.path("control_token_file", a.control_token_file, true);
  s.str("admin_listen", a.admin_listen);
  s.path("admin_tls_cert", a.admin_tls_cert, false);
  s.path("admin_tls_key", a.admin_tls_key, false);
  s.boolean("simulated", a.simulated);
  if (!a.admin_listen.empty()) {
    if (a.admin_listen.starts_with("unix:") || a.admin_listen.find(':') == std::string::npos) {
      s.error("admin_listen", "must be HOST:PORT (the administrator's pages are served over TLS)");
    }
    if (a.admin_tls_cert.empty() || a.admin_tls_key.empty()) {
      s.error("admin_listen", "needs admin_tls_cert and admin_tls_key: the administrator's pages "
                              "are served over TLS only");
    }
  }
  s.finish();
}

/// A course-code pattern: 10 characters, each a digit or '?'.
bool valid_course_pattern(std::string_view p) {
  return p.size() == 10 &&
         std::all_of(p.begin(), p.end(), [](char c) { return c == '?' || (c >= '0' && c <= '9'); });
}

void read_syllabus_part(Section& s, const SyllabusProgramme& prog, SyllabusPart& p) {
  const bool licence = prog.kind == "licence";
  s.integer("part", p.part, 1, licence ? 4 : 9, true);
  s.integer("subject", p.subject, 1, 99);
  s.integer("classroom_min", p.classroom_min, 0, 100000);
  s.integer("practical_min", p.practical_min, 0, 100000);
  s.real("mileage_km", p.mileage_km, 0.0, 100000.0);
  if (const toml::node* n = s.raw("courses"); n != nullptr) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) {
      s.error_at(*n, "courses", "must be an array of course-code patterns");
    } else {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& c = *arr->get(i);
        auto v = c.value<std::string>();
        if (!c.is_string() || !v || !valid_course_pattern(*v)) {
          s.error_at(c, "courses[" + std::to_string(i) + "]",
                     "must be 10 characters, each a digit or '?' (e.g. \"?212??0000\")");
          continue;
        }
        p.courses.push_back(*v);
      }
    }
  }
  if (!licence && p.courses.empty()) {
    s.error("courses", std::string("required for a ") + prog.kind +
                           " programme: its course codes are not derived from a licence class");
  }
  s.finish();
}

void read_syllabus(Section s, SyllabusProgramme& prog, const std::vector<SyllabusProgramme>& seen) {
  s.str("programme", prog.programme, true);
  s.str("kind", prog.kind);
  if (prog.kind != "licence" && prog.kind != "freight" && prog.kind != "continuing") {
    s.error("kind", "must be \"licence\", \"freight\" or \"continuing\", got \"" + prog.kind + "\"");
  }
  if (prog.kind == "licence" && !prog.programme.empty() && !licence_class_code(prog.programme)) {
    s.error("programme", "a licence programme is named by its licence class (C1, C2, B2, A2 …); \"" +
                             prog.programme + "\" is not one");
  }
  for (const auto& other : seen) {
    if (!prog.programme.empty() && other.programme == prog.programme) {
      s.error("programme", "\"" + prog.programme + "\" is listed twice");
    }
  }
  s.str("title", prog.title);
  if (prog.kind == "continuing") {
    s.integer("cycle_days", prog.cycle_days, 1, 3660);
  } else if (s.raw("cycle_days") != nullptr) {
    s.error("cycle_days", "only a continuing programme has a cycle");
  }
  const auto parts = s.tables("part");
  if (parts.empty()) s.error("part", "a programme needs at least one [[syllabus.part]]");
  for (Section ps : parts) {
    SyllabusPart part;
    read_syllabus_part(ps, prog, part);
    for (const auto& q : prog.parts) {
      if (q.part == part.part) {
        ps.error("part", "part " + std::to_string(part.part) + " is listed twice");
      }
    }
    prog.parts.push_back(std::move(part));
  }
  s.finish();
}

/// SIMULATED sources (replay:// GNSS, dir:// cameras, sim:// vehicle signals) only on a
/// terminal that says it is simulated: made-up minutes must never pass for real ones.
void check_simulated(Section& top, Config& cfg) {
  cfg.store.simulated = cfg.agent.simulated;
  if (cfg.agent.simulated) return;
  constexpr std::string_view kWhy =
      " is a SIMULATED source: accepted only with agent.simulated = true (demos and tests; "
      "its records then go to a test platform only)";
  if (cfg.gps.source.starts_with("replay://")) {
    top.table("gps").error("source", "replay://" + std::string(kWhy));
  }
  if (cfg.face.camera.starts_with("dir://")) {
    top.table("face").error("camera", "dir://" + std::string(kWhy));
  }
  for (auto [key, uri] : {std::pair<std::string_view, const std::string*>{"ignition", &cfg.vehicle.ignition},
                          {"obd", &cfg.vehicle.obd},
                          {"pulses", &cfg.vehicle.pulses}}) {
    if (uri->starts_with("sim://")) top.table("vehicle").error(key, "sim://" + std::string(kWhy));
  }
}

}  // namespace

std::string Diagnostic::to_string() const {
  return file.string() + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
         key_path + ": " + message;
}

tl::expected<Config, std::vector<Diagnostic>> parse_config(std::string_view text,
                                                           const std::filesystem::path& file) {
  Diagnostics diag(file);
  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    diag.add(e.source(), "(syntax)", std::string(e.description()));
    return tl::unexpected(diag.take());
  }
  Config cfg;
  cfg.source = file;
  Section top(diag, &root, "", root.source());
  read_terminal(top.table("terminal"), cfg.terminal);
  read_store(top.table("store"), cfg.store);
  read_retention(top.table("retention"), cfg.retention);
  read_gps(top.table("gps"), cfg.gps, cfg.terminal.mode != "classroom");
  read_face(top.table("face"), cfg.face);
  Section uplink = top.table("uplink");
  read_tcp(uplink.table("tcp"), cfg.uplink.tcp);
  read_http(uplink.table("http"), cfg.uplink.http);
  uplink.finish();
  read_training(top.table("training"), cfg.training);
  read_vehicle(top.table("vehicle"), cfg.vehicle);
  read_classroom(top.table("classroom"), cfg.classroom, cfg.terminal.mode == "classroom");
  read_agent(top.table("agent"), cfg.agent);
  check_simulated(top, cfg);
  for (Section sy : top.tables("syllabus")) {
    SyllabusProgramme prog;
    read_syllabus(std::move(sy), prog, cfg.syllabus);
    cfg.syllabus.push_back(std::move(prog));
  }
  top.finish();
  if (!diag.empty()) return tl::unexpected(diag.take());
  return cfg;
}

tl::expected<Config, std::vector<Diagnostic>> load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return tl::unexpected(std::vector<Diagnostic>{
        Diagnostic{file, 0, 0, "(file)", "cannot open: " + std::string(std::strerror(errno))}});
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), file);
}

std::string summary(const Config& cfg) {
  return cfg.source.string() + ": ok (" + cfg.terminal.mode + " terminal " + cfg.terminal.phone +
         ", store " + cfg.store.database.string() + ", gnss " + cfg.gps.source + ", " +
         std::to_string(cfg.gps.fences.size()) + " fence(s), platform " + cfg.uplink.tcp.host +
         ":" + std::to_string(cfg.uplink.tcp.port) + ")";
}

}  // namespace tta::config
