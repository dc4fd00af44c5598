// The explainer behind `tta-agent decode`: every message explains, names are snake_case with
// units, values in their units.
#include <gtest/gtest.h>

#include <cctype>

#include "test_util.hpp"
#include "tta/uplink/explain.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/messages.hpp"

namespace tta::uplink {
namespace {
using test::hex;
using K = ExplainedField::Kind;

// Field at a dotted path ("body.data.gnss.latitude_deg"), or nullptr.
const ExplainedField* find(const ExplainedField& root, std::string_view path) {
  const ExplainedField* cur = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const auto name = path.substr(0, dot);
    const ExplainedField* next = nullptr;
    for (const auto& c : cur->children) {
      if (c.name == name) next = &c;
    }
    if (next == nullptr) return nullptr;
    cur = next;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}

void expect_snake_case(const ExplainedField& f) {
  for (char c : f.name) {
    EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '_')
        << "field name " << f.name;
  }
  for (const auto& c : f.children)
    expect_snake_case(c);
}

Frame core_frame(std::uint16_t id, Bytes body) {
  Frame f;
  f.header.msg_id = id;
  f.header.phone = "13800138000";
  f.body = std::move(body);
  return f;
}

template <class Inner>
Frame ext_frame(const Inner& inner) {
  auto m = make_extended(inner, 1, "1234567890123456").value();
  const bool down = (Inner::kExtId & 0x8000) != 0;
  return core_frame(down ? msgid::kDownlinkPassThrough : msgid::kUplinkPassThrough,
                    m.encode().value());
}

ExplainedField explain_ok(const Frame& f) {
  auto e = explain_decoded(f);
  EXPECT_TRUE(e) << (e ? "" : e.error().message);
  if (!e) return {};
  expect_snake_case(*e);
  return *e;
}

TEST(UplinkExplain, EveryCoreMessage) {
  const std::vector<Frame> frames = {
      core_frame(msgid::kTerminalAck, GeneralAck{1, 0x8103, 0}.encode().value()),
      core_frame(msgid::kHeartbeat, {}),
      core_frame(msgid::kDeregister, {}),
      core_frame(msgid::kQueryParams, {}),
      core_frame(msgid::kResendRequest, ResendRequest{3, {3, 4}}.encode().value()),
      core_frame(msgid::kRegister, Register{44, 300, "70001", "M", "1234567", "860000000000001", 0,
                                            "LVIN0000000000001"}
                                       .encode()
                                       .value()),
      core_frame(msgid::kRegisterReply, RegisterReply{1, 0, "12345", "4400000000000001",
                                                      "1234567890123456", "pw", "TUlJQg=="}
                                            .encode()
                                            .value()),
      core_frame(msgid::kAuthenticate, Authenticate{}.encode().value()),
      core_frame(msgid::kPosition,
                 PositionReport{test::sample_position(), 1, 2, 3, 4, {}}.encode().value()),
      core_frame(msgid::kSetParams,
                 SetTerminalParams{{{1, hex("0000001e")}, {0x13, {'a', 'b'}}}}.encode().value()),
      core_frame(msgid::kQueryParamsReply,
                 QueryTerminalParamsReply{5, {{1, hex("0000001e")}}}.encode().value()),
      core_frame(msgid::kTerminalControl, TerminalControl{4, ""}.encode().value()),
      core_frame(msgid::kQuerySomeParams, QuerySomeTerminalParams{{1, 2}}.encode().value()),
      core_frame(msgid::kUplinkPassThrough, PassThrough{0xF0, {1}}.encode().value()),
  };
  for (const auto& f : frames) {
    auto e = explain_ok(f);
    EXPECT_NE(find(e, "header.msg_id"), nullptr);
    EXPECT_NE(find(e, "body"), nullptr);
  }
}

TEST(UplinkExplain, EveryExtensionMessage) {
  std::vector<Frame> frames;
  for (const auto& m : test::every_extended_message()) {
    const bool down = (m.ext_id & 0x8000) != 0;
    frames.push_back(core_frame(down ? msgid::kDownlinkPassThrough : msgid::kUplinkPassThrough,
                                m.encode().value()));
  }
  ASSERT_EQ(frames.size(), 31U);
  for (const auto& f : frames) {
    auto e = explain_ok(f);
    const auto* data = find(e, "body.data");
    ASSERT_NE(data, nullptr) << format_explanation(e);
    EXPECT_EQ(data->kind, K::object);
    const auto* ext = find(e, "body.ext_id");
    ASSERT_NE(ext, nullptr);
    EXPECT_NE(ext->note, "unknown") << ext->text;
  }
}

TEST(UplinkExplain, UnitsAndTextValues) {
  auto e = explain_ok(ext_frame(SetTrainingBan{2, "禁止培训"}));
  EXPECT_EQ(find(e, "body.data.message")->text, "禁止培训");
  EXPECT_EQ(find(e, "body.data.state")->note, "banned");

  PositionBlock south = test::sample_position();
  south.set_latitude_deg(-33.5);
  south.vehicle_speed_dkmh.reset();
  auto p = explain_ok(
      core_frame(msgid::kPosition, PositionReport{south, 123456, {}, {}, {}, {}}.encode().value()));
  EXPECT_DOUBLE_EQ(find(p, "body.position.latitude_deg")->real, -33.5);
  EXPECT_DOUBLE_EQ(find(p, "body.odometer_km")->real, 12345.6);
  // Missing on the sender's side is 0 on the wire; the decoder shows what the wire says.
  EXPECT_DOUBLE_EQ(find(p, "body.position.vehicle_speed_km_h")->real, 0.0);
}

TEST(UplinkExplain, CourseCodeAndRecordNumberAreSpelledOut) {
  auto e = explain_ok(ext_frame(StudentLogin{"STU0000000000001", "COA0000000000001", "1212110000",
                                             1, test::sample_position()}));
  const auto* course = find(e, "body.data.course_code");
  ASSERT_NE(course, nullptr);
  EXPECT_EQ(course->text, "1212110000");
  EXPECT_EQ(course->note, "vehicle, C1, part 2, item 11");
  TrainingRecord r;
  r.record_no = "12345678901234562611270930";
  r.course_code = "3222300000";
  r.gnss = test::sample_attached();
  auto re = explain_ok(ext_frame(r));
  EXPECT_EQ(find(re, "body.data.record_no")->note,
            "terminal 1234567890123456, 2026-11-27, sequence 0930");
  EXPECT_EQ(find(re, "body.data.course_code")->note, "simulator, C2, part 2, item 30");
}

TEST(UplinkExplain, SubPacketBodyShownRaw) {
  Frame f = core_frame(msgid::kUplinkPassThrough, {1, 2, 3});
  f.header.subpacket = SubPacket{2, 1};
  auto e = explain_ok(f);
  EXPECT_EQ(find(e, "header.subpacket_total")->integer, 2);
  EXPECT_EQ(find(e, "body.body_hex")->text, "010203");
}

TEST(UplinkExplain, BadBodyIsAnErrorNamingTheMessage) {
  auto e = explain_decoded(core_frame(msgid::kPlatformAck, {0, 1}));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "0x8001 body: truncated at offset 2: reply_msg_id needs 2 bytes, 0 left");
}

TEST(UplinkExplain, HumanFormatAlignsNames) {
  auto e = explain_ok(core_frame(msgid::kTerminalAck, GeneralAck{1, 0x8103, 0}.encode().value()));
  const std::string text = format_explanation(e);
  EXPECT_NE(text.find("  reply_serial  1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  reply_msg_id  0x8103  (set terminal parameters)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  result        0  (ok)\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace tta::uplink
