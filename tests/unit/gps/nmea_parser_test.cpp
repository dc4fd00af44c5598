// Parser: every supported sentence, talker and NMEA version; malformed fields rejected;
// unknown values are nullopt, never zero.
#include <gtest/gtest.h>

#include <cmath>

#include "gps_test_util.hpp"
#include "tta/gps/nmea.hpp"

namespace tta::gps {
namespace {

using test::nmea;

template <typename T>
T parse_as(std::string_view body) {
  auto s = parse_line(nmea(body));
  EXPECT_TRUE(s.has_value()) << body << ": " << (s ? "" : s.error().message);
  if (!s) return T{};
  const T* v = std::get_if<T>(&s->body);
  EXPECT_NE(v, nullptr) << body;
  return v ? *v : T{};
}

constexpr double kEps = 1e-9;

TEST(gps_Rmc, Nmea23Full) {
  const auto r = parse_as<Rmc>("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W");
  ASSERT_TRUE(r.time);
  EXPECT_EQ(r.time->ms, (12 * 3600 + 35 * 60 + 19) * 1000);
  EXPECT_TRUE(r.status_valid);
  EXPECT_NEAR(*r.lat_deg, 48 + 7.038 / 60, kEps);
  EXPECT_NEAR(*r.lon_deg, 11 + 31.0 / 60, kEps);
  EXPECT_DOUBLE_EQ(*r.speed_knots, 22.4);
  EXPECT_DOUBLE_EQ(*r.course_deg, 84.4);
  EXPECT_EQ(*r.date, (Date{1994, 3, 23}));
  EXPECT_DOUBLE_EQ(*r.mag_var_deg, -3.1);
  EXPECT_EQ(r.mode, '\0');
}

TEST(gps_Rmc, Nmea41NavStatusSouthEastAndMissingCourse) {
  const auto r = parse_as<Rmc>("GNRMC,003956.00,A,4552.65403,S,17030.00668,E,0.025,,120419,,,A,V");
  EXPECT_NEAR(*r.lat_deg, -(45 + 52.65403 / 60), kEps);
  EXPECT_NEAR(*r.lon_deg, 170 + 30.00668 / 60, kEps);
  EXPECT_FALSE(r.course_deg.has_value());  // unknown, not 0
  EXPECT_FALSE(r.mag_var_deg.has_value());
  EXPECT_EQ(r.mode, 'A');
  EXPECT_EQ(r.nav_status, 'V');
  EXPECT_EQ(r.time->ms, (0 * 3600 + 39 * 60 + 56) * 1000);
  EXPECT_EQ(*r.date, (Date{2019, 4, 12}));
}

TEST(gps_Rmc, EmptyNoFixHasNothing) {
  const auto r = parse_as<Rmc>("GPRMC,,V,,,,,,,,,,N");
  EXPECT_FALSE(r.time);
  EXPECT_FALSE(r.status_valid);
  EXPECT_FALSE(r.lat_deg);
  EXPECT_FALSE(r.lon_deg);
  EXPECT_FALSE(r.speed_knots);
  EXPECT_FALSE(r.date);
  EXPECT_EQ(r.mode, 'N');
}

TEST(gps_Rmc, FractionalSecondsToMilliseconds) {
  const auto r = parse_as<Rmc>("GPRMC,101153.7,A,5051.0184,N,00420.4573,E,0.0,,120319,,,A");
  EXPECT_EQ(r.time->ms, (10 * 3600 + 11 * 60 + 53) * 1000 + 700);
  const auto r2 = parse_as<Rmc>("GPRMC,101153.4081,A,5051.0184,N,00420.4573,E,0.0,,120319,,,A");
  EXPECT_EQ(r2.time->ms, (10 * 3600 + 11 * 60 + 53) * 1000 + 408);
}

TEST(gps_Gga, FullFix) {
  const auto g = parse_as<Gga>("GNGGA,055234.200,4739.71890,N,12219.58362,W,1,14,0.9,76.5,M,-21.6,M,,");
  EXPECT_EQ(g.time->ms, (5 * 3600 + 52 * 60 + 34) * 1000 + 200);
  EXPECT_NEAR(*g.lat_deg, 47 + 39.71890 / 60, kEps);
  EXPECT_NEAR(*g.lon_deg, -(122 + 19.58362 / 60), kEps);
  EXPECT_EQ(*g.quality, 1);
  EXPECT_EQ(*g.sats_used, 14);
  EXPECT_DOUBLE_EQ(*g.hdop, 0.9);
  EXPECT_DOUBLE_EQ(*g.alt_msl_m, 76.5);
  EXPECT_DOUBLE_EQ(*g.geoid_sep_m, -21.6);
  EXPECT_FALSE(g.dgps_age_s);
}

TEST(gps_Gga, NoFixAndMissingQuality) {
  const auto g = parse_as<Gga>("GPGGA,,,,,,0,,,,M,,M,,");
  EXPECT_EQ(*g.quality, 0);
  EXPECT_FALSE(g.sats_used);
  EXPECT_FALSE(g.hdop);
  EXPECT_FALSE(g.alt_msl_m);
  const auto f = parse_as<Gga>("GPGGA,005947.00,3715.6616,N,12157.6709,W,,11,0.8,86.0,M,-30.1,M,,");
  EXPECT_FALSE(f.quality);  // firefly leaves it empty: unknown, not "invalid"
  EXPECT_EQ(*f.sats_used, 11);
}

TEST(gps_Gsa, Nmea41SystemIdAndEmpty) {
  const auto g = parse_as<Gsa>("GNGSA,A,3,13,27,37,,,,,,,,,,1.5,0.9,1.2,4");
  EXPECT_EQ(g.selection, 'A');
  EXPECT_EQ(*g.fix_type, 3);
  EXPECT_EQ(g.prn_count, 3);
  EXPECT_EQ(g.prns[2], 37);
  EXPECT_DOUBLE_EQ(*g.pdop, 1.5);
  EXPECT_DOUBLE_EQ(*g.hdop, 0.9);
  EXPECT_DOUBLE_EQ(*g.vdop, 1.2);
  EXPECT_EQ(*g.system_id, 4);
  const auto e = parse_as<Gsa>("GPGSA,A,1,,,,,,,,,,,,,,,");
  EXPECT_EQ(*e.fix_type, 1);
  EXPECT_EQ(e.prn_count, 0);
  EXPECT_FALSE(e.pdop);
  EXPECT_FALSE(e.system_id);
  const auto old = parse_as<Gsa>("GPGSA,A,3,20,16,09,03,07,10,23,19,27,30,05,,1.33,0.83,1.03");
  EXPECT_EQ(old.prn_count, 11);
  EXPECT_FALSE(old.system_id);
}

TEST(gps_Gsv, SignalIdEmptySlotsAndNoSatellites) {
  const auto g = parse_as<Gsv>("GPGSV,3,3,12,20,47,263,20,22,78,280,15,24,07,305,,30,57,127,31,0");
  EXPECT_EQ(g.total_msgs, 3);
  EXPECT_EQ(g.msg_num, 3);
  EXPECT_EQ(g.sats_in_view, 12);
  EXPECT_EQ(g.sat_count, 4);
  EXPECT_EQ(*g.signal_id, 0);
  EXPECT_FALSE(g.sats[2].snr_dbhz);  // not tracked: unknown
  EXPECT_EQ(*g.sats[3].snr_dbhz, 31);
  const auto none = parse_as<Gsv>("GPGSV,1,1,00");
  EXPECT_EQ(none.sat_count, 0);
  const auto blanks = parse_as<Gsv>("GLGSV,3,3,10,86,06,069,25,81,06,268,27,,,,,,,,");
  EXPECT_EQ(blanks.sat_count, 2);
  EXPECT_FALSE(blanks.signal_id);
  const auto noel = parse_as<Gsv>("GPGSV,3,3,12,19,13,123,27,03,07,176,19,05,05,328,13,47,,,");
  EXPECT_EQ(noel.sat_count, 4);
  EXPECT_FALSE(noel.sats[3].elevation_deg);
}

TEST(gps_Vtg, Nmea23ModeNotValidAndOldForm) {
  const auto v = parse_as<Vtg>("GPVTG,122.7,T,,M,000.0,N,000.0,K,D");
  EXPECT_DOUBLE_EQ(*v.course_true_deg, 122.7);
  EXPECT_FALSE(v.course_mag_deg);
  EXPECT_DOUBLE_EQ(*v.speed_kmh, 0.0);  // a real zero stays zero
  EXPECT_EQ(v.mode, 'D');
  const auto n = parse_as<Vtg>("GPVTG,,,,,,,,,N");
  EXPECT_FALSE(n.speed_kmh);
  EXPECT_EQ(n.mode, 'N');
  const auto old = parse_as<Vtg>("GPVTG,054.7,034.4,005.5,010.2");
  EXPECT_DOUBLE_EQ(*old.course_mag_deg, 34.4);
  EXPECT_DOUBLE_EQ(*old.speed_kmh, 10.2);
}

TEST(gps_Gll, Nmea23AndOld) {
  const auto g = parse_as<Gll>("GNGLL,4404.14066,N,12118.85481,W,171925.00,A,A");
  EXPECT_TRUE(g.status_valid);
  EXPECT_EQ(g.mode, 'A');
  EXPECT_EQ(g.time->ms, (17 * 3600 + 19 * 60 + 25) * 1000);
  const auto old = parse_as<Gll>("GPGLL,4916.45,N,12311.12,W");
  EXPECT_NEAR(*old.lat_deg, 49 + 16.45 / 60, kEps);
  EXPECT_FALSE(old.time);
  EXPECT_FALSE(old.status_valid);
  const auto none = parse_as<Gll>("GPGLL,,,,,,V,N");
  EXPECT_FALSE(none.lat_deg);
}

TEST(gps_Zda, DateZoneAndEmpty) {
  const auto z = parse_as<Zda>("GPZDA,005947.00,08,07,2010,+00,00");
  EXPECT_EQ(*z.date, (Date{2010, 7, 8}));
  EXPECT_EQ(*z.zone_hours, 0);
  const auto e = parse_as<Zda>("GPZDA,202640.000,13,04,2015,,");
  EXPECT_FALSE(e.zone_hours);
  const auto none = parse_as<Zda>("GPZDA,,,,,00,00");
  EXPECT_FALSE(none.time);
  EXPECT_FALSE(none.date);
}

TEST(gps_Txt, TextWithSpaces) {
  // Txt::text views the line (no copy per sentence), so the line must outlive it.
  const std::string line = nmea("GPTXT,01,01,02,ROM CORE       5.00    Jan 09 2006 12:00:00");
  auto s = parse_line(line);
  ASSERT_TRUE(s) << s.error().message;
  const Txt* t = std::get_if<Txt>(&s->body);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, 2);
  EXPECT_EQ(t->text, "ROM CORE       5.00    Jan 09 2006 12:00:00");
}

TEST(gps_Talkers, AllNamedTalkers) {
  const std::pair<const char*, Talker> cases[] = {
      {"GP", Talker::gp}, {"GN", Talker::gn}, {"GL", Talker::gl}, {"GA", Talker::ga},
      {"GB", Talker::gb}, {"BD", Talker::bd}, {"GQ", Talker::gq}, {"GI", Talker::gi},
      {"XX", Talker::other}};
  for (const auto& [name, talker] : cases) {
    auto s = parse_line(nmea(std::string(name) + "GSA,A,3,13,27,37,,,,,,,,,,1.5,0.9,1.2"));
    ASSERT_TRUE(s) << name;
    EXPECT_EQ(s->talker, talker) << name;
    EXPECT_TRUE(std::holds_alternative<Gsa>(s->body));
  }
}

struct BadCase {
  const char* name;
  const char* body;
  ParseStatus want;
};

class ParserRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParserRejects, Status) {
  Sentence s;
  EXPECT_EQ(parse_sentence(GetParam().body, s), GetParam().want);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(s.body));
}

