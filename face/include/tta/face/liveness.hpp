#pragma once
/// Liveness across the frames of one check: the passive rule (the model's score and a blink or
/// natural motion) and the active challenges a screen asks for (blink, turn the head). The
/// decision is a pure function of per-frame cues, so it is tested without models
/// (tests/unit/face/liveness_test.cpp); FaceEngine::check measures the cues.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tta/core/result.hpp"

namespace tta::face {

/// What the person in front of the camera is asked to do during a check.
enum class Challenge : std::uint8_t {
  none,   ///< nothing: the passive rule decides
  blink,  ///< blink once: eyes open, then closed, then open again within the check
  turn,   ///< turn the head to one side and back: a yaw span of turn_min_deg or more
};
/// Stable code: "none", "blink", "turn".
[[nodiscard]] std::string_view to_string(Challenge c) noexcept;
/// Errc::invalid_argument for anything but the three codes.
[[nodiscard]] Result<Challenge> parse_challenge(std::string_view s);
/// What the screen and voice say before the frames are taken (empty for none).
[[nodiscard]] std::string_view prompt(Challenge c) noexcept;
[[nodiscard]] std::string_view prompt_zh(Challenge c) noexcept;

/// Liveness verdict of a check.
enum class Liveness : std::uint8_t {
  live,          ///< the model says live and the deciding test was passed
  spoof,         ///< the model says not live
  inconclusive,  ///< the model says live, but the deciding test was not passed (or no usable frame)
};
[[nodiscard]] std::string_view to_string(Liveness l) noexcept;

/// Which test decided a check's liveness.
enum class LivenessTest : std::uint8_t {
  none,     ///< no frame had a usable face: nothing could be tested
  model,    ///< the liveness model's mean score was under the threshold (spoof)
  passive,  ///< no challenge: a blink or natural motion seen, or not
  blink,    ///< the blink challenge
  turn,     ///< the head-turn challenge
};
[[nodiscard]] std::string_view to_string(LivenessTest t) noexcept;

/// Liveness evidence of a check.
struct LivenessResult {
  Liveness outcome = Liveness::inconclusive;
  LivenessTest decided_by = LivenessTest::none;
  Challenge challenge = Challenge::none;  ///< what was asked for
  bool challenge_met = false;             ///< the challenge's action was seen (false for none)
  double model_score = 0;    ///< mean liveness-model probability of "live" over usable frames
  bool blink = false;        ///< eyes seen open, then closed (or the reverse), across frames
  double motion = 0;         ///< median landmark displacement between frames / face size
  double yaw_span_deg = 0;   ///< largest minus smallest head yaw over frames with landmarks
  std::uint32_t frames = 0;  ///< frames with a usable face
};

/// Why a check was not live, for the person at the screen ("please blink once", "请眨一下眼");
/// empty when it was.
[[nodiscard]] std::string_view describe(const LivenessResult& r) noexcept;
[[nodiscard]] std::string_view describe_zh(const LivenessResult& r) noexcept;

/// What one frame of a check showed.
struct FrameCue {
  bool usable = false;        ///< the face passed the quality gate (the cues below are measured)
  double model_score = 0;     ///< liveness-model probability of "live"
  bool eyes_open = false;     ///< both eyes open
  bool eyes_closed = false;   ///< both eyes closed
  std::optional<double> motion;   ///< non-rigid landmark motion since the previous usable frame
  std::optional<double> yaw_deg;  ///< head yaw, for any frame with landmarks (turned ones too)
};

/// The rule's tunables (EngineOptions carries them).
struct LivenessRule {
  double model_threshold = 0.5;  ///< mean model score below which a check is a spoof
  double min_motion = 0.012;     ///< natural motion band (EVAL.md "Liveness")
  double max_motion = 0.25;
  double turn_min_deg = 20;      ///< yaw span the turn challenge needs
  Challenge challenge = Challenge::none;
};

/// The decision over a check's frames, in the order they were taken:
/// - no usable frame: inconclusive (decided by none);
/// - mean model score of the usable frames under the threshold: spoof (model);
/// - a challenge: live when its action is seen, else inconclusive (blink / turn); a blink
///   challenge needs open, closed, open in that order; the turn challenge a yaw span of
///   turn_min_deg over the frames;
/// - no challenge: live when a blink (open then closed, or the reverse) or motion in the band is
///   seen, else inconclusive (passive).
[[nodiscard]] LivenessResult judge_liveness(std::span<const FrameCue> frames,
                                            const LivenessRule& rule);

}  // namespace tta::face
