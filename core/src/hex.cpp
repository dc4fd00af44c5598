#include "tta/core/hex.hpp"

namespace tta {

std::string to_hex(std::span<const std::uint8_t> bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  int pending = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':') {
      if (pending >= 0) {
        return fail(Errc::parse, "separator splits a byte at position " + std::to_string(i + 1));
      }
      continue;
    } else {
      return fail(Errc::parse, std::string("'") + c + "' at position " + std::to_string(i + 1) +
                                   " is not a hex digit");
    }
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((pending << 4) | v));
      pending = -1;
    }
  }
  if (pending >= 0) return fail(Errc::parse, "odd number of hex digits");
  return out;
}

}  // namespace tta
