#pragma once
/// The driving-training extension carried in 0x0900 (up) / 0x8900 (down) with pass-through
/// type 0x13 (terminal-protocol.md §2): the extended-message envelope of §2.1 and every message
/// of §2.4 as a typed struct. `encode()` gives the extended message's data; `decode(data)`
/// parses it. Text fields hold UTF-8 (GBK on the wire); IDs are ASCII strings with their
/// padding stripped; the course code and record/photo numbers are digit strings.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/position.hpp"

namespace tta::uplink {

/// Extended-message IDs of §2.4.
namespace extid {
inline constexpr std::uint16_t kCoachLogin = 0x0101;
inline constexpr std::uint16_t kCoachLoginReply = 0x8101;
inline constexpr std::uint16_t kCoachLogout = 0x0102;
inline constexpr std::uint16_t kCoachLogoutReply = 0x8102;
inline constexpr std::uint16_t kStudentLogin = 0x0201;
inline constexpr std::uint16_t kStudentLoginReply = 0x8201;
inline constexpr std::uint16_t kStudentLogout = 0x0202;
inline constexpr std::uint16_t kStudentLogoutReply = 0x8202;
inline constexpr std::uint16_t kTrainingRecord = 0x0203;
inline constexpr std::uint16_t kRecordRequest = 0x8205;
inline constexpr std::uint16_t kRecordRequestReply = 0x0205;
inline constexpr std::uint16_t kTakePhoto = 0x8301;
inline constexpr std::uint16_t kTakePhotoReply = 0x0301;
inline constexpr std::uint16_t kPhotoQuery = 0x8302;
inline constexpr std::uint16_t kPhotoQueryReply = 0x0302;
inline constexpr std::uint16_t kPhotoQueryResult = 0x0303;
inline constexpr std::uint16_t kUploadPhoto = 0x8304;
inline constexpr std::uint16_t kUploadPhotoReply = 0x0304;
inline constexpr std::uint16_t kPhotoUploadInit = 0x0305;
inline constexpr std::uint16_t kPhotoUploadInitReply = 0x8305;
inline constexpr std::uint16_t kPhotoData = 0x0306;
inline constexpr std::uint16_t kSetAppParams = 0x8501;
inline constexpr std::uint16_t kSetAppParamsReply = 0x0501;
inline constexpr std::uint16_t kSetTrainingBan = 0x8502;
inline constexpr std::uint16_t kSetTrainingBanReply = 0x0502;
inline constexpr std::uint16_t kQueryAppParams = 0x8503;
inline constexpr std::uint16_t kQueryAppParamsReply = 0x0503;
inline constexpr std::uint16_t kIdentityInfoRequest = 0x0401;
inline constexpr std::uint16_t kIdentityInfoReply = 0x8401;
inline constexpr std::uint16_t kNationalNumberRequest = 0x0402;
inline constexpr std::uint16_t kNationalNumberReply = 0x8402;
}  // namespace extid

/// Human name of an extended message ID ("training-hour record"), or "" when unknown.
[[nodiscard]] std::string_view extended_message_name(std::uint16_t ext_id) noexcept;

/// Signature algorithm, bits 4-7 of the extended attributes (§2.1).
enum class SignatureAlgorithm : std::uint8_t { none = 0, sha1 = 1, sha256 = 2 };

/// Size of the RSA-2048 signature that follows the data when bits 4-7 ≠ 0.
inline constexpr std::size_t kSignatureBytes = 256;

/// Extended message (§2.1 table): type 0x13, ext ID WORD, attributes WORD, training packet
/// number WORD, terminal no. BYTE[16], data length DWORD, data, optional 256-byte signature.
struct ExtendedMessage {
  std::uint16_t ext_id = 0;
  bool resent = false;        ///< attribute bit 0: re-sent after an outage (补传)
  bool ack_required = false;  ///< attribute bit 1
  /// Attribute bits 4-7 (0 none, 1 SHA-1, 2 SHA-256). Non-zero means a signature follows.
  std::uint8_t signature_algorithm = 0;
  /// Attribute bits 2-3 and 8-15, kept as received so re-encoding is byte-exact.
  std::uint16_t other_attribute_bits = 0;
  std::uint16_t packet_no = 0;  ///< training packet number, starts at 1, wraps
  std::string terminal_no;      ///< 16 ASCII characters, from 0x8100
  Bytes data;                   ///< the inner message (one of the structs below)
  Bytes signature;              ///< 256 bytes when signature_algorithm ≠ 0, else empty

