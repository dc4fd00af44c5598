#pragma once
// Wire layouts of every message, written once as field lists and walked by three visitors:
// WriteVisitor (encode), ReadVisitor (decode) and the explainer (explain.cpp). Keeping one list
// per message means the encoder, the decoder and `tta-agent decode` cannot disagree.
// Each list names the table of terminal-protocol.md it follows.

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "tta/core/bcd.hpp"
#include "tta/core/gbk.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/position.hpp"
#include "wire.hpp"

namespace tta::uplink::layout {

/// Where a fixed-length ASCII field is padded with 0x00.
enum class Pad : std::uint8_t { back, front };

/// Name of one value of a code field, for the explainer.
struct CodeName {
  unsigned value;
  std::string_view name;
};
using Codes = std::span<const CodeName>;

#define TTA_LAYOUT(Type)                                \
  template <class V, class S>                           \
  requires std::is_same_v<std::remove_const_t<S>, Type> \
  void fields(V& v, S& s)

// ---- code tables -----------------------------------------------------------------------------
inline constexpr CodeName kAckResults[] = {
    {0, "ok"}, {1, "fail"}, {2, "bad message"}, {3, "unsupported"}, {4, "alarm ack"}};
inline constexpr CodeName kRegisterResults[] = {{0, "ok"},
                                                {1, "vehicle already registered"},
                                                {2, "no such vehicle"},
                                                {3, "terminal already registered"},
                                                {4, "no such terminal"}};
inline constexpr CodeName kPlateColours[] = {
    {0, "no plate (VIN follows)"}, {1, "blue"}, {2, "yellow"}, {3, "black"}, {4, "white"}};
inline constexpr CodeName kCoachLoginResults[] = {
    {1, "ok"}, {2, "unknown coach"}, {3, "class mismatch"}, {9, "other"}};
inline constexpr CodeName kOkFail12[] = {{1, "ok"}, {2, "fail"}};
inline constexpr CodeName kReadAloud[] = {{0, "default"}, {1, "yes"}, {2, "no"}};
inline constexpr CodeName kStudentLoginResults[] = {{1, "ok"},
                                                    {2, "unknown student"},
                                                    {3, "student barred"},
                                                    {4, "outside teaching area (warning)"},
                                                    {5, "class mismatch"},
                                                    {9, "other"}};
inline constexpr CodeName kReportTypes[] = {{1, "automatic"}, {2, "on request"}};
inline constexpr CodeName kRecordStatus[] = {{0, "normal"}, {1, "abnormal"}};
inline constexpr CodeName kRecordRequestModes[] = {{1, "by time"}, {2, "by count"}};
inline constexpr CodeName kRecordRequestResults[] = {
    {1, "uploading"}, {2, "no storage"}, {3, "none found"}, {4, "later"}, {9, "other"}};
inline constexpr CodeName kTakePhotoModes[] = {{1, "upload"}, {255, "stop and upload"}};
inline constexpr CodeName kTakePhotoResults[] = {{1, "ok"},
                                                 {2, "fail"},
                                                 {3, "storage fault"},
                                                 {4, "busy"},
                                                 {5, "camera reconnecting"},
                                                 {6, "uploading a query"}};
inline constexpr CodeName kPhotoQueryModes[] = {{1, "by time"}};
inline constexpr CodeName kPhotoQueryResults[] = {{1, "started"}, {2, "fail"}, {9, "other"}};
inline constexpr CodeName kUploadPhotoResults[] = {
    {0, "will upload"}, {1, "no such photo"}, {9, "other"}};
inline constexpr CodeName kPhotoUploadModes[] = {
    {1, "on request"}, {129, "terminal-initiated"}, {255, "stop and upload"}};
inline constexpr CodeName kPhotoEvents[] = {
    {0, "platform query"},   {5, "timed"},        {17, "student login"}, {18, "student logout"},
    {19, "during training"}, {20, "coach login"}, {21, "coach logout"}};
inline constexpr CodeName kPhotoInitReplies[] = {{0, "go ahead"}, {255, "refused"}};
inline constexpr CodeName kBanStates[] = {{1, "allowed"}, {2, "banned"}};
inline constexpr CodeName kOkFail01[] = {{0, "ok"}, {1, "fail"}};
inline constexpr CodeName kPhotoUpload[] = {{0, "no auto-upload"}, {1, "auto-upload"}};
inline constexpr CodeName kYesNo12[] = {{1, "yes"}, {2, "no"}};
inline constexpr CodeName kAllowForbid[] = {{1, "allow"}, {2, "forbid"}};

// ---- §1.2 core messages ----------------------------------------------------------------------

// §1.2 table, 0x0001 / 0x8001.
TTA_LAYOUT(GeneralAck) {
  v.u16("reply_serial", s.reply_serial);
  v.msgid("reply_msg_id", s.reply_msg_id);
  v.code8("result", s.result, kAckResults);
}

// §1.2 table, 0x0100 (JT/T 808-2013 layout plus IMEI).
TTA_LAYOUT(Register) {
  v.u16("province_id", s.province_id);
  v.u16("city_id", s.city_id);
  v.ascii("maker_id", s.maker_id, 5, Pad::back);
  v.ascii("model", s.model, 20, Pad::back);
  v.ascii("terminal_serial", s.terminal_serial, 7, Pad::back);
  v.ascii("imei", s.imei, 15, Pad::back);
  v.code8("plate_colour", s.plate_colour, kPlateColours);
  v.gbk_rest(s.plate_colour == 0 ? "vin" : "plate", s.plate);
}

// §1.2 table, 0x8100.
TTA_LAYOUT(RegisterReply) {
  v.u16("reply_serial", s.reply_serial);
  v.code8("result", s.result, kRegisterResults);
  if (s.result != 0) return;
  v.ascii("platform_no", s.platform_no, 5, Pad::back);
  v.ascii("institution_no", s.institution_no, 16, Pad::back);
  v.ascii("terminal_no", s.terminal_no, 16, Pad::back);
  v.ascii("certificate_password", s.certificate_password, 12, Pad::back);
  v.cstring("certificate_base64", s.certificate_base64);
}

// §1.2 table, 0x0102 authenticate.
TTA_LAYOUT(Authenticate) {
  v.u32("timestamp_unix_s", s.timestamp_s);
  v.fixed("signature", s.signature);
}

template <class V, class P>
void param_fields(V& v, P& p) {
  v.param_id("id", p.id);
  v.param_value("value", p.value);
}

// §1.2 table, 0x8103 (JT/T 808 parameter list).
TTA_LAYOUT(SetTerminalParams) {
  v.list8("params", s.params, [](auto& vv, auto& p) { param_fields(vv, p); });
}

// §1.2 table, 0x0104.
TTA_LAYOUT(QueryTerminalParamsReply) {
  v.u16("reply_serial", s.reply_serial);
  v.list8("params", s.params, [](auto& vv, auto& p) { param_fields(vv, p); });
}

// §1.2 table, 0x8105 (JT/T 808 terminal control).
TTA_LAYOUT(TerminalControl) {
  v.u8("command", s.command);
  v.gbk_rest("parameters", s.parameters);
}

// §1.2 table, 0x8106.
TTA_LAYOUT(QuerySomeTerminalParams) {
  v.list8("ids", s.ids, [](auto& vv, auto& id) { vv.param_id("id", id); });
}

// §1.2 table, 0x8003.
TTA_LAYOUT(ResendRequest) {
  v.u16("first_serial", s.first_serial);
  v.list8("serials", s.serials, [](auto& vv, auto& x) { vv.u16("serial", x); });
}

// §1.2 table, 0x0900 / 0x8900.
TTA_LAYOUT(PassThrough) {
  v.hex8("type", s.type);
  v.rest("content", s.content);
}

// ---- §2.4 extension messages -------------------------------------------------------------------

// §2.4 0x0101; ID card per §2.3 (BYTE[18], front-padded with 0x00).
TTA_LAYOUT(CoachLogin) {
  v.ascii("coach_no", s.coach_no, 16, Pad::back);
  v.ascii("id_card", s.id_card, 18, Pad::front);
  v.ascii("licence_class", s.licence_class, 2, Pad::back);
  v.position("gnss", s.gnss);
}

// §2.4 0x8101.
TTA_LAYOUT(CoachLoginReply) {
  v.code8("result", s.result, kCoachLoginResults);
  v.ascii("coach_no", s.coach_no, 16, Pad::back);
  v.code8("read_aloud", s.read_aloud, kReadAloud);
  v.gbk8("extra", s.extra);
}

// §2.4 0x0102 (coach logout, inside 0x0900).
TTA_LAYOUT(CoachLogout) {
  v.ascii("coach_no", s.coach_no, 16, Pad::back);
  v.position("gnss", s.gnss);
}

// §2.4 0x8102.
TTA_LAYOUT(CoachLogoutReply) {
  v.code8("result", s.result, kOkFail12);
  v.ascii("coach_no", s.coach_no, 16, Pad::back);
}

// §2.4 0x0201; course code per §2.3.
TTA_LAYOUT(StudentLogin) {
  v.ascii("student_no", s.student_no, 16, Pad::back);
  v.ascii("coach_no", s.coach_no, 16, Pad::back);
  v.bcd("course_code", s.course_code, 5);
  v.u32("class_id", s.class_id);
  v.position("gnss", s.gnss);
}

// §2.4 0x8201.
TTA_LAYOUT(StudentLoginReply) {
  v.code8("result", s.result, kStudentLoginResults);
  v.ascii("student_no", s.student_no, 16, Pad::back);
  v.u16("total_minutes", s.total_minutes);
  v.u16("part_minutes_done", s.part_minutes_done);
  v.tenth16("total_mileage_km", s.total_mileage_hm);
  v.tenth16("part_mileage_km", s.part_mileage_hm);
  v.code8("read_aloud", s.read_aloud, kReadAloud);
  v.gbk8("extra", s.extra);
}

// §2.4 0x0202.
TTA_LAYOUT(StudentLogout) {
  v.ascii("student_no", s.student_no, 16, Pad::back);
  v.time6("logout_time", s.logout_time);
  v.u16("minutes", s.minutes);
  v.tenth16("mileage_km", s.mileage_hm);
  v.u32("class_id", s.class_id);
  v.position("gnss", s.gnss);
}

// §2.4 0x8202.
TTA_LAYOUT(StudentLogoutReply) {
  v.code8("result", s.result, kOkFail12);
  v.ascii("student_no", s.student_no, 16, Pad::back);
}

// §2.4 0x0203 training-hour record; record number per §2.3.
TTA_LAYOUT(TrainingRecord) {
  v.ascii("record_no", s.record_no, 26, Pad::back);
  v.code8("report_type", s.report_type, kReportTypes);
  v.ascii("student_no", s.student_no, 16, Pad::back);
  v.ascii("coach_no", s.coach_no, 16, Pad::back);
  v.u32("class_id", s.class_id);
  v.time3("time", s.time_of_day_s);
  v.bcd("course_code", s.course_code, 5);
  v.code8("status", s.status, kRecordStatus);
  v.tenth16("max_speed_km_h", s.max_speed_dkmh);
  v.tenth16("mileage_km", s.mileage_hm);
  v.attached("gnss", s.gnss);
}

// §2.4 0x8205.
TTA_LAYOUT(RecordRequest) {
  v.code8("mode", s.mode, kRecordRequestModes);
  v.time6("start", s.start);
  v.time6("end", s.end);
  v.u16("count", s.count);
}

// §2.4 0x0205.
TTA_LAYOUT(RecordRequestReply) {
  v.code8("result", s.result, kRecordRequestResults);
}

// §2.4 0x8301.
TTA_LAYOUT(TakePhoto) {
  v.code8("upload_mode", s.upload_mode, kTakePhotoModes);
  v.u8("channel", s.channel);
  v.u8("size_code", s.size_code);
}

// §2.4 0x0301.
TTA_LAYOUT(TakePhotoReply) {
  v.code8("result", s.result, kTakePhotoResults);
  v.code8("upload_mode", s.upload_mode, kTakePhotoModes);
  v.u8("channel", s.channel);
  v.u8("size_code", s.size_code);
}

// §2.4 0x8302.
TTA_LAYOUT(PhotoQuery) {
  v.code8("mode", s.mode, kPhotoQueryModes);
  v.time6("start", s.start);
  v.time6("end", s.end);
}

// §2.4 0x0302.
TTA_LAYOUT(PhotoQueryReply) {
  v.code8("result", s.result, kPhotoQueryResults);
}

// §2.4 0x0303.
TTA_LAYOUT(PhotoQueryResult) {
  v.boolean8("finished", s.finished);
  v.u8("total", s.total);
  v.list8("photo_nos", s.photo_nos,
          [](auto& vv, auto& no) { vv.ascii("photo_no", no, 10, Pad::back); });
}

// §2.4 0x8304.
TTA_LAYOUT(UploadPhoto) {
  v.ascii("photo_no", s.photo_no, 10, Pad::back);
}

// §2.4 0x8304 reply (0x0304).
TTA_LAYOUT(UploadPhotoReply) {
  v.code8("result", s.result, kUploadPhotoResults);
}

// §2.4 0x0305.
TTA_LAYOUT(PhotoUploadInit) {
  v.ascii("photo_no", s.photo_no, 10, Pad::back);
  v.ascii("person_no", s.person_no, 16, Pad::back);
  v.code8("upload_mode", s.upload_mode, kPhotoUploadModes);
  v.u8("channel", s.channel);
  v.u8("size_code", s.size_code);
  v.code8("event", s.event, kPhotoEvents);
  v.u16("total_packets", s.total_packets);
  v.u32("photo_size_bytes", s.photo_size_bytes);
  v.u32("class_id", s.class_id);
  v.attached("gnss", s.gnss);
  v.u8("face_confidence_pct", s.face_confidence);
}

// §2.4 0x8305.
TTA_LAYOUT(PhotoUploadInitReply) {
  v.code8("reply", s.reply, kPhotoInitReplies);
}

// §2.4 0x0306.
TTA_LAYOUT(PhotoData) {
  v.ascii("photo_no", s.photo_no, 10, Pad::back);
  v.rest("jpeg", s.jpeg);
}

// §2.4 "Application parameters (0x8501 / 0x0503)", in this order.
TTA_LAYOUT(AppParams) {
  v.u8("photo_interval_min", s.photo_interval_min);
  v.code8("photo_upload", s.photo_upload, kPhotoUpload);
  v.code8("read_aloud", s.read_aloud, kYesNo12);
  v.u8("stop_timing_after_ignition_off_min", s.stop_timing_after_ignition_off_min);
  v.u16("gnss_report_after_ignition_off_s", s.gnss_report_after_ignition_off_s);
  v.u16("coach_auto_logout_after_ignition_off_min", s.coach_auto_logout_after_ignition_off_min);
  v.u16("identity_recheck_interval_min", s.identity_recheck_interval_min);
  v.code8("coach_other_schools", s.coach_other_schools, kAllowForbid);
  v.code8("student_other_schools", s.student_other_schools, kAllowForbid);
  v.u16("min_answer_interval_s", s.min_answer_interval_s);
}

// §2.4 0x8501.
TTA_LAYOUT(SetAppParams) {
  v.u8("param_no", s.param_no);
  v.nested("params", s.params);
}

// §2.4 0x0501.
TTA_LAYOUT(SetAppParamsReply) {
  v.code8("result", s.result, kOkFail12);
}

// §2.4 0x8502.
TTA_LAYOUT(SetTrainingBan) {
  v.code8("state", s.state, kBanStates);
  v.gbk8("message", s.message);
}

// §2.4 0x0502.
TTA_LAYOUT(SetTrainingBanReply) {
  v.u8("result", s.result);
  v.code8("state", s.state, kBanStates);
  v.gbk8("message", s.message);
}

// §2.4 0x8503: empty.
TTA_LAYOUT(QueryAppParams) {
  (void)v;
  (void)s;
}

// §2.4 0x0503.
TTA_LAYOUT(QueryAppParamsReply) {
  v.code8("result", s.result, kOkFail01);
  v.nested("params", s.params);
}

// §2.4 0x0401.
TTA_LAYOUT(IdentityInfoRequest) {
  v.u8("info_type", s.info_type);
  v.u8("person_type", s.person_type);
  v.ascii("id_card", s.id_card, 18, Pad::front);
}

// §2.4 0x8401.
TTA_LAYOUT(IdentityInfoReply) {
  v.u16("packet_no", s.packet_no);
  v.u8("result", s.result);
  v.gbk32("info", s.info);
}

// §2.4 0x0402.
TTA_LAYOUT(NationalNumberRequest) {
  v.u8("number_type", s.number_type);
  v.ascii("id_card", s.id_card, 18, Pad::front);
}

// §2.4 0x8402.
TTA_LAYOUT(NationalNumberReply) {
  v.u16("packet_no", s.packet_no);
  v.u8("result", s.result);
  v.ascii("number", s.number, 16, Pad::back);
  v.ascii("licence_class", s.licence_class, 2, Pad::back);
}

// ---- visitors --------------------------------------------------------------------------------

inline bool printable_ascii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

/// Encodes the fields in order.
class WriteVisitor {
 public:
  void u8(std::string_view, std::uint8_t x) { w_.u8(x); }
  void hex8(std::string_view, std::uint8_t x) { w_.u8(x); }
  void boolean8(std::string_view, bool x) { w_.u8(x ? 1 : 0); }
  void code8(std::string_view, std::uint8_t x, Codes) { w_.u8(x); }
  void u16(std::string_view, std::uint16_t x) { w_.u16(x); }
  void msgid(std::string_view, std::uint16_t x) { w_.u16(x); }
  void tenth16(std::string_view, std::uint16_t x) { w_.u16(x); }
  void u32(std::string_view, std::uint32_t x) { w_.u32(x); }
  void param_id(std::string_view, std::uint32_t x) { w_.u32(x); }