INSTANTIATE_TEST_SUITE_P(
    gps, ParserRejects,
    ::testing::Values(
        BadCase{"proprietary", "PSTMCPU,54.57,-1,98", ParseStatus::unsupported},
        BadCase{"gst", "GPGST,213121.000,16.1,22.2,10.2,2.0,0.4,0.6,1.4", ParseStatus::unsupported},
        BadCase{"short_address", "GPRM,1", ParseStatus::unsupported},
        BadCase{"empty", "", ParseStatus::unsupported},
        BadCase{"rmc_too_short", "GPRMC,123519,A", ParseStatus::too_short},
        BadCase{"gsa_too_short", "GPGSA,A,3", ParseStatus::too_short},
        BadCase{"minutes_61", "GPRMC,123519,A,4861.038,N,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"lat_91", "GPRMC,123519,A,9107.038,N,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"hour_25", "GPRMC,253519,A,4807.038,N,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"time_letters", "GPRMC,12a519,A,4807.038,N,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"feb_30", "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,300294,,", ParseStatus::bad_field},
        BadCase{"bad_hemisphere", "GPRMC,123519,A,4807.038,X,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"missing_hemisphere", "GPRMC,123519,A,4807.038,,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"speed_two_dots", "GPRMC,123519,A,4807.038,N,01131.000,E,1.2.3,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"speed_negative", "GPRMC,123519,A,4807.038,N,01131.000,E,-1,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"speed_nan", "GPRMC,123519,A,4807.038,N,01131.000,E,nan,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"status_x", "GPRMC,123519,X,4807.038,N,01131.000,E,022.4,084.4,230394,,", ParseStatus::bad_field},
        BadCase{"gga_quality_letter", "GPGGA,123519,4807.038,N,01131.000,E,Q,08,0.9,545.4,M,46.9,M,,", ParseStatus::bad_field},
        BadCase{"gsa_fix_5", "GPGSA,A,5,,,,,,,,,,,,,,,", ParseStatus::bad_field},
        BadCase{"gsv_letters", "GPGSV,x,1,00", ParseStatus::bad_field},
        BadCase{"gsv_azimuth_400", "GPGSV,1,1,01,05,10,400,30", ParseStatus::bad_field},
        BadCase{"zda_partial_date", "GPZDA,005947.00,08,,2010,,", ParseStatus::bad_field},
        BadCase{"zda_month_13", "GPZDA,005947.00,08,13,2010,,", ParseStatus::bad_field}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(gps_ParseLine, ChecksumErrorsAreErrorsNotParses) {
  EXPECT_FALSE(parse_line("$GPTXT,01,01,02,ANTSTATUS=OK*3C"));
  EXPECT_FALSE(parse_line("$GPTXT,01,01,02,ANTSTATUS=OK"));
  EXPECT_FALSE(parse_line("GPTXT,01,01,02,ANTSTATUS=OK*3B"));
  EXPECT_TRUE(parse_line("$GPTXT,01,01,02,ANTSTATUS=OK*3B\r\n"));
}

}  // namespace
}  // namespace tta::gps
