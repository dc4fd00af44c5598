#include "tta/gps/route_sim.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tta/core/time_util.hpp"
#include "tta/gps/geo.hpp"

namespace tta::gps {

namespace {

struct Point {
  double lat;
  double lon;
};

double bearing_deg(Point a, Point b) {
  const double kRad = M_PI / 180.0;
  const double y = std::sin((b.lon - a.lon) * kRad) * std::cos(b.lat * kRad);
  const double x = std::cos(a.lat * kRad) * std::sin(b.lat * kRad) -
                   std::sin(a.lat * kRad) * std::cos(b.lat * kRad) * std::cos((b.lon - a.lon) * kRad);
  return std::fmod(std::atan2(y, x) / kRad + 360.0, 360.0);
}

std::string with_checksum(const std::string& body) {
  unsigned char x = 0;
  for (char c : body) x = static_cast<unsigned char>(x ^ static_cast<unsigned char>(c));
  char tail[8];
  std::snprintf(tail, sizeof tail, "*%02X\r\n", x);
  return "$" + body + tail;
}

std::string nmea_coord(double deg, bool lat) {
  const double a = std::fabs(deg);
  const int d = static_cast<int>(a);
  const double m = (a - d) * 60.0;
  char buf[32];
  if (lat) {
    std::snprintf(buf, sizeof buf, "%02d%07.4f,%c", d, m, deg >= 0 ? 'N' : 'S');
  } else {
    std::snprintf(buf, sizeof buf, "%03d%07.4f,%c", d, m, deg >= 0 ? 'E' : 'W');
  }
  return buf;
}

/// A good 3-D fix at `t`.
Fix fix_at(WallTime t, Point where, double speed_kmh, double course_deg) {
  Fix fix;
  const CivilTime c = to_civil(t, std::chrono::seconds(0));
  fix.time_of_day.ms = (c.hour * 3600 + c.minute * 60 + c.second) * 1000;
  fix.date = {static_cast<std::int16_t>(c.year), static_cast<std::int8_t>(c.month),
              static_cast<std::int8_t>(c.day)};
  fix.lat_deg = where.lat;
  fix.lon_deg = where.lon;
  fix.alt_msl_m = 12.0;
  fix.speed_kmh = speed_kmh;
  fix.course_deg = course_deg;
  fix.hdop = 0.9;
  fix.mode = FixMode::fix_3d;
  fix.quality = FixQuality::gps;
  fix.sats_used = 12;
  fix.status_valid = true;
  fix.set = kFieldTime | kFieldDate | kFieldPosition | kFieldAltitude | kFieldSpeed |
            kFieldCourse | kFieldQuality | kFieldHdop | kFieldSatsUsed | kFieldStatus;
  return fix;
}

}  // namespace

std::vector<Fix> simulate_stay(WallTime start, int seconds, double lat_deg, double lon_deg) {
  std::vector<Fix> out;
  out.reserve(static_cast<std::size_t>(std::max(seconds, 0)));
  for (int i = 0; i < seconds; ++i) {
    out.push_back(fix_at(start + std::chrono::seconds(i), {lat_deg, lon_deg}, 0.0, 0.0));
  }
  return out;
}

std::vector<Fix> simulate_route(const RouteOptions& opt) {
  double lat_min = 90, lat_max = -90, lon_min = 180, lon_max = -180;
  for (const auto& p : opt.area.points) {
    lat_min = std::min(lat_min, p.lat_deg);
    lat_max = std::max(lat_max, p.lat_deg);
    lon_min = std::min(lon_min, p.lon_deg);
    lon_max = std::max(lon_max, p.lon_deg);
  }
  const double clat = (lat_min + lat_max) / 2, clon = (lon_min + lon_max) / 2;
  const double hlat = (lat_max - lat_min) / 4, hlon = (lon_max - lon_min) / 4;
  const std::vector<Point> corners{{clat - hlat, clon - hlon}, {clat - hlat, clon + hlon},
                                   {clat + hlat, clon + hlon}, {clat + hlat, clon - hlon}};
  std::vector<Fix> out;
  out.reserve(static_cast<std::size_t>(opt.seconds));
  std::size_t leg = 0;
  double along_m = 0;
  int stopped_s = 0;
  const double step_m = opt.speed_kmh / 3.6;
  for (int i = 0; i < opt.seconds; ++i) {
    const Point a = corners[leg % 4];
    const Point b = corners[(leg + 1) % 4];
    const double leg_m = haversine_m(a.lat, a.lon, b.lat, b.lon);
    const double f = std::min(along_m / leg_m, 1.0);
    const Point here{a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f};
    const bool standing = stopped_s > 0;

    out.push_back(fix_at(opt.start + std::chrono::seconds(i), here,
                         standing ? 0.0 : opt.speed_kmh, bearing_deg(a, b)));

    if (standing) {
      --stopped_s;
    } else {
      along_m += step_m;
      if (along_m >= leg_m) {
        along_m = 0;
        ++leg;
        stopped_s = opt.corner_stop_s;
      }
    }
  }
  return out;
}

std::string to_nmea(const std::vector<Fix>& fixes) {
  std::string out = "# SIMULATED route from tta's demo route generator: not a receiver log\n";
  char body[160];
  for (const auto& f : fixes) {
    const int s = f.time_of_day.ms / 1000;
    char hhmmss[32];
    std::snprintf(hhmmss, sizeof hhmmss, "%02d%02d%02d.00", s / 3600, s / 60 % 60, s % 60);
    char ddmmyy[16];
    std::snprintf(ddmmyy, sizeof ddmmyy, "%02d%02d%02d", f.date.day, f.date.month, f.date.year % 100);
    std::snprintf(body, sizeof body, "GNRMC,%s,A,%s,%s,%.1f,%.1f,%s,,,A", hhmmss,
                  nmea_coord(f.lat_deg, true).c_str(), nmea_coord(f.lon_deg, false).c_str(),
                  f.speed_kmh / 1.852, f.course_deg, ddmmyy);
    out += with_checksum(body);
    std::snprintf(body, sizeof body, "GNGGA,%s,%s,%s,1,%02d,%.1f,%.1f,M,0.0,M,,", hhmmss,
                  nmea_coord(f.lat_deg, true).c_str(), nmea_coord(f.lon_deg, false).c_str(),
                  f.sats_used, f.hdop, f.alt_msl_m);
    out += with_checksum(body);
  }
  return out;
}

}  // namespace tta::gps
