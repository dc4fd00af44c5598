#pragma once
/// Whole-log analysis for `tta-agent gnss-replay` and the golden tests: decode a captured log as
/// fast as possible and run the odometer, fences and plausibility monitor over its fixes.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/gps/fix.hpp"
#include "tta/gps/geo.hpp"
#include "tta/gps/odometer.hpp"
#include "tta/gps/plausibility.hpp"

namespace tta::gps {

/// What a log contained.
struct ReplaySummary {
  DecodeStats decode;                  ///< lexer/parser counters (sentences, bad_checksum, …)
  std::uint64_t good_fixes = 0;        ///< fixes the odometer accepted as good
  std::uint64_t poor_quality = 0;      ///< fixes rejected for HDOP or satellite count
  std::uint64_t stationary_steps = 0;  ///< steps ignored as drift
  std::uint64_t jumps = 0;             ///< steps rejected as jumps
  double distance_m = 0;
  std::optional<double> max_speed_kmh; ///< over good fixes
  std::optional<WallTime> first_fix_utc, last_fix_utc;  ///< good fixes, as transmitted
  std::optional<double> outside_fence_s;  ///< only when fences are configured
  std::uint64_t minutes = 0;           ///< UTC minutes with at least one fix
  std::uint64_t position_jumps = 0, frozen_fixes = 0, time_backwards = 0;
};

/// Incremental form, fed fix by fix.
class SummaryBuilder {
 public:
  explicit SummaryBuilder(const config::GpsConfig& cfg);
  void on_fix(const Fix& fix);
  /// Finish with the decoder's counters.
  [[nodiscard]] ReplaySummary finish(const DecodeStats& decode);

 private:
  Odometer odometer_;
  PlausibilityMonitor plausibility_;
  MinuteAccumulator minutes_;
  std::optional<FenceMonitor> fences_;
  std::optional<Fix> prev_good_;
  bool prev_outside_ = false;
  ReplaySummary s_;
};

/// Outside time counts the UTC interval after a good fix outside every fence up to the next good
/// fix, when that interval is at most this long (a longer gap is unknown, not "outside").
inline constexpr double kMaxFenceGapS = 10.0;

/// Summarise a log held in memory (`#` lines are comments).
[[nodiscard]] ReplaySummary summarize_nmea(std::string_view bytes, const config::GpsConfig& cfg);
/// Summarise a log file, read in chunks. Fails with not_found/io when it cannot be read.
[[nodiscard]] Result<ReplaySummary> summarize_nmea_file(const std::filesystem::path& path,
                                                        const config::GpsConfig& cfg);

}  // namespace tta::gps
