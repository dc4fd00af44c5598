#include "tta/core/ids.hpp"

#include <array>
#include <chrono>
#include <utility>

namespace tta {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

int two_digits(std::string_view s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kLicenceCodes{{
    {"A1", "01"}, {"A2", "02"}, {"A3", "03"}, {"B1", "11"}, {"B2", "12"}, {"C1", "21"},
    {"C2", "22"}, {"C3", "23"}, {"C4", "24"}, {"C5", "25"}, {"D", "31"},  {"E", "32"},
    {"F", "33"},  {"M", "41"},  {"N", "42"},  {"P", "43"},
}};

}  // namespace

Status validate_national_number(std::string_view s) {
  if (s.size() != 16) {
    return fail(Errc::invalid_argument,
                "national number must be 16 characters, got " + std::to_string(s.size()));
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_digit(s[i]) && !is_upper(s[i])) {
      return fail(Errc::invalid_argument, "national number has a character that is not a digit "
                                          "or an upper-case letter at position " +
                                              std::to_string(i + 1));
    }
  }
  return ok();
}

Status validate_id_card(std::string_view s) {
  if (s.size() != 18) {
    return fail(Errc::invalid_argument,
                "ID-card number must be 18 characters, got " + std::to_string(s.size()));
  }
  static constexpr std::array<int, 17> kWeights{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr std::string_view kCheck = "10X98765432";
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    if (!is_digit(s[i])) {
      return fail(Errc::invalid_argument,
                  "ID-card number has a non-digit at position " + std::to_string(i + 1));
    }
    sum += (s[i] - '0') * kWeights[i];
  }
  const char expected = kCheck[static_cast<std::size_t>(sum % 11)];
  const char got = s[17] == 'x' ? 'X' : s[17];
  if (got != expected) {
    return fail(Errc::invalid_argument, std::string("ID-card check character is '") + s[17] +
                                            "', the checksum gives '" + expected + "'");
  }
  using namespace std::chrono;
  const int yyyy = two_digits(s, 6) * 100 + two_digits(s, 8);
  const year_month_day birth{year{yyyy}, month{static_cast<unsigned>(two_digits(s, 10))},
                             day{static_cast<unsigned>(two_digits(s, 12))}};
  if (!birth.ok() || yyyy < 1900) {
    return fail(Errc::invalid_argument, "ID-card number holds no valid birth date");
  }
  return ok();
}

std::optional<std::string_view> licence_class_code(std::string_view licence_class) {
  for (const auto& [cls, code] : kLicenceCodes) {
    if (cls == licence_class) return code;
  }
  return std::nullopt;
}

std::string CourseCode::digits() const {
  std::string out;
  out.reserve(10);
  out += static_cast<char>('0' + static_cast<int>(mode));
  out += licence_code;
  out += static_cast<char>('0' + part);
  out += static_cast<char>('0' + item / 10);
  out += static_cast<char>('0' + item % 10);
  out += "0000";
  return out;
}

Result<CourseCode> CourseCode::parse(std::string_view d) {
  if (d.size() != 10) {
    return fail(Errc::invalid_argument, "course code must be 10 digits, got " +
                                            std::to_string(d.size()) + " characters");
  }
  for (char c : d) {
    if (!is_digit(c)) return fail(Errc::invalid_argument, "course code must be digits only");
  }
  CourseCode cc;
  const int mode = d[0] - '0';
  if (mode < 1 || mode > 4) {
    return fail(Errc::invalid_argument, "course code teaching mode (digit 1) must be 1-4");
  }
  cc.mode = static_cast<TeachingMode>(mode);
  cc.licence_code = std::string(d.substr(1, 2));
  bool known = false;
  for (const auto& entry : kLicenceCodes) known = known || entry.second == cc.licence_code;
  if (!known) {
    return fail(Errc::invalid_argument,
                "course code licence class (digits 2-3) '" + cc.licence_code + "' is unknown");
  }
  const int part = d[3] - '0';
  if (part < 1 || part > 4) {
    return fail(Errc::invalid_argument, "course code part (digit 4) must be 1-4");
  }
  cc.part = static_cast<std::uint8_t>(part);
  cc.item = static_cast<std::uint8_t>(two_digits(d, 4));
  if (d.substr(6) != "0000") {
    return fail(Errc::invalid_argument, "course code digits 7-10 must be 0000");
  }
  return cc;
}

}  // namespace tta
