#include <gtest/gtest.h>

#include "tta/face/eval.hpp"

namespace tta::face {
namespace {

TEST(facePairs, ParsesLinesCommentsAndBlankLines) {
  auto p = parse_pairs("# header\n\na/1.jpg\tb/2.jpg same\r\n  c.jpg d.jpg   diff\n");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->size(), 2U);
  EXPECT_EQ((*p)[0].enrolled, "a/1.jpg");
  EXPECT_EQ((*p)[0].probe, "b/2.jpg");
  EXPECT_TRUE((*p)[0].same);
  EXPECT_EQ((*p)[0].line, 3U);
  EXPECT_FALSE((*p)[1].same);
  EXPECT_EQ((*p)[1].line, 4U);
}

TEST(facePairs, BadLinesNameTheirLine) {
  struct Case {
    const char* text;
    const char* where;
  };
  for (const Case& c : {Case{"a b same\na b\n", "line 2"}, Case{"a b maybe\n", "line 1"},
                        Case{"a b same extra\n", "line 1"}, Case{"x y SAME", "line 1"}}) {
    auto p = parse_pairs(c.text);
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().code, Errc::parse);
    EXPECT_NE(p.error().message.find(c.where), std::string::npos) << p.error().message;
  }
  EXPECT_TRUE(parse_pairs("")->empty());
}

TEST(faceRates, FarAndFrrAtAThreshold) {
  ScoreSet s{{0.9, 0.8, 0.7, 0.3}, {0.1, 0.2, 0.35, 0.75}};
  auto r = rates_at(s, 0.5);
  EXPECT_DOUBLE_EQ(r.far, 0.25);  // 0.75 accepted
  EXPECT_DOUBLE_EQ(r.frr, 0.25);  // 0.3 rejected
  auto strict = rates_at(s, 0.8);
  EXPECT_DOUBLE_EQ(strict.far, 0.0);
  EXPECT_DOUBLE_EQ(strict.frr, 0.5);
  EXPECT_DOUBLE_EQ(rates_at(ScoreSet{}, 0.5).far, 0.0);
}

TEST(faceRates, ThresholdForTargetFarIsJustAboveTheAllowedImpostors) {
  ScoreSet s;
  for (int i = 0; i < 1000; ++i)
    s.impostor.push_back(i / 1000.0 * 0.5);  // 0 .. 0.4995
  s.genuine = {0.45, 0.6, 0.9};
  auto r = threshold_for_far(s, 0.001);  // one impostor of 1000 may pass
  EXPECT_LE(r.far, 0.001);
  EXPECT_GT(r.threshold, 0.4990);
  EXPECT_LE(r.threshold, 0.4995);
  EXPECT_DOUBLE_EQ(r.far, 0.001);
  auto zero = threshold_for_far(s, 0.0);
  EXPECT_DOUBLE_EQ(zero.far, 0.0);
  EXPECT_GT(zero.threshold, 0.4995);
  EXPECT_NEAR(zero.frr, 1.0 / 3.0, 1e-12);
}

TEST(faceDistribution, PercentilesByNearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i)
    v.push_back(i);
  EXPECT_DOUBLE_EQ(percentile(v, 95), 95);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 50);
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile({}, 50), 0);
  auto d = describe_scores(v);
  EXPECT_EQ(d.count, 100U);
  EXPECT_DOUBLE_EQ(d.mean, 50.5);
  EXPECT_DOUBLE_EQ(d.max, 100);
}

}  // namespace
}  // namespace tta::face
