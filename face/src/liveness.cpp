#include "tta/face/liveness.hpp"

#include <algorithm>
#include <vector>

namespace tta::face {

std::string_view to_string(Challenge c) noexcept {
  switch (c) {
    case Challenge::none:
      return "none";
    case Challenge::blink:
      return "blink";
    case Challenge::turn:
      return "turn";
  }
  return "none";
}

Result<Challenge> parse_challenge(std::string_view s) {
  for (auto c : {Challenge::none, Challenge::blink, Challenge::turn}) {
    if (s == to_string(c)) return c;
  }
  return fail(Errc::invalid_argument,
              "liveness challenge \"" + std::string(s) + "\": expected none, blink or turn");
}

std::string_view prompt(Challenge c) noexcept {
  switch (c) {
    case Challenge::none:
      return "";
    case Challenge::blink:
      return "look at the camera and blink once";
    case Challenge::turn:
      return "look at the camera, turn your head to one side, then back";
  }
  return "";
}

std::string_view prompt_zh(Challenge c) noexcept {
  switch (c) {
    case Challenge::none:
      return "";
    case Challenge::blink:
      return "请看摄像头，眨一下眼";
    case Challenge::turn:
      return "请看摄像头，把头转向一侧，再转回来";
  }
  return "";
}

std::string_view to_string(Liveness l) noexcept {
  switch (l) {
    case Liveness::live:
      return "live";
    case Liveness::spoof:
      return "spoof";
    case Liveness::inconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

std::string_view to_string(LivenessTest t) noexcept {
  switch (t) {
    case LivenessTest::none:
      return "none";
    case LivenessTest::model:
      return "model";
    case LivenessTest::passive:
      return "passive";
    case LivenessTest::blink:
      return "blink";
    case LivenessTest::turn:
      return "turn";
  }
  return "none";
}

std::string_view describe(const LivenessResult& r) noexcept {
  if (r.outcome == Liveness::live) return "";
  switch (r.decided_by) {
    case LivenessTest::none:
      return "no usable face in view: look at the camera";
    case LivenessTest::model:
      return "this does not look like a live face: no photos or screens, please";
    case LivenessTest::passive:
      return "no natural movement seen: look at the camera and blink";
    case LivenessTest::blink:
      return "no blink seen: look at the camera and blink once";
    case LivenessTest::turn:
      return "no head turn seen: turn your head to one side, then back";
  }
  return "not live";
}

std::string_view describe_zh(const LivenessResult& r) noexcept {
  if (r.outcome == Liveness::live) return "";
  switch (r.decided_by) {
    case LivenessTest::none:
      return "没有看到清楚的人脸：请看摄像头";
    case LivenessTest::model:
      return "看起来不是真人：请勿使用照片或屏幕";
    case LivenessTest::passive:
      return "没有看到自然的动作：请看摄像头并眨眼";
    case LivenessTest::blink:
      return "没有看到眨眼：请看摄像头，眨一下眼";
    case LivenessTest::turn:
      return "没有看到转头：请把头转向一侧，再转回来";
  }
  return "活体检测未通过";
}

namespace {

/// Open, then closed, then open again, in this order among the usable frames.
bool full_blink(std::span<const FrameCue> frames) {
  int stage = 0;  // 0: waiting for open, 1: for closed, 2: for open again
  for (const auto& f : frames) {
    if (!f.usable) continue;
    if (stage == 0 && f.eyes_open) stage = 1;
    else if (stage == 1 && f.eyes_closed) stage = 2;
    else if (stage == 2 && f.eyes_open) return true;
  }
  return false;
}

}  // namespace

LivenessResult judge_liveness(std::span<const FrameCue> frames, const LivenessRule& rule) {
  LivenessResult r;
  r.challenge = rule.challenge;
  double score_sum = 0;
  bool seen_open = false, seen_closed = false;
  std::vector<double> motions;
  std::optional<double> yaw_min, yaw_max;
  for (const auto& f : frames) {
    if (f.yaw_deg) {
      yaw_min = std::min(yaw_min.value_or(*f.yaw_deg), *f.yaw_deg);
      yaw_max = std::max(yaw_max.value_or(*f.yaw_deg), *f.yaw_deg);
    }
    if (!f.usable) continue;
    ++r.frames;
    score_sum += f.model_score;
    if ((f.eyes_open && seen_closed) || (f.eyes_closed && seen_open)) r.blink = true;
    seen_open = seen_open || f.eyes_open;
    seen_closed = seen_closed || f.eyes_closed;
    if (f.motion) motions.push_back(*f.motion);
  }
  if (yaw_min) r.yaw_span_deg = *yaw_max - *yaw_min;
  if (!motions.empty()) {
    const auto mid = motions.begin() + static_cast<std::ptrdiff_t>(motions.size() / 2);
    std::nth_element(motions.begin(), mid, motions.end());
    r.motion = *mid;
  }
  if (r.frames == 0) {
    r.outcome = Liveness::inconclusive;
    r.decided_by = LivenessTest::none;
    return r;
  }
  r.model_score = score_sum / r.frames;
  switch (rule.challenge) {
    case Challenge::blink:
      r.challenge_met = full_blink(frames);
      r.decided_by = LivenessTest::blink;
      break;
    case Challenge::turn:
      r.challenge_met = r.yaw_span_deg >= rule.turn_min_deg;
      r.decided_by = LivenessTest::turn;
      break;
    case Challenge::none:
      r.challenge_met = false;
      r.decided_by = LivenessTest::passive;
      break;
  }
  const bool moved = r.motion >= rule.min_motion && r.motion <= rule.max_motion;
  const bool passed = rule.challenge == Challenge::none ? (r.blink || moved) : r.challenge_met;
  if (r.model_score < rule.model_threshold) {
    r.outcome = Liveness::spoof;
    r.decided_by = LivenessTest::model;
  } else {
    r.outcome = passed ? Liveness::live : Liveness::inconclusive;
  }
  return r;
}

}  // namespace tta::face
