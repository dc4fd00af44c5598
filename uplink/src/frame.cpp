// Framing, escaping, checksum and the three header layouts (terminal-protocol.md §1, §1.1).
#include "tta/uplink/frame.hpp"

#include <cstdio>

#include "tta/core/bcd.hpp"
#include "wire.hpp"

namespace tta::uplink {
namespace {

constexpr std::uint16_t kLenMask = 0x03FF;
constexpr std::uint16_t kBitSubpacket = 1U << 13;
constexpr std::uint16_t kBit2019 = 1U << 14;
constexpr std::uint16_t kBit15 = 1U << 15;

std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v & 0xFFU);
  return buf;
}

std::size_t phone_bytes(HeaderVariant v) {
  switch (v) {
    case HeaderVariant::training:
      return 8;
    case HeaderVariant::jt808_2013:
      return 6;
    case HeaderVariant::jt808_2019:
      return 10;
  }
  return 8;
}

// Offset of the attributes WORD for each layout.
std::size_t attr_offset(HeaderVariant v) {
  return v == HeaderVariant::training ? 3 : 2;
}

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// For `content` = header + body (checksum removed): does the layout's attribute length agree
// with the size? Returns the body length the attributes announce and the body size present.
struct LengthCheck {
  bool readable = false;
  std::size_t announced = 0;
  std::size_t present = 0;
  [[nodiscard]] bool fits() const { return readable && announced == present; }
};

LengthCheck check_length(std::span<const std::uint8_t> content, HeaderVariant v) {
  LengthCheck c;
  const std::size_t ao = attr_offset(v);
  if (content.size() < ao + 2) return c;
  const std::uint16_t attrs = be16(content, ao);
  const std::size_t hs = header_size(v, (attrs & kBitSubpacket) != 0);
  if (content.size() < hs) return c;
  c.readable = true;
  c.announced = attrs & kLenMask;
  c.present = content.size() - hs;
  return c;
}

Result<Frame> parse_layout(std::span<const std::uint8_t> content, HeaderVariant v) {
  const std::size_t ao = attr_offset(v);
  if (content.size() < ao + 2) {
    return fail(Errc::parse, "frame of " + std::to_string(content.size()) +
                                 " bytes is too short for a " + std::string(to_string(v)) +
                                 " header");
  }
  const std::uint16_t attrs = be16(content, ao);
  const bool sub = (attrs & kBitSubpacket) != 0;
  const std::size_t hs = header_size(v, sub);
  if (content.size() < hs) {
    return fail(Errc::parse, "truncated header: " + std::string(to_string(v)) + " header" +
                                 (sub ? " with sub-packet fields" : "") + " needs " +
                                 std::to_string(hs) + " bytes, frame has " +
                                 std::to_string(content.size()));
  }
  const std::size_t announced = attrs & kLenMask;
  const std::size_t present = content.size() - hs;
  if (announced != present) {
    return fail(Errc::parse, "length " + std::to_string(announced) +
                                 " in attributes but body has " + std::to_string(present) +
                                 " bytes");
  }
  Frame f;
  FrameHeader& h = f.header;
  h.variant = v;
  h.encryption = static_cast<std::uint8_t>((attrs >> 10) & 0x7);
  h.attr_bit15 = (attrs & kBit15) != 0;
  wire::Reader r(content);
  if (v == HeaderVariant::training) {
    h.version = r.u8("version");
    if (h.version != kTrainingVersion) {
      return fail(Errc::parse, "protocol version " + hex2(h.version) + ", expected 0x80");
    }
    if ((attrs & kBit2019) != 0) {
      return fail(Errc::parse, "attribute bit 14 is set in a driving-training header");
    }
  } else {
    h.version = 0;
  }
  h.msg_id = r.u16("message id");
  (void)r.u16("attributes");
  if (v == HeaderVariant::jt808_2019) {
    h.version = r.u8("version");
    if ((attrs & kBit2019) == 0) {
      return fail(Errc::parse, "a JT/T 808-2019 header needs attribute bit 14");
    }
  } else if (v == HeaderVariant::jt808_2013 && (attrs & kBit2019) != 0) {
    return fail(Errc::parse, "attribute bit 14 is set in a JT/T 808-2013 header");
  }
  auto phone = bcd_decode(r.take(phone_bytes(v), "phone"));
  if (!phone) return fail(Errc::parse, "phone number: " + phone.error().message);
  h.phone = *phone;
  h.serial = r.u16("serial");
  if (v == HeaderVariant::training) h.reserved = r.u8("reserved");
  if (sub) {
    SubPacket sp;
    sp.total = r.u16("sub-packet total");
    sp.index = r.u16("sub-packet index");
    h.subpacket = sp;
  }
  auto body = r.rest();
  f.body.assign(body.begin(), body.end());
  if (!r.ok()) return fail(Errc::parse, *r.error());
  return f;
}

}  // namespace

