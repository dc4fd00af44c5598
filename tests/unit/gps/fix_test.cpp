// Epoch assembly: sentences of one UTC time merge into one Fix with a field mask.
#include <gtest/gtest.h>

#include <vector>

#include "gps_test_util.hpp"
#include "tta/core/time_util.hpp"
#include "tta/gps/fix.hpp"

namespace tta::gps {
namespace {

using test::nmea;

std::vector<Fix> decode(const std::vector<std::string>& bodies, DecodeStats* stats = nullptr) {
  NmeaDecoder d;
  std::vector<Fix> out;
  const auto sink = [&](const Fix& f) { out.push_back(f); };
  for (const auto& b : bodies) {
    const std::string line = nmea(b) + "\r\n";
    d.feed(std::span<const char>(line.data(), line.size()), sink);
  }
  d.finish(sink);
  if (stats) *stats = d.stats();
  return out;
}

TEST(gps_Epoch, MergesOneEpochAcrossSentenceTypes) {
  const auto fixes = decode({
      "GNRMC,091232.000,A,4813.0535,N,00824.8697,E,10.00,45.00,101015,,,A,V",
      "GNVTG,45.00,T,,M,10.00,N,18.5,K,A",
      "GNGGA,091232.000,4813.0535,N,00824.8697,E,1,12,0.7,765.8,M,47.4,M,,0000",
      "GNGSA,A,3,18,21,26,27,16,20,22,29,,,,,1.3,0.7,1.1,1",
      "GNGSA,A,3,76,87,86,77,70,85,71,75,,,,,1.3,0.7,1.1,2",
      "GNZDA,091232.000,10,10,2015,,",
      "GNRMC,091233.000,A,4813.0540,N,00824.8697,E,10.00,45.00,101015,,,A,V",
  });
  ASSERT_EQ(fixes.size(), 2U);
  const Fix& f = fixes[0];
  EXPECT_TRUE(f.has(kFieldTime | kFieldDate | kFieldPosition | kFieldAltitude | kFieldSpeed |
                    kFieldCourse | kFieldMode | kFieldQuality | kFieldHdop | kFieldPdop |
                    kFieldVdop | kFieldSatsUsed | kFieldStatus));
  EXPECT_EQ(f.sentences, 6);
  EXPECT_NEAR(f.speed_kmh, 18.52, 1e-9);  // RMC knots × 1.852 wins over VTG's rounded 18.5
  EXPECT_EQ(f.mode, FixMode::fix_3d);
  EXPECT_EQ(f.quality, FixQuality::gps);
  EXPECT_EQ(f.sats_used, 12);
  EXPECT_DOUBLE_EQ(f.hdop, 0.7);
  EXPECT_DOUBLE_EQ(f.pdop, 1.3);
  EXPECT_DOUBLE_EQ(f.alt_msl_m, 765.8);
  EXPECT_EQ(f.talker, Talker::gn);
  EXPECT_TRUE(f.has_fix());
  ASSERT_TRUE(f.utc());
  EXPECT_EQ(iso8601_utc(*f.utc()), "2015-10-10T09:12:32Z");
  // The second epoch has only RMC: no altitude, no DOP, unknown stays NaN.
  EXPECT_FALSE(fixes[1].has(kFieldAltitude));
  EXPECT_TRUE(std::isnan(fixes[1].alt_msl_m));
  EXPECT_TRUE(std::isnan(fixes[1].hdop));
  EXPECT_TRUE(fixes[1].has_fix());
}

TEST(gps_Epoch, NoFixSentencesGiveNoPositionAndNoZeros) {
  const auto fixes = decode({
      "GPRMC,101010,V,,,,,,,010119,,,N",
      "GPGGA,101010,,,,,0,00,99.99,,,,,,",
      "GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99",
  });
  ASSERT_EQ(fixes.size(), 1U);
  const Fix& f = fixes[0];
  EXPECT_FALSE(f.has(kFieldPosition));
  EXPECT_TRUE(std::isnan(f.lat_deg));
  EXPECT_FALSE(f.has(kFieldSpeed));
  EXPECT_EQ(f.mode, FixMode::no_fix);
  EXPECT_EQ(f.quality, FixQuality::invalid);
  EXPECT_FALSE(f.has_fix());
}

TEST(gps_Epoch, InvalidRmcHidesItsPositionAndSimulationIsNoFix) {
  // Garmin demo mode: RMC 'V' with a position, GGA quality 8 (simulation).
  const auto fixes = decode({
      "GPRMC,214350,V,4023.8600,N,00339.1630,W,10.8,0.0,140605,2.5,W,S",
      "GPGGA,214350,4023.8600,N,00339.1630,W,8,09,2.0,695.7,M,51.6,M,,",
  });
  ASSERT_EQ(fixes.size(), 1U);
  EXPECT_FALSE(fixes[0].has(kFieldSpeed));
  EXPECT_TRUE(fixes[0].has(kFieldPosition));  // GGA claims one…
  EXPECT_EQ(fixes[0].quality, FixQuality::simulation);
  EXPECT_FALSE(fixes[0].has_fix());           // …but simulated and flagged invalid
}

TEST(gps_Epoch, TimelessSentencesBeforeAnyEpochAreDropped) {
  const auto fixes = decode({"GPGSA,A,3,01,02,03,,,,,,,,,,1.0,1.0,1.0",
                             "GPGGA,101010,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"});
  ASSERT_EQ(fixes.size(), 1U);
  EXPECT_FALSE(fixes[0].has(kFieldMode));
  EXPECT_FALSE(fixes[0].has(kFieldDate));
  EXPECT_FALSE(fixes[0].utc());  // no date: no instant, not a guessed one
  EXPECT_TRUE(fixes[0].has_fix());
}

TEST(gps_Epoch, StatsCountParsedUnsupportedAndErrors) {
  DecodeStats st;
  decode({"GPGST,213121.000,16.1,22.2,10.2,2.0,0.4,0.6,1.4", "GPRMC,999999,A,,,,,,,,,",
          "GPZDA,005947.00,08,07,2010,+00,00"},
         &st);
  EXPECT_EQ(st.lex.sentences, 3U);
  EXPECT_EQ(st.unsupported, 1U);
  EXPECT_EQ(st.parse_errors, 1U);
  EXPECT_EQ(st.parsed, 1U);
  EXPECT_EQ(st.epochs, 1U);
  EXPECT_EQ(st.fixes, 0U);
}

TEST(gps_Epoch, LeapSecondAndMidnight) {
  const auto fixes = decode({"GPZDA,235960,31,12,2016,00,00", "GPZDA,000000,01,01,2017,00,00"});
  ASSERT_EQ(fixes.size(), 2U);
  ASSERT_TRUE(fixes[0].utc() && fixes[1].utc());
  EXPECT_EQ(unix_seconds(*fixes[1].utc()) - unix_seconds(*fixes[0].utc()), 0);  // POSIX time
}

}  // namespace
}  // namespace tta::gps
