// The 0x0900 / 0x8900 envelope (terminal-protocol.md §1.2, §2.1): one pass-through type byte
// 0x13, then the extended message. Golden tests from a real terminal's frame, and properties
// over every message type: what the encoder writes round-trips, and every body the encoder
// must never write (the doubled type byte, a length that disagrees) is refused.
#include <gtest/gtest.h>

#include <random>

#include "test_util.hpp"
#include "tta/uplink/explain.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/subpacket.hpp"

namespace tta::uplink {
namespace {
using test::hex;
using test::kRealStudentLogin;


TEST(UplinkRealFrame, StudentLoginDecodesFieldByField) {
  auto f = decode_frame(hex(kRealStudentLogin));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->header.msg_id, msgid::kUplinkPassThrough);
  EXPECT_EQ(f->header.phone, "0000015898877651");
  EXPECT_EQ(f->header.serial, 0x0683);
  EXPECT_EQ(f->header.reserved, 0x3C);
  ASSERT_EQ(f->body.size(), 352U);
  EXPECT_EQ(f->body[0], kPassThroughTraining);

  auto m = ExtendedMessage::decode(f->body);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ext_id, extid::kStudentLogin);
  EXPECT_EQ(m->attributes(), 0x0022);
  EXPECT_FALSE(m->resent);
  EXPECT_TRUE(m->ack_required);
  EXPECT_EQ(m->signature_algorithm, 2);
  EXPECT_EQ(m->packet_no, 0x0166);
  EXPECT_EQ(m->terminal_no, "3143422457638046");
  EXPECT_EQ(m->data.size(), 69U);  // the DWORD at offset 23: 0x00000045
  EXPECT_EQ(m->signature.size(), kSignatureBytes);

  auto login = StudentLogin::decode(m->data);
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->student_no, "3143541052066483");
  EXPECT_EQ(login->coach_no, "3400452633643758");
  EXPECT_EQ(login->course_code, "1212110000");
  EXPECT_EQ(login->class_id, 100U);
  EXPECT_EQ(login->gnss.alarm_flags, 1U);
  EXPECT_EQ(login->gnss.status_flags, 1U);
  EXPECT_EQ(login->gnss.latitude_udeg, 39879701U);
  EXPECT_EQ(login->gnss.longitude_udeg, 116023510U);
  EXPECT_EQ(login->gnss.vehicle_speed_dkmh, 111);
  EXPECT_EQ(login->gnss.gnss_speed_dkmh, 102);
  EXPECT_EQ(login->gnss.direction_deg, 56);
  EXPECT_EQ(login->gnss.time, test::cst(2017, 1, 15, 11, 9, 42));
}

TEST(UplinkRealFrame, StudentLoginReEncodesByteForByte) {
  const Bytes wire = hex(kRealStudentLogin);
  auto f = decode_frame(wire);
  ASSERT_TRUE(f);
  auto m = ExtendedMessage::decode(f->body).value();
  auto login = StudentLogin::decode(m.data).value();

  // From the decoded values back to the same bytes: data, envelope, frame (signature carried).
  auto data = login.encode();
  ASSERT_TRUE(data);
  EXPECT_EQ(to_hex(*data), to_hex(m.data));
  auto rebuilt = make_extended(login, m.packet_no, m.terminal_no).value();
  rebuilt.ack_required = m.ack_required;
  rebuilt.signature_algorithm = m.signature_algorithm;
  rebuilt.signature = m.signature;
  EXPECT_EQ(rebuilt, m);
  Frame out = *f;
  out.body = rebuilt.encode().value();
  EXPECT_EQ(to_hex(encode_frame(out).value()), to_hex(wire));
  // The signed part starts at the extended ID: the 0x13 is not signed (§2.2).
  EXPECT_EQ(to_hex(m.signed_bytes().value()),
            to_hex(Bytes(f->body.begin() + 1, f->body.begin() + 27 + 69)));
}

TEST(UplinkRealFrame, DoubledTypeByteIsRefusedByName) {
  auto f = decode_frame(hex(kRealStudentLogin)).value();
  Bytes doubled = f.body;
  doubled.insert(doubled.begin(), kPassThroughTraining);  // what tta sent before issue #18
  auto r = ExtendedMessage::decode(doubled);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::incompatible);
  EXPECT_NE(r.error().message.find("0x13 twice"), std::string::npos) << r.error().message;
  // And through the frame explainer (`tta-agent decode`): an error, not a guess.
  f.body = doubled;
  EXPECT_FALSE(explain_decoded(f));
}

// ---- properties over every message type ----------------------------------------------------

std::uint32_t data_length_at_23(const Bytes& body) {
  return (std::uint32_t{body[23]} << 24) | (std::uint32_t{body[24]} << 16) |
         (std::uint32_t{body[25]} << 8) | std::uint32_t{body[26]};
}

