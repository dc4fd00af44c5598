// Basic position block (28 bytes), attached GNSS block (38 bytes) and 0x0200 TLV items:
// terminal-protocol.md §1.2.
#include "tta/uplink/position.hpp"

#include <cmath>

#include "tta/core/bcd.hpp"
#include "wire.hpp"

namespace tta::uplink {
namespace {

bool all_zero(std::span<const std::uint8_t> b) {
  for (auto x : b) {
    if (x != 0) return false;
  }
  return true;
}

std::uint32_t udeg(double deg) {
  return static_cast<std::uint32_t>(std::llround(std::fabs(deg) * 1e6));
}

}  // namespace

bool PositionBlock::has_missing() const {
  return !latitude_udeg || !longitude_udeg || !vehicle_speed_dkmh || !gnss_speed_dkmh ||
         !direction_deg || !time;
}

std::optional<double> PositionBlock::latitude_deg() const {
  if (!latitude_udeg) return std::nullopt;
  const double d = static_cast<double>(*latitude_udeg) / 1e6;
  return (status_flags & kStatusSouth) != 0 ? -d : d;
}

std::optional<double> PositionBlock::longitude_deg() const {
  if (!longitude_udeg) return std::nullopt;
  const double d = static_cast<double>(*longitude_udeg) / 1e6;
  return (status_flags & kStatusWest) != 0 ? -d : d;
}

void PositionBlock::set_latitude_deg(double deg) {
  if (!std::isfinite(deg) || std::fabs(deg) > 90.0) {
    latitude_udeg.reset();
    return;
  }
  latitude_udeg = udeg(deg);
  if (deg < 0) {
    status_flags |= kStatusSouth;
  } else {
    status_flags &= ~kStatusSouth;
  }
}

void PositionBlock::set_longitude_deg(double deg) {
  if (!std::isfinite(deg) || std::fabs(deg) > 180.0) {
    longitude_udeg.reset();
    return;
  }
  longitude_udeg = udeg(deg);
  if (deg < 0) {
    status_flags |= kStatusWest;
  } else {
    status_flags &= ~kStatusWest;
  }
}

bool AttachedGnss::has_missing() const {
  return basic.has_missing() || !odometer_hm || !engine_speed_rpm;
}

Bytes encode_position_block(const PositionBlock& p) {
  wire::Writer w;
  w.out().reserve(kPositionBlockBytes);
  w.u32(p.alarm_flags);
  w.u32(p.status_flags);
  // Missing values go out as 0 (documented in position.hpp); the caller flags the record.
  w.u32(p.latitude_udeg.value_or(0));
  w.u32(p.longitude_udeg.value_or(0));
  w.u16(p.vehicle_speed_dkmh.value_or(0));
  w.u16(p.gnss_speed_dkmh.value_or(0));
  w.u16(p.direction_deg.value_or(0));
  if (p.time) {
    w.bytes(bcd_time6(*p.time));
  } else {
    for (int i = 0; i < 6; ++i)
      w.u8(0);
  }
  return std::move(w.out());
}

Result<PositionBlock> decode_position_block(std::span<const std::uint8_t> b) {
  if (b.size() != kPositionBlockBytes) {
    return fail(Errc::parse,
                "position block has " + std::to_string(b.size()) + " bytes, expected 28");
  }
  wire::Reader r(b);
  PositionBlock p;
  p.alarm_flags = r.u32("alarm");
  p.status_flags = r.u32("status");
  p.latitude_udeg = r.u32("latitude");
  p.longitude_udeg = r.u32("longitude");
  p.vehicle_speed_dkmh = r.u16("vehicle speed");
  p.gnss_speed_dkmh = r.u16("satellite speed");
  p.direction_deg = r.u16("direction");
  auto t = r.take(6, "time");
  if (!all_zero(t)) {
    auto wt = parse_bcd_time6(t);
    if (!wt) return fail(Errc::parse, "position time: " + wt.error().message);
    p.time = *wt;
  }
  return p;
}

Bytes encode_attached_gnss(const AttachedGnss& a) {
  Bytes out = encode_position_block(a.basic);
  wire::Writer w;
  w.u8(kTlvOdometer);
  w.u8(4);
  w.u32(a.odometer_hm.value_or(0));
  w.u8(kTlvEngineSpeed);
  w.u8(2);
  w.u16(a.engine_speed_rpm.value_or(0));
  out.insert(out.end(), w.out().begin(), w.out().end());
  return out;
}

Result<AttachedGnss> decode_attached_gnss(std::span<const std::uint8_t> b) {
  if (b.size() != kAttachedGnssBytes) {
    return fail(Errc::parse,
                "attached GNSS block has " + std::to_string(b.size()) + " bytes, expected 38");
  }
  AttachedGnss a;
  auto basic = decode_position_block(b.first(kPositionBlockBytes));
  if (!basic) return fail(basic.error());
  a.basic = *basic;
  wire::Reader r(b.subspan(kPositionBlockBytes));
  for (int i = 0; i < 2; ++i) {
    const std::size_t at = kPositionBlockBytes + r.pos();
    const std::uint8_t id = r.u8("TLV id");
    const std::uint8_t len = r.u8("TLV length");
    if (id == kTlvOdometer && len == 4 && !a.odometer_hm) {
      a.odometer_hm = r.u32("odometer");
    } else if (id == kTlvEngineSpeed && len == 2 && !a.engine_speed_rpm) {
      a.engine_speed_rpm = r.u16("engine speed");
    } else {
      char buf[96];
      std::snprintf(buf, sizeof buf,
                    "attached GNSS block: unexpected TLV id 0x%02x length %u at offset %zu "
                    "(expected 0x01/4 and 0x05/2)",
                    static_cast<unsigned>(id), static_cast<unsigned>(len), at);
      return fail(Errc::parse, buf);
    }
  }
  if (!r.ok()) return fail(Errc::parse, "attached GNSS block: " + *r.error());
  return a;
}

Result<Bytes> PositionReport::encode() const {
  Bytes out = encode_position_block(basic);
  wire::Writer w;
  if (odometer_hm) {
    w.u8(kTlvOdometer);
    w.u8(4);
    w.u32(*odometer_hm);
  }
  if (fuel_tenth_l) {
    w.u8(kTlvFuel);
    w.u8(2);
    w.u16(*fuel_tenth_l);
  }
  if (altitude_m) {
    w.u8(kTlvAltitude);
    w.u8(2);
    w.u16(*altitude_m);
  }
  if (engine_speed_rpm) {
    w.u8(kTlvEngineSpeed);
    w.u8(2);
    w.u16(*engine_speed_rpm);
  }
  for (const auto& t : other_items) {
    if (t.id == kTlvOdometer || t.id == kTlvFuel || t.id == kTlvAltitude ||
        t.id == kTlvEngineSpeed) {
      return fail(Errc::invalid_argument, "TLV 0x0" + std::to_string(t.id) +
                                              " is a known item: use its field, not other_items");
    }
    if (t.value.size() > 255) {
      return fail(Errc::invalid_argument, "TLV value longer than 255 bytes");
    }
    w.u8(t.id);
    w.u8(static_cast<std::uint8_t>(t.value.size()));
    w.bytes(t.value);
  }
  out.insert(out.end(), w.out().begin(), w.out().end());
  return out;
}

Result<PositionReport> PositionReport::decode(std::span<const std::uint8_t> body) {
  if (body.size() < kPositionBlockBytes) {
    return fail(Errc::parse, "truncated: position report needs 28 bytes, body has " +
                                 std::to_string(body.size()));
  }
  PositionReport rep;
  auto basic = decode_position_block(body.first(kPositionBlockBytes));
  if (!basic) return fail(basic.error());
  rep.basic = *basic;
  wire::Reader r(body.subspan(kPositionBlockBytes));
  while (r.ok() && r.remaining() > 0) {
    const std::size_t at = kPositionBlockBytes + r.pos();
    const std::uint8_t id = r.u8("TLV id");
    const std::uint8_t len = r.u8("TLV length");
    auto value = r.take(len, "TLV value");
    if (!r.ok()) break;
    wire::Reader v(value);
    auto bad_len = [&](unsigned want) {
      char buf[80];
      std::snprintf(buf, sizeof buf, "TLV 0x%02x at offset %zu has length %u, expected %u",
                    static_cast<unsigned>(id), at, static_cast<unsigned>(len), want);
      return fail(Errc::parse, buf);
    };
    auto dup = [&] {
      char buf[64];
      std::snprintf(buf, sizeof buf, "TLV 0x%02x repeated at offset %zu", static_cast<unsigned>(id),
                    at);
      return fail(Errc::parse, buf);
    };
    switch (id) {
      case kTlvOdometer:
        if (len != 4) return bad_len(4);
        if (rep.odometer_hm) return dup();
        rep.odometer_hm = v.u32("odometer");
        break;
      case kTlvFuel:
        if (len != 2) return bad_len(2);
        if (rep.fuel_tenth_l) return dup();
        rep.fuel_tenth_l = v.u16("fuel");
        break;
      case kTlvAltitude:
        if (len != 2) return bad_len(2);
        if (rep.altitude_m) return dup();
        rep.altitude_m = v.u16("altitude");
        break;
      case kTlvEngineSpeed:
        if (len != 2) return bad_len(2);
        if (rep.engine_speed_rpm) return dup();
        rep.engine_speed_rpm = v.u16("engine speed");
        break;
      default:
        rep.other_items.push_back(RawTlv{id, Bytes(value.begin(), value.end())});
    }
  }
  if (!r.ok()) return fail(Errc::parse, "position TLV items: " + *r.error());
  return rep;
}

}  // namespace tta::uplink
