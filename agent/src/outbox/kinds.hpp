#pragma once
/// The outbox's vocabulary: every kind of entry the agent queues, as an enum with one string
/// table (kinds.cpp). The strings are what the store keeps in `outbox.kind` and must never
/// change: existing databases hold them ("tcp.0203", "tcp.photo", "http.classrecord" …).
///
/// A kind belongs to one channel: the TCP forwarder sends "tcp." kinds over the JT/T 808
/// session (an extended message, or the photo's 0x0305→0x8305→0x0306), the HTTPS forwarder
/// "http." kinds to the supervision platform (one HttpApi resource each). A string that is
/// not in the table parses to an error value, never to a guess: the forwarder of its channel
/// marks such an entry refused with the reason, and an administrator sees it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tta/core/result.hpp"

namespace tta::store {
class Outbox;
}  // namespace tta::store

namespace tta::agent {

enum class OutboxKind : std::uint8_t {
  // TCP: extended messages in 0x0900, payload = the message's data.
  coach_login,      ///< "tcp.0101"
  coach_logout,     ///< "tcp.0102"
  student_login,    ///< "tcp.0201"
  student_logout,   ///< "tcp.0202"
  training_record,  ///< "tcp.0203", key = record number
  // TCP: an evidence photo, payload = the 0x0305 data, key = photo number (or "<no.>#…").
  photo,  ///< "tcp.photo"
  // HTTPS: payload = what uplink::HttpApi builds the request of.
  imageup,             ///< "http.imageup", key = photo number
  trainimginfo,        ///< "http.trainimginfo", key = photo number
  classrecord,         ///< "http.classrecord", key = class ID
  ce_record,           ///< "http.ce.record", key = teaching-log number
  stagetrainningtime,  ///< "http.stagetrainningtime", key = "stunum/subject"
  graduation,          ///< "http.graduation", key = certificate number
};

/// Which forwarder delivers a kind.
enum class OutboxChannel : std::uint8_t { tcp, http };

/// One row of the table: the stored string, the channel, and what the kind is sent as.
struct OutboxKindInfo {
  OutboxKind kind;
  const char* text;        ///< stored in outbox.kind; never changes
  OutboxChannel channel;
  std::uint16_t ext_id;    ///< TCP extended message ID; 0 for the photo and HTTPS kinds
  const char* resource;    ///< HttpApi resource; "" for TCP kinds
};

/// The one table, in enum order.
inline constexpr OutboxKindInfo kOutboxKinds[] = {
    {OutboxKind::coach_login, "tcp.0101", OutboxChannel::tcp, 0x0101, ""},
    {OutboxKind::coach_logout, "tcp.0102", OutboxChannel::tcp, 0x0102, ""},
    {OutboxKind::student_login, "tcp.0201", OutboxChannel::tcp, 0x0201, ""},
    {OutboxKind::student_logout, "tcp.0202", OutboxChannel::tcp, 0x0202, ""},
    {OutboxKind::training_record, "tcp.0203", OutboxChannel::tcp, 0x0203, ""},
    {OutboxKind::photo, "tcp.photo", OutboxChannel::tcp, 0, ""},
    {OutboxKind::imageup, "http.imageup", OutboxChannel::http, 0, "imageup"},
    {OutboxKind::trainimginfo, "http.trainimginfo", OutboxChannel::http, 0, "trainimginfo"},
    {OutboxKind::classrecord, "http.classrecord", OutboxChannel::http, 0, "classrecord"},
    {OutboxKind::ce_record, "http.ce.record", OutboxChannel::http, 0, "ce.record"},
    {OutboxKind::stagetrainningtime, "http.stagetrainningtime", OutboxChannel::http, 0,
     "stagetrainningtime"},
    {OutboxKind::graduation, "http.graduation", OutboxChannel::http, 0, "graduation"},
};

/// The row of a kind.
[[nodiscard]] constexpr const OutboxKindInfo& info(OutboxKind kind) {
  return kOutboxKinds[static_cast<std::size_t>(kind)];
}
/// The stored string of a kind, e.g. "tcp.0203".
[[nodiscard]] constexpr std::string_view to_string(OutboxKind kind) { return info(kind).text; }
[[nodiscard]] constexpr OutboxChannel channel_of(OutboxKind kind) { return info(kind).channel; }

/// The kind of a stored string; Errc::parse ("unknown outbox kind …") for any other string.
[[nodiscard]] Result<OutboxKind> parse_outbox_kind(std::string_view text);

/// The prefix every stored kind of a channel starts with: "tcp." or "http." (the store picks
/// one channel's due entries by it).
[[nodiscard]] std::string_view channel_prefix(OutboxChannel channel);

/// The extended message ID a TCP kind is sent as; nullopt for the photo (three messages) and
/// for HTTPS kinds.
[[nodiscard]] std::optional<std::uint16_t> ext_id_of(OutboxKind kind);
/// The kind sent as extended message `ext_id`; nullopt when no kind is.
[[nodiscard]] std::optional<OutboxKind> kind_of_ext_id(std::uint16_t ext_id);

/// The HttpApi resource an HTTPS kind is uploaded to ("classrecord", "ce.record" …); empty for
/// TCP kinds.
[[nodiscard]] std::string_view http_resource(OutboxKind kind);
/// The kind uploaded to `resource`; nullopt when no kind is.
[[nodiscard]] std::optional<OutboxKind> kind_of_http_resource(std::string_view resource);

// Spellings older call sites use, kept so they need not change; each goes through the table.

/// The stored kind of extended message `ext_id`, e.g. "tcp.0203". An ID that no kind has
/// still gets its "tcp.XXXX" (lower-case hex) string, which parses to an error: the TCP
/// forwarder refuses such an entry with the reason instead of sending a guess.
[[nodiscard]] std::string tcp_kind(std::uint16_t ext_id);
/// The extended message ID of a stored kind; nullopt for the photo, HTTPS kinds and strings
/// not in the table.
[[nodiscard]] std::optional<std::uint16_t> ext_id_of(const std::string& kind);
/// The stored kind of an HTTPS upload to `resource`: "http." + resource. A resource no kind
/// has gets that string too, which the HTTPS forwarder refuses with the reason.
[[nodiscard]] std::string http_kind(std::string_view resource);
/// Whether the forwarders deliver entries of the stored kind `kind` on this terminal: every
/// TCP kind; an HTTPS kind only with a supervision platform configured (`https`: a non-empty
/// uplink.http.base_url). Without one the teaching logs wait in the outbox for the day one is
/// configured (issue #14 item 10), so they never settle and nothing should wait for them.
[[nodiscard]] bool delivered_here(std::string_view kind, bool https);
/// Entries queued or in flight that the forwarders deliver here (delivered_here): what a
/// drain waits for.
[[nodiscard]] Result<std::int64_t> unsettled_deliveries(store::Outbox& outbox, bool https);

/// The stored string of the photo kind ("tcp.photo").
inline constexpr const char* kPhotoKind = info(OutboxKind::photo).text;

}  // namespace tta::agent
