// The [classroom] section: required in classroom mode, validated with positions either way.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tta/config/config.hpp"

namespace tta::config {
namespace {

std::string base(const std::string& mode) {
  return R"toml(
[terminal]
phone = "13800138000"
province_id = 32
city_id = 100
maker_id = "TTA01"
model = "TTA-T1"
serial = "0000001"
imei = "860000000000001"
plate = "A12345"
institution_code = "3201000000000001"
mode = ")toml" + mode + R"toml("
[store]
database = "/var/lib/tta/tta.db"
key_file = "/etc/tta/store.key"
[gps]
source = "serial:///dev/ttyS1"
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
}

std::vector<Diagnostic> problems(const std::string& mode, const std::string& classroom) {
  auto r = parse_config(base(mode) + classroom, "/etc/tta/agent.toml");
  if (r) return {};
  return r.error();
}

bool has(const std::vector<Diagnostic>& ds, std::string_view key, std::string_view msg_part) {
  return std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) {
    return d.key_path == key && d.message.find(msg_part) != std::string::npos && d.line > 0;
  });
}

std::string dump(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += d.to_string() + "\n";
  return out;
}

const std::string kGood =
    "[classroom]\nlatitude = 32.044\nlongitude = 118.785\ncourse_code = \"2212110000\"\n";

TEST(ClassroomConfig, AVehicleTerminalNeedsNoClassroomSection) {
  auto r = parse_config(base("vehicle"), "/etc/tta/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_FALSE(r->classroom.has_position);
  EXPECT_EQ(r->classroom.record_sequence, "counter");
}

TEST(ClassroomConfig, AValidSectionIsRead) {
  auto r = parse_config(base("classroom") + kGood + "recheck_min_interval_min = 3\n"
                        "recheck_max_interval_min = 7\nrequire_lecturer = true\n"
                        "record_sequence = \"minute_of_day\"\n", "/etc/tta/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_TRUE(r->classroom.has_position);
  EXPECT_DOUBLE_EQ(r->classroom.latitude_deg, 32.044);
  EXPECT_DOUBLE_EQ(r->classroom.longitude_deg, 118.785);
  EXPECT_EQ(r->classroom.course_code, "2212110000");
  EXPECT_EQ(r->classroom.recheck_min_interval_min, 3u);
  EXPECT_EQ(r->classroom.recheck_max_interval_min, 7u);
  EXPECT_TRUE(r->classroom.require_lecturer);
  EXPECT_EQ(r->classroom.record_sequence, "minute_of_day");
}

TEST(ClassroomConfig, ClassroomModeRequiresCourseAndPosition) {
  auto ds = problems("classroom", "");
  EXPECT_TRUE(has(ds, "classroom.course_code", "required")) << dump(ds);
  EXPECT_TRUE(has(ds, "classroom.latitude", "required")) << dump(ds);
}

TEST(ClassroomConfig, BadValuesAreReportedWithTheirKeys) {
  auto ds = problems("classroom",
                     "[classroom]\nlatitude = 95\ncourse_code = \"1212110000\"\n"
                     "recheck_min_interval_min = 20\nrecheck_max_interval_min = 10\n"
                     "record_sequence = \"random\"\ncolour = 1\n");
  EXPECT_TRUE(has(ds, "classroom.latitude", "between")) << dump(ds);
  EXPECT_TRUE(has(ds, "classroom.longitude", "go together")) << dump(ds);
  EXPECT_TRUE(has(ds, "classroom.course_code", "teaching mode 2")) << dump(ds);
  EXPECT_TRUE(has(ds, "classroom.recheck_max_interval_min", "recheck_min_interval_min")) << dump(ds);
  EXPECT_TRUE(has(ds, "classroom.record_sequence", "counter")) << dump(ds);
  EXPECT_TRUE(has(ds, "classroom.colour", "")) << dump(ds) << "unknown keys are errors";
  EXPECT_FALSE(problems("classroom", kGood + "course_code2 = 1\n").empty());
}

}  // namespace
}  // namespace tta::config
