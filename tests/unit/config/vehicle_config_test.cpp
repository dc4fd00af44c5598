// The [vehicle] section: defaults, every source URI form, and clear problems with positions.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tta/config/config.hpp"

namespace tta::config {
namespace {

const std::string kBase = R"toml(
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

std::vector<Diagnostic> problems(const std::string& vehicle) {
  auto r = parse_config(kBase + "[vehicle]\n" + vehicle, "/etc/tta/agent.toml");
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
  for (const auto& d : ds)
    out += d.to_string() + "\n";
  return out;
}

TEST(VehicleConfig, AbsentMeansNoSources) {
  auto r = parse_config(kBase, "/etc/tta/agent.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_FALSE(r->vehicle.any());
  EXPECT_EQ(r->vehicle.poll_interval_ms, 1000u);
  EXPECT_EQ(r->vehicle.obd_timeout_ms, 1000u);
  EXPECT_EQ(r->vehicle.max_age_ms, 3000u);
}

TEST(VehicleConfig, EverySourceForm) {
  for (const char* good : {
           "ignition = \"sysfs:///sys/class/gpio/gpio17/value\"",
           "ignition = \"sysfs:///sys/class/gpio/gpio17/value?active_low=1\"",
           "obd = \"elm327:///dev/ttyUSB0\"",
           "obd = \"elm327:///dev/ttyUSB0?baud=38400\"",
           "obd = \"socketcan://can0\"",
           "obd = \"sim://\"",
           "pulses = \"sysfs:///sys/bus/counter/devices/counter0/count0/count?pulses_per_km=8000\"",
       }) {
    auto r = parse_config(kBase + "[vehicle]\n" + good + "\n", "/a.toml");
    ASSERT_TRUE(r) << good << "\n" << dump(r.error());
    EXPECT_TRUE(r->vehicle.any()) << good;
  }
  auto r = parse_config(kBase +
                            "[vehicle]\nobd = \"socketcan://can1\"\npoll_interval_ms = 200\n"
                            "obd_timeout_ms = 300\nmax_age_ms = 900\n",
                        "/a.toml");
  ASSERT_TRUE(r) << dump(r.error());
  EXPECT_EQ(r->vehicle.obd, "socketcan://can1");
  EXPECT_EQ(r->vehicle.poll_interval_ms, 200u);
  EXPECT_EQ(r->vehicle.obd_timeout_ms, 300u);
  EXPECT_EQ(r->vehicle.max_age_ms, 900u);
}

TEST(VehicleConfig, BadValuesAreReportedWithTheKey) {
  struct Case {
    const char* text;
    const char* key;
    const char* part;
  } cases[] = {
      {"ignition = \"/sys/class/gpio/gpio17/value\"", "vehicle.ignition",
       "must start with sysfs://"},
      {"ignition = \"elm327:///dev/ttyUSB0\"", "vehicle.ignition", "must start with sysfs://"},
      {"ignition = \"sysfs://relative/value\"", "vehicle.ignition", "absolute path"},
      {"ignition = \"sysfs:///v?active_low=2\"", "vehicle.ignition", "must be 0 or 1"},
      {"ignition = \"sysfs:///v?active_high=1\"", "vehicle.ignition",
       "unknown option \"active_high\""},
      {"obd = \"serial:///dev/ttyUSB0\"", "vehicle.obd", "elm327://, socketcan://, sim://"},
      {"obd = \"elm327:///dev/ttyUSB0?baud=12345\"", "vehicle.obd", "not a standard rate"},
      {"obd = \"elm327:///dev/ttyUSB0?baud=fast\"", "vehicle.obd", "whole number"},
      {"obd = \"socketcan://\"", "vehicle.obd", "interface name"},
      {"obd = \"socketcan://averyveryverylongname\"", "vehicle.obd", "interface name"},
      {"obd = \"sim://x\"", "vehicle.obd", "no path"},
      {"obd = \"sim://\"\nignition = \"sysfs:///v\"", "vehicle.obd", "simulates every signal"},
      {"pulses = \"sysfs:///count\"", "vehicle.pulses", "pulses_per_km"},
      {"pulses = \"sysfs:///count?pulses_per_km=0\"", "vehicle.pulses", "1 to 1000000"},
      {"poll_interval_ms = 10", "vehicle.poll_interval_ms", ""},
      {"poll_interval_ms = 5000", "vehicle.max_age_ms", "must not be less than poll_interval_ms"},
      {"obd_timeout_ms = 0", "vehicle.obd_timeout_ms", ""},
      {"odb = \"sim://\"", "vehicle.odb", ""},
  };
  for (const auto& c : cases) {
    const auto ds = problems(std::string(c.text) + "\n");
    EXPECT_TRUE(has(ds, c.key, c.part)) << c.text << "\n" << dump(ds);
    for (const auto& d : ds)
      EXPECT_GT(d.line, 0u) << d.to_string();
  }
}

}  // namespace
}  // namespace tta::config
