#pragma once
/// Packed BCD as the terminal protocol uses it: phone numbers, course codes and
/// GMT+8 timestamps (terminal-protocol.md §1.1, §2.3).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"

namespace tta {

/// Pack a digit string into `bytes` BCD bytes, left-padding with '0'.
/// Fails on a non-digit or when the digits do not fit.
[[nodiscard]] Result<std::vector<std::uint8_t>> bcd_encode(std::string_view digits,
                                                          std::size_t bytes);

/// Unpack BCD bytes into a digit string (two digits per byte). A nibble above 9 is an error.
[[nodiscard]] Result<std::string> bcd_decode(std::span<const std::uint8_t> bcd);

/// BCD[6] `YYMMDDhhmmss` in China Standard Time (GMT+8) for a UTC instant (whole seconds).
[[nodiscard]] std::vector<std::uint8_t> bcd_time6(WallTime t);

/// Parse BCD[6] `YYMMDDhhmmss` (GMT+8, years 2000-2099) into a UTC instant.
[[nodiscard]] Result<WallTime> parse_bcd_time6(std::span<const std::uint8_t> bcd);

}  // namespace tta
