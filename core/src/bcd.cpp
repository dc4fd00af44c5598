#include "tta/core/bcd.hpp"

#include <chrono>

#include "tta/core/time_util.hpp"

namespace tta {

Result<std::vector<std::uint8_t>> bcd_encode(std::string_view digits, std::size_t bytes) {
  if (digits.size() > bytes * 2) {
    return fail(Errc::invalid_argument, std::to_string(digits.size()) +
                                            " digits do not fit in BCD[" + std::to_string(bytes) +
                                            "]");
  }
  std::string padded(bytes * 2 - digits.size(), '0');
  padded += digits;
  std::vector<std::uint8_t> out(bytes);
  for (std::size_t i = 0; i < padded.size(); ++i) {
    const char c = padded[i];
    if (c < '0' || c > '9') {
      return fail(Errc::invalid_argument,
                  std::string("BCD takes digits only, got '") + c + "'");
    }
    const auto nibble = static_cast<std::uint8_t>(c - '0');
    out[i / 2] = static_cast<std::uint8_t>(i % 2 == 0 ? nibble << 4 : out[i / 2] | nibble);
  }
  return out;
}

Result<std::string> bcd_decode(std::span<const std::uint8_t> bcd) {
  std::string out;
  out.reserve(bcd.size() * 2);
  for (std::size_t i = 0; i < bcd.size(); ++i) {
    const int hi = bcd[i] >> 4;
    const int lo = bcd[i] & 0x0F;
    if (hi > 9 || lo > 9) {
      return fail(Errc::parse, "byte " + std::to_string(i) + " is not BCD");
    }
    out += static_cast<char>('0' + hi);
    out += static_cast<char>('0' + lo);
  }
  return out;
}

std::vector<std::uint8_t> bcd_time6(WallTime t) {
  const CivilTime c = to_civil(t, kChinaUtcOffset);
  auto b = [](int v) { return static_cast<std::uint8_t>(((v / 10) << 4) | (v % 10)); };
  return {b(c.year % 100), b(c.month), b(c.day), b(c.hour), b(c.minute), b(c.second)};
}

Result<WallTime> parse_bcd_time6(std::span<const std::uint8_t> bcd) {
  if (bcd.size() != 6) return fail(Errc::parse, "BCD time must be 6 bytes");
  auto digits = bcd_decode(bcd);
  if (!digits) return fail(digits.error().context("BCD time"));
  const std::string& d = *digits;
  auto two = [&](std::size_t at) { return (d[at] - '0') * 10 + (d[at + 1] - '0'); };
  CivilTime c{2000 + two(0), two(2), two(4), two(6), two(8), two(10)};
  auto t = from_civil(c, kChinaUtcOffset);
  if (!t) return fail(t.error().context("BCD time " + d));
  return *t;
}

}  // namespace tta
