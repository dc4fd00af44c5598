#include "outbox/kinds.hpp"

#include "tta/store/outbox.hpp"

namespace tta::agent {

namespace {

// The table is indexed by the enum: a row out of place would give a kind another's string.
constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kOutboxKinds); ++i) {
    if (static_cast<std::size_t>(kOutboxKinds[i].kind) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kOutboxKinds must list the kinds in enum order");
static_assert(std::size(kOutboxKinds) == static_cast<std::size_t>(OutboxKind::graduation) + 1,
              "every OutboxKind needs its row in kOutboxKinds");

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Result<OutboxKind> parse_outbox_kind(std::string_view text) {
  for (const auto& row : kOutboxKinds) {
    if (text == row.text) return row.kind;
  }
  return fail(Errc::parse, "unknown outbox kind \"" + std::string(text) + "\"");
}

std::string_view channel_prefix(OutboxChannel channel) {
  return channel == OutboxChannel::tcp ? "tcp." : "http.";
}

std::optional<std::uint16_t> ext_id_of(OutboxKind kind) {
  const auto& row = info(kind);
  if (row.channel != OutboxChannel::tcp || row.ext_id == 0) return std::nullopt;
  return row.ext_id;
}

std::optional<OutboxKind> kind_of_ext_id(std::uint16_t ext_id) {
  if (ext_id == 0) return std::nullopt;
  for (const auto& row : kOutboxKinds) {
    if (row.channel == OutboxChannel::tcp && row.ext_id == ext_id) return row.kind;
  }
  return std::nullopt;
}

std::string_view http_resource(OutboxKind kind) { return info(kind).resource; }

std::optional<OutboxKind> kind_of_http_resource(std::string_view resource) {
  if (resource.empty()) return std::nullopt;
  for (const auto& row : kOutboxKinds) {
    if (row.channel == OutboxChannel::http && resource == row.resource) return row.kind;
  }
  return std::nullopt;
}

std::string tcp_kind(std::uint16_t ext_id) {
  if (const auto k = kind_of_ext_id(ext_id)) return std::string(to_string(*k));
  std::string s = "tcp.";
  for (int shift = 12; shift >= 0; shift -= 4) s += kHex[(ext_id >> shift) & 0xF];
  return s;
}

std::optional<std::uint16_t> ext_id_of(const std::string& kind) {
  const auto k = parse_outbox_kind(kind);
  return k ? ext_id_of(*k) : std::nullopt;
}

std::string http_kind(std::string_view resource) {
  if (const auto k = kind_of_http_resource(resource)) return std::string(to_string(*k));
  return std::string(channel_prefix(OutboxChannel::http)) + std::string(resource);
}

bool delivered_here(std::string_view kind, bool https) {
  return https || !kind.starts_with(channel_prefix(OutboxChannel::http));
}

Result<std::int64_t> unsettled_deliveries(store::Outbox& outbox, bool https) {
  auto by_kind = outbox.counts_by_kind();
  if (!by_kind) return fail(by_kind.error());
  std::int64_t n = 0;
  for (const auto& k : *by_kind) {
    if (delivered_here(k.kind, https)) n += k.counts.queued + k.counts.in_flight;
  }
  return n;
}

}  // namespace tta::agent
