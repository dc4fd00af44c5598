#include "tta/core/time_util.hpp"

#include <cstdio>
#include <string>

namespace tta {
namespace {
// The years from_civil takes. WallTime counts nanoseconds in 64 bits, which reach 1677-2262
// only, so a year out there would overflow it rather than fail.
constexpr int kMinCivilYear = 1900;
constexpr int kMaxCivilYear = 2200;
}  // namespace

CivilTime to_civil(WallTime t, std::chrono::seconds offset) {
  using namespace std::chrono;
  const auto local = floor<seconds>(t) + offset;
  const auto day_point = floor<days>(local);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{local - day_point};
  return CivilTime{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day())),
                   static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                   static_cast<int>(hms.seconds().count())};
}

Result<WallTime> from_civil(const CivilTime& c, std::chrono::seconds offset) {
  using namespace std::chrono;
  if (c.year < kMinCivilYear || c.year > kMaxCivilYear) {
    return fail(Errc::invalid_argument, "year " + std::to_string(c.year) + " is outside " +
                                            std::to_string(kMinCivilYear) + "-" +
                                            std::to_string(kMaxCivilYear));
  }
  const year_month_day ymd{year{c.year}, month{static_cast<unsigned>(c.month)},
                           day{static_cast<unsigned>(c.day)}};
  if (!ymd.ok()) return fail(Errc::invalid_argument, "no such date");
  if (c.hour < 0 || c.hour > 23 || c.minute < 0 || c.minute > 59 || c.second < 0 ||
      c.second > 59) {
    return fail(Errc::invalid_argument, "no such time of day");
  }
  const auto local = sys_days{ymd} + hours{c.hour} + minutes{c.minute} + seconds{c.second};
  return WallTime{local - offset};
}

std::string iso8601_utc(WallTime t) {
  using namespace std::chrono;
  const CivilTime c = to_civil(t, seconds{0});
  const auto ms = duration_cast<milliseconds>(t - floor<seconds>(t)).count();
  char buf[40];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day,
                  c.hour, c.minute, c.second);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                  c.hour, c.minute, c.second, static_cast<int>(ms));
  }
  return buf;
}

}  // namespace tta