  void ascii(std::string_view name, const std::string& s, std::size_t n, Pad pad) {
    if (s.size() > n) {
      return w_.fail(std::string(name) + " has " + std::to_string(s.size()) +
                     " characters, the field holds " + std::to_string(n));
    }
    if (!printable_ascii(s)) return w_.fail(std::string(name) + " must be printable ASCII");
    const std::size_t padding = n - s.size();
    if (pad == Pad::front) pad_zero(padding);
    w_.bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    if (pad == Pad::back) pad_zero(padding);
  }
  void bcd(std::string_view name, const std::string& digits, std::size_t n) {
    auto b = bcd_encode(digits, n);
    if (!b) return w_.fail(std::string(name) + ": " + b.error().message);
    w_.bytes(*b);
  }
  void time6(std::string_view, const WallTime& t) { w_.bytes(bcd_time6(t)); }
  void time6(std::string_view, const std::optional<WallTime>& t) {
    if (t) {
      w_.bytes(bcd_time6(*t));
    } else {
      pad_zero(6);
    }
  }
  void time3(std::string_view name, std::uint32_t seconds) {
    if (seconds >= 86400) return w_.fail(std::string(name) + " must be below 24:00:00");
    auto b = [](std::uint32_t x) { return static_cast<std::uint8_t>(((x / 10) << 4) | (x % 10)); };
    w_.u8(b(seconds / 3600));
    w_.u8(b(seconds / 60 % 60));
    w_.u8(b(seconds % 60));
  }
  void gbk8(std::string_view name, const std::string& utf8) {
    auto g = to_gbk(name, utf8);
    if (!g) return;
    if (g->size() > 255) return w_.fail(std::string(name) + " is longer than 255 GBK bytes");
    w_.u8(static_cast<std::uint8_t>(g->size()));
    put(*g);
  }
  void gbk32(std::string_view name, const std::string& utf8) {
    auto g = to_gbk(name, utf8);
    if (!g) return;
    w_.u32(static_cast<std::uint32_t>(g->size()));
    put(*g);
  }
  void gbk_rest(std::string_view name, const std::string& utf8) {
    if (auto g = to_gbk(name, utf8)) put(*g);
  }
  void cstring(std::string_view name, const std::string& s) {
    if (!printable_ascii(s)) return w_.fail(std::string(name) + " must be printable ASCII");
    put(s);
    w_.u8(0);
  }
  template <class C>
  void fixed(std::string_view, const C& bytes) {
    w_.bytes({bytes.data(), bytes.size()});
  }
  void rest(std::string_view, const Bytes& b) { w_.bytes(b); }
  void param_value(std::string_view name, const Bytes& b) {
    if (b.size() > 255) return w_.fail(std::string(name) + " is longer than 255 bytes");
    w_.u8(static_cast<std::uint8_t>(b.size()));
    w_.bytes(b);
  }
  void position(std::string_view, const PositionBlock& p) { w_.bytes(encode_position_block(p)); }
  void attached(std::string_view, const AttachedGnss& a) { w_.bytes(encode_attached_gnss(a)); }
  template <class T>
  void nested(std::string_view, const T& t) {
    fields(*this, t);
  }
  template <class Vec, class Fn>
  void list8(std::string_view name, const Vec& items, Fn fn) {
    if (items.size() > 255) {
      return w_.fail(std::string(name) + " has " + std::to_string(items.size()) +
                     " items, at most 255 fit");
    }
    w_.u8(static_cast<std::uint8_t>(items.size()));
    for (const auto& item : items)
      fn(*this, item);
  }

