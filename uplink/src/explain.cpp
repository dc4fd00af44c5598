// The frame explainer behind `tta-agent decode` (walks the same layouts as the codec).
#include "tta/uplink/explain.hpp"

#include <cstdio>
#include <functional>
#include <map>

#include "layouts.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/position.hpp"

namespace tta::uplink {
namespace {

using F = ExplainedField;
using K = ExplainedField::Kind;

F integer(std::string name, std::int64_t v, std::string note = {}) {
  F f;
  f.name = std::move(name);
  f.kind = K::integer;
  f.integer = v;
  f.note = std::move(note);
  return f;
}
F real(std::string name, double v, int decimals) {
  F f;
  f.name = std::move(name);
  f.kind = K::real;
  f.real = v;
  f.decimals = decimals;
  return f;
}
F text(std::string name, std::string v, std::string note = {}) {
  F f;
  f.name = std::move(name);
  f.kind = K::text;
  f.text = std::move(v);
  f.note = std::move(note);
  return f;
}
F boolean(std::string name, bool v) {
  F f;
  f.name = std::move(name);
  f.kind = K::boolean;
  f.boolean = v;
  return f;
}
F null(std::string name, std::string note = {}) {
  F f;
  f.name = std::move(name);
  f.note = std::move(note);
  return f;
}
F object(std::string name) {
  F f;
  f.name = std::move(name);
  f.kind = K::object;
  return f;
}

std::string hexn(std::uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

std::string local_time(WallTime t) {
  const CivilTime c = to_civil(t, kChinaUtcOffset);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d +08:00", c.year, c.month, c.day,
                c.hour, c.minute, c.second);
  return buf;
}

std::string code_note(unsigned v, layout::Codes codes) {
  for (const auto& c : codes) {
    if (c.value == v) return std::string(c.name);
  }
  return "unknown";
}

std::string msg_note(std::uint16_t id) {
  return std::string(message_name(id));
}

// §2.3 course code: d1 teaching mode, d2-3 licence class, d4 part, d5-6 item, d7-10 "0000".
std::string course_note(const std::string& d) {
  if (d.size() != 10) return {};
  static constexpr std::pair<std::string_view, std::string_view> kClasses[] = {
      {"01", "A1"}, {"02", "A2"}, {"03", "A3"}, {"11", "B1"}, {"12", "B2"}, {"21", "C1"},
      {"22", "C2"}, {"23", "C3"}, {"24", "C4"}, {"25", "C5"}, {"31", "D"},  {"32", "E"},
      {"33", "F"},  {"41", "M"},  {"42", "N"},  {"43", "P"}};
  static constexpr std::string_view kModes[] = {"mode 0", "vehicle", "classroom", "simulator",
                                                "remote"};
  const int mode = d[0] - '0';
  std::string note(mode >= 0 && mode <= 4 ? kModes[mode] : std::string_view("mode ?"));
  std::string_view cls = "class ?";
  for (const auto& [code, name] : kClasses) {
    if (d.compare(1, 2, code) == 0) cls = name;
  }
  note += ", " + std::string(cls) + ", part " + d.substr(3, 1) + ", item " + d.substr(4, 2);
  return note;
}

void explain_position_into(F& obj, const PositionBlock& p) {
  obj.children.push_back(text("alarm_flags", hexn(p.alarm_flags, 8)));
  obj.children.push_back(text("status_flags", hexn(p.status_flags, 8)));
  obj.children.push_back(boolean("acc_on", (p.status_flags & kStatusAccOn) != 0));
  obj.children.push_back(boolean("positioned", (p.status_flags & kStatusPositioned) != 0));
  auto opt_real = [&](std::string name, std::optional<double> v, int dec) {
    obj.children.push_back(v ? real(std::move(name), *v, dec) : null(std::move(name)));
  };
  opt_real("latitude_deg", p.latitude_deg(), 6);
  opt_real("longitude_deg", p.longitude_deg(), 6);
  auto tenth = [](std::optional<std::uint16_t> v) -> std::optional<double> {
    if (!v) return std::nullopt;
    return static_cast<double>(*v) / 10.0;
  };
  opt_real("vehicle_speed_km_h", tenth(p.vehicle_speed_dkmh), 1);
  opt_real("gnss_speed_km_h", tenth(p.gnss_speed_dkmh), 1);
  obj.children.push_back(p.direction_deg ? integer("direction_deg", *p.direction_deg)
                                         : null("direction_deg"));
  obj.children.push_back(p.time ? text("time", local_time(*p.time))
                                : null("time", "all zero on the wire"));
}

/// Builds the explanation tree of one struct from its layout.
class ExplainVisitor {
 public:
  explicit ExplainVisitor(F& into) : cur_(&into) {}