std::string_view to_string(HeaderVariant v) noexcept {
  switch (v) {
    case HeaderVariant::training:
      return "training";
    case HeaderVariant::jt808_2013:
      return "jt808-2013";
    case HeaderVariant::jt808_2019:
      return "jt808-2019";
  }
  return "unknown";
}

std::size_t header_size(HeaderVariant v, bool subpacket) noexcept {
  std::size_t base = 16;
  if (v == HeaderVariant::jt808_2013) base = 12;
  if (v == HeaderVariant::jt808_2019) base = 17;
  return base + (subpacket ? 4 : 0);
}

std::uint8_t xor_checksum(std::span<const std::uint8_t> bytes) noexcept {
  std::uint8_t x = 0;
  for (auto b : bytes)
    x = static_cast<std::uint8_t>(x ^ b);
  return x;
}

Bytes escape(std::span<const std::uint8_t> raw) {
  Bytes out;
  out.reserve(raw.size() + raw.size() / 16 + 2);
  for (auto b : raw) {
    if (b == kFlag) {
      out.push_back(kEscape);
      out.push_back(0x02);
    } else if (b == kEscape) {
      out.push_back(kEscape);
      out.push_back(0x01);
    } else {
      out.push_back(b);
    }
  }
  return out;
}

Result<Bytes> unescape(std::span<const std::uint8_t> escaped, std::size_t offset_base) {
  Bytes out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const std::uint8_t b = escaped[i];
    if (b == kFlag) {
      return fail(Errc::parse, "unexpected 0x7e at offset " + std::to_string(offset_base + i));
    }
    if (b != kEscape) {
      out.push_back(b);
      continue;
    }
    if (i + 1 == escaped.size()) {
      return fail(Errc::parse, "frame ends inside an escape (7d at offset " +
                                   std::to_string(offset_base + i) + ")");
    }
    const std::uint8_t n = escaped[i + 1];
    if (n == 0x01) {
      out.push_back(kEscape);
    } else if (n == 0x02) {
      out.push_back(kFlag);
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "bad escape 7d %02x at offset %zu", static_cast<unsigned>(n),
                    offset_base + i);
      return fail(Errc::parse, buf);
    }
    ++i;
  }
  return out;
}

Result<Bytes> encode_header_and_body(const Frame& frame) {
  const FrameHeader& h = frame.header;
  if (frame.body.size() > kMaxBodyBytes) {
    return fail(Errc::invalid_argument,
                "body of " + std::to_string(frame.body.size()) +
                    " bytes exceeds the 10-bit length (1023); split it into sub-packets");
  }
  if (h.encryption > 7) return fail(Errc::invalid_argument, "encryption bits are 3 bits wide");
  auto phone = bcd_encode(h.phone, phone_bytes(h.variant));
  if (!phone) return fail(phone.error().context("phone"));
  std::uint16_t attrs = static_cast<std::uint16_t>(frame.body.size());
  attrs = static_cast<std::uint16_t>(attrs | (h.encryption << 10));
  if (h.subpacket) attrs |= kBitSubpacket;
  if (h.variant == HeaderVariant::jt808_2019) attrs |= kBit2019;
  if (h.attr_bit15) attrs |= kBit15;
  wire::Writer w;
  w.out().reserve(header_size(h.variant, h.subpacket.has_value()) + frame.body.size() + 1);
  if (h.variant == HeaderVariant::training) w.u8(kTrainingVersion);
  w.u16(h.msg_id);
  w.u16(attrs);
  if (h.variant == HeaderVariant::jt808_2019) w.u8(h.version);
  w.bytes(*phone);
  w.u16(h.serial);
  if (h.variant == HeaderVariant::training) w.u8(h.reserved);
  if (h.subpacket) {
    w.u16(h.subpacket->total);
    w.u16(h.subpacket->index);
  }
  w.bytes(frame.body);
  return std::move(w.out());
}

Result<Bytes> encode_frame(const Frame& frame) {
  auto raw = encode_header_and_body(frame);
  if (!raw) return fail(raw.error());
  raw->push_back(xor_checksum(*raw));  // checksum before escaping; then escape it too
  Bytes out;
  out.reserve(raw->size() + raw->size() / 16 + 4);
  out.push_back(kFlag);
  Bytes esc = escape(*raw);
  out.insert(out.end(), esc.begin(), esc.end());
  out.push_back(kFlag);
  return out;
}

