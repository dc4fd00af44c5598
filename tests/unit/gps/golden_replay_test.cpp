// Golden replay: the real receiver logs of ../shared/data/nmea against expected values derived
// independently (tests/data/gps/make_expected.py, plain Python, no C++ code shared).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "support/needs.hpp"
#include "gps_test_util.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/replay_summary.hpp"

namespace tta::gps {
namespace {

std::map<std::string, std::string> read_expected(const std::filesystem::path& p) {
  std::map<std::string, std::string> kv;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

std::string iso_or_null(const std::optional<WallTime>& t) { return t ? iso8601_utc(*t) : "null"; }

class GoldenReplay : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenReplay, MatchesIndependentReference) {
  const auto dir = test::shared_nmea_dir();
  if (dir.empty()) TTA_SKIP_OR_FAIL_IN_CI() << "shared NMEA logs " << TTA_SHARED_DATA_DIR << "/nmea absent";
  const std::string name = GetParam();
  const auto expected_file =
      std::filesystem::path(TTA_SOURCE_DIR) / "tests/data/gps" / (name + ".expected");
  const auto want = read_expected(expected_file);
  ASSERT_FALSE(want.empty()) << "missing " << expected_file;
  auto got = summarize_nmea_file(dir / (name + ".log"), config::GpsConfig{});
  ASSERT_TRUE(got) << got.error().message;
  const auto& s = *got;
  EXPECT_EQ(std::to_string(s.decode.lex.sentences), want.at("sentences"));
  EXPECT_EQ(std::to_string(s.decode.lex.bad_checksum), want.at("bad_checksum"));
  EXPECT_EQ(std::to_string(s.decode.lex.no_checksum), want.at("no_checksum"));
  EXPECT_EQ(std::to_string(s.decode.epochs), want.at("epochs"));
  EXPECT_EQ(std::to_string(s.decode.fixes), want.at("fixes"));
  EXPECT_EQ(std::to_string(s.good_fixes), want.at("good_fixes"));
  EXPECT_EQ(iso_or_null(s.first_fix_utc), want.at("first_fix_utc"));
  EXPECT_EQ(iso_or_null(s.last_fix_utc), want.at("last_fix_utc"));
  if (want.at("max_speed_kmh") == "null") {
    EXPECT_FALSE(s.max_speed_kmh);
  } else {
    ASSERT_TRUE(s.max_speed_kmh);
    EXPECT_NEAR(*s.max_speed_kmh, std::stod(want.at("max_speed_kmh")), 0.001);
  }
  EXPECT_NEAR(s.distance_m, std::stod(want.at("distance_m")), 0.01);
  // Real receivers in these logs never send malformed fields behind a good checksum.
  EXPECT_EQ(s.decode.parse_errors, 0U);
}

INSTANTIATE_TEST_SUITE_P(gps, GoldenReplay,
                         ::testing::Values("bt451", "firefly-II", "garmin-geko201", "mt3339",
                                           "neo-m8n", "nl2008u", "quectel-l76k-nmea",
                                           "sirfstarv-nmea", "skytraq-dgps", "st-teseo-liv3f",
                                           "telit-he910", "ublox-zed-f9p-nmea"),
                         [](const auto& tp) {
                           std::string n = tp.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

// Facts read by hand from the logs and the MANIFEST, independent of the Python reference.
TEST(gps_GoldenByHand, Bt451MovingCarAt57To60Kmh) {
  const auto dir = test::shared_nmea_dir();
  if (dir.empty()) TTA_SKIP_OR_FAIL_IN_CI() << "shared NMEA logs absent";
  auto s = summarize_nmea_file(dir / "bt451.log", config::GpsConfig{});
  ASSERT_TRUE(s);
  // $GPRMC,143308.50,…,32.273,… knots → 59.77 km/h.
  EXPECT_NEAR(*s->max_speed_kmh, 32.273 * 1.852, 1e-6);
  // The log glues a 15:25 stationary capture before a 14:33 drive: time runs backwards once.
  EXPECT_EQ(s->time_backwards, 1U);
}

TEST(gps_GoldenByHand, FireflyHas23BadChecksums) {
  const auto dir = test::shared_nmea_dir();
  if (dir.empty()) TTA_SKIP_OR_FAIL_IN_CI() << "shared NMEA logs absent";
  auto s = summarize_nmea_file(dir / "firefly-II.log", config::GpsConfig{});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->decode.lex.bad_checksum, 23U);
}

TEST(gps_GoldenByHand, GarminDemoModeNeverFixes) {
  const auto dir = test::shared_nmea_dir();
  if (dir.empty()) TTA_SKIP_OR_FAIL_IN_CI() << "shared NMEA logs absent";
  auto s = summarize_nmea_file(dir / "garmin-geko201.log", config::GpsConfig{});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->decode.fixes, 0U);
  EXPECT_EQ(s->distance_m, 0.0);
  EXPECT_FALSE(s->first_fix_utc);
}

TEST(gps_GoldenByHand, StationaryLogsAccumulateNoMileage) {
  const auto dir = test::shared_nmea_dir();
  if (dir.empty()) TTA_SKIP_OR_FAIL_IN_CI() << "shared NMEA logs absent";
  for (const char* name : {"quectel-l76k-nmea", "ublox-zed-f9p-nmea", "mt3339"}) {
    auto s = summarize_nmea_file(dir / (std::string(name) + ".log"), config::GpsConfig{});
    ASSERT_TRUE(s) << name;
    EXPECT_LT(s->distance_m, 1.0) << name;
    EXPECT_GT(s->good_fixes, 20U) << name;
  }
}

TEST(gps_GoldenFile, MissingFileIsNotFound) {
  auto s = summarize_nmea_file("/nonexistent/x.nmea", config::GpsConfig{});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::not_found);
}

}  // namespace
}  // namespace tta::gps