  void u8(std::string_view n, std::uint8_t x) { add(integer(std::string(n), x)); }
  void hex8(std::string_view n, std::uint8_t x) { add(text(std::string(n), hexn(x, 2))); }
  void boolean8(std::string_view n, bool x) { add(boolean(std::string(n), x)); }
  void code8(std::string_view n, std::uint8_t x, layout::Codes codes) {
    add(integer(std::string(n), x, code_note(x, codes)));
  }
  void u16(std::string_view n, std::uint16_t x) { add(integer(std::string(n), x)); }
  void msgid(std::string_view n, std::uint16_t x) {
    add(text(std::string(n), hexn(x, 4), msg_note(x)));
  }
  void tenth16(std::string_view n, std::uint16_t x) {
    add(real(std::string(n), static_cast<double>(x) / 10.0, 1));
  }
  void u32(std::string_view n, std::uint32_t x) { add(integer(std::string(n), x)); }
  void param_id(std::string_view n, std::uint32_t x) { add(text(std::string(n), hexn(x, 4))); }
  void ascii(std::string_view n, const std::string& s, std::size_t, layout::Pad) {
    std::string note;
    // §2.3 record number: terminal no.(16) + YYMMDD + 4-digit sequence.
    if (n == "record_no" && s.size() == 26) {
      note = "terminal " + s.substr(0, 16) + ", 20" + s.substr(16, 2) + "-" + s.substr(18, 2) +
             "-" + s.substr(20, 2) + ", sequence " + s.substr(22, 4);
    }
    add(text(std::string(n), s, std::move(note)));
  }
  void bcd(std::string_view n, const std::string& s, std::size_t) {
    add(text(std::string(n), s, n == "course_code" ? course_note(s) : std::string()));
  }
  void time6(std::string_view n, const WallTime& t) { add(text(std::string(n), local_time(t))); }
  void time6(std::string_view n, const std::optional<WallTime>& t) {
    add(t ? text(std::string(n), local_time(*t)) : null(std::string(n), "all zero on the wire"));
  }
  void time3(std::string_view n, std::uint32_t s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
    add(text(std::string(n), buf, "GMT+8"));
  }
  void gbk8(std::string_view n, const std::string& s) { add(text(std::string(n), s)); }
  void gbk32(std::string_view n, const std::string& s) { add(text(std::string(n), s)); }
  void gbk_rest(std::string_view n, const std::string& s) { add(text(std::string(n), s)); }
  void cstring(std::string_view n, const std::string& s) { add(text(std::string(n), s)); }
  template <class C>
  void fixed(std::string_view n, const C& b) {
    add(text(std::string(n), to_hex({b.data(), b.size()})));
  }
  void rest(std::string_view n, const Bytes& b) {
    add(integer(std::string(n) + "_size_bytes", static_cast<std::int64_t>(b.size())));
    add(text(std::string(n) + "_hex", to_hex(b)));
  }
  void param_value(std::string_view n, const Bytes& b) {
    add(text(std::string(n) + "_hex", to_hex(b)));
    if (b.size() == 1 || b.size() == 2 || b.size() == 4) {
      std::int64_t v = 0;
      for (auto x : b)
        v = (v << 8) | x;
      add(integer(std::string(n), v));
    } else if (auto u = gbk_to_utf8({reinterpret_cast<const char*>(b.data()), b.size()});
               u && layout::printable_ascii(*u)) {
      add(text(std::string(n), *u));
    }
  }
  void position(std::string_view n, const PositionBlock& p) {
    F obj = object(std::string(n));
    explain_position_into(obj, p);
    add(std::move(obj));
  }
  void attached(std::string_view n, const AttachedGnss& a) {
    F obj = object(std::string(n));
    explain_position_into(obj, a.basic);
    obj.children.push_back(
        a.odometer_hm
            ? real("odometer_km", static_cast<double>(*a.odometer_hm) / 10.0, 1)
            : null("odometer_km"));
    obj.children.push_back(a.engine_speed_rpm ? integer("engine_speed_rpm", *a.engine_speed_rpm)
                                              : null("engine_speed_rpm"));
    add(std::move(obj));
  }
  template <class T>
  void nested(std::string_view n, const T& t) {
    F obj = object(std::string(n));
    ExplainVisitor inner(obj);
    layout::fields(inner, t);
    add(std::move(obj));
  }
  template <class Vec, class Fn>
  void list8(std::string_view n, const Vec& items, Fn fn) {
    F arr;
    arr.name = std::string(n);
    arr.kind = K::array;
    for (const auto& item : items) {
      F el = object({});
      ExplainVisitor inner(el);
      fn(inner, item);
      if (el.children.size() == 1) {
        F only = std::move(el.children.front());
        only.name.clear();
        arr.children.push_back(std::move(only));
      } else {
        arr.children.push_back(std::move(el));
      }
    }
    add(std::move(arr));
  }

