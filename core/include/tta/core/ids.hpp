#pragma once
/// Identifiers of the driving-training domain and their validation
/// (terminal-protocol.md §2.3).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tta/core/result.hpp"

namespace tta {

/// A 16-character national number (coach, student, terminal, institution):
/// ASCII digits and upper-case letters.
[[nodiscard]] Status validate_national_number(std::string_view s);

/// An 18-character resident ID-card number (GB 11643-1999): 17 digits, a check character
/// (digit or 'X') that matches the ISO 7064 MOD 11-2 checksum, and a real birth date.
[[nodiscard]] Status validate_id_card(std::string_view s);

/// Licence classes with their two-digit protocol codes (A1 → "01", C1 → "21" …).
/// Returns nullopt for an unknown class.
[[nodiscard]] std::optional<std::string_view> licence_class_code(std::string_view licence_class);

/// Teaching mode, the first digit of a course code.
enum class TeachingMode : std::uint8_t { vehicle = 1, classroom = 2, simulator = 3, remote = 4 };

/// A 10-digit course code: mode, licence class code, part, item, "0000".
struct CourseCode {
  TeachingMode mode = TeachingMode::vehicle;
  std::string licence_code;  ///< two digits, e.g. "21" for C1
  std::uint8_t part = 1;     ///< syllabus part 1..4
  std::uint8_t item = 0;     ///< item 00..99

  /// The 10 digits, e.g. "1212110000".
  [[nodiscard]] std::string digits() const;
  /// Parse and check 10 digits.
  [[nodiscard]] static Result<CourseCode> parse(std::string_view digits);
};

}  // namespace tta
