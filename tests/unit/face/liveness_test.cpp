// The liveness decision over a check's frames (tta/face/liveness.hpp), on hand-made cues: the
// passive rule and both challenges, without the models.
#include <gtest/gtest.h>

#include <vector>

#include "tta/face/liveness.hpp"

namespace tta::face {
namespace {

FrameCue open_eyes(double score = 0.9) {
  return {.usable = true, .model_score = score, .eyes_open = true, .yaw_deg = 0.0};
}
FrameCue closed_eyes(double score = 0.9) {
  return {.usable = true, .model_score = score, .eyes_closed = true, .yaw_deg = 0.0};
}
FrameCue turned(double yaw) {  // past the pose gate: not usable, but its yaw counts
  return {.usable = false, .yaw_deg = yaw};
}

LivenessRule rule(Challenge c) { return {.challenge = c}; }

TEST(faceLiveness, NoUsableFrameIsInconclusiveAndDecidedByNothing) {
  const std::vector<FrameCue> none{{}, turned(45), {}};
  for (auto c : {Challenge::none, Challenge::blink, Challenge::turn}) {
    const auto r = judge_liveness(none, rule(c));
    EXPECT_EQ(r.outcome, Liveness::inconclusive) << to_string(c);
    EXPECT_EQ(r.decided_by, LivenessTest::none);
    EXPECT_EQ(r.frames, 0u);
    EXPECT_EQ(r.challenge, c);
    EXPECT_FALSE(describe_zh(r).empty());
  }
}

TEST(faceLiveness, ALowModelScoreIsASpoofWhateverTheChallengeSaw) {
  const std::vector<FrameCue> blink{open_eyes(0.2), closed_eyes(0.2), open_eyes(0.2)};
  const auto r = judge_liveness(blink, rule(Challenge::blink));
  EXPECT_TRUE(r.challenge_met) << "the blink was seen";
  EXPECT_EQ(r.outcome, Liveness::spoof);
  EXPECT_EQ(r.decided_by, LivenessTest::model);
  EXPECT_NEAR(r.model_score, 0.2, 1e-9);
  EXPECT_EQ(describe(r), "this does not look like a live face: no photos or screens, please");
}

TEST(faceLiveness, PassiveRuleTakesAHalfBlinkOrNaturalMotion) {
  const std::vector<FrameCue> half{open_eyes(), closed_eyes()};
  auto r = judge_liveness(half, rule(Challenge::none));
  EXPECT_EQ(r.outcome, Liveness::live);
  EXPECT_EQ(r.decided_by, LivenessTest::passive);
  EXPECT_TRUE(r.blink);
  EXPECT_TRUE(describe(r).empty());

  std::vector<FrameCue> moving{open_eyes(), open_eyes(), open_eyes()};
  moving[1].motion = 0.02;
  moving[2].motion = 0.03;
  r = judge_liveness(moving, rule(Challenge::none));
  EXPECT_EQ(r.outcome, Liveness::live);
  EXPECT_NEAR(r.motion, 0.03, 1e-9) << "the median of the two motions (upper)";

  std::vector<FrameCue> still{open_eyes(), open_eyes(), open_eyes()};
  still[1].motion = 0.003;  // a photo moved by hand: rigid motion only
  still[2].motion = 0.004;
  r = judge_liveness(still, rule(Challenge::none));
  EXPECT_EQ(r.outcome, Liveness::inconclusive);
  EXPECT_EQ(r.decided_by, LivenessTest::passive);

  std::vector<FrameCue> jump{open_eyes(), open_eyes()};
  jump[1].motion = 0.4;  // another face, or a cut: beyond the band
  EXPECT_EQ(judge_liveness(jump, rule(Challenge::none)).outcome, Liveness::inconclusive);
}

TEST(faceLiveness, BlinkChallengeNeedsOpenClosedOpenInThatOrder) {
  const std::vector<FrameCue> full{open_eyes(), open_eyes(), closed_eyes(), open_eyes()};
  auto r = judge_liveness(full, rule(Challenge::blink));
  EXPECT_TRUE(r.challenge_met);
  EXPECT_EQ(r.outcome, Liveness::live);
  EXPECT_EQ(r.decided_by, LivenessTest::blink);

  // Half a blink passes the passive rule, not the challenge.
  const std::vector<FrameCue> half{open_eyes(), closed_eyes()};
  r = judge_liveness(half, rule(Challenge::blink));
  EXPECT_FALSE(r.challenge_met);
  EXPECT_EQ(r.outcome, Liveness::inconclusive);
  EXPECT_EQ(describe_zh(r), "没有看到眨眼：请看摄像头，眨一下眼");

  // Closed, open, closed is not a blink of open eyes; motion does not stand in for it.
  std::vector<FrameCue> wrong{closed_eyes(), open_eyes(), closed_eyes()};
  wrong[1].motion = 0.05;
  wrong[2].motion = 0.05;
  EXPECT_FALSE(judge_liveness(wrong, rule(Challenge::blink)).challenge_met);

  // Unusable frames in between (a blurred one) do not break the sequence.
  const std::vector<FrameCue> gaps{open_eyes(), {}, closed_eyes(), {}, open_eyes()};
  EXPECT_TRUE(judge_liveness(gaps, rule(Challenge::blink)).challenge_met);
}

TEST(faceLiveness, TurnChallengeNeedsTheYawSpanTurnedFramesIncluded) {
  std::vector<FrameCue> turn{open_eyes(), turned(-12.0), turned(-24.0), open_eyes()};
  auto r = judge_liveness(turn, rule(Challenge::turn));
  EXPECT_NEAR(r.yaw_span_deg, 24.0, 1e-9);
  EXPECT_TRUE(r.challenge_met);
  EXPECT_EQ(r.outcome, Liveness::live);
  EXPECT_EQ(r.decided_by, LivenessTest::turn);
  EXPECT_EQ(r.frames, 2u) << "turned frames are not usable faces";

  std::vector<FrameCue> small{open_eyes(), turned(8.0), open_eyes()};
  r = judge_liveness(small, rule(Challenge::turn));
  EXPECT_FALSE(r.challenge_met);
  EXPECT_EQ(r.outcome, Liveness::inconclusive);
  EXPECT_EQ(describe(r), "no head turn seen: turn your head to one side, then back");

  LivenessRule lenient = rule(Challenge::turn);
  lenient.turn_min_deg = 8;
  EXPECT_TRUE(judge_liveness(small, lenient).challenge_met);
}

TEST(faceLiveness, ChallengeCodesParseAndEachHasAPrompt) {
  for (auto c : {Challenge::none, Challenge::blink, Challenge::turn}) {
    auto parsed = parse_challenge(to_string(c));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, c);
    EXPECT_EQ(prompt(c).empty(), c == Challenge::none);
    EXPECT_EQ(prompt_zh(c).empty(), c == Challenge::none);
  }
  EXPECT_FALSE(parse_challenge("wink"));
  EXPECT_FALSE(parse_challenge(""));
}

}  // namespace
}  // namespace tta::face
