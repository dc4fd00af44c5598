#pragma once
/// JT/T 808 terminal parameters (terminal-protocol.md §1.2: 0x8103 set, 0x8104 query all,
/// 0x8106 query some, 0x0104 reply, "unchanged from 808"). Every value the platform sets is
/// kept in the store as it was sent (parameter "term.params", JSON of id → hex) and answered
/// back by 0x0104, so the platform reads what it wrote. The terminal acts on three of them:
///
///   0x0001  heartbeat interval, DWORD seconds (default: uplink.tcp.heartbeat_s)
///   0x0027  position report interval while the ignition is off, DWORD seconds (default: 3600,
///           the spec's "GNSS report interval after ignition off"; 0 = no reports then)
///   0x0029  position report interval otherwise, DWORD seconds (default: 30)
///
/// A 0x8103 that gives one of these a value of the wrong length or out of range is refused
/// whole (general ack result 1) and changes nothing.

#include <cstdint>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/messages.hpp"

namespace tta::agent {

inline constexpr std::uint32_t kParamHeartbeat = 0x0001;
inline constexpr std::uint32_t kParamSleepReport = 0x0027;
inline constexpr std::uint32_t kParamReport = 0x0029;

/// The values the terminal acts on.
struct TerminalParams {
  std::uint32_t heartbeat_s = 30;
  std::uint32_t sleep_report_s = 3600;  ///< 0: no position reports while the ignition is off
  std::uint32_t report_s = 30;
};

/// The defaults from the config, with what the platform set applied.
[[nodiscard]] Result<TerminalParams> load_terminal_params(store::Store& store,
                                                          const config::Config& cfg);

/// Check and keep a 0x8103. Errc::invalid_argument (nothing stored) for a known parameter
/// with a wrong length or a value out of range: heartbeat 1-3600 s, report intervals 1-86400 s
/// (0 allowed for 0x0027).
[[nodiscard]] Status apply_terminal_params(store::Store& store,
                                           const uplink::SetTerminalParams& cmd,
                                           std::int64_t now_ms);

/// The 0x0104 answer: the parameters asked for (`ids` empty: all of them) that the terminal
/// has, each as the platform set it or as the terminal uses it. Unknown ids are left out.
[[nodiscard]] Result<uplink::QueryTerminalParamsReply> query_terminal_params(
    store::Store& store, const config::Config& cfg, std::uint16_t reply_serial,
    const std::vector<std::uint32_t>& ids);

}  // namespace tta::agent
