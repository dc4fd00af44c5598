#pragma once
/// The agent's configuration: one TOML file parsed into one plain struct per module.
/// `load_config` validates everything and returns every problem at once, so an
/// administrator fixes a file in one pass. See config/agent.example.toml for every key.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tta/core/result.hpp"

namespace tta::config {

/// Identity of this terminal as registered with the platform (0x0100 fields).
struct TerminalConfig {
  std::string phone;            ///< SIM number, up to 16 digits (BCD[8] in the header)
  std::uint16_t province_id = 0;
  std::uint16_t city_id = 0;
  std::string maker_id;         ///< 5 characters
  std::string model;            ///< up to 20 characters
  std::string serial;           ///< 7 characters
  std::string imei;             ///< 15 digits
  std::uint8_t plate_colour = 0;  ///< 0 = no plate, then `plate` holds the VIN
  std::string plate;            ///< plate number (UTF-8) or VIN
  std::string institution_code; ///< 16-character national number of the driving school
  std::string mode = "vehicle"; ///< "vehicle" or "classroom"
};

/// The encrypted local store.
struct StoreConfig {
  std::filesystem::path database;  ///< SQLCipher database file
  std::filesystem::path key_file;  ///< 32 random bytes, mode 0600
  /// Storage budget of the database in MiB; 0 = none (only the file system's free space).
  std::uint32_t budget_mb = 4096;
  /// At this share of the budget (or with less than min_free_mb left on the file system)
  /// the store is nearly full: minutes go on, timed photos stop.
  std::uint32_t nearly_full_percent = 90;
  std::uint32_t min_free_mb = 256;
  /// Not a [store] key: agent.simulated, copied here so that every minute, photo and outbox
  /// entry written through a store opened with this config is marked SIMULATED.
  bool simulated = false;
};

/// How long acknowledged records are kept ([retention]; training-rules.md §7). Nothing the
/// platform has not acknowledged is ever pruned. 0 days = keep for ever.
struct RetentionConfig {
  std::uint32_t minutes_days = 1095;  ///< minutes and their sessions: 3 years
  std::uint32_t photos_days = 180;    ///< acknowledged photos
  std::uint32_t events_days = 365;    ///< the event log
  std::uint32_t batch = 200;          ///< rows per kind per prune pass (one short transaction)
  std::uint32_t interval_s = 600;     ///< how often `run` prunes
};

/// A teaching-area polygon (WGS-84 degrees).
struct Fence {
  std::string name;
  struct Point {
    double lat_deg = 0;
    double lon_deg = 0;
  };
  std::vector<Point> points;  ///< at least 3, not closed (the last joins the first)
};

/// GNSS input and teaching areas.
struct GpsConfig {
  std::string source;          ///< serial://…, gpsd://…, replay://…
  std::vector<Fence> fences;   ///< teaching areas; empty = no fence check
  double max_hdop = 5.0;               ///< fixes with a higher HDOP add no mileage
  std::uint32_t min_satellites = 4;    ///< fixes with fewer satellites add no mileage
  double stationary_speed_kmh = 1.5;   ///< below this GNSS speed the vehicle is standing
  double noise_m_per_hdop = 5.0;       ///< without a speed: drift radius per unit of HDOP, metres
  double max_vehicle_speed_kmh = 200;  ///< faster implied movement is a position jump
  std::uint32_t frozen_epochs = 10;    ///< identical moving fixes in a row flagged as frozen
  double speed_mismatch_kmh = 15;      ///< GNSS vs vehicle-sensor speed difference flagged
};

/// Match thresholds of the named face operating points (`face.operating_point`); face/EVAL.md
/// has the error rates measured at each.
inline constexpr double kFaceThresholdBalanced = 0.42;
inline constexpr double kFaceThresholdFarFirst = 0.48;  ///< fewest false accepts (the regulation's FAR)
inline constexpr double kFaceThresholdFrrFirst = 0.38;  ///< fewest false rejects

/// Cameras and face matching.
struct FaceConfig {
  std::string camera;                 ///< v4l2://…, rtsp://…, file://…, dir://…
  std::filesystem::path models_dir;   ///< where the set-up script put the ONNX models
  /// "balanced", "far_first" or "frr_first": sets match_threshold (one of the two may be given).
  /// far_first by default: under the terminal's best-of-n rule it is the one whose false
  /// accepts stay within the regulation's on the shared sets (face/EVAL.md).
  std::string operating_point = "far_first";
  double match_threshold = kFaceThresholdFarFirst;  ///< cosine score at or above which two faces match
  std::uint32_t min_face_px = 48;     ///< smaller faces (box side, pixels) are refused as too small
  double liveness_threshold = 0.5;    ///< liveness-model score a check needs to count as live
  /// What a person is asked to do during a check (face/include/tta/face/liveness.hpp): "none",
  /// "blink" or "turn"; "auto" is a blink at a classroom kiosk and nothing in a vehicle
  /// (agent::liveness_challenge). The screens show the prompt while the frames are taken.
  std::string liveness_challenge = "auto";
  double turn_min_deg = 20;           ///< head-yaw span the turn challenge needs (degrees)
  // Quality gates (face/EVAL.md): a frame failing one is refused with a reason a person can act on.
  double min_brightness = 40;         ///< mean grey (0-255) of the face below: too dark
  double max_brightness = 215;        ///< mean grey of the face above: too bright
  double max_clipped_fraction = 0.25; ///< share of face pixels at 250+ above: too bright
  double min_sharpness = 40;          ///< Laplacian variance of the 64x64 face below: blurred
  double min_eye_distance_px = 24;    ///< eye centres closer (pixels): too small, come closer
  double max_yaw_deg = 40;            ///< estimated head turn beyond: look at the camera
  double max_pitch_deg = 30;          ///< estimated head nod beyond: look at the camera
};

/// JT/T 808 training-protocol TCP session to the timing platform.
struct TcpUplinkConfig {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  std::filesystem::path ca_file;           ///< with tls: CA bundle to verify the platform
  std::uint32_t heartbeat_s = 30;
  std::uint32_t ack_timeout_s = 10;
  std::uint32_t reconnect_min_s = 1;
  std::uint32_t reconnect_max_s = 300;
  std::uint32_t subpacket_bytes = 1000;    ///< body chunk size for split messages (512-1023)
  /// A test platform (the simulator, a province's test server): the only kind that receives
  /// records marked SIMULATED (agent.simulated). Elsewhere they are refused in the outbox
  /// with the reason and no position report is sent.
  bool test_platform = false;
  /// A split message from the platform left incomplete: dropped after this long …
  std::uint32_t reassembly_timeout_s = 120;
  /// … its missing parts asked for again after this long without a new part …
  std::uint32_t resend_after_s = 10;
  /// … at most this many times (0: never), then given up with a logged reason.
  std::uint32_t resend_requests = 3;
  /// Message ID of the terminal's re-send request. terminal-protocol.md §1.2 lists 0x8003 as
  /// the platform's (down) only; JT/T 808-2019 gives the terminal 0x0005 with the same body.
  /// [guess]: configurable.
  std::uint32_t resend_request_id = 0x0005;
  /// A record the platform answers with a non-zero ack result is tried again (with backoff)
  /// up to this many times in all, then kept `refused` with the reason (an administrator
  /// retries it by hand).
  std::uint32_t max_refusals = 5;
};

/// One HTTPS resource's wire details; empty values keep the digest's defaults
/// (shared/spec/platform-http.md), so a platform that renames something needs no rebuild.
struct HttpResourceConfig {
  std::string path;     ///< URL path after the base, e.g. "classrecord"; empty = default
  std::string version;  ///< `v` query value; empty = the target's api_version
  /// Field renames, canonical name → name on the wire (e.g. stunum = "stuNum").
  std::map<std::string, std::string> fields;
};

/// A second HTTPS target with the same request machinery (continuing-education records go to
/// the provincial qualification platform). Its resources are named freely in the config.
struct HttpTargetConfig {
  std::string base_url;  ///< https://… ; empty disables this target
  std::string api_version = "1.0";
  std::map<std::string, HttpResourceConfig> resources;  ///< [….resources.NAME]
};

/// HTTPS uplink to the supervision platform.
struct HttpUplinkConfig {
  std::string base_url;                    ///< https://… ; empty disables the HTTPS uplink
  std::string api_version = "1.0.0.e2";
  std::filesystem::path ca_bundle;         ///< empty: the system's CA store
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
  std::string proxy;
  std::uint32_t connect_timeout_ms = 5000;
  std::uint32_t total_timeout_ms = 30000;
  bool reuse_connections = true;           ///< HTTP keep-alive (one connection per worker)
  std::uint32_t workers = 2;               ///< threads running blocking transfers (1-8)
  std::uint32_t retry_min_ms = 1000;       ///< backoff after a failed upload …
  std::uint32_t retry_max_ms = 300000;     ///< … doubling up to this (full jitter)
  /// Largest response body read; a longer one aborts the transfer (a retry, with the reason).
  std::uint32_t max_response_bytes = 4 * 1024 * 1024;
  /// Overrides per resource: imageup, classrecord, trainimginfo, stagetrainningtime,
  /// graduation, stuinfoquery, traininfo.
  std::map<std::string, HttpResourceConfig> resources;
  HttpTargetConfig continuing_education;   ///< [uplink.http.continuing_education]
  /// A test platform: the only kind that receives SIMULATED records (both HTTPS targets).
  bool test_platform = false;
};

struct UplinkConfig {
  TcpUplinkConfig tcp;
  HttpUplinkConfig http;
};

/// Training rules that differ by province (training-rules.md, "configurable").
struct TrainingConfig {
  std::uint32_t daily_practical_max_min = 240;
  std::uint32_t daily_classroom_max_min = 240;
  std::uint32_t effective_minutes_per_hour = 45;
  std::uint32_t photo_interval_min = 15;
  std::uint32_t recheck_interval_min = 30;
  std::uint32_t ignition_off_stop_min = 5;
  std::uint32_t coach_auto_logout_min = 150;
  std::string day_start = "05:00";  ///< allowed training hours, local time (GMT+8)
  std::string day_end = "22:00";
};

/// One part (科目一..四) or stage of a training programme and what it requires
/// ([[syllabus.part]]). Requirements are counted (valid) minutes and km; 0 = not required.
struct SyllabusPart {
  std::uint32_t part = 1;            ///< 1-4 for a licence programme (科目一..四), else a stage 1-9
  std::uint32_t subject = 0;         ///< `subject` of the stage-hour upload; 0 = same as `part`
  std::uint32_t classroom_min = 0;   ///< counted minutes of classroom sessions
  std::uint32_t practical_min = 0;   ///< counted minutes of vehicle sessions
  double mileage_km = 0;             ///< km of counted vehicle minutes
  /// Course codes that count toward this part: 10 characters, digits or '?' (any digit).
  /// Empty for a licence programme: "?" + licence code + part + "??0000" (any mode and item).
  std::vector<std::string> courses;
};

/// A training programme of the syllabus table ([[syllabus]]): a licence class, the
/// freight-driver qualification or continuing education (training-rules.md §1-2).
struct SyllabusProgramme {
  std::string programme;          ///< id: a licence class ("C1") or a name ("freight", "ce")
  std::string kind = "licence";   ///< "licence", "freight" or "continuing"
  std::string title;              ///< shown to people; empty = the id
  std::uint32_t cycle_days = 730; ///< continuing only: minutes count over the last N days
  std::vector<SyllabusPart> parts;
};

/// Vehicle signals (ignition, OBD-II engine speed and speed, speed pulses). Every source is
/// optional; with none configured every minute is flagged engine_speed_missing.
struct VehicleConfig {
  std::string ignition;  ///< "" or sysfs:///path/value[?active_low=1] (a GPIO line's value file)
  std::string obd;       ///< "", elm327:///dev/ttyUSB0[?baud=38400], socketcan://can0 or sim://
  std::string pulses;    ///< "" or sysfs:///path/counter?pulses_per_km=N (a pulse counter file)
  std::uint32_t poll_interval_ms = 1000;  ///< how often every source is read
  std::uint32_t obd_timeout_ms = 1000;    ///< one OBD request without an answer is missing after this
  std::uint32_t max_age_ms = 3000;        ///< a reading older than this is missing, never repeated