Result<Frame> decode_unescaped(std::span<const std::uint8_t> content, VariantDetection detection) {
  if (content.empty()) return fail(Errc::parse, "empty frame");
  const std::uint8_t computed = xor_checksum(content.first(content.size() - 1));
  const std::uint8_t carried = content.back();
  if (computed != carried) {
    return fail(Errc::parse,
                "checksum mismatch: computed " + hex2(computed) + ", frame has " + hex2(carried));
  }
  const auto hb = content.first(content.size() - 1);
  switch (detection) {
    case VariantDetection::training:
      return parse_layout(hb, HeaderVariant::training);
    case VariantDetection::jt808_2013:
      return parse_layout(hb, HeaderVariant::jt808_2013);
    case VariantDetection::jt808_2019:
      return parse_layout(hb, HeaderVariant::jt808_2019);
    case VariantDetection::automatic:
      break;
  }
  const bool starts_80 = hb[0] == kTrainingVersion;
  const bool bit14 = hb.size() >= 4 && (be16(hb, 2) & kBit2019) != 0;
  if (starts_80 && check_length(hb, HeaderVariant::training).fits()) {
    return parse_layout(hb, HeaderVariant::training);
  }
  if (bit14 && check_length(hb, HeaderVariant::jt808_2019).fits()) {
    return parse_layout(hb, HeaderVariant::jt808_2019);
  }
  if (!bit14 && check_length(hb, HeaderVariant::jt808_2013).fits()) {
    return parse_layout(hb, HeaderVariant::jt808_2013);
  }
  // Nothing fits: report against the most likely layout.
  if (starts_80) return parse_layout(hb, HeaderVariant::training);
  if (bit14) return parse_layout(hb, HeaderVariant::jt808_2019);
  return parse_layout(hb, HeaderVariant::jt808_2013);
}

Result<Frame> decode_frame(std::span<const std::uint8_t> wire, VariantDetection detection) {
  if (wire.empty() || wire.front() != kFlag) {
    return fail(Errc::parse, "frame does not start with 0x7e");
  }
  if (wire.size() < 2 || wire.back() != kFlag) {
    return fail(Errc::parse, "frame does not end with 0x7e (truncated?)");
  }
  const auto inner = wire.subspan(1, wire.size() - 2);
  auto content = unescape(inner, 1);
  if (!content) return fail(content.error());
  return decode_unescaped(*content, detection);
}

std::vector<SplitResult> FrameSplitter::feed(std::span<const std::uint8_t> chunk) {
  std::vector<SplitResult> out;
  for (const std::uint8_t b : chunk) {
    if (overflowed_) {
      if (b != kFlag) continue;
      overflowed_ = false;
      in_frame_ = true;
      buf_.assign(1, kFlag);
      continue;
    }
    if (!in_frame_) {
      if (b != kFlag) {
        buf_.push_back(b);
        if (buf_.size() >= options_.max_frame_bytes) {
          out.push_back({fail(Errc::parse, std::to_string(buf_.size()) +
                                               " bytes of garbage without 0x7e skipped"),
                         std::move(buf_)});
          buf_.clear();
        }
        continue;
      }
      if (!buf_.empty()) {
        out.push_back({fail(Errc::parse,
                            std::to_string(buf_.size()) + " bytes of garbage before 0x7e skipped"),
                       std::move(buf_)});
      }
      buf_.assign(1, kFlag);
      in_frame_ = true;
      continue;
    }
    if (b == kFlag) {
      if (buf_.size() == 1) continue;  // 7E 7E: an empty frame, or a closing+opening pair
      buf_.push_back(kFlag);
      auto frame = decode_frame(buf_, options_.detection);
      const bool good = frame.has_value();
      out.push_back({std::move(frame), std::move(buf_)});
      // After a bad frame its closing flag may open the next good one (see class comment).
      buf_.clear();
      if (good) {
        in_frame_ = false;
      } else {
        buf_.push_back(kFlag);
      }
      continue;
    }
    buf_.push_back(b);
    if (buf_.size() > options_.max_frame_bytes) {
      out.push_back(
          {fail(Errc::parse, "frame longer than " + std::to_string(options_.max_frame_bytes) +
                                 " bytes without a closing 0x7e dropped"),
           std::move(buf_)});
      buf_.clear();
      in_frame_ = false;
      overflowed_ = true;
    }
  }
  return out;
}

}  // namespace tta::uplink
