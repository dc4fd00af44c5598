// The driving-training extension: §2.1 envelope and the §2.4 message codecs (layouts.hpp).
#include "tta/uplink/extension.hpp"

#include <cstdio>

#include "layouts.hpp"

namespace tta::uplink {
namespace {
constexpr std::size_t kEnvelopeBytes = 27;        // type .. data length (§2.1 table)
constexpr std::uint16_t kOtherBitsMask = 0xFF0C;  // all but bits 0, 1 and 4-7
}  // namespace

std::string_view extended_message_name(std::uint16_t ext_id) noexcept {
  switch (ext_id) {
    case extid::kCoachLogin:
      return "coach login";
    case extid::kCoachLoginReply:
      return "coach login reply";
    case extid::kCoachLogout:
      return "coach logout";
    case extid::kCoachLogoutReply:
      return "coach logout reply";
    case extid::kStudentLogin:
      return "student login";
    case extid::kStudentLoginReply:
      return "student login reply";
    case extid::kStudentLogout:
      return "student logout";
    case extid::kStudentLogoutReply:
      return "student logout reply";
    case extid::kTrainingRecord:
      return "training-hour record";
    case extid::kRecordRequest:
      return "request records";
    case extid::kRecordRequestReply:
      return "request records reply";
    case extid::kTakePhoto:
      return "take photo now";
    case extid::kTakePhotoReply:
      return "take photo reply";
    case extid::kPhotoQuery:
      return "query photos";
    case extid::kPhotoQueryReply:
      return "query photos reply";
    case extid::kPhotoQueryResult:
      return "photo query result";
    case extid::kUploadPhoto:
      return "upload this photo";
    case extid::kUploadPhotoReply:
      return "upload this photo reply";
    case extid::kPhotoUploadInit:
      return "photo upload init";
    case extid::kPhotoUploadInitReply:
      return "photo upload init reply";
    case extid::kPhotoData:
      return "photo data";
    case extid::kSetAppParams:
      return "set application parameters";
    case extid::kSetAppParamsReply:
      return "set application parameters reply";
    case extid::kSetTrainingBan:
      return "set training ban";
    case extid::kSetTrainingBanReply:
      return "set training ban reply";
    case extid::kQueryAppParams:
      return "query application parameters";
    case extid::kQueryAppParamsReply:
      return "query application parameters reply";
    case extid::kIdentityInfoRequest:
      return "request identity info";
    case extid::kIdentityInfoReply:
      return "identity info reply";
    case extid::kNationalNumberRequest:
      return "request national number";
    case extid::kNationalNumberReply:
      return "national number reply";
    default:
      return "";
  }
}

std::uint16_t ExtendedMessage::attributes() const noexcept {
  auto a = static_cast<std::uint16_t>(other_attribute_bits & kOtherBitsMask);
  if (resent) a |= 0x0001;
  if (ack_required) a |= 0x0002;
  a = static_cast<std::uint16_t>(a | ((signature_algorithm & 0x0F) << 4));
  return a;
}

Result<Bytes> ExtendedMessage::signed_bytes() const {
  if (terminal_no.size() > 16 || !layout::printable_ascii(terminal_no)) {
    return fail(Errc::invalid_argument,
                "terminal_no must be at most 16 printable ASCII characters");
  }
  if (signature_algorithm > 15) {
    return fail(Errc::invalid_argument, "signature algorithm is 4 bits (0-15)");
  }
  wire::Writer w;
  w.out().reserve(kEnvelopeBytes - 1 + data.size());
  w.u16(ext_id);
  w.u16(attributes());
  w.u16(packet_no);
  w.bytes({reinterpret_cast<const std::uint8_t*>(terminal_no.data()), terminal_no.size()});
  for (std::size_t i = terminal_no.size(); i < 16; ++i)
    w.u8(0);
  w.u32(static_cast<std::uint32_t>(data.size()));
  w.bytes(data);
  return std::move(w.out());
}

Result<Bytes> ExtendedMessage::encode() const {
  const std::size_t want_sig = signature_algorithm != 0 ? kSignatureBytes : 0;
  if (signature.size() != want_sig) {
    return fail(Errc::invalid_argument, "signature algorithm " +
                                            std::to_string(signature_algorithm) + " needs a " +
                                            std::to_string(want_sig) + "-byte signature, have " +
                                            std::to_string(signature.size()));
  }
  auto signed_part = signed_bytes();
  if (!signed_part) return signed_part;
  Bytes out;
  out.reserve(1 + signed_part->size() + signature.size());
  out.push_back(kPassThroughTraining);
  out.insert(out.end(), signed_part->begin(), signed_part->end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

Result<ExtendedMessage> ExtendedMessage::decode(std::span<const std::uint8_t> body) {
  if (body.empty()) return fail(Errc::parse, "empty pass-through body");
  if (body[0] != kPassThroughTraining) {
    char buf[96];
    std::snprintf(buf, sizeof buf,
                  "pass-through type 0x%02x is not the driving-training extension (0x13)",
                  static_cast<unsigned>(body[0]));
    return fail(Errc::parse, buf);
  }
  // The type byte is the 0x0900/0x8900 pass-through type itself: one byte, then the extended
  // message ID (§2.1 offset 0 and 1; real terminals send `3C 13 02 01 00 22`). No extended ID
  // has the high byte 0x13, so a second 0x13 is the old doubled form: refuse it by name.
  if (body.size() >= 2 && body[1] == kPassThroughTraining) {
    return fail(Errc::incompatible,
                "pass-through type 0x13 twice (offsets 0 and 1): §2.1 has one type byte, then "
                "the extended message ID");
  }
  // Old draft: a WORD data length at offset 23, data from offset 25. Say so rather than
  // misparse (§2.1: "accept neither silently — fail clearly").
  auto old_draft = [&]() -> std::optional<Error> {
    if (body.size() < 25) return std::nullopt;
    const std::size_t sig = ((body[4] >> 4) & 0x0F) != 0 ? kSignatureBytes : 0;
    const std::size_t word_len = static_cast<std::size_t>((body[23] << 8) | body[24]);
    if (word_len + sig != body.size() - 25) return std::nullopt;
    return Error(Errc::incompatible,
                 "data length looks like the old draft's WORD field (" + std::to_string(word_len) +
                     " at offset 23 fits the body); §2.1 requires a DWORD length");
  };
  if (body.size() < kEnvelopeBytes) {
    if (auto e = old_draft()) return fail(*e);
    return fail(Errc::parse, "truncated extended message: the envelope needs 27 bytes, body has " +
                                 std::to_string(body.size()));
  }
  wire::Reader r(body);
  ExtendedMessage m;
  (void)r.u8("type");
  m.ext_id = r.u16("ext_id");
  const std::uint16_t attrs = r.u16("attributes");
  m.resent = (attrs & 0x0001) != 0;
  m.ack_required = (attrs & 0x0002) != 0;
  m.signature_algorithm = static_cast<std::uint8_t>((attrs >> 4) & 0x0F);
  m.other_attribute_bits = static_cast<std::uint16_t>(attrs & kOtherBitsMask);
  m.packet_no = r.u16("packet_no");
  auto tn = r.take(16, "terminal_no");
  std::size_t end = tn.size();
  while (end > 0 && tn[end - 1] == 0)
    --end;
  m.terminal_no.assign(reinterpret_cast<const char*>(tn.data()), end);
  if (!layout::printable_ascii(m.terminal_no)) {
    return fail(Errc::parse, "terminal_no at offset 7: not printable ASCII");
  }
  const std::uint32_t len = r.u32("data_length");
  const std::size_t sig = m.signature_algorithm != 0 ? kSignatureBytes : 0;
  const std::size_t after = body.size() - kEnvelopeBytes;
  if (static_cast<std::uint64_t>(len) + sig != after) {
    if (auto e = old_draft()) return fail(*e);
    return fail(Errc::parse, "data length " + std::to_string(len) +
                                 " in the extended message but " + std::to_string(after) +
                                 " bytes follow" +
                                 (sig != 0 ? " (including a 256-byte signature)" : ""));
  }
  auto data = r.take(len, "data");
  m.data.assign(data.begin(), data.end());
  auto s = r.rest();
  m.signature.assign(s.begin(), s.end());
  if (!r.ok()) return fail(Errc::parse, *r.error());
  return m;
}

TTA_UPLINK_DEFINE_CODEC(CoachLogin)
TTA_UPLINK_DEFINE_CODEC(CoachLoginReply)
TTA_UPLINK_DEFINE_CODEC(CoachLogout)
TTA_UPLINK_DEFINE_CODEC(CoachLogoutReply)
TTA_UPLINK_DEFINE_CODEC(StudentLogin)
TTA_UPLINK_DEFINE_CODEC(StudentLoginReply)
TTA_UPLINK_DEFINE_CODEC(StudentLogout)
TTA_UPLINK_DEFINE_CODEC(StudentLogoutReply)
TTA_UPLINK_DEFINE_CODEC(TrainingRecord)
TTA_UPLINK_DEFINE_CODEC(RecordRequest)
TTA_UPLINK_DEFINE_CODEC(RecordRequestReply)
TTA_UPLINK_DEFINE_CODEC(TakePhoto)
TTA_UPLINK_DEFINE_CODEC(TakePhotoReply)
TTA_UPLINK_DEFINE_CODEC(PhotoQuery)
TTA_UPLINK_DEFINE_CODEC(PhotoQueryReply)
TTA_UPLINK_DEFINE_CODEC(PhotoQueryResult)
TTA_UPLINK_DEFINE_CODEC(UploadPhoto)
TTA_UPLINK_DEFINE_CODEC(UploadPhotoReply)
TTA_UPLINK_DEFINE_CODEC(PhotoUploadInit)
TTA_UPLINK_DEFINE_CODEC(PhotoUploadInitReply)
TTA_UPLINK_DEFINE_CODEC(PhotoData)
TTA_UPLINK_DEFINE_CODEC(SetAppParams)
TTA_UPLINK_DEFINE_CODEC(SetAppParamsReply)
TTA_UPLINK_DEFINE_CODEC(SetTrainingBan)
TTA_UPLINK_DEFINE_CODEC(SetTrainingBanReply)
TTA_UPLINK_DEFINE_CODEC(QueryAppParams)
TTA_UPLINK_DEFINE_CODEC(QueryAppParamsReply)
TTA_UPLINK_DEFINE_CODEC(IdentityInfoRequest)
TTA_UPLINK_DEFINE_CODEC(IdentityInfoReply)
TTA_UPLINK_DEFINE_CODEC(NationalNumberRequest)
TTA_UPLINK_DEFINE_CODEC(NationalNumberReply)

}  // namespace tta::uplink
