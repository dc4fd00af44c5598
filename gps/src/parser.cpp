// NMEA sentence parser: fields are string_views into the caller's buffer; numbers via
// std::from_chars. An empty field is "unknown" (nullopt); a non-empty field that does not
// parse makes the whole sentence bad, because a receiver that garbles one field may have
// garbled the others.
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <type_traits>

#include "tta/gps/nmea.hpp"

namespace tta::gps {
namespace {

constexpr std::size_t kMaxFields = 40;

struct Fields {
  std::array<std::string_view, kMaxFields> f{};
  std::size_t n = 0;
  [[nodiscard]] std::string_view operator[](std::size_t i) const {
    return i < n ? f[i] : std::string_view{};
  }
};

Fields split(std::string_view body) noexcept {
  Fields out;
  std::size_t start = 0;
  while (out.n < kMaxFields) {
    const auto comma = body.find(',', start);
    if (comma == std::string_view::npos) {
      out.f[out.n++] = body.substr(start);
      break;
    }
    out.f[out.n++] = body.substr(start, comma - start);
    start = comma + 1;
  }
  return out;
}

/// Parse a decimal number; false when the field is non-empty and malformed.
bool real(std::string_view s, std::optional<double>& out) noexcept {
  out.reset();
  if (s.empty()) return true;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, v, std::chars_format::fixed);
  if (r.ec != std::errc{} || r.ptr != end || !std::isfinite(v)) return false;
  out = v;
  return true;
}

template <typename T>
bool integer(std::string_view s, std::optional<T>& out, long min, long max) noexcept {
  out.reset();
  if (s.empty()) return true;
  if (s.front() == '+') s.remove_prefix(1);
  long v = 0;
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, v);
  if (r.ec != std::errc{} || r.ptr != end || v < min || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

bool character(std::string_view s, char& out) noexcept {
  out = '\0';
  if (s.empty()) return true;
  if (s.size() != 1) return false;
  out = s.front();
  return true;
}

bool digits(std::string_view s) noexcept {
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int two(std::string_view s, std::size_t at) noexcept { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

/// `hhmmss[.s…]`
bool time_of_day(std::string_view s, std::optional<TimeOfDay>& out) noexcept {
  out.reset();
  if (s.empty()) return true;
  if (s.size() < 6 || !digits(s.substr(0, 6))) return false;
  const int h = two(s, 0), m = two(s, 2), sec = two(s, 4);
  if (h > 23 || m > 59 || sec > 60) return false;
  int ms = 0;
  if (s.size() > 6) {
    if (s[6] != '.') return false;
    const auto frac = s.substr(7);
    if (!digits(frac)) return false;
    int scale = 100;
    for (std::size_t i = 0; i < frac.size() && i < 3; ++i) {
      ms += (frac[i] - '0') * scale;
      scale /= 10;
    }
  }
  out = TimeOfDay{((h * 60 + m) * 60 + sec) * 1000 + ms};
  return true;
}

bool valid_day(int y, int m, int d) noexcept {
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + ((m == 2 && leap) ? 1 : 0);
}

/// RMC `ddmmyy`; two-digit years map to 1980-2079 (GPS started in 1980).
bool rmc_date(std::string_view s, std::optional<Date>& out) noexcept {
  out.reset();
  if (s.empty()) return true;
  if (s.size() != 6 || !digits(s)) return false;
  const int d = two(s, 0), m = two(s, 2), yy = two(s, 4);
  const int y = yy < 80 ? 2000 + yy : 1900 + yy;
  if (!valid_day(y, m, d)) return false;
  out = Date{static_cast<std::int16_t>(y), static_cast<std::int8_t>(m), static_cast<std::int8_t>(d)};
  return true;
}

/// `(d)ddmm.mmmm` with hemisphere; both empty = unknown.
bool coordinate(std::string_view value, std::string_view hemi, bool is_lat,
                std::optional<double>& out) noexcept {
  out.reset();
  if (value.empty() && hemi.empty()) return true;
  if (value.empty()) return hemi.size() == 1;  // hemisphere without value: still unknown
  std::optional<double> v;
  if (!real(value, v) || *v < 0) return false;
  const double deg = std::floor(*v / 100.0);
  const double min = *v - deg * 100.0;
  if (min >= 60.0 || deg > (is_lat ? 90.0 : 180.0)) return false;
  double r = deg + min / 60.0;
  if (r > (is_lat ? 90.0 : 180.0)) return false;
  if (hemi.size() != 1) return false;
  const char h = hemi.front();
  if (is_lat ? h == 'S' : h == 'W') {
    r = -r;
  } else if (is_lat ? h != 'N' : h != 'E') {
    return false;
  }
  out = r;
  return true;
}

Talker talker_of(std::string_view t) noexcept {
  if (t == "GP") return Talker::gp;
  if (t == "GN") return Talker::gn;
  if (t == "GL") return Talker::gl;
  if (t == "GA") return Talker::ga;
  if (t == "GB") return Talker::gb;
  if (t == "BD") return Talker::bd;
  if (t == "GQ") return Talker::gq;
  if (t == "GI") return Talker::gi;
  return Talker::other;
}

ParseStatus ok_if(bool good) noexcept { return good ? ParseStatus::ok : ParseStatus::bad_field; }

ParseStatus parse_rmc(const Fields& f, Rmc& r) noexcept {
  if (f.n < 10) return ParseStatus::too_short;
  char status = '\0';
  bool good = time_of_day(f[1], r.time) && character(f[2], status) &&
              coordinate(f[3], f[4], true, r.lat_deg) && coordinate(f[5], f[6], false, r.lon_deg) &&
              real(f[7], r.speed_knots) && real(f[8], r.course_deg) && rmc_date(f[9], r.date) &&
              real(f[10], r.mag_var_deg) && character(f[12], r.mode) &&
              character(f[13], r.nav_status);
  if (!good) return ParseStatus::bad_field;
  if (status != 'A' && status != 'V' && status != '\0') return ParseStatus::bad_field;
  r.status_valid = status == 'A';
  if (r.mag_var_deg && f[11] == "W") *r.mag_var_deg = -*r.mag_var_deg;
  if (r.speed_knots && *r.speed_knots < 0) return ParseStatus::bad_field;
  return ParseStatus::ok;
}

ParseStatus parse_gga(const Fields& f, Gga& g) noexcept {
  if (f.n < 9) return ParseStatus::too_short;
  return ok_if(time_of_day(f[1], g.time) && coordinate(f[2], f[3], true, g.lat_deg) &&
               coordinate(f[4], f[5], false, g.lon_deg) && integer(f[6], g.quality, 0, 9) &&
               integer(f[7], g.sats_used, 0, 255) && real(f[8], g.hdop) &&
               real(f[9], g.alt_msl_m) && real(f[11], g.geoid_sep_m) && real(f[13], g.dgps_age_s));
}

ParseStatus parse_gsa(const Fields& f, Gsa& g) noexcept {
  if (f.n < 18) return ParseStatus::too_short;
  if (!character(f[1], g.selection) || !integer(f[2], g.fix_type, 1, 3)) return ParseStatus::bad_field;
  for (std::size_t i = 3; i < 15; ++i) {
    std::optional<std::uint16_t> prn;
    if (!integer(f[i], prn, 0, 65535)) return ParseStatus::bad_field;
    if (prn) g.prns[g.prn_count++] = *prn;
  }
  return ok_if(real(f[15], g.pdop) && real(f[16], g.hdop) && real(f[17], g.vdop) &&
               integer(f[18], g.system_id, 0, 15));
}

ParseStatus parse_gsv(const Fields& f, Gsv& g) noexcept {
  if (f.n < 4) return ParseStatus::too_short;
  std::optional<std::uint8_t> total, num, in_view;
  if (!integer(f[1], total, 1, 99) || !integer(f[2], num, 1, 99) || !integer(f[3], in_view, 0, 255) ||
      !total || !num || !in_view) {
    return ParseStatus::bad_field;
  }
  g.total_msgs = *total;
  g.msg_num = *num;
  g.sats_in_view = *in_view;
  std::size_t end = f.n;
  if ((f.n - 4) % 4 == 1) {
    if (!integer(f[f.n - 1], g.signal_id, 0, 15)) return ParseStatus::bad_field;
    --end;
  }
  for (std::size_t i = 4; i + 3 < end + 0 && g.sat_count < 4; i += 4) {
    std::optional<std::uint16_t> prn;
    SatInView s;
    if (!integer(f[i], prn, 0, 65535) || !integer(f[i + 1], s.elevation_deg, -90, 90) ||
        !integer(f[i + 2], s.azimuth_deg, 0, 359) || !integer(f[i + 3], s.snr_dbhz, 0, 99)) {
      return ParseStatus::bad_field;
    }
    if (!prn) continue;  // empty slot
    s.prn = *prn;
    g.sats[g.sat_count++] = s;
  }
  return ParseStatus::ok;
}

ParseStatus parse_vtg(const Fields& f, Vtg& v) noexcept {
  if (f.n == 5 && f[2] != "T") {
    // NMEA 1.x form without unit letters: course true, course magnetic, knots, km/h.
    return ok_if(real(f[1], v.course_true_deg) && real(f[2], v.course_mag_deg) &&
                 real(f[3], v.speed_knots) && real(f[4], v.speed_kmh));
  }
  if (f.n < 9) return ParseStatus::too_short;
  return ok_if(real(f[1], v.course_true_deg) && real(f[3], v.course_mag_deg) &&
               real(f[5], v.speed_knots) && real(f[7], v.speed_kmh) && character(f[9], v.mode));
}

ParseStatus parse_gll(const Fields& f, Gll& g) noexcept {
  if (f.n < 5) return ParseStatus::too_short;
  char status = '\0';
  const bool good = coordinate(f[1], f[2], true, g.lat_deg) &&
                    coordinate(f[3], f[4], false, g.lon_deg) && time_of_day(f[5], g.time) &&
                    character(f[6], status) && character(f[7], g.mode);
  if (!good || (status != 'A' && status != 'V' && status != '\0')) return ParseStatus::bad_field;
  g.status_valid = status == 'A';
  return ParseStatus::ok;
}

ParseStatus parse_zda(const Fields& f, Zda& z) noexcept {
  if (f.n < 5) return ParseStatus::too_short;
  std::optional<std::int8_t> d, m;
  std::optional<std::int16_t> y;
  if (!time_of_day(f[1], z.time) || !integer(f[2], d, 1, 31) || !integer(f[3], m, 1, 12) ||
      !integer(f[4], y, 1980, 2200) || !integer(f[5], z.zone_hours, -13, 13) ||
      !integer(f[6], z.zone_minutes, -59, 59)) {
    return ParseStatus::bad_field;
  }
  if (d && m && y) {
    if (!valid_day(*y, *m, *d)) return ParseStatus::bad_field;
    z.date = Date{*y, *m, *d};
  } else if (d || m || y) {
    return ParseStatus::bad_field;  // a partial date is not a date
  }
  return ParseStatus::ok;
}

ParseStatus parse_txt(std::string_view body, const Fields& f, Txt& t) noexcept {
  if (f.n < 5) return ParseStatus::too_short;
  std::optional<std::uint8_t> total, num, type;
  if (!integer(f[1], total, 0, 99) || !integer(f[2], num, 0, 99) || !integer(f[3], type, 0, 99)) {
    return ParseStatus::bad_field;
  }
  t.total = total.value_or(0);
  t.number = num.value_or(0);
  t.type = type.value_or(0);
  // The text is everything after the fourth comma, commas included.
  t.text = body.substr(static_cast<std::size_t>(f[4].data() - body.data()));
  return ParseStatus::ok;
}

template <typename T, typename Parse>
ParseStatus run(Sentence& out, Parse&& parse) noexcept {
  T value{};
  const ParseStatus st = parse(value);
  if (st == ParseStatus::ok) out.body = value;
  return st;
}

}  // namespace

std::string_view to_string(Talker t) noexcept {
  switch (t) {
    case Talker::gp: return "gp";
    case Talker::gn: return "gn";
    case Talker::gl: return "gl";
    case Talker::ga: return "ga";
    case Talker::gb: return "gb";
    case Talker::bd: return "bd";
    case Talker::gq: return "gq";
    case Talker::gi: return "gi";
    case Talker::other: break;
  }
  return "??";
}

ParseStatus parse_sentence(std::string_view body, Sentence& out) noexcept {
  out.body = std::monostate{};
  out.talker = Talker::other;
  const Fields f = split(body);
  const std::string_view addr = f[0];
  if (addr.size() != 5 || addr.front() == 'P') return ParseStatus::unsupported;
  out.talker = talker_of(addr.substr(0, 2));
  const std::string_view type = addr.substr(2);
  if (type == "RMC") return run<Rmc>(out, [&](Rmc& v) { return parse_rmc(f, v); });
  if (type == "GGA") return run<Gga>(out, [&](Gga& v) { return parse_gga(f, v); });
  if (type == "GSA") return run<Gsa>(out, [&](Gsa& v) { return parse_gsa(f, v); });
  if (type == "GSV") return run<Gsv>(out, [&](Gsv& v) { return parse_gsv(f, v); });
  if (type == "VTG") return run<Vtg>(out, [&](Vtg& v) { return parse_vtg(f, v); });
  if (type == "GLL") return run<Gll>(out, [&](Gll& v) { return parse_gll(f, v); });
  if (type == "ZDA") return run<Zda>(out, [&](Zda& v) { return parse_zda(f, v); });
  if (type == "TXT") return run<Txt>(out, [&](Txt& v) { return parse_txt(body, f, v); });
  return ParseStatus::unsupported;
}

}  // namespace tta::gps
