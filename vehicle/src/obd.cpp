// Pure OBD-II helpers: ELM327 response parsing, PID decoding, ISO-TP single frames.
#include "tta/vehicle/obd.hpp"

#include <algorithm>
#include <cctype>

namespace tta::vehicle::obd {
namespace {

/// Upper case, without spaces: how the adapter's lines are compared.
std::string squash(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ' && c != '\t')
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

/// A line as it may be logged: printable ASCII only, trimmed, at most 64 characters.
std::string printable(std::string_view line) {
  std::string out;
  for (char c : line) {
    if (c >= 0x20 && c < 0x7F && out.size() < 64) out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  out.erase(0, std::min(out.find_first_not_of(' '), out.size()));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// A squashed line of hex digit pairs as bytes; nullopt for anything else.
std::optional<std::vector<std::uint8_t>> hex_line(const std::string& s) {
  if (s.empty() || s.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = hex_value(s[i]);
    const int lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

/// The status a whole line stands for, if it is one of the adapter's words.
std::optional<ElmStatus> status_line(const std::string& s) {
  if (s == "OK") return ElmStatus::ok;
  if (s == "NODATA") return ElmStatus::no_data;
  if (s == "?") return ElmStatus::unknown_command;
  if (s == "UNABLETOCONNECT") return ElmStatus::unable_to_connect;
  if (s == "STOPPED") return ElmStatus::stopped;
  if (s.starts_with("ELM327") || s.starts_with("STN") || s.starts_with("OBDLINK"))
    return ElmStatus::ok;
  static constexpr std::string_view kErrors[] = {
      "CANERROR",   "BUSERROR", "BUSBUSY",  "DATAERROR", "<DATAERROR", "FBERROR",
      "BUFFERFULL", "LVRESET",  "ACTALERT", "<RXERROR",  "RXERROR"};
  if (std::find(std::begin(kErrors), std::end(kErrors), s) != std::end(kErrors))
    return ElmStatus::error;
  if (s.size() == 5 && s.starts_with("ERR") &&
      std::isdigit(static_cast<unsigned char>(s[3])) != 0 &&
      std::isdigit(static_cast<unsigned char>(s[4])) != 0) {
    return ElmStatus::error;
  }
  if (s.starts_with("BUSINIT")) {
    return s.find("ERROR") != std::string::npos ? std::optional(ElmStatus::error) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(ElmStatus s) {
  switch (s) {
    case ElmStatus::data:
      return "data";
    case ElmStatus::ok:
      return "OK";
    case ElmStatus::no_data:
      return "NO DATA";
    case ElmStatus::unknown_command:
      return "? (unknown command)";
    case ElmStatus::unable_to_connect:
      return "UNABLE TO CONNECT";
    case ElmStatus::stopped:
      return "STOPPED";
    case ElmStatus::error:
      return "adapter error";
    case ElmStatus::garbage:
      return "unrecognised answer";
  }
  return "?";
}

ElmResponse parse_elm_response(std::string_view raw, std::string_view command) {
  if (const auto prompt = raw.find('>'); prompt != std::string_view::npos)
    raw = raw.substr(0, prompt);
  const std::string echo = squash(command);
  ElmResponse r;
  std::optional<ElmStatus> status;
  std::string status_text;
  std::string unrecognised;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    const auto end = raw.find_first_of("\r\n", pos);
    const std::string_view line =
        raw.substr(pos, end == std::string_view::npos ? raw.npos : end - pos);
    pos = end == std::string_view::npos ? raw.size() + 1 : end + 1;
    std::string s = squash(line);
    std::erase_if(s,
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; });  // NULs after ATZ
    if (s.empty() || (!echo.empty() && s == echo)) continue;
    if (s.starts_with("SEARCHING")) continue;
    if (s.starts_with("BUSINIT") && s.find("ERROR") == std::string::npos) continue;
    if (auto st = status_line(s)) {
      if (!status || *status == ElmStatus::ok) {
        status = st;
        status_text = printable(line);
      }
      continue;
    }
    if (auto bytes = hex_line(s)) {
      r.lines.push_back(std::move(*bytes));
      continue;
    }
    if (unrecognised.empty()) unrecognised = printable(line);
  }
  if (!r.lines.empty()) {
    r.status = ElmStatus::data;
  } else if (status) {
    r.status = *status;
    r.text = status_text;
  } else {
    r.status = ElmStatus::garbage;
    r.text = unrecognised.empty() ? "empty answer" : unrecognised;
  }
  return r;
}

std::optional<PidValue> decode_pid(std::span<const std::uint8_t> payload, std::uint8_t pid) {
  if (payload.size() < 3 || payload[0] != 0x41 || payload[1] != pid) return std::nullopt;
  PidValue v;
  if (pid == kPidEngineRpm) {
    if (payload.size() < 4) return std::nullopt;
    v.engine_rpm = static_cast<std::uint16_t>(((payload[2] << 8) | payload[3]) / 4);
    return v;
  }
  if (pid == kPidSpeed) {
    v.speed_kmh = static_cast<double>(payload[2]);
    return v;
  }
  return std::nullopt;
}

std::optional<PidValue> decode_elm_pid(const ElmResponse& r, std::uint8_t pid) {
  if (r.status != ElmStatus::data) return std::nullopt;
  for (const auto& line : r.lines) {
    if (auto v = decode_pid(line, pid)) return v;
  }
  return std::nullopt;
}

std::array<std::uint8_t, 8> can_request(std::uint8_t pid) {
  return {0x02, 0x01, pid, 0x00, 0x00, 0x00, 0x00, 0x00};
}

std::optional<std::vector<std::uint8_t>> can_single_frame(std::uint32_t can_id, bool extended,
                                                          std::span<const std::uint8_t> data) {
  if (extended || can_id < kCanReplyFirst || can_id > kCanReplyLast || data.empty())
    return std::nullopt;
  const std::uint8_t pci = data[0];
  const std::size_t n = pci & 0x0F;
  if ((pci >> 4) != 0 || n == 0 || n > 7 || n >= data.size()) return std::nullopt;
  return std::vector<std::uint8_t>(data.begin() + 1,
                                   data.begin() + 1 + static_cast<std::ptrdiff_t>(n));
}

}  // namespace tta::vehicle::obd
