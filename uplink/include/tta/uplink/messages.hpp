#pragma once
/// Core JT/T 808 messages of the driving-training protocol (terminal-protocol.md §1.2), as
/// typed structs. Every struct has `encode()` (the body bytes) and `decode(body)`; decoding
/// rejects truncated bodies and trailing bytes with a message naming the field and offset.
/// Text fields hold UTF-8; GBK conversion happens on the wire.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/uplink/frame.hpp"
#include "tta/uplink/position.hpp"

/// Declares the body codec of a message struct.
#define TTA_UPLINK_BODY_CODEC(Type)                                             \
  [[nodiscard]] Result<Bytes> encode() const;                                   \
  [[nodiscard]] static Result<Type> decode(std::span<const std::uint8_t> body); \
  friend bool operator==(const Type&, const Type&) = default

namespace tta::uplink {

/// Message IDs of §1.2.
namespace msgid {
inline constexpr std::uint16_t kTerminalAck = 0x0001;
inline constexpr std::uint16_t kPlatformAck = 0x8001;
inline constexpr std::uint16_t kHeartbeat = 0x0002;
inline constexpr std::uint16_t kDeregister = 0x0003;
inline constexpr std::uint16_t kResendRequest = 0x8003;
inline constexpr std::uint16_t kRegister = 0x0100;
inline constexpr std::uint16_t kRegisterReply = 0x8100;
inline constexpr std::uint16_t kAuthenticate = 0x0102;
inline constexpr std::uint16_t kPosition = 0x0200;
inline constexpr std::uint16_t kSetParams = 0x8103;
inline constexpr std::uint16_t kQueryParams = 0x8104;
inline constexpr std::uint16_t kQueryParamsReply = 0x0104;
inline constexpr std::uint16_t kTerminalControl = 0x8105;
inline constexpr std::uint16_t kQuerySomeParams = 0x8106;
inline constexpr std::uint16_t kUplinkPassThrough = 0x0900;
inline constexpr std::uint16_t kDownlinkPassThrough = 0x8900;
}  // namespace msgid

/// Human name of a core message ID ("general ack (platform)"), or "" when unknown.
[[nodiscard]] std::string_view message_name(std::uint16_t msg_id) noexcept;

/// Result codes of a general ack (§1.2).
enum class AckResult : std::uint8_t {
  ok = 0,
  fail = 1,
  bad_message = 2,
  unsupported = 3,
  alarm_ack = 4
};

/// 0x0001 (terminal) / 0x8001 (platform) general ack: reply serial WORD, reply msg ID WORD,
/// result BYTE. The same body serves both directions.
struct GeneralAck {
  std::uint16_t reply_serial = 0;
  std::uint16_t reply_msg_id = 0;
  std::uint8_t result = 0;  ///< AckResult values; others are kept as sent
  TTA_UPLINK_BODY_CODEC(GeneralAck);
};

/// 0x0100 register (§1.2: JT/T 808-2013 layout plus IMEI).
struct Register {
  static constexpr std::uint16_t kMsgId = msgid::kRegister;
  std::uint16_t province_id = 0;
  std::uint16_t city_id = 0;
  std::string maker_id;           ///< BYTE[5] ASCII
  std::string model;              ///< BYTE[20] ASCII, 0x00-padded
  std::string terminal_serial;    ///< BYTE[7] ASCII
  std::string imei;               ///< BYTE[15] ASCII digits
  std::uint8_t plate_colour = 0;  ///< 0 = no plate, then `plate` holds the VIN
  std::string plate;              ///< GBK STRING up to the end of the body
  TTA_UPLINK_BODY_CODEC(Register);
};

/// 0x8100 register reply (§1.2). The credential fields are on the wire only when result is 0;
/// for other results they are empty.
struct RegisterReply {
  static constexpr std::uint16_t kMsgId = msgid::kRegisterReply;
  std::uint16_t reply_serial = 0;
  std::uint8_t result = 0;           ///< 0 ok, 1 vehicle registered, 2 no such vehicle, 3 terminal
                                     ///< registered, 4 no such terminal
  std::string platform_no;           ///< BYTE[5]
  std::string institution_no;        ///< BYTE[16]
  std::string terminal_no;           ///< BYTE[16], signs every extension message
  std::string certificate_password;  ///< BYTE[12], 0x00-padded
  std::string certificate_base64;    ///< Base64 PKCS#12, 0-terminated STRING
  TTA_UPLINK_BODY_CODEC(RegisterReply);
};

/// 0x0102 authenticate (§1.2): timestamp DWORD (Unix seconds) and the 256-byte RSA signature
/// of SHA-256(terminal no. ‖ timestamp BE), see signing.hpp.
struct Authenticate {
  static constexpr std::uint16_t kMsgId = msgid::kAuthenticate;
  std::uint32_t timestamp_s = 0;
  std::array<std::uint8_t, 256> signature{};
  TTA_UPLINK_BODY_CODEC(Authenticate);
};

/// One terminal parameter (JT/T 808: id DWORD, len BYTE, value).
struct TerminalParam {
  std::uint32_t id = 0;
  Bytes value;  ///< at most 255 bytes; its meaning depends on the id (JT/T 808 table 12)
  friend bool operator==(const TerminalParam&, const TerminalParam&) = default;
};

/// 0x8103 set terminal parameters: count BYTE then the parameters.
struct SetTerminalParams {
  static constexpr std::uint16_t kMsgId = msgid::kSetParams;
  std::vector<TerminalParam> params;
  TTA_UPLINK_BODY_CODEC(SetTerminalParams);
};

/// 0x0104 query-parameters reply: reply serial WORD, count BYTE, parameters.
struct QueryTerminalParamsReply {
  static constexpr std::uint16_t kMsgId = msgid::kQueryParamsReply;
  std::uint16_t reply_serial = 0;
  std::vector<TerminalParam> params;
  TTA_UPLINK_BODY_CODEC(QueryTerminalParamsReply);
};

/// 0x8105 terminal control: command BYTE, parameters STRING (GBK, ';'-separated, may be empty).
struct TerminalControl {
  static constexpr std::uint16_t kMsgId = msgid::kTerminalControl;
  std::uint8_t command = 0;
  std::string parameters;
  TTA_UPLINK_BODY_CODEC(TerminalControl);
};

/// 0x8106 query some parameters: count BYTE, ids DWORD[count]. (0x8104 has an empty body.)
struct QuerySomeTerminalParams {
  static constexpr std::uint16_t kMsgId = msgid::kQuerySomeParams;
  std::vector<std::uint32_t> ids;
  TTA_UPLINK_BODY_CODEC(QuerySomeTerminalParams);
};

/// 0x8003 re-send request (§1.2): first serial WORD, count BYTE, serial list WORD[count].
struct ResendRequest {
  static constexpr std::uint16_t kMsgId = msgid::kResendRequest;
  std::uint16_t first_serial = 0;
  std::vector<std::uint16_t> serials;
  TTA_UPLINK_BODY_CODEC(ResendRequest);
};

/// Pass-through type of the driving-training extension (§2).
inline constexpr std::uint8_t kPassThroughTraining = 0x13;

/// 0x0900 / 0x8900 pass-through: type BYTE + content (§1.2). For type 0x13 the content is an
/// extended message (extension.hpp).
struct PassThrough {
  std::uint8_t type = kPassThroughTraining;
  Bytes content;
  TTA_UPLINK_BODY_CODEC(PassThrough);
};

}  // namespace tta::uplink
