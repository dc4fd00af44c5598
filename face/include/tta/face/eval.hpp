#pragma once
/// Threshold calibration: pairs files and error-rate statistics for `tta-agent face-eval`.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
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

/// Impostor comparisons needed before a FAR of `target_far` can be shown at all: with no false
/// accept in n trials the 95 % upper bound on the FAR is about 3 / n ("rule of three").
[[nodiscard]] std::size_t impostors_needed(double target_far) noexcept;

/// One identity of a face set and its images (paths), in sorted order.
struct Identity {
  std::string name;
  std::vector<std::string> images;
};

/// A face set laid out as DIR/<identity>/<image> (.jpg, .jpeg, .png, .pgm, .ppm; other files and
/// deeper folders are ignored), identities and images sorted by name. Errc::not_found when DIR
/// is not a folder, Errc::invalid_argument when it holds no image in an identity folder.
[[nodiscard]] Result<std::vector<Identity>> list_face_set(const std::filesystem::path& dir);

/// Every unordered pair of images of a set, in order: same-identity pairs are genuine.
[[nodiscard]] std::vector<Pair> all_pairs(const std::vector<Identity>& set);

/// The terminal protocol: how a terminal enrols and checks, simulated over a face set.
///
/// Enrolment from k images: the template is the mean of the usable images' L2-normalised
/// embeddings, normalised again (FaceEngine::enrol); refused when fewer than half of the k (or
/// none) are usable. A check over n probe images accepts when the best score of its usable
/// images is at or above the threshold (FaceEngine::check); with no usable image it is refused.
/// Per identity with m >= k + n images, for every rotation r the enrolment images are
/// r .. r+k-1 (cyclically) and every window of n consecutive images after them that does not
/// wrap into them is a genuine check; every window of n consecutive images (cyclically) of
/// every other identity with m >= n is an impostor check against that template.
struct TerminalProtocol {
  std::size_t enrol_k = 2;
  std::size_t probe_n = 3;
};

/// One image's embedding (L2-normalised), or nullopt when the quality gate refused it.
using MaybeEmbedding = std::optional<std::vector<float>>;

struct TerminalResult {
  /// Best-of-n scores per check. A refused check (no usable probe image) is scored -2, below
  /// any threshold: it is a reject for genuine checks and never an accept for impostors.
  ScoreSet scores;
  std::size_t templates = 0;         ///< enrolments built
  std::size_t enrol_refused = 0;     ///< enrolments refused (their checks are not run)
  std::size_t genuine_refused = 0;   ///< genuine checks with no usable probe image
  std::size_t impostor_refused = 0;  ///< impostor checks with no usable probe image
};

/// Run the protocol over a set's embeddings (`embeddings[i][j]` is image j of identity i).
/// Errc::invalid_argument for k or n of 0, or embeddings of different sizes.
[[nodiscard]] Result<TerminalResult> run_terminal_protocol(
    const std::vector<std::vector<MaybeEmbedding>>& embeddings, const TerminalProtocol& p);

/// The windows of n consecutive indices (cyclic) starting at each of 0..m-1; none when m < n.
[[nodiscard]] std::vector<std::vector<std::size_t>> probe_windows(std::size_t m, std::size_t n);

}  // namespace tta::face