/// Every variant of one message the encoder may produce: real-time or re-sent, unsigned or
/// signed (256 bytes of noise stand for the RSA signature; signing.cpp is tested apart).
std::vector<ExtendedMessage> variants(const ExtendedMessage& base, std::mt19937& rng) {
  std::vector<ExtendedMessage> out;
  for (int resent = 0; resent < 2; ++resent) {
    for (const std::uint8_t alg : {std::uint8_t{0}, std::uint8_t{2}}) {
      ExtendedMessage m = base;
      m.resent = resent != 0;
      m.ack_required = alg != 0;
      m.signature_algorithm = alg;
      m.packet_no = static_cast<std::uint16_t>(1 + rng() % 0xFFFE);
      if (alg != 0) {
        m.signature.resize(kSignatureBytes);
        for (auto& b : m.signature) b = static_cast<std::uint8_t>(rng());
      }
      out.push_back(std::move(m));
    }
  }
  return out;
}

TEST(UplinkEnvelopeProperty, EveryMessageHasOneTypeByteAndRoundTrips) {
  std::mt19937 rng(18);
  const auto all = test::every_extended_message();
  ASSERT_EQ(all.size(), 31U);
  for (const auto& base : all) {
    for (const auto& m : variants(base, rng)) {
      SCOPED_TRACE(std::string(extended_message_name(m.ext_id)));
      auto body = m.encode();
      ASSERT_TRUE(body) << body.error().message;
      ASSERT_GE(body->size(), 27U);
      EXPECT_EQ((*body)[0], kPassThroughTraining);
      EXPECT_EQ((*body)[1], m.ext_id >> 8);  // the ID right after the one type byte
      EXPECT_EQ((*body)[2], m.ext_id & 0xFF);
      EXPECT_NE((*body)[1], kPassThroughTraining);
      EXPECT_EQ(data_length_at_23(*body), m.data.size());
      EXPECT_EQ(body->size(), 27 + m.data.size() + m.signature.size());
      auto back = ExtendedMessage::decode(*body);
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(*back, m);

      // On the wire: in 0x0900 (up) or 0x8900 (down), through a frame and back.
      Frame fr;
      fr.header.msg_id =
          (m.ext_id & 0x8000) != 0 ? msgid::kDownlinkPassThrough : msgid::kUplinkPassThrough;
      fr.header.phone = "13800138000";
      fr.header.serial = static_cast<std::uint16_t>(rng());
      auto parts = split_message(fr.header, *body, 512, fr.header.serial);
      ASSERT_TRUE(parts) << parts.error().message;
      Reassembler re;
      std::optional<Bytes> whole;
      for (const auto& p : *parts) {
        auto wire = encode_frame(p);
        ASSERT_TRUE(wire) << wire.error().message;
        auto dec = decode_frame(*wire);
        ASSERT_TRUE(dec) << dec.error().message;
        auto done = re.feed(*dec, std::chrono::steady_clock::time_point{});
        ASSERT_TRUE(done) << done.error().message;
        if (*done) whole = (*done)->frame.body;
      }
      ASSERT_TRUE(whole);
      EXPECT_EQ(*whole, *body);
    }
  }
}

TEST(UplinkEnvelopeProperty, DecoderRefusesWhatTheEncoderNeverWrites) {
  std::mt19937 rng(1302);
  for (const auto& base : test::every_extended_message()) {
    for (const auto& m : variants(base, rng)) {
      SCOPED_TRACE(std::string(extended_message_name(m.ext_id)) +
                   (m.signature_algorithm != 0 ? " signed" : " unsigned"));
      const Bytes body = m.encode().value();
      auto refused = [](const Bytes& b, const char* what) {
        auto r = ExtendedMessage::decode(b);
        EXPECT_FALSE(r) << what << " was accepted";
      };
      Bytes doubled = body;
      doubled.insert(doubled.begin(), kPassThroughTraining);
      refused(doubled, "the doubled type byte");
      for (int delta : {-1, +1}) {
        Bytes len = body;
        const auto n = static_cast<std::uint32_t>(static_cast<std::int64_t>(m.data.size()) + delta);
        if (m.data.empty() && delta < 0) continue;
        len[23] = static_cast<std::uint8_t>(n >> 24);
        len[24] = static_cast<std::uint8_t>(n >> 16);
        len[25] = static_cast<std::uint8_t>(n >> 8);
        len[26] = static_cast<std::uint8_t>(n);
        refused(len, "a data length one off");
      }
      Bytes cut = body;
      cut.pop_back();
      refused(cut, "a body one byte short");
      Bytes longer = body;
      longer.push_back(0x00);
      refused(longer, "a body one byte long");
      // Signature bits flipped (2 → 0, 0 → 2) without the bytes changing: 256 bytes too
      // many or too few for what the attributes say.
      Bytes flipped = body;
      flipped[4] = static_cast<std::uint8_t>(flipped[4] ^ 0x20);
      refused(flipped, "signature bits that disagree with the bytes present");
      // The old draft's WORD length at offset 23.
      Bytes word = body;
      word.erase(word.begin() + 23, word.begin() + 25);
      refused(word, "the WORD-length draft");
    }
  }
}

}  // namespace
}  // namespace tta::uplink
