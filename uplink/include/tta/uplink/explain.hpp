#pragma once
/// Field-by-field explanation of a frame, for `tta-agent decode`, logs and the platform
/// simulator: header fields, then every body field by name (snake_case English, units in the
/// names: `latitude_deg`, `max_speed_km_h`, `mileage_km`), with the inner message of 0x0900 /
/// 0x8900 extension frames. IDs, phone and course codes are digit strings, GBK text is UTF-8.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/uplink/frame.hpp"

namespace tta::uplink {

/// One named value or group in an explanation tree.
struct ExplainedField {
  enum class Kind : std::uint8_t { null, boolean, integer, real, text, object, array };
  std::string name;
  Kind kind = Kind::null;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  int decimals = 0;  ///< digits after the point when printing `real`
  std::string text;
  std::string note;  ///< meaning of a code ("ok"), message names; empty when none
  std::vector<ExplainedField> children;  ///< members of an object or elements of an array
};

/// Explain one wire frame `7E … 7E`. Fails (with the same one-line reasons as decode_frame,
/// or the body decoder's) when the frame or its body is malformed.
[[nodiscard]] Result<ExplainedField> explain_frame(std::span<const std::uint8_t> wire);

/// Explain an already decoded frame (e.g. a reassembled message).
[[nodiscard]] Result<ExplainedField> explain_decoded(const Frame& frame);

/// Human-readable text: one `name  value` line per field, names aligned per group, groups
/// indented by two spaces; long text and hex are shortened.
[[nodiscard]] std::string format_explanation(const ExplainedField& root);

}  // namespace tta::uplink
