#pragma once
/// Threshold calibration: pairs files and error-rate statistics for `tta-agent face-eval`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"

namespace tta::face {

/// One line of a pairs file: `enrolled.jpg probe.jpg same|diff`.
struct Pair {
  std::string enrolled;
  std::string probe;
  bool same = false;
  std::uint32_t line = 0;  ///< 1-based line in the file
};

/// Parse a pairs file. Blank lines and lines starting with '#' are skipped; fields are separated
/// by spaces or tabs (paths therefore contain neither). Errc::parse naming the line otherwise.
[[nodiscard]] Result<std::vector<Pair>> parse_pairs(std::string_view text);

/// Scores of a run, split by ground truth.
struct ScoreSet {
  std::vector<double> genuine;   ///< same-person scores
  std::vector<double> impostor;  ///< different-person scores
};

/// Error rates at one threshold (a score >= threshold is a match).
struct Rates {
  double threshold = 0;
  double far = 0;  ///< impostor pairs accepted / impostor pairs (0 when there are none)
  double frr = 0;  ///< genuine pairs rejected / genuine pairs (0 when there are none)
};
[[nodiscard]] Rates rates_at(const ScoreSet& s, double threshold);

/// The lowest threshold whose FAR is at most `target_far` (then the FRR there).
[[nodiscard]] Rates threshold_for_far(const ScoreSet& s, double target_far);

/// Summary of a distribution.
struct Distribution {
  std::size_t count = 0;
  double min = 0, p5 = 0, median = 0, mean = 0, p95 = 0, max = 0;
};
[[nodiscard]] Distribution describe_scores(std::vector<double> values);

/// The p-th percentile (0..100, nearest rank) of values; 0 for none.
[[nodiscard]] double percentile(std::vector<double> values, double p);

}  // namespace tta::face