  /// The attributes WORD as sent.
  [[nodiscard]] std::uint16_t attributes() const noexcept;

  /// The bytes §2.2 signs: from the extended message ID to the end of the data (everything
  /// except the 0x13 type byte and the signature).
  [[nodiscard]] Result<Bytes> signed_bytes() const;

  /// The pass-through body: 0x13 + envelope + data + signature. Fails when the signature
  /// length disagrees with the algorithm bits or a field does not fit.
  [[nodiscard]] Result<Bytes> encode() const;

  /// Parse a 0x0900/0x8900 body. Fails clearly on a type other than 0x13, on a data length
  /// that does not match the bytes present, and on the old draft's WORD-length layout.
  [[nodiscard]] static Result<ExtendedMessage> decode(std::span<const std::uint8_t> body);

  friend bool operator==(const ExtendedMessage&, const ExtendedMessage&) = default;
};

/// Wrap an inner message struct into an unsigned extended message (signing.hpp signs it).
template <typename Inner>
[[nodiscard]] Result<ExtendedMessage> make_extended(const Inner& inner, std::uint16_t packet_no,
                                                    std::string terminal_no) {
  auto data = inner.encode();
  if (!data) return tl::unexpected<Error>(data.error());
  ExtendedMessage m;
  m.ext_id = Inner::kExtId;
  m.packet_no = packet_no;
  m.terminal_no = std::move(terminal_no);
  m.data = std::move(*data);
  return m;
}

// ---- §2.4 messages -------------------------------------------------------------------------

/// 0x0101 coach login: coach no.[16], ID card[18] (front-padded 0x00), licence class taught[2],
/// basic GNSS[28].
struct CoachLogin {
  static constexpr std::uint16_t kExtId = extid::kCoachLogin;
  std::string coach_no;
  std::string id_card;
  std::string licence_class;  ///< two ASCII characters, e.g. "C1"
  PositionBlock gnss;
  TTA_UPLINK_BODY_CODEC(CoachLogin);
};

/// 0x8101 coach login reply: result, coach no.[16], read-aloud, extra length BYTE, extra GBK.
struct CoachLoginReply {
  static constexpr std::uint16_t kExtId = extid::kCoachLoginReply;
  std::uint8_t result = 1;  ///< 1 ok, 2 unknown coach, 3 class mismatch, 9 other
  std::string coach_no;
  std::uint8_t read_aloud = 0;  ///< 0 default, 1 yes, 2 no
  std::string extra;
  TTA_UPLINK_BODY_CODEC(CoachLoginReply);
};

/// 0x0102 coach logout (inside 0x0900, not the 0x0102 authentication): coach no.[16], GNSS[28].
struct CoachLogout {
  static constexpr std::uint16_t kExtId = extid::kCoachLogout;
  std::string coach_no;
  PositionBlock gnss;
  TTA_UPLINK_BODY_CODEC(CoachLogout);
};

/// 0x8102 coach logout reply: result (1 ok, 2 fail), coach no.[16].
struct CoachLogoutReply {
  static constexpr std::uint16_t kExtId = extid::kCoachLogoutReply;
  std::uint8_t result = 1;
  std::string coach_no;
  TTA_UPLINK_BODY_CODEC(CoachLogoutReply);
};

/// 0x0201 student login: student no.[16], coach no.[16], course BCD[5], class ID DWORD, GNSS[28].
struct StudentLogin {
  static constexpr std::uint16_t kExtId = extid::kStudentLogin;
  std::string student_no;
  std::string coach_no;
  std::string course_code;  ///< 10 digits, e.g. "1212110000"
  std::uint32_t class_id = 0;
  PositionBlock gnss;
  TTA_UPLINK_BODY_CODEC(StudentLogin);
};

/// 0x8201 student login reply (§2.4).
struct StudentLoginReply {
  static constexpr std::uint16_t kExtId = extid::kStudentLoginReply;
  std::uint8_t result =
      1;  ///< 1 ok, 2 unknown, 3 barred, 4 outside area, 5 class mismatch, 9 other
  std::string student_no;
  std::uint16_t total_minutes = 0;
  std::uint16_t part_minutes_done = 0;
  std::uint16_t total_mileage_hm = 0;
  std::uint16_t part_mileage_hm = 0;
  std::uint8_t read_aloud = 0;
  std::string extra;
  TTA_UPLINK_BODY_CODEC(StudentLoginReply);
};

/// 0x0202 student logout: student no.[16], logout time BCD[6], minutes WORD, mileage WORD
/// (0.1 km), class ID DWORD, GNSS[28].
struct StudentLogout {
  static constexpr std::uint16_t kExtId = extid::kStudentLogout;
  std::string student_no;
  WallTime logout_time{};
  std::uint16_t minutes = 0;
  std::uint16_t mileage_hm = 0;
  std::uint32_t class_id = 0;
  PositionBlock gnss;
  TTA_UPLINK_BODY_CODEC(StudentLogout);
};

/// 0x8202 student logout reply: result (1 ok, 2 fail), student no.[16].
struct StudentLogoutReply {
  static constexpr std::uint16_t kExtId = extid::kStudentLogoutReply;
  std::uint8_t result = 1;
  std::string student_no;
  TTA_UPLINK_BODY_CODEC(StudentLogoutReply);
};

/// 0x0203 training-hour record, one per minute (§2.4).
struct TrainingRecord {
  static constexpr std::uint16_t kExtId = extid::kTrainingRecord;
  std::string record_no;         ///< BYTE[26]: terminal no.(16) + YYMMDD + 4-digit sequence
  std::uint8_t report_type = 1;  ///< 1 automatic, 2 on request
  std::string student_no;
  std::string coach_no;
  std::uint32_t class_id = 0;
  std::uint32_t time_of_day_s = 0;  ///< BCD[3] hhmmss (GMT+8) as seconds since midnight
  std::string course_code;          ///< BCD[5], 10 digits
  /// 0 normal, 1 abnormal. The caller sets 1 when `gnss.has_missing()`: the codec writes 0 for
  /// missing sensor values (position.hpp) and never changes this field itself.
  std::uint8_t status = 0;
  std::uint16_t max_speed_dkmh = 0;  ///< satellite speed
  std::uint16_t mileage_hm = 0;      ///< in this minute
  AttachedGnss gnss;                       ///< sampled at second 30
  TTA_UPLINK_BODY_CODEC(TrainingRecord);
};

/// 0x8205 request records: mode (1 by time, 2 by count), start, end BCD[6], count WORD.
struct RecordRequest {
  static constexpr std::uint16_t kExtId = extid::kRecordRequest;
  std::uint8_t mode = 1;
  std::optional<WallTime> start;  ///< all-zero BCD on the wire when absent
  std::optional<WallTime> end;
  std::uint16_t count = 0;
  TTA_UPLINK_BODY_CODEC(RecordRequest);
};

/// 0x0205 request-records reply: result BYTE (1 uploading, 2 no storage, 3 none, 4 later, 9 other).
struct RecordRequestReply {
  static constexpr std::uint16_t kExtId = extid::kRecordRequestReply;
  std::uint8_t result = 1;
  TTA_UPLINK_BODY_CODEC(RecordRequestReply);
};

/// 0x8301 take photo now: upload mode (1 upload, 255 stop and upload), channel (0 auto), size code.
struct TakePhoto {
  static constexpr std::uint16_t kExtId = extid::kTakePhoto;
  std::uint8_t upload_mode = 1;
  std::uint8_t channel = 0;
  std::uint8_t size_code = 0;
  TTA_UPLINK_BODY_CODEC(TakePhoto);
};

/// 0x0301 take-photo reply: result, upload mode, channel, actual size code.
struct TakePhotoReply {
  static constexpr std::uint16_t kExtId = extid::kTakePhotoReply;
  std::uint8_t result =
      1;  ///< 1 ok, 2 fail, 3 storage fault, 4 busy, 5 camera reconnecting, 6 uploading
  std::uint8_t upload_mode = 1;
  std::uint8_t channel = 0;
  std::uint8_t size_code = 0;
  TTA_UPLINK_BODY_CODEC(TakePhotoReply);
};

/// 0x8302 query photos: mode (1 by time), start, end BCD[6].
struct PhotoQuery {
  static constexpr std::uint16_t kExtId = extid::kPhotoQuery;
  std::uint8_t mode = 1;
  std::optional<WallTime> start;
  std::optional<WallTime> end;
  TTA_UPLINK_BODY_CODEC(PhotoQuery);
};

/// 0x0302 photo-query reply: result (1 started, 2 fail, 9 other).
struct PhotoQueryReply {
  static constexpr std::uint16_t kExtId = extid::kPhotoQueryReply;
  std::uint8_t result = 1;
  TTA_UPLINK_BODY_CODEC(PhotoQueryReply);
};

/// 0x0303 photo query result: finished BYTE, total BYTE, count BYTE, photo no.[10] × count.
struct PhotoQueryResult {
  static constexpr std::uint16_t kExtId = extid::kPhotoQueryResult;
  bool finished = false;
  std::uint8_t total = 0;
  std::vector<std::string> photo_nos;
  TTA_UPLINK_BODY_CODEC(PhotoQueryResult);
};

/// 0x8304 upload this photo: photo no.[10].
struct UploadPhoto {
  static constexpr std::uint16_t kExtId = extid::kUploadPhoto;
  std::string photo_no;
  TTA_UPLINK_BODY_CODEC(UploadPhoto);
};

/// 0x0304 upload-photo reply: 0 will upload, 1 no such photo, 9 other.
struct UploadPhotoReply {
  static constexpr std::uint16_t kExtId = extid::kUploadPhotoReply;
  std::uint8_t result = 0;
  TTA_UPLINK_BODY_CODEC(UploadPhotoReply);
};

/// 0x0305 photo upload init (§2.4).
struct PhotoUploadInit {
  static constexpr std::uint16_t kExtId = extid::kPhotoUploadInit;
  std::string photo_no;            ///< BYTE[10] digits
  std::string person_no;           ///< BYTE[16]
  std::uint8_t upload_mode = 129;  ///< 1 on request, 129 terminal-initiated, 255 stop and upload
  std::uint8_t channel = 0;
  std::uint8_t size_code = 0;
  std::uint8_t event =
      0;  ///< 0 query, 5 timed, 17/18 student in/out, 19 training, 20/21 coach in/out
  std::uint16_t total_packets = 0;  ///< sub-packets of the 0x0900 carrying the 0x0306
  std::uint32_t photo_size_bytes = 0;
  std::uint32_t class_id = 0;  ///< 0 for coach photos
  AttachedGnss gnss;
  std::uint8_t face_confidence = 0;  ///< 0-100
  TTA_UPLINK_BODY_CODEC(PhotoUploadInit);
};

/// 0x8305 photo-upload-init reply: 0 go ahead, 255 refused.
struct PhotoUploadInitReply {
  static constexpr std::uint16_t kExtId = extid::kPhotoUploadInitReply;
  std::uint8_t reply = 0;
  TTA_UPLINK_BODY_CODEC(PhotoUploadInitReply);
};

/// 0x0306 photo data: photo no.[10] + the whole JPEG.
struct PhotoData {
  static constexpr std::uint16_t kExtId = extid::kPhotoData;
  std::string photo_no;
  Bytes jpeg;
  TTA_UPLINK_BODY_CODEC(PhotoData);
};

/// Application parameters (§2.4, "Application parameters (0x8501 / 0x0503)"), in wire order.
struct AppParams {
  std::uint8_t photo_interval_min = 15;
  std::uint8_t photo_upload = 0;  ///< 0 don't auto-upload, 1 auto-upload
  std::uint8_t read_aloud = 1;    ///< 1 yes, 2 no
  std::uint8_t stop_timing_after_ignition_off_min = 0;
  std::uint16_t gnss_report_after_ignition_off_s = 3600;  ///< 0 off
  std::uint16_t coach_auto_logout_after_ignition_off_min = 150;
  std::uint16_t identity_recheck_interval_min = 30;
  std::uint8_t coach_other_schools = 2;    ///< 1 allow, 2 forbid
  std::uint8_t student_other_schools = 1;  ///< 1 allow, 2 forbid
  std::uint16_t min_answer_interval_s = 0;
  friend bool operator==(const AppParams&, const AppParams&) = default;
};

/// 0x8501 set application parameters: parameter no. (0 all, 1..n one field) + the struct.
struct SetAppParams {
  static constexpr std::uint16_t kExtId = extid::kSetAppParams;
  std::uint8_t param_no = 0;
  AppParams params;
  TTA_UPLINK_BODY_CODEC(SetAppParams);
};

/// 0x0501 set-application-parameters reply: 1 ok, 2 fail.
struct SetAppParamsReply {
  static constexpr std::uint16_t kExtId = extid::kSetAppParamsReply;
  std::uint8_t result = 1;
  TTA_UPLINK_BODY_CODEC(SetAppParamsReply);
};

/// 0x8502 set training ban: state (1 allowed, 2 banned), message length BYTE, message GBK.
struct SetTrainingBan {
  static constexpr std::uint16_t kExtId = extid::kSetTrainingBan;
  std::uint8_t state = 1;
  std::string message;
  TTA_UPLINK_BODY_CODEC(SetTrainingBan);
};

/// 0x0502 training-ban reply: result, state, length BYTE, message GBK.
struct SetTrainingBanReply {
  static constexpr std::uint16_t kExtId = extid::kSetTrainingBanReply;
  std::uint8_t result = 1;
  std::uint8_t state = 1;
  std::string message;
  TTA_UPLINK_BODY_CODEC(SetTrainingBanReply);
};

/// 0x8503 query application parameters: empty data.
struct QueryAppParams {
  static constexpr std::uint16_t kExtId = extid::kQueryAppParams;
  TTA_UPLINK_BODY_CODEC(QueryAppParams);
};

/// 0x0503 query reply: result (0 ok, 1 fail) + the struct.
struct QueryAppParamsReply {
  static constexpr std::uint16_t kExtId = extid::kQueryAppParamsReply;
  std::uint8_t result = 0;
  AppParams params;
  TTA_UPLINK_BODY_CODEC(QueryAppParamsReply);
};

/// 0x0401 request identity info: info type, person type, ID card[18].
struct IdentityInfoRequest {
  static constexpr std::uint16_t kExtId = extid::kIdentityInfoRequest;
  std::uint8_t info_type = 0;
  std::uint8_t person_type = 0;
  std::string id_card;
  TTA_UPLINK_BODY_CODEC(IdentityInfoRequest);
};

/// 0x8401 identity info reply: packet no. WORD, result BYTE, length DWORD, info GBK.
struct IdentityInfoReply {
  static constexpr std::uint16_t kExtId = extid::kIdentityInfoReply;
  std::uint16_t packet_no = 0;
  std::uint8_t result = 0;
  std::string info;
  TTA_UPLINK_BODY_CODEC(IdentityInfoReply);
};

/// 0x0402 request national number: number type, ID card[18].
struct NationalNumberRequest {
  static constexpr std::uint16_t kExtId = extid::kNationalNumberRequest;
  std::uint8_t number_type = 0;
  std::string id_card;
  TTA_UPLINK_BODY_CODEC(NationalNumberRequest);
};

/// 0x8402 national number reply: packet no. WORD, result BYTE, number[16], licence class[2].
struct NationalNumberReply {
  static constexpr std::uint16_t kExtId = extid::kNationalNumberReply;
  std::uint16_t packet_no = 0;
  std::uint8_t result = 0;
  std::string number;
  std::string licence_class;
  TTA_UPLINK_BODY_CODEC(NationalNumberReply);
};

}  // namespace tta::uplink
