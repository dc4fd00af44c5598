#pragma once
/// JT/T 808 framing for the driving-training protocol (terminal-protocol.md §1, §1.1):
/// `0x7E | header | body | checksum | 0x7E`, escaping, XOR checksum, the three header layouts,
/// and a streaming splitter that resynchronises after garbage.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tta/core/result.hpp"

namespace tta::uplink {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kFlag = 0x7E;             ///< frame delimiter
inline constexpr std::uint8_t kEscape = 0x7D;           ///< escape byte
inline constexpr std::uint8_t kTrainingVersion = 0x80;  ///< version byte of the training header
inline constexpr std::size_t kMaxBodyBytes = 1023;      ///< 10-bit length in the attributes

/// Which header layout a frame uses (§1.1).
enum class HeaderVariant : std::uint8_t {
  training,    ///< driving-training: version 0x80, BCD[8] phone, reserved byte (16/20 bytes)
  jt808_2013,  ///< JT/T 808-2011/2013: no version, BCD[6] phone (12/16 bytes)
  jt808_2019,  ///< JT/T 808-2019: attribute bit 14, version byte, BCD[10] phone (17/21 bytes)
};

/// Short name, e.g. "training".
[[nodiscard]] std::string_view to_string(HeaderVariant v) noexcept;

/// Sub-packet fields present when attribute bit 13 is set.
struct SubPacket {
  std::uint16_t total = 0;  ///< number of sub-packets, >= 1
  std::uint16_t index = 0;  ///< 1-based

  friend bool operator==(const SubPacket&, const SubPacket&) = default;
};

/// A decoded header. The body length is not stored: it is the body's size.
struct FrameHeader {
  HeaderVariant variant = HeaderVariant::training;
  /// Version byte: 0x80 for training frames, the 2019 protocol version (usually 1) for 2019
  /// frames; ignored for 2013 frames.
  std::uint8_t version = kTrainingVersion;
  std::uint16_t msg_id = 0;
  /// Attribute bits 10-12 (0 none; bit 10 → 1 = RSA). An encrypted body is carried as is.
  std::uint8_t encryption = 0;
  /// Attribute bit 15 (reserved), kept so a frame re-encodes byte for byte.
  bool attr_bit15 = false;
  /// Phone/SIM digits: up to 16 (training), 12 (2013) or 20 (2019); left-padded with '0' on
  /// encode, decoded with all digits including leading zeros.
  std::string phone;
  std::uint16_t serial = 0;
  /// Training header only: senders use 0x00 or 0x3C; never checked on receive.
  std::uint8_t reserved = 0;
  std::optional<SubPacket> subpacket;

  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

/// One frame: header plus (unescaped) body.
struct Frame {
  FrameHeader header;
  Bytes body;

  friend bool operator==(const Frame&, const Frame&) = default;
};

/// Header length in bytes for a variant, with or without the sub-packet fields.
[[nodiscard]] std::size_t header_size(HeaderVariant v, bool subpacket) noexcept;

/// XOR of every byte (the frame checksum, computed over header and body before escaping).
[[nodiscard]] std::uint8_t xor_checksum(std::span<const std::uint8_t> bytes) noexcept;

/// Escape 0x7D → 7D 01 and 0x7E → 7D 02.
[[nodiscard]] Bytes escape(std::span<const std::uint8_t> raw);

/// Undo escaping. `offset_base` is added to the offsets in error messages (so they can name
/// the position in the received frame, where the opening 0x7E is offset 0).
[[nodiscard]] Result<Bytes> unescape(std::span<const std::uint8_t> escaped,
                                     std::size_t offset_base = 0);

/// Encode header and body (unescaped), without checksum, escaping or flags. Fails when the
/// body exceeds 1023 bytes, the phone has a non-digit or too many digits, or a 2013 header is
/// asked for a sub-packet with bit 14 semantics.
[[nodiscard]] Result<Bytes> encode_header_and_body(const Frame& frame);

/// The complete wire frame: flags, escaped header + body + checksum.
[[nodiscard]] Result<Bytes> encode_frame(const Frame& frame);

/// How to pick the header layout when decoding.
enum class VariantDetection : std::uint8_t {
  automatic,   ///< see decode_frame
  training,    ///< force the driving-training layout
  jt808_2013,  ///< force JT/T 808-2013
  jt808_2019,  ///< force JT/T 808-2019
};

/// Decode one unescaped frame content (header + body + checksum, no flags): verify the
/// checksum, parse the header, check the attribute length against the body.
///
/// Automatic detection, in order: (1) first byte 0x80 and the training layout's attribute
/// length matches the frame size → training; (2) bit 14 of the WORD at offset 2 is set and
/// the 2019 layout's length matches → 2019; (3) the 2013 layout's length matches → 2013;
/// otherwise the frame is rejected with the length error of the most likely layout (training
/// when the first byte is 0x80, 2019 when bit 14 is set, else 2013). The length check is what
/// tells a training frame from a 2013 frame whose message ID starts with 0x80 (e.g. 0x8001).
[[nodiscard]] Result<Frame> decode_unescaped(
    std::span<const std::uint8_t> content,
    VariantDetection detection = VariantDetection::automatic);

/// Decode one wire frame `7E … 7E`: both flags required, no 0x7E inside, then unescape
/// (error offsets count from the opening flag) and decode_unescaped.
[[nodiscard]] Result<Frame> decode_frame(std::span<const std::uint8_t> wire,
                                         VariantDetection detection = VariantDetection::automatic);

/// Options of the streaming splitter.
struct SplitterOptions {
  /// A frame still open after this many escaped bytes is dropped with an error. The default
  /// fits the largest legal frame (21-byte header, 1023-byte body, checksum), all escaped.
  std::size_t max_frame_bytes = 2 * (21 + kMaxBodyBytes + 1) + 2;
  VariantDetection detection = VariantDetection::automatic;
};

/// One result of the splitter: a frame, or an error for a malformed frame or skipped garbage.
struct SplitResult {
  Result<Frame> frame;
  /// The raw bytes this result covers (frame with flags, or the skipped garbage), for logs.
  Bytes raw;
};

/// Streaming frame splitter. Feed it arbitrary chunks of the TCP byte stream; it returns every
/// complete frame and one error per malformed frame or run of garbage, and never stops.
///
/// Resynchronisation: bytes before a 0x7E are garbage (reported once per run). A frame that
/// fails to decode is reported, and its closing 0x7E is then taken as the opening flag of the
/// next frame, because after garbage or a truncated frame that 0x7E is usually the start of a
/// good frame; so nothing after a bad frame is lost. Empty frames (7E 7E) are skipped silently.
class FrameSplitter {
 public:
  explicit FrameSplitter(SplitterOptions options = {}) : options_(options) {}

  /// Consume a chunk; return what completed in it, in stream order.
  [[nodiscard]] std::vector<SplitResult> feed(std::span<const std::uint8_t> chunk);

  /// Bytes held for an unfinished frame or garbage run.
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return buf_.size(); }

  /// Forget any partial frame (e.g. on reconnect).
  void reset() noexcept {
    buf_.clear();
    in_frame_ = false;
  }

 private:
  SplitterOptions options_;
  Bytes buf_;  // garbage run, or the current frame starting with its 0x7E
  bool in_frame_ = false;
  bool overflowed_ = false;  // dropping an over-long frame until the next 0x7E
};

}  // namespace tta::uplink
