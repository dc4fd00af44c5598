#pragma once
/// Source URIs as the configuration names inputs: `scheme://path?key=value&key=value`
/// (GNSS sources in gps/, vehicle signal sources in vehicle/). One parser for both; each
/// module then checks its own schemes and what the path must be.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "tta/core/result.hpp"

namespace tta {

/// A parsed `scheme://path?query` URI. Nothing is decoded: no %-escapes, no `+`.
struct Uri {
  std::string scheme;  ///< before "://": letters, digits, '+', '-', '.'; starts with a letter
  std::string path;    ///< between "://" and the first '?', as written (may be empty)
  std::map<std::string, std::string, std::less<>> query;  ///< key=value pairs after '?'

  /// A whole-number query value (decimal digits only), `fallback` when the key is absent.
  /// Errc::invalid_argument when present and not a whole number (empty, sign, overflow).
  [[nodiscard]] Result<std::uint64_t> number(std::string_view key, std::uint64_t fallback) const;

  friend bool operator==(const Uri&, const Uri&) = default;
};

/// Parse `text`. `what` names the input in errors ("GNSS source", "vehicle source").
/// Errc::invalid_argument when there is no "scheme://", the scheme is not one, a query item
/// is not key=value with a non-empty key, or a key comes twice.
[[nodiscard]] Result<Uri> parse_uri(std::string_view text, std::string_view what);

}  // namespace tta