  [[nodiscard]] bool any() const { return !ignition.empty() || !obd.empty() || !pulses.empty(); }
};

/// A classroom kiosk (terminal.mode = "classroom"): a class at a fixed place, students
/// checking in and out by face at any time ([classroom]; required in classroom mode).
struct ClassroomConfig {
  double latitude_deg = 0;          ///< the classroom's fixed position (WGS-84), sent in every record
  double longitude_deg = 0;
  bool has_position = false;        ///< both keys were given
  std::string course_code;          ///< the class's course: 10 digits, teaching mode (digit 1) 2
  std::uint32_t recheck_min_interval_min = 10;  ///< identity re-checks at random moments …
  std::uint32_t recheck_max_interval_min = 30;  ///< … between these bounds after the last one
  /// A lecturer (enrolled as a coach) must be logged in before students can check in [guess:
  /// the protocol's 0x0201 carries a coach number; the issue says no coach is needed].
  bool require_lecturer = false;
  /// Record-number sequence (terminal-protocol.md §2.3 gives only the vehicle's minute of day):
  /// "counter" = a running number per terminal per day, 0001-9999, so several students can
  /// have a record in the same minute [guess]; "minute_of_day" = the vehicle scheme, which
  /// allows one student at a time.
  std::string record_sequence = "counter";
};

/// The agent process itself.
struct AgentConfig {
  std::string log_level = "info";          ///< trace, debug, info, warn, error
  std::string control_listen = "127.0.0.1:8808";  ///< host:port or unix:/path
  std::filesystem::path control_token_file;
  /// The administrator's pages: "host:port" (may face the school's LAN), served over TLS only;
  /// empty = not served. Needs admin_tls_cert and admin_tls_key (PEM files).
  std::string admin_listen;
  std::filesystem::path admin_tls_cert;
  std::filesystem::path admin_tls_key;
  /// This terminal runs on SIMULATED inputs (demos, tests): only then are replay:// GNSS,
  /// dir:// cameras and sim:// vehicle signals accepted; /status and the log say so, and
  /// every minute, photo and upload is marked SIMULATED and goes only to a test platform.
  bool simulated = false;
};

/// The whole file.
struct Config {
  std::filesystem::path source;  ///< the file it came from
  TerminalConfig terminal;
  StoreConfig store;
  RetentionConfig retention;  ///< [retention]
  GpsConfig gps;
  FaceConfig face;
  UplinkConfig uplink;
  TrainingConfig training;
  AgentConfig agent;
  VehicleConfig vehicle;  ///< [vehicle]; empty = no vehicle signals
  ClassroomConfig classroom;  ///< [classroom]; required when terminal.mode = "classroom"
  std::vector<SyllabusProgramme> syllabus;  ///< [[syllabus]]; empty = no progress figures
};

/// One problem found in a config file.
struct Diagnostic {
  std::filesystem::path file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string key_path;  ///< e.g. "uplink.tcp.port"
  std::string message;

  /// "FILE:LINE:COL: key.path: message"
  [[nodiscard]] std::string to_string() const;
};

/// Parse and validate a config file. On failure, the error value carries every problem.
/// Relative paths in the file are resolved against the file's own directory.
[[nodiscard]] tl::expected<Config, std::vector<Diagnostic>> load_config(
    const std::filesystem::path& file);

/// Same as load_config, from text already in memory (`file` names it in diagnostics and
/// anchors relative paths).
[[nodiscard]] tl::expected<Config, std::vector<Diagnostic>> parse_config(
    std::string_view text, const std::filesystem::path& file);

/// One-line summary of a valid config, for `check-config` and the start-up log.
[[nodiscard]] std::string summary(const Config& cfg);

}  // namespace tta::config