  [[nodiscard]] Result<Bytes> finish() {
    if (!w_.ok()) return fail(Errc::invalid_argument, *w_.error());
    return std::move(w_.out());
  }

 private:
  void pad_zero(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      w_.u8(0);
  }
  void put(std::string_view s) {
    w_.bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  std::optional<std::string> to_gbk(std::string_view name, const std::string& utf8) {
    auto g = utf8_to_gbk(utf8);
    if (!g) {
      w_.fail(std::string(name) + ": " + g.error().message);
      return std::nullopt;
    }
    return std::move(*g);
  }
  wire::Writer w_;
};

/// Decodes the fields in order; the first problem sticks.
class ReadVisitor {
 public:
  explicit ReadVisitor(std::span<const std::uint8_t> in) : r_(in) {}

  void u8(std::string_view name, std::uint8_t& x) { x = r_.u8(name); }
  void hex8(std::string_view name, std::uint8_t& x) { x = r_.u8(name); }
  void boolean8(std::string_view name, bool& x) { x = r_.u8(name) != 0; }
  void code8(std::string_view name, std::uint8_t& x, Codes) { x = r_.u8(name); }
  void u16(std::string_view name, std::uint16_t& x) { x = r_.u16(name); }
  void msgid(std::string_view name, std::uint16_t& x) { x = r_.u16(name); }
  void tenth16(std::string_view name, std::uint16_t& x) { x = r_.u16(name); }
  void u32(std::string_view name, std::uint32_t& x) { x = r_.u32(name); }
  void param_id(std::string_view name, std::uint32_t& x) { x = r_.u32(name); }

