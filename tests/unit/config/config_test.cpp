#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tta/config/config.hpp"

namespace tta::config {
namespace {

namespace fs = std::filesystem;

// A minimal valid file; tests append or replace lines to break it.
const std::string kValid = R"toml(
[terminal]
phone = "13800138000"
province_id = 32
city_id = 100
maker_id = "TTA01"
model = "TTA-T1"
serial = "0000001"
imei = "860000000000001"
plate = "苏A12345学"
institution_code = "3201000000000001"

[store]
database = "data/tta.db"
key_file = "/etc/tta/store.key"

[gps]
source = "replay://logs/route.nmea?rate=0"

[face]
camera = "dir:///var/lib/tta/camera"
models_dir = "/usr/share/tta/models"

[uplink.tcp]
host = "127.0.0.1"
port = 6000

[agent]
simulated = true
control_token_file = "/etc/tta/control.token"
)toml";

std::vector<Diagnostic> problems(const std::string& text) {
  auto r = parse_config(text, "/etc/tta/agent.toml");
  if (r) return {};
  return r.error();
}

bool has(const std::vector<Diagnostic>& ds, std::string_view key, std::string_view msg_part) {
  return std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) {
    return d.key_path == key && d.message.find(msg_part) != std::string::npos;
  });
}

std::string dump(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += d.to_string() + "\n";
  return out;
}

