// `tta-agent gnss-replay` as a process: JSON keys, exit codes, garbage input, fences.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "unit/gps/gps_test_util.hpp"

namespace tta::gps {
namespace {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
};

ProcessResult run(const std::string& args) {
  ProcessResult r;
  const std::string cmd = std::string(TTA_AGENT_BIN) + " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::filesystem::path temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("tta-gps-cli-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

/// Four 1 Hz epochs driving north at 36 km/h from 32.0440 N 118.7850 E.
std::string drive() {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    char body[160];
    std::snprintf(body, sizeof body,
                  "GPRMC,0800%02d.00,A,3202.%04d,N,11847.1000,E,19.44,0.0,271126,,,A", i,
                  6400 + i * 54);
    s += test::nmea(body) + "\r\n";
    std::snprintf(body, sizeof body,
                  "GPGGA,0800%02d.00,3202.%04d,N,11847.1000,E,1,09,0.8,12.0,M,8.0,M,,", i,
                  6400 + i * 54);
    s += test::nmea(body) + "\r\n";
  }
  return s;
}

TEST(gps_GnssReplayCli, JsonSummaryHasTheKeys) {
  const auto log = temp("drive.nmea", drive());
  const ProcessResult r = run("gnss-replay --json --nmea " + log.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("sentences"), 8);
  EXPECT_EQ(j.at("bad_checksum"), 0);
  EXPECT_EQ(j.at("fixes"), 4);
  EXPECT_NEAR(j.at("distance_m").get<double>(), 3 * 0.0054 / 60 * 111'195.08, 0.5);
  EXPECT_NEAR(j.at("max_speed_kmh").get<double>(), 19.44 * 1.852, 1e-9);
  EXPECT_EQ(j.at("first_fix_utc"), "2026-11-27T08:00:00Z");
  EXPECT_EQ(j.at("last_fix_utc"), "2026-11-27T08:00:03Z");
  EXPECT_FALSE(j.contains("outside_fence_s"));  // no fences configured
  std::filesystem::remove(log);
}

TEST(gps_GnssReplayCli, GarbageIsExitZeroWithNulls) {
  std::string junk = "\x7f\x45\x4c\x46 not nmea at all $GPRMC,broken*ZZ\n$GPGGA,1,2,3\n";
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  const auto log = temp("junk.nmea", junk);
  const ProcessResult r = run("gnss-replay --json --nmea " + log.string());
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("sentences"), 0);
  EXPECT_EQ(j.at("bad_checksum"), 1);
  EXPECT_EQ(j.at("fixes"), 0);
  EXPECT_TRUE(j.at("first_fix_utc").is_null());
  EXPECT_TRUE(j.at("last_fix_utc").is_null());
  EXPECT_TRUE(j.at("max_speed_kmh").is_null());
  EXPECT_EQ(j.at("distance_m"), 0.0);
  std::filesystem::remove(log);
}

TEST(gps_GnssReplayCli, MissingFileIsExit2) {
  const ProcessResult r = run("gnss-replay --nmea /nonexistent/none.nmea");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(gps_GnssReplayCli, FencesFromConfigGiveOutsideSeconds) {
  // The example config's "main yard" is 32.0400-32.0480 N, 118.7800-118.7900 E; our drive at
  // 118.7850 E goes from 32.04400 N to 32.04427 N: inside all the time.
  const auto log = temp("fence.nmea", drive());
  const std::string cfg = std::string(TTA_SOURCE_DIR) + "/config/agent.example.toml";
  ProcessResult r = run("gnss-replay --json --nmea " + log.string() + " --config " + cfg);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("outside_fence_s"), 0.0);
  // The same drive moved 0.5° east is outside for the 3 s between its 4 fixes.
  std::string east;
  for (int i = 0; i < 4; ++i) {
    char body[160];
    std::snprintf(body, sizeof body,
                  "GPRMC,0800%02d.00,A,3202.%04d,N,11917.1000,E,19.44,0.0,271126,,,A", i,
                  6400 + i * 54);
    east += test::nmea(body) + "\r\n";
  }
  const auto log2 = temp("east.nmea", east);
  r = run("gnss-replay --json --nmea " + log2.string() + " --config " + cfg);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j.at("outside_fence_s").get<double>(), 3.0);
  std::filesystem::remove(log);
  std::filesystem::remove(log2);
}

TEST(gps_GnssReplayCli, TextSummary) {
  const auto log = temp("text.nmea", drive());
  const ProcessResult r = run("gnss-replay --nmea " + log.string());
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("sentences 8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first fix 2026-11-27T08:00:00Z"), std::string::npos) << r.out;
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace tta::gps