  void ascii(std::string_view name, std::string& s, std::size_t n, Pad) {
    const std::size_t at = r_.pos();
    auto b = r_.take(n, name);
    if (!r_.ok()) return;
    std::size_t first = 0;
    std::size_t last = b.size();
    while (first < last && b[first] == 0)
      ++first;  // front padding (ID cards)
    while (last > first && b[last - 1] == 0)
      --last;  // back padding
    s.assign(reinterpret_cast<const char*>(b.data()) + first, last - first);
    if (!printable_ascii(s)) r_.fail_at(at, name, "not printable ASCII");
  }
  void bcd(std::string_view name, std::string& digits, std::size_t n) {
    const std::size_t at = r_.pos();
    auto b = r_.take(n, name);
    if (!r_.ok()) return;
    auto d = bcd_decode(b);
    if (!d) return r_.fail_at(at, name, d.error().message);
    digits = *d;
  }
  void time6(std::string_view name, WallTime& t) {
    std::optional<WallTime> o;
    const std::size_t at = r_.pos();
    time6(name, o);
    if (r_.ok() && !o) return r_.fail_at(at, name, "time is all zero");
    if (o) t = *o;
  }
  void time6(std::string_view name, std::optional<WallTime>& t) {
    const std::size_t at = r_.pos();
    auto b = r_.take(6, name);
    if (!r_.ok()) return;
    bool zero = true;
    for (auto x : b)
      zero = zero && x == 0;
    if (zero) {
      t.reset();
      return;
    }
    auto wt = parse_bcd_time6(b);
    if (!wt) return r_.fail_at(at, name, wt.error().message);
    t = *wt;
  }
  void time3(std::string_view name, std::uint32_t& seconds) {
    const std::size_t at = r_.pos();
    auto b = r_.take(3, name);
    if (!r_.ok()) return;
    auto d = bcd_decode(b);
    if (!d) return r_.fail_at(at, name, d.error().message);
    const auto two = [&](std::size_t i) {
      return static_cast<std::uint32_t>(((*d)[i] - '0') * 10 + ((*d)[i + 1] - '0'));
    };
    const std::uint32_t h = two(0), m = two(2), sec = two(4);
    if (h > 23 || m > 59 || sec > 59) return r_.fail_at(at, name, "not a time of day: " + *d);
    seconds = h * 3600 + m * 60 + sec;
  }
  void gbk8(std::string_view name, std::string& utf8) {
    const std::uint8_t len = r_.u8(name);
    gbk_bytes(name, utf8, len);
  }
  void gbk32(std::string_view name, std::string& utf8) {
    const std::uint32_t len = r_.u32(name);
    gbk_bytes(name, utf8, len);
  }
  void gbk_rest(std::string_view name, std::string& utf8) { gbk_bytes(name, utf8, r_.remaining()); }
  void cstring(std::string_view name, std::string& s) {
    const std::size_t at = r_.pos();
    auto rest = r_.rest();
    std::size_t end = 0;
    while (end < rest.size() && rest[end] != 0)
      ++end;
    s.assign(reinterpret_cast<const char*>(rest.data()), end);
    // Tolerated: a missing terminator at the end of the body. Bytes after it are trailing.
    if (end + 1 < rest.size()) {
      r_.fail(std::to_string(rest.size() - end - 1) + " unexpected trailing bytes after " +
              std::string(name));
    }
    if (!printable_ascii(s)) r_.fail_at(at, name, "not printable ASCII");
  }
  template <class C>
  void fixed(std::string_view name, C& bytes) {
    auto b = r_.take(bytes.size(), name);
    if (r_.ok()) std::copy(b.begin(), b.end(), bytes.begin());
  }
  void rest(std::string_view, Bytes& b) {
    auto r = r_.rest();
    b.assign(r.begin(), r.end());
  }
  void param_value(std::string_view name, Bytes& b) {
    const std::uint8_t len = r_.u8(name);
    auto v = r_.take(len, name);
    b.assign(v.begin(), v.end());
  }
  void position(std::string_view name, PositionBlock& p) {
    const std::size_t at = r_.pos();
    auto b = r_.take(kPositionBlockBytes, name);
    if (!r_.ok()) return;
    auto d = decode_position_block(b);
    if (!d) return r_.fail_at(at, name, d.error().message);
    p = *d;
  }
  void attached(std::string_view name, AttachedGnss& a) {
    const std::size_t at = r_.pos();
    auto b = r_.take(kAttachedGnssBytes, name);
    if (!r_.ok()) return;
    auto d = decode_attached_gnss(b);
    if (!d) return r_.fail_at(at, name, d.error().message);
    a = *d;
  }
  template <class T>
  void nested(std::string_view, T& t) {
    fields(*this, t);
  }
  template <class Vec, class Fn>
  void list8(std::string_view name, Vec& items, Fn fn) {
    const std::uint8_t n = r_.u8(name);
    items.clear();
    for (std::size_t i = 0; i < n && r_.ok(); ++i) {
      items.emplace_back();
      fn(*this, items.back());
    }
  }

