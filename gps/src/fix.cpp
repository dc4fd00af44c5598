#include <type_traits>

#include "tta/gps/fix.hpp"

namespace tta::gps {
namespace {

constexpr double kKmhPerKnot = 1.852;

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<TimeOfDay> time_of(const Sentence& s) {
  if (const auto* r = std::get_if<Rmc>(&s.body)) return r->time;
  if (const auto* g = std::get_if<Gga>(&s.body)) return g->time;
  if (const auto* l = std::get_if<Gll>(&s.body)) return l->time;
  if (const auto* z = std::get_if<Zda>(&s.body)) return z->time;
  return std::nullopt;
}

bool contributes(const Sentence& s) {
  return std::holds_alternative<Rmc>(s.body) || std::holds_alternative<Gga>(s.body) ||
         std::holds_alternative<Gsa>(s.body) || std::holds_alternative<Vtg>(s.body) ||
         std::holds_alternative<Gll>(s.body) || std::holds_alternative<Zda>(s.body);
}

void set_position(Fix& f, const std::optional<double>& lat, const std::optional<double>& lon) {
  if (lat && lon && !f.has(kFieldPosition)) {
    f.lat_deg = *lat;
    f.lon_deg = *lon;
    f.set |= kFieldPosition;
  }
}

void set_value(Fix& f, double& field, std::uint32_t bit, const std::optional<double>& v) {
  if (v && !f.has(bit)) {
    field = *v;
    f.set |= bit;
  }
}

}  // namespace

std::optional<WallTime> Fix::utc() const {
  if (!has(kFieldTime | kFieldDate)) return std::nullopt;
  const std::int64_t days =
      days_from_civil(date.year, static_cast<unsigned>(date.month), static_cast<unsigned>(date.day));
  return WallTime{std::chrono::milliseconds{days * 86'400'000 + time_of_day.ms}};
}

bool Fix::has_fix() const {
  if (!has(kFieldPosition)) return false;
  if (has(kFieldStatus) && !status_valid) return false;
  if (has(kFieldQuality)) {
    switch (quality) {
      case FixQuality::gps:
      case FixQuality::dgps:
      case FixQuality::pps:
      case FixQuality::rtk:
      case FixQuality::float_rtk: break;
      default: return false;
    }
  }
  if (has(kFieldMode) && mode != FixMode::fix_2d && mode != FixMode::fix_3d) return false;
  return true;
}

std::optional<Fix> EpochAssembler::add(const Sentence& s) {
  if (!contributes(s)) return std::nullopt;
  const auto t = time_of(s);
  if (!t) {
    if (open_) merge(s);
    return std::nullopt;
  }
  if (open_ && cur_.time_of_day == *t) {
    merge(s);
    return std::nullopt;
  }
  std::optional<Fix> done;
  if (open_) done = cur_;
  cur_ = Fix{};
  cur_.time_of_day = *t;
  cur_.set = kFieldTime;
  cur_.talker = s.talker;
  open_ = true;
  merge(s);
  return done;
}

std::optional<Fix> EpochAssembler::flush() {
  if (!open_) return std::nullopt;
  open_ = false;
  return cur_;
}

void EpochAssembler::merge(const Sentence& s) {
  Fix& f = cur_;
  ++f.sentences;
  if (const auto* r = std::get_if<Rmc>(&s.body)) {
    // FAA mode 'N' (2.3+) or status 'V' both say "do not use these values".
    const bool valid = r->status_valid && r->mode != 'N';
    f.status_valid = valid;
    f.set |= kFieldStatus;
    if (r->date && !f.has(kFieldDate)) {
      f.date = *r->date;
      f.set |= kFieldDate;
    }
    if (!valid) return;
    set_position(f, r->lat_deg, r->lon_deg);
    if (r->speed_knots) set_value(f, f.speed_kmh, kFieldSpeed, *r->speed_knots * kKmhPerKnot);
    set_value(f, f.course_deg, kFieldCourse, r->course_deg);
  } else if (const auto* g = std::get_if<Gga>(&s.body)) {
    if (g->quality && !f.has(kFieldQuality)) {
      f.quality = static_cast<FixQuality>(*g->quality);
      f.set |= kFieldQuality;
    }
    if (g->sats_used && !f.has(kFieldSatsUsed)) {
      f.sats_used = *g->sats_used;
      f.set |= kFieldSatsUsed;
    }
    set_value(f, f.hdop, kFieldHdop, g->hdop);
    // Position and altitude only when the receiver says it has a fix (quality known, > 0).
    if (g->quality && *g->quality > 0) {
      set_position(f, g->lat_deg, g->lon_deg);
      set_value(f, f.alt_msl_m, kFieldAltitude, g->alt_msl_m);
    }
  } else if (const auto* a = std::get_if<Gsa>(&s.body)) {
    if (a->fix_type && !f.has(kFieldMode)) {
      f.mode = static_cast<FixMode>(*a->fix_type);
      f.set |= kFieldMode;
    }
    set_value(f, f.pdop, kFieldPdop, a->pdop);
    set_value(f, f.hdop, kFieldHdop, a->hdop);
    set_value(f, f.vdop, kFieldVdop, a->vdop);
  } else if (const auto* v = std::get_if<Vtg>(&s.body)) {
    if (v->mode == 'N') return;
    if (v->speed_kmh) {
      set_value(f, f.speed_kmh, kFieldSpeed, v->speed_kmh);
    } else if (v->speed_knots) {
      set_value(f, f.speed_kmh, kFieldSpeed, *v->speed_knots * kKmhPerKnot);
    }
    set_value(f, f.course_deg, kFieldCourse, v->course_true_deg);
  } else if (const auto* l = std::get_if<Gll>(&s.body)) {
    const bool valid = l->status_valid && l->mode != 'N';
    if (!f.has(kFieldStatus)) {
      f.status_valid = valid;
      f.set |= kFieldStatus;
    }
    if (valid) set_position(f, l->lat_deg, l->lon_deg);
  } else if (const auto* z = std::get_if<Zda>(&s.body)) {
    if (z->date && !f.has(kFieldDate)) {
      f.date = *z->date;
      f.set |= kFieldDate;
    }
  }
}

std::optional<Fix> NmeaDecoder::on_sentence(std::string_view body) {
  Sentence s;
  switch (parse_sentence(body, s)) {
    case ParseStatus::ok: ++stats_.parsed; return assembler_.add(s);
    case ParseStatus::unsupported: ++stats_.unsupported; return std::nullopt;
    case ParseStatus::bad_field:
    case ParseStatus::too_short: ++stats_.parse_errors; return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace tta::gps