TEST(Config, MinimalFileIsValidWithDefaults) {
  auto r = parse_config(kValid, "/etc/tta/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_EQ(r->terminal.mode, "vehicle");
  EXPECT_EQ(r->uplink.tcp.port, 6000);
  EXPECT_EQ(r->uplink.tcp.heartbeat_s, 30u);
  EXPECT_EQ(r->training.daily_practical_max_min, 240u);
  EXPECT_EQ(r->training.photo_interval_min, 15u);
}

TEST(Config, RelativePathsResolveAgainstTheFilesDirectory) {
  auto r = parse_config(kValid, "/etc/tta/agent.toml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->store.database, fs::path("/etc/tta/data/tta.db"));
  EXPECT_EQ(r->store.key_file, fs::path("/etc/tta/store.key"));
  EXPECT_EQ(r->gps.source, "replay:///etc/tta/logs/route.nmea?rate=0");
  EXPECT_EQ(r->face.camera, "dir:///var/lib/tta/camera");
}

TEST(Config, AConfigNamedByARelativePathStillGivesAbsolutePaths) {
  // `tta-agent run --config run/agent.toml`: a relative dir:// camera used to stay relative
  // ("dir://run/camera"), which the camera refuses, so every check-in failed (issue #14).
  auto r = parse_config(kValid, "run/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  const auto base = fs::absolute("run").lexically_normal();
  EXPECT_EQ(r->store.database, base / "data/tta.db");
  EXPECT_TRUE(r->store.key_file.is_absolute());
  EXPECT_EQ(r->gps.source, "replay://" + (base / "logs/route.nmea").string() + "?rate=0");
}

/// Honest inputs (issue #14): SIMULATED sources only on a terminal that says it is simulated.
TEST(Config, SimulatedSourcesNeedAgentSimulated) {
  std::string real = kValid;
  const std::string flag = "simulated = true\n";
  real.erase(real.find(flag), flag.size());
  real += "[vehicle]\nobd = \"sim://\"\n";
  const auto ds = problems(real);
  EXPECT_TRUE(has(ds, "gps.source", "SIMULATED")) << dump(ds);
  EXPECT_TRUE(has(ds, "face.camera", "agent.simulated = true")) << dump(ds);
  EXPECT_TRUE(has(ds, "vehicle.obd", "SIMULATED")) << dump(ds);
  EXPECT_EQ(ds.size(), 3u) << dump(ds);

  auto sim = parse_config(kValid + "[vehicle]\nobd = \"sim://\"\n", "/etc/tta/agent.toml");
  ASSERT_TRUE(sim) << dump(sim.error());
  EXPECT_TRUE(sim->agent.simulated);
  EXPECT_TRUE(sim->store.simulated) << "the store marks what it writes";
  EXPECT_FALSE(sim->uplink.tcp.test_platform);
  EXPECT_FALSE(sim->uplink.http.test_platform);

  // Real sources need no flag.
  std::string live = real.substr(0, real.find("[vehicle]"));
  live.replace(live.find("replay://logs/route.nmea?rate=0"), 31, "gpsd://127.0.0.1:2947");
  live.replace(live.find("dir:///var/lib/tta/camera"), 25, "v4l2:///dev/video0");
  auto ok = parse_config(live, "/etc/tta/agent.toml");
  ASSERT_TRUE(ok) << dump(ok.error());
  EXPECT_FALSE(ok->store.simulated);
}

TEST(Config, TestPlatformFlagsAreRead) {
  std::string text = kValid;
  text.replace(text.find("[uplink.tcp]\n"), 13, "[uplink.tcp]\ntest_platform = true\n");
  text += "[uplink.http]\nbase_url = \"https://test.example.cn\"\ntest_platform = true\n";
  auto r = parse_config(text, "/etc/tta/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_TRUE(r->uplink.tcp.test_platform);
  EXPECT_TRUE(r->uplink.http.test_platform);
}

TEST(Config, OnlyAVehicleTerminalMustNameAGnssSource) {
  std::string text = kValid;
  const std::string src = "source = \"replay://logs/route.nmea?rate=0\"\n";
  text.erase(text.find(src), src.size());
  EXPECT_TRUE(has(problems(text), "gps.source", "")) << "a vehicle needs its receiver";
  text.replace(text.find("[terminal]\n"), 11, "[terminal]\nmode = \"classroom\"\n");
  text += "[classroom]\nlatitude = 32.044\nlongitude = 118.785\ncourse_code = \"2212110000\"\n";
  auto r = parse_config(text, "/etc/tta/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_TRUE(r->gps.source.empty());
}

TEST(Config, CommittedExampleAndDemoAreValid) {
  for (const char* name : {"config/agent.example.toml", "config/demo.toml"}) {
    auto r = load_config(fs::path(TTA_SOURCE_DIR) / name);
    ASSERT_TRUE(r) << name << "\n" << dump(r.error());
  }
}

std::string with_face_keys(const std::string& lines) {
  std::string text = kValid;
  const std::string at = "models_dir = \"/usr/share/tta/models\"\n";
  text.insert(text.find(at) + at.size(), lines);
  return text;
}

TEST(Config, FaceOperatingPointSetsTheThreshold) {
  // The default puts the regulation's false-accept rate first.
  auto plain = parse_config(kValid, "/etc/tta/agent.toml");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->face.operating_point, "far_first");
  EXPECT_DOUBLE_EQ(plain->face.match_threshold, kFaceThresholdFarFirst);
  auto balanced = parse_config(with_face_keys("operating_point = \"balanced\"\n"), "/a.toml");
  ASSERT_TRUE(balanced);
  EXPECT_EQ(balanced->face.operating_point, "balanced");
  EXPECT_DOUBLE_EQ(balanced->face.match_threshold, kFaceThresholdBalanced);
  auto far = parse_config(with_face_keys("operating_point = \"far_first\"\n"), "/a.toml");
  ASSERT_TRUE(far) << dump(far.error());
  EXPECT_DOUBLE_EQ(far->face.match_threshold, kFaceThresholdFarFirst);
  auto frr = parse_config(with_face_keys("operating_point = \"frr_first\"\n"), "/a.toml");
  ASSERT_TRUE(frr) << dump(frr.error());
  EXPECT_DOUBLE_EQ(frr->face.match_threshold, kFaceThresholdFrrFirst);
  EXPECT_LT(kFaceThresholdFrrFirst, kFaceThresholdBalanced);
  EXPECT_LT(kFaceThresholdBalanced, kFaceThresholdFarFirst);
  auto custom = parse_config(with_face_keys("match_threshold = 0.45\n"), "/a.toml");
  ASSERT_TRUE(custom) << dump(custom.error());
  EXPECT_DOUBLE_EQ(custom->face.match_threshold, 0.45);
  EXPECT_EQ(custom->face.operating_point, "custom");

  EXPECT_TRUE(has(problems(with_face_keys("operating_point = \"fast\"\n")), "face.operating_point",
                  "balanced, far_first or frr_first"));
  EXPECT_TRUE(has(problems(with_face_keys("operating_point = \"far_first\"\nmatch_threshold = 0.4\n")),
                  "face.match_threshold", "not both"));
}

TEST(Config, FaceQualityGateRangesAreValidated) {
  auto ok = parse_config(with_face_keys("max_yaw_deg = 25\nmin_eye_distance_px = 40\n"
                                        "max_brightness = 200\nmax_clipped_fraction = 0.1\n"),
                         "/a.toml");
  ASSERT_TRUE(ok) << dump(ok.error());
  EXPECT_DOUBLE_EQ(ok->face.max_yaw_deg, 25);
  EXPECT_DOUBLE_EQ(ok->face.min_eye_distance_px, 40);
  EXPECT_DOUBLE_EQ(ok->face.max_brightness, 200);
  EXPECT_DOUBLE_EQ(ok->face.max_clipped_fraction, 0.1);
  for (const char* bad : {"max_yaw_deg = 2", "max_pitch_deg = 120", "min_brightness = 200",
                          "max_brightness = 100", "max_clipped_fraction = 1.5",
                          "min_sharpness = -1", "min_eye_distance_px = 1000"}) {
    const std::string line = std::string(bad) + "\n";
    const std::string key = "face." + line.substr(0, line.find(' '));
    const auto ds = problems(with_face_keys(line));
    EXPECT_TRUE(std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) { return d.key_path == key; }))
        << bad << "\n" << dump(ds);
  }
}

TEST(Config, UnknownKeyIsReportedWithItsPosition) {
  std::string text = kValid;
  text.replace(text.find("port = 6000"), 11, "prot = 6000");
  auto ds = problems(text);
  ASSERT_TRUE(has(ds, "uplink.tcp.prot", "unknown key")) << dump(ds);
  ASSERT_TRUE(has(ds, "uplink.tcp.port", "required key is missing")) << dump(ds);
  const auto it = std::find_if(ds.begin(), ds.end(),
                               [](const Diagnostic& d) { return d.key_path == "uplink.tcp.prot"; });
  EXPECT_EQ(it->line, 26u);
  EXPECT_EQ(it->column, 1u);
  EXPECT_EQ(it->to_string(), "/etc/tta/agent.toml:26:1: uplink.tcp.prot: unknown key");
}

TEST(Config, UnknownSectionIsReported) {
  auto ds = problems(kValid + "\n[camera]\nfps = 30\n");
  EXPECT_TRUE(has(ds, "camera", "unknown key")) << dump(ds);
}

TEST(Config, EveryProblemIsReportedAtOnce) {
  std::string text = kValid;
  text.replace(text.find("phone = \"13800138000\""), 21, "phone = \"12ab\"");
  text.replace(text.find("port = 6000"), 11, "port = 70000");
  text.replace(text.find("imei = \"860000000000001\""), 24, "imei = 86");
  text += "\n[training]\nday_start = \"23:00\"\nday_end = \"22:00\"\nphoto_interval_min = 0\n";
  auto ds = problems(text);
  EXPECT_TRUE(has(ds, "terminal.phone", "1 to 16 digits")) << dump(ds);
  EXPECT_TRUE(has(ds, "uplink.tcp.port", "between 1 and 65535")) << dump(ds);
  EXPECT_TRUE(has(ds, "terminal.imei", "must be a string")) << dump(ds);
  EXPECT_TRUE(has(ds, "training.day_end", "later than day_start")) << dump(ds);
  EXPECT_TRUE(has(ds, "training.photo_interval_min", "between 1 and 255")) << dump(ds);
  EXPECT_EQ(ds.size(), 5u) << dump(ds);
}

TEST(Config, MissingSectionsReportRequiredKeys) {
  auto ds = problems("[terminal]\nmode = \"bus\"\n");
  EXPECT_TRUE(has(ds, "terminal.mode", "\"vehicle\" or \"classroom\"")) << dump(ds);
  EXPECT_TRUE(has(ds, "store.database", "required")) << dump(ds);
  EXPECT_TRUE(has(ds, "agent.control_token_file", "required")) << dump(ds);
}

TEST(Config, FenceValidation) {
  auto ds = problems(kValid +
                     "\n[[gps.fence]]\nname = \"yard\"\npoints = [[32.0, 118.0], [95.0, 118.1]]\n"
                     "[[gps.fence]]\npoints = \"nope\"\n");
  EXPECT_TRUE(has(ds, "gps.fence[0].points[1]", "latitude")) << dump(ds);
  EXPECT_TRUE(has(ds, "gps.fence[0].points", "at least 3")) << dump(ds);
  EXPECT_TRUE(has(ds, "gps.fence[1].name", "required")) << dump(ds);
  EXPECT_TRUE(has(ds, "gps.fence[1].points", "pairs")) << dump(ds);
}

TEST(Config, GoodFenceParses) {
  auto r = parse_config(kValid + "\n[[gps.fence]]\nname = \"yard\"\n"
                                 "points = [[32.0, 118.0], [32.0, 118.1], [32.1, 118.1]]\n",
                        "/a.toml");
  ASSERT_TRUE(r) << dump(r.error());
  ASSERT_EQ(r->gps.fences.size(), 1u);
  EXPECT_EQ(r->gps.fences[0].points.size(), 3u);
  EXPECT_DOUBLE_EQ(r->gps.fences[0].points[2].lat_deg, 32.1);
}

TEST(Config, HttpsOnlyAndCertPairs) {
  auto ds = problems(kValid + "\n[uplink.http]\nbase_url = \"http://x\"\nclient_cert = \"c.pem\"\n");
  EXPECT_TRUE(has(ds, "uplink.http.base_url", "https://")) << dump(ds);
  EXPECT_TRUE(has(ds, "uplink.http.client_key", "go together")) << dump(ds);
}

TEST(Config, SyntaxErrorHasPosition) {
  auto ds = problems("[terminal]\nphone = \"123\nx = 1\n");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].key_path, "(syntax)");
  EXPECT_EQ(ds[0].line, 2u);
}

TEST(Config, MissingFileIsAProblemNotACrash) {
  auto r = load_config("/nonexistent/tta.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error()[0].message.find("cannot open"), std::string::npos);
}

TEST(Config, SummaryNamesTheEssentials) {
  auto r = parse_config(kValid, "/etc/tta/agent.toml");
  ASSERT_TRUE(r);
  const std::string s = summary(*r);
  EXPECT_NE(s.find("13800138000"), std::string::npos);
  EXPECT_NE(s.find("127.0.0.1:6000"), std::string::npos);
}

}  // namespace
}  // namespace tta::config
