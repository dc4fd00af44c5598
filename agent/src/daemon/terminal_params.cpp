#include "daemon/terminal_params.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tta/core/hex.hpp"

namespace tta::agent {
namespace {

constexpr const char* kStoreParam = "term.params";

using Stored = std::map<std::uint32_t, uplink::Bytes>;

Result<Stored> load_stored(store::Store& store) {
  auto text = store.param(kStoreParam);
  if (!text) return fail(text.error());
  Stored out;
  if (!*text) return out;
  auto j = nlohmann::json::parse(**text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Errc::corrupt, std::string(kStoreParam) + " in the store is not a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) continue;
    auto bytes = from_hex(value.get<std::string>());
    std::uint32_t id = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id, 16);
    if (!bytes || ec != std::errc{} || end != key.data() + key.size()) continue;
    out[id] = std::move(*bytes);
  }
  return out;
}

Status save_stored(store::Store& store, const Stored& params, std::int64_t now_ms) {
  nlohmann::json j = nlohmann::json::object();
  char key[16];
  for (const auto& [id, value] : params) {
    std::snprintf(key, sizeof key, "%08x", id);
    j[key] = to_hex(value);
  }
  return store.set_param(kStoreParam, j.dump(), now_ms);
}

uplink::Bytes dword(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

std::optional<std::uint32_t> as_dword(const uplink::Bytes& b) {
  if (b.size() != 4) return std::nullopt;
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

/// The range a known parameter must be in; nullopt for one the terminal only keeps.
struct Range {
  std::uint32_t min;
  std::uint32_t max;
  const char* name;
};
std::optional<Range> range_of(std::uint32_t id) {
  switch (id) {
    case kParamHeartbeat: return Range{1, 3600, "heartbeat interval"};
    case kParamSleepReport: return Range{0, 86400, "report interval with the ignition off"};
    case kParamReport: return Range{1, 86400, "report interval"};
    default: return std::nullopt;
  }
}

/// The config's defaults with the stored values applied.
TerminalParams in_use(const Stored& stored, const config::Config& cfg) {
  TerminalParams p;
  p.heartbeat_s = std::max<std::uint32_t>(1, cfg.uplink.tcp.heartbeat_s);
  for (const auto& [id, value] : stored) {
    const auto v = as_dword(value);
    const auto r = range_of(id);
    if (!v || !r || *v < r->min || *v > r->max) continue;  // checked when set
    if (id == kParamHeartbeat) p.heartbeat_s = *v;
    if (id == kParamSleepReport) p.sleep_report_s = *v;
    if (id == kParamReport) p.report_s = *v;
  }
  return p;
}

}  // namespace

Result<TerminalParams> load_terminal_params(store::Store& store, const config::Config& cfg) {
  auto stored = load_stored(store);
  if (!stored) return fail(stored.error());
  return in_use(*stored, cfg);
}

Status apply_terminal_params(store::Store& store, const uplink::SetTerminalParams& cmd,
                             std::int64_t now_ms) {
  for (const auto& param : cmd.params) {
    const auto r = range_of(param.id);
    if (!r) continue;
    const auto v = as_dword(param.value);
    if (!v) {
      return fail(Errc::invalid_argument, std::string(r->name) + " (0x" +
                                              to_hex(dword(param.id)) + ") must be a DWORD, got " +
                                              std::to_string(param.value.size()) + " bytes");
    }
    if (*v < r->min || *v > r->max) {
      return fail(Errc::invalid_argument, std::string(r->name) + " " + std::to_string(*v) +
                                              " s is outside " + std::to_string(r->min) + "-" +
                                              std::to_string(r->max) + " s");
    }
  }
  auto stored = load_stored(store);
  if (!stored) return fail(stored.error());
  for (const auto& param : cmd.params) (*stored)[param.id] = param.value;
  return save_stored(store, *stored, now_ms);
}

Result<uplink::QueryTerminalParamsReply> query_terminal_params(
    store::Store& store, const config::Config& cfg, std::uint16_t reply_serial,
    const std::vector<std::uint32_t>& ids) {
  auto stored = load_stored(store);
  if (!stored) return fail(stored.error());
  // What the terminal uses for the parameters it acts on; everything else as it was set.
  const TerminalParams used = in_use(*stored, cfg);
  Stored all = std::move(*stored);
  all[kParamHeartbeat] = dword(used.heartbeat_s);
  all[kParamSleepReport] = dword(used.sleep_report_s);
  all[kParamReport] = dword(used.report_s);
  uplink::QueryTerminalParamsReply reply;
  reply.reply_serial = reply_serial;
  auto add = [&](std::uint32_t id) {
    if (auto it = all.find(id); it != all.end() && reply.params.size() < 255) {
      reply.params.push_back({id, it->second});
    }
  };
  if (ids.empty()) {
    for (const auto& [id, value] : all) add(id);
  } else {
    for (const auto id : ids) add(id);
  }
  return reply;
}

}  // namespace tta::agent
