#pragma once
/// Calendar conversions for stamping records; no time-zone database needed.

#include <chrono>
#include <string>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"

namespace tta {

/// China Standard Time, the protocol's local time (no daylight saving).
inline constexpr std::chrono::seconds kChinaUtcOffset{8 * 3600};

/// Broken-down calendar time.
struct CivilTime {
  int year = 1970;
  int month = 1;   ///< 1..12
  int day = 1;     ///< 1..31
  int hour = 0;    ///< 0..23
  int minute = 0;  ///< 0..59
  int second = 0;  ///< 0..59
};

/// Calendar time at `offset` from UTC for an instant (truncated to whole seconds).
[[nodiscard]] CivilTime to_civil(WallTime t, std::chrono::seconds offset);

/// The instant of a calendar time at `offset` from UTC; fails on an impossible date or time.
[[nodiscard]] Result<WallTime> from_civil(const CivilTime& c, std::chrono::seconds offset);

/// ISO 8601 UTC with a 'Z', e.g. "2026-11-27T15:30:00Z" (milliseconds shown when non-zero).
[[nodiscard]] std::string iso8601_utc(WallTime t);

}  // namespace tta