  template <class T>
  [[nodiscard]] Result<T> finish(T value) {
    r_.expect_end();
    if (!r_.ok()) return fail(Errc::parse, *r_.error());
    return value;
  }

 private:
  void gbk_bytes(std::string_view name, std::string& utf8, std::size_t len) {
    const std::size_t at = r_.pos();
    auto b = r_.take(len, name);
    if (!r_.ok()) return;
    auto u = gbk_to_utf8({reinterpret_cast<const char*>(b.data()), b.size()});
    if (!u) return r_.fail_at(at, name, u.error().message);
    utf8 = *u;
  }
  wire::Reader r_;
};

/// Encode any struct with a layout.
template <class T>
Result<Bytes> encode_with_layout(const T& t) {
  WriteVisitor w;
  fields(w, t);
  return w.finish();
}

/// Decode any struct with a layout; all bytes must be consumed.
template <class T>
Result<T> decode_with_layout(std::span<const std::uint8_t> body) {
  ReadVisitor r(body);
  T t{};
  fields(r, t);
  return r.finish(std::move(t));
}

}  // namespace tta::uplink::layout

/// Defines Type::encode / Type::decode from its layout.
#define TTA_UPLINK_DEFINE_CODEC(Type)                             \
  Result<Bytes> Type::encode() const {                            \
    return layout::encode_with_layout(*this);                     \
  }                                                               \
  Result<Type> Type::decode(std::span<const std::uint8_t> body) { \
    return layout::decode_with_layout<Type>(body);                \
  }
