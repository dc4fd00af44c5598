#pragma once
/// OBD-II as the vehicle-signal sources speak it, as pure functions (no I/O): ELM327 adapter
/// responses, ISO 15765-4 single frames on CAN, and the two PIDs the terminal needs
/// (0x0C engine speed, 0x0D vehicle speed). Every function takes any bytes without crashing
/// (tests/fuzz/fuzz_elm327.cpp) and answers "missing" rather than guessing.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tta::vehicle::obd {

inline constexpr std::uint8_t kPidEngineRpm = 0x0C;  ///< (256·A + B) / 4 rpm
inline constexpr std::uint8_t kPidSpeed = 0x0D;      ///< A km/h

/// What an ELM327 said to one command.
enum class ElmStatus {
  data,               ///< hex data lines (in `lines`)
  ok,                 ///< "OK" or an identification banner (AT commands)
  no_data,            ///< "NO DATA": the ECU did not answer (engine off, PID unsupported)
  unknown_command,    ///< "?": the adapter did not understand the command
  unable_to_connect,  ///< "UNABLE TO CONNECT": no OBD protocol found (ignition off, no ECU)
  stopped,            ///< "STOPPED": the request was interrupted by a received character
  error,              ///< a bus or adapter error ("CAN ERROR", "BUS BUSY", "ERR94" …), in `text`
  garbage,            ///< nothing recognisable (line noise, wrong baud rate), in `text`
};

[[nodiscard]] const char* to_string(ElmStatus s);

struct ElmResponse {
  ElmStatus status = ElmStatus::garbage;
  std::vector<std::vector<std::uint8_t>> lines;  ///< data: one entry per hex line (one per ECU)
  std::string text;                              ///< banner, error text or the unparsed line
};

/// Parse everything an ELM327 sent in answer to `command` (up to the '>' prompt, which may be
/// included). Handles the echo of the command (ATE1 or before ATE0 takes effect), CR and/or LF
/// line ends, hex with or without spaces, "SEARCHING..." and "BUS INIT: ..." progress lines,
/// NUL bytes some clones send after a reset, and several ECUs answering on separate lines.
[[nodiscard]] ElmResponse parse_elm_response(std::string_view raw, std::string_view command);

/// A decoded PID value. Only the fields of the PID asked for are set.
struct PidValue {
  std::optional<std::uint16_t> engine_rpm;  ///< PID 0x0C, whole rpm (fraction dropped)
  std::optional<double> speed_kmh;          ///< PID 0x0D
};

/// Decode one mode-01 reply payload ([0x41, pid, A, B …]) for `pid`; nullopt when the payload
/// is a different PID, a negative response (0x7F …), too short, or a PID this code does not know.
[[nodiscard]] std::optional<PidValue> decode_pid(std::span<const std::uint8_t> payload,
                                                 std::uint8_t pid);

/// The first line of an ELM327 data response that decodes for `pid` (several ECUs may answer;
/// the engine ECU's line is the one that carries the PID).
[[nodiscard]] std::optional<PidValue> decode_elm_pid(const ElmResponse& r, std::uint8_t pid);

/// ISO 15765-4 with 11-bit identifiers: functional request to every ECU, replies from 0x7E8-0x7EF.
inline constexpr std::uint32_t kCanRequestId = 0x7DF;
inline constexpr std::uint32_t kCanReplyFirst = 0x7E8;
inline constexpr std::uint32_t kCanReplyLast = 0x7EF;

/// The 8 data bytes of a mode-01 request for `pid` (single frame, padded with 0x00 to DLC 8).
[[nodiscard]] std::array<std::uint8_t, 8> can_request(std::uint8_t pid);

/// The payload of a CAN reply frame if it is an ISO-TP single frame from an OBD ECU
/// (identifier 0x7E8-0x7EF, PCI 0x0N with 1 <= N <= 7 and N < `data.size()`); nullopt otherwise
/// (first/consecutive/flow-control frames, other identifiers, extended frames).
[[nodiscard]] std::optional<std::vector<std::uint8_t>> can_single_frame(
    std::uint32_t can_id, bool extended, std::span<const std::uint8_t> data);

}  // namespace tta::vehicle::obd