 private:
  void add(F f) { cur_->children.push_back(std::move(f)); }
  F* cur_;
};

template <class T>
Result<F> explain_struct(std::span<const std::uint8_t> body, std::string name) {
  auto v = layout::decode_with_layout<T>(body);
  if (!v) return fail(v.error());
  F obj = object(std::move(name));
  ExplainVisitor ev(obj);
  layout::fields(ev, *v);
  return obj;
}

Result<F> explain_empty(std::span<const std::uint8_t> body, std::string name) {
  if (!body.empty()) {
    return fail(Errc::parse,
                "expected an empty body, found " + std::to_string(body.size()) + " bytes");
  }
  return object(std::move(name));
}

Result<F> explain_position_report(std::span<const std::uint8_t> body, std::string name) {
  auto rep = PositionReport::decode(body);
  if (!rep) return fail(rep.error());
  F obj = object(std::move(name));
  F pos = object("position");
  explain_position_into(pos, rep->basic);
  obj.children.push_back(std::move(pos));
  if (rep->odometer_hm) {
    obj.children.push_back(
        real("odometer_km", static_cast<double>(*rep->odometer_hm) / 10.0, 1));
  }
  if (rep->fuel_tenth_l) {
    obj.children.push_back(real("fuel_l", static_cast<double>(*rep->fuel_tenth_l) / 10.0, 1));
  }
  if (rep->altitude_m) obj.children.push_back(integer("altitude_m", *rep->altitude_m));
  if (rep->engine_speed_rpm)
    obj.children.push_back(integer("engine_speed_rpm", *rep->engine_speed_rpm));
  if (!rep->other_items.empty()) {
    F arr;
    arr.name = "other_items";
    arr.kind = K::array;
    for (const auto& t : rep->other_items) {
      F el = object({});
      el.children.push_back(text("id", hexn(t.id, 2)));
      el.children.push_back(text("value_hex", to_hex(t.value)));
      arr.children.push_back(std::move(el));
    }
    obj.children.push_back(std::move(arr));
  }
  return obj;
}

using BodyExplainer = std::function<Result<F>(std::span<const std::uint8_t>, std::string)>;

const std::map<std::uint16_t, BodyExplainer>& extension_explainers() {
  static const std::map<std::uint16_t, BodyExplainer> m = {
      {extid::kCoachLogin, explain_struct<CoachLogin>},
      {extid::kCoachLoginReply, explain_struct<CoachLoginReply>},
      {extid::kCoachLogout, explain_struct<CoachLogout>},
      {extid::kCoachLogoutReply, explain_struct<CoachLogoutReply>},
      {extid::kStudentLogin, explain_struct<StudentLogin>},
      {extid::kStudentLoginReply, explain_struct<StudentLoginReply>},
      {extid::kStudentLogout, explain_struct<StudentLogout>},
      {extid::kStudentLogoutReply, explain_struct<StudentLogoutReply>},
      {extid::kTrainingRecord, explain_struct<TrainingRecord>},
      {extid::kRecordRequest, explain_struct<RecordRequest>},
      {extid::kRecordRequestReply, explain_struct<RecordRequestReply>},
      {extid::kTakePhoto, explain_struct<TakePhoto>},
      {extid::kTakePhotoReply, explain_struct<TakePhotoReply>},
      {extid::kPhotoQuery, explain_struct<PhotoQuery>},
      {extid::kPhotoQueryReply, explain_struct<PhotoQueryReply>},
      {extid::kPhotoQueryResult, explain_struct<PhotoQueryResult>},
      {extid::kUploadPhoto, explain_struct<UploadPhoto>},
      {extid::kUploadPhotoReply, explain_struct<UploadPhotoReply>},
      {extid::kPhotoUploadInit, explain_struct<PhotoUploadInit>},
      {extid::kPhotoUploadInitReply, explain_struct<PhotoUploadInitReply>},
      {extid::kPhotoData, explain_struct<PhotoData>},
      {extid::kSetAppParams, explain_struct<SetAppParams>},
      {extid::kSetAppParamsReply, explain_struct<SetAppParamsReply>},
      {extid::kSetTrainingBan, explain_struct<SetTrainingBan>},
      {extid::kSetTrainingBanReply, explain_struct<SetTrainingBanReply>},
      {extid::kQueryAppParams, explain_empty},
      {extid::kQueryAppParamsReply, explain_struct<QueryAppParamsReply>},
      {extid::kIdentityInfoRequest, explain_struct<IdentityInfoRequest>},
      {extid::kIdentityInfoReply, explain_struct<IdentityInfoReply>},
      {extid::kNationalNumberRequest, explain_struct<NationalNumberRequest>},
      {extid::kNationalNumberReply, explain_struct<NationalNumberReply>},
  };
  return m;
}

inline constexpr layout::CodeName kSigAlgs[] = {{0, "none"}, {1, "SHA-1"}, {2, "SHA-256"}};

Result<F> explain_passthrough(std::span<const std::uint8_t> body, std::string name) {
  if (body.empty()) return fail(Errc::parse, "empty pass-through body");
  if (body[0] != kPassThroughTraining) return explain_struct<PassThrough>(body, std::move(name));
  auto m = ExtendedMessage::decode(body);
  if (!m) return fail(m.error());
  F obj = object(std::move(name));
  obj.children.push_back(text("type", hexn(body[0], 2), "driving-training extension"));
  const std::string ext_name(extended_message_name(m->ext_id));
  obj.children.push_back(
      text("ext_id", hexn(m->ext_id, 4), ext_name.empty() ? "unknown" : ext_name));
  obj.children.push_back(text("ext_attributes", hexn(m->attributes(), 4)));
  obj.children.push_back(boolean("resent", m->resent));
  obj.children.push_back(boolean("ack_required", m->ack_required));
  obj.children.push_back(integer("signature_algorithm", m->signature_algorithm,
                                 code_note(m->signature_algorithm, kSigAlgs)));
  obj.children.push_back(integer("packet_no", m->packet_no));
  obj.children.push_back(text("terminal_no", m->terminal_no));
  obj.children.push_back(integer("data_length", static_cast<std::int64_t>(m->data.size())));
  const auto& table = extension_explainers();
  if (auto it = table.find(m->ext_id); it != table.end()) {
    auto inner = it->second(m->data, "data");
    if (!inner) return fail(inner.error().context(hexn(m->ext_id, 4) + " data"));
    obj.children.push_back(std::move(*inner));
  } else {
    obj.children.push_back(text("data_hex", to_hex(m->data)));
  }
  if (!m->signature.empty()) obj.children.push_back(text("signature", to_hex(m->signature)));
  return obj;
}

const std::map<std::uint16_t, BodyExplainer>& core_explainers() {
  static const std::map<std::uint16_t, BodyExplainer> m = {
      {msgid::kTerminalAck, explain_struct<GeneralAck>},
      {msgid::kPlatformAck, explain_struct<GeneralAck>},
      {msgid::kHeartbeat, explain_empty},
      {msgid::kDeregister, explain_empty},
      {msgid::kQueryParams, explain_empty},
      {msgid::kResendRequest, explain_struct<ResendRequest>},
      {msgid::kRegister, explain_struct<Register>},
      {msgid::kRegisterReply, explain_struct<RegisterReply>},
      {msgid::kAuthenticate, explain_struct<Authenticate>},
      {msgid::kPosition, explain_position_report},
      {msgid::kSetParams, explain_struct<SetTerminalParams>},
      {msgid::kQueryParamsReply, explain_struct<QueryTerminalParamsReply>},
      {msgid::kTerminalControl, explain_struct<TerminalControl>},
      {msgid::kQuerySomeParams, explain_struct<QuerySomeTerminalParams>},
      {msgid::kUplinkPassThrough, explain_passthrough},
      {msgid::kDownlinkPassThrough, explain_passthrough},
  };
  return m;
}

F explain_header(const Frame& frame, std::uint8_t checksum) {
  const FrameHeader& h = frame.header;
  F obj = object("header");
  obj.children.push_back(text("protocol", std::string(to_string(h.variant))));
  if (h.variant != HeaderVariant::jt808_2013)
    obj.children.push_back(text("version", hexn(h.version, 2)));
  const std::string name = msg_note(h.msg_id);
  obj.children.push_back(text("msg_id", hexn(h.msg_id, 4), name.empty() ? "unknown" : name));
  obj.children.push_back(integer("body_length", static_cast<std::int64_t>(frame.body.size())));
  obj.children.push_back(integer("encryption", h.encryption,
                                 h.encryption == 0   ? "none"
                                 : h.encryption == 1 ? "RSA"
                                                     : "unknown"));
  obj.children.push_back(boolean("subpacket", h.subpacket.has_value()));
  obj.children.push_back(text("phone", h.phone));
  obj.children.push_back(integer("serial", h.serial));
  if (h.variant == HeaderVariant::training)
    obj.children.push_back(text("reserved", hexn(h.reserved, 2)));
  if (h.subpacket) {
    obj.children.push_back(integer("subpacket_total", h.subpacket->total));
    obj.children.push_back(integer("subpacket_index", h.subpacket->index));
  }
  obj.children.push_back(text("checksum", hexn(checksum, 2), "ok"));
  return obj;
}

Result<F> explain_impl(const Frame& frame, std::uint8_t checksum) {
  F root = object({});
  root.children.push_back(explain_header(frame, checksum));
  const FrameHeader& h = frame.header;
  if (h.encryption != 0 || (h.subpacket && h.subpacket->total > 1)) {
    F body = object("body");
    body.note = h.encryption != 0 ? "encrypted body, shown raw"
                                  : "one sub-packet of a longer message; decode after reassembly";
    body.children.push_back(text("body_hex", to_hex(frame.body)));
    root.children.push_back(std::move(body));
    return root;
  }
  const auto& table = core_explainers();
  if (auto it = table.find(h.msg_id); it != table.end()) {
    auto body = it->second(frame.body, "body");
    if (!body) return fail(body.error().context(hexn(h.msg_id, 4) + " body"));
    root.children.push_back(std::move(*body));
  } else {
    F body = object("body");
    body.note = "message not known to this decoder, shown raw";
    body.children.push_back(text("body_hex", to_hex(frame.body)));
    root.children.push_back(std::move(body));
  }
  return root;
}

// ---- human format --------------------------------------------------------------------------

std::string shorten(const std::string& s) {
  constexpr std::size_t kMax = 96;
  if (s.size() <= kMax) return s;
  return s.substr(0, 64) + "… (" + std::to_string(s.size()) + " characters)";
}

std::string scalar_text(const F& f) {
  std::string v;
  switch (f.kind) {
    case K::null:
      v = "(none)";
      break;
    case K::boolean:
      v = f.boolean ? "yes" : "no";
      break;
    case K::integer:
      v = std::to_string(f.integer);
      break;
    case K::real: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.*f", f.decimals, f.real);
      v = buf;
      break;
    }
    case K::text:
      v = f.text.empty() ? "\"\"" : shorten(f.text);
      break;
    case K::object:
    case K::array:
      break;
  }
  if (!f.note.empty()) v += "  (" + f.note + ")";
  return v;
}

bool is_scalar(const F& f) {
  return f.kind != K::object && f.kind != K::array;
}

void format_into(std::string& out, const F& obj, int indent) {
  std::size_t width = 0;
  for (const auto& c : obj.children) {
    if (is_scalar(c) || (c.kind == K::array && c.children.empty()))
      width = std::max(width, c.name.size());
  }
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (std::size_t i = 0; i < obj.children.size(); ++i) {
    const F& c = obj.children[i];
    const std::string label = c.name.empty() ? "[" + std::to_string(i + 1) + "]" : c.name;
    if (is_scalar(c)) {
      out += pad + label + std::string(width > label.size() ? width - label.size() : 0, ' ') +
             "  " + scalar_text(c) + "\n";
    } else if (c.kind == K::array && c.children.empty()) {
      out += pad + label + std::string(width > label.size() ? width - label.size() : 0, ' ') +
             "  (empty)\n";
    } else {
      out += pad + label + (c.note.empty() ? "" : "  (" + c.note + ")") + "\n";
      format_into(out, c, indent + 2);
    }
  }
}

}  // namespace

Result<ExplainedField> explain_decoded(const Frame& frame) {
  auto raw = encode_header_and_body(frame);
  const std::uint8_t sum = raw ? xor_checksum(*raw) : 0;
  return explain_impl(frame, sum);
}

Result<ExplainedField> explain_frame(std::span<const std::uint8_t> wire) {
  auto frame = decode_frame(wire);
  if (!frame) return fail(frame.error());
  // The checksum is valid here (decode_frame verified it); recompute it for display.
  auto content = unescape(wire.subspan(1, wire.size() - 2), 1);
  const std::uint8_t sum = content && !content->empty() ? content->back() : 0;
  return explain_impl(*frame, sum);
}

std::string format_explanation(const ExplainedField& root) {
  std::string out;
  format_into(out, root, 0);
  return out;
}

}  // namespace tta::uplink
