#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "face_support.hpp"
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

TEST(faceEvalSet, ImpostorsNeededFollowTheRuleOfThree) {
  EXPECT_EQ(impostors_needed(0.0001), 30000U);
  EXPECT_EQ(impostors_needed(0.001), 3000U);
  EXPECT_EQ(impostors_needed(0.5), 6U);
  EXPECT_EQ(impostors_needed(0.0), 0U);
}

TEST(faceEvalSet, ListsIdentityFoldersAndTheirImagesSorted) {
  namespace fs = std::filesystem;
  const auto dir = testing::temp_dir("faceset");
  for (const char* f : {"bob/2.jpg", "bob/1.PGM", "bob/notes.txt", "alice/x.png", "carol/deeper/y.jpg"}) {
    fs::create_directories((dir / f).parent_path());
    std::ofstream(dir / f) << "x";
  }
  std::ofstream(dir / "loose.jpg") << "x";  // not in an identity folder
  auto set = list_face_set(dir);
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->size(), 2U);  // carol has no image of her own
  EXPECT_EQ((*set)[0].name, "alice");
  EXPECT_EQ((*set)[1].name, "bob");
  ASSERT_EQ((*set)[1].images.size(), 2U);
  EXPECT_EQ(fs::path((*set)[1].images[0]).filename(), "1.PGM");
  EXPECT_EQ(fs::path((*set)[1].images[1]).filename(), "2.jpg");

  auto pairs = all_pairs(*set);
  ASSERT_EQ(pairs.size(), 3U);  // 3 images: 3 unordered pairs
  EXPECT_EQ(std::count_if(pairs.begin(), pairs.end(), [](const Pair& p) { return p.same; }), 1);

  auto missing = list_face_set(dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  auto empty = list_face_set(dir / "carol" / "deeper");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
  fs::remove_all(dir);
}

TEST(faceEvalSet, AllPairsCountsGenuineAndImpostors) {
  std::vector<Identity> set{{"a", {"a1", "a2", "a3"}}, {"b", {"b1", "b2"}}, {"c", {"c1"}}};
  const auto pairs = all_pairs(set);
  ASSERT_EQ(pairs.size(), 15U);  // C(6, 2)
  const auto genuine = std::count_if(pairs.begin(), pairs.end(), [](const Pair& p) { return p.same; });
  EXPECT_EQ(genuine, 3 + 1);  // C(3,2) + C(2,2)
  for (const auto& p : pairs)
    EXPECT_EQ(p.same, p.enrolled.front() == p.probe.front()) << p.enrolled << ' ' << p.probe;
}

TEST(faceTerminal, ProbeWindowsAreCyclic) {
  const auto w = probe_windows(5, 3);
  ASSERT_EQ(w.size(), 5U);
  EXPECT_EQ(w[0], (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(w[4], (std::vector<std::size_t>{4, 0, 1}));
  EXPECT_TRUE(probe_windows(2, 3).empty());
  EXPECT_TRUE(probe_windows(3, 0).empty());
}

// Unit vectors in 3-d: identity i's images point along axis i, with a small tilt.
std::vector<float> unit(double x, double y, double z) {
  const double n = std::sqrt(x * x + y * y + z * z);
  return {static_cast<float>(x / n), static_cast<float>(y / n), static_cast<float>(z / n)};
}

TEST(faceTerminal, CountsChecksAndTakesTheBestProbe) {
  // Three identities of 5 images; k = 2, n = 3: per rotation one genuine window (offset 2),
  // and 5 windows of each of the 2 others as impostors.
  std::vector<std::vector<MaybeEmbedding>> emb(3);
  for (int i = 0; i < 5; ++i) {
    emb[0].push_back(unit(1, 0.05 * i, 0));
    emb[1].push_back(unit(0.05 * i, 1, 0));
    emb[2].push_back(unit(0, 0.05 * i, 1));
  }
  // One image of identity 1 looks exactly like identity 0.
  emb[1][2] = unit(1, 0, 0);
  auto r = run_terminal_protocol(emb, {2, 3});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->templates, 15U);
  EXPECT_EQ(r->scores.genuine.size(), 15U);
  EXPECT_EQ(r->scores.impostor.size(), 15U * 10U);
  EXPECT_EQ(rates_at(r->scores, 0.75).frr, 0.0);
  // Against identity 0's 5 templates, the 3 windows of identity 1 holding its look-alike image
  // are accepted: best-of-n makes one look-alike image count three times.
  const auto accepted = std::count_if(r->scores.impostor.begin(), r->scores.impostor.end(),
                                      [](double s) { return s >= 0.9; });
  EXPECT_EQ(accepted, 5 * 3);
  // A single-image comparison accepts it once per image pair: far fewer.
  std::size_t single_accepted = 0, single_total = 0;
  for (const auto& a : emb[0]) {
    for (const auto& b : emb[1]) {
      double dot = 0;
      for (std::size_t d = 0; d < 3; ++d)
        dot += static_cast<double>((*a)[d]) * static_cast<double>((*b)[d]);
      single_accepted += dot >= 0.9 ? 1 : 0;
      ++single_total;
    }
  }
  EXPECT_EQ(single_accepted, 5U);
  EXPECT_GT(3.0 / 5.0, static_cast<double>(single_accepted) / static_cast<double>(single_total));
}

TEST(faceTerminal, UnusableImagesRefuseEnrolmentsAndChecks) {
  std::vector<std::vector<MaybeEmbedding>> emb(2);
  for (int i = 0; i < 5; ++i) {
    emb[0].push_back(unit(1, 0.05 * i, 0));
    emb[1].push_back(unit(0, 1, 0.05 * i));
  }
  // Identity 0: images 0 and 1 unusable -> the rotation enrolling from both is refused; the
  // rotation 3 (enrol 3, 4; probe 0, 1, 2) keeps image 2 and is not refused.
  emb[0][0].reset();
  emb[0][1].reset();
  // Identity 1: images 1..3 unusable -> its window 1,2,3 is a refused check (scored -2).
  emb[1][1].reset();
  emb[1][2].reset();
  emb[1][3].reset();
  auto r = run_terminal_protocol(emb, {2, 3});
  ASSERT_TRUE(r) << r.error().message;
  // Identity 0: rotation 0 (images 0, 1) refused; k = 2 needs one usable image otherwise.
  // Identity 1: rotations enrolling from (1,2) and (2,3) refused.
  EXPECT_EQ(r->templates, 4U + 3U);
  EXPECT_EQ(r->enrol_refused, 1U + 2U) << "identity 1's (1,2) and (2,3)";
  const auto refused = std::count(r->scores.impostor.begin(), r->scores.impostor.end(), -2.0);
  EXPECT_EQ(static_cast<std::size_t>(refused), r->impostor_refused);
  EXPECT_EQ(r->impostor_refused, 4U) << "identity 0's 4 templates see identity 1's window 1,2,3";
  EXPECT_EQ(r->genuine_refused, 1U) << "identity 1 enrolled from 4, 0 probes with 1, 2, 3";
  EXPECT_NEAR(rates_at(r->scores, -1.0).far,
              1.0 - 4.0 / static_cast<double>(r->scores.impostor.size()), 1e-12);
}

TEST(faceTerminal, BadParametersAreErrors) {
  std::vector<std::vector<MaybeEmbedding>> emb{{unit(1, 0, 0)}, {std::vector<float>{1, 0}}};
  auto sizes = run_terminal_protocol(emb, {1, 1});
  ASSERT_FALSE(sizes);
  EXPECT_EQ(sizes.error().code, Errc::invalid_argument);
  auto zero = run_terminal_protocol({}, {0, 3});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::invalid_argument);
  auto empty = run_terminal_protocol({}, {2, 3});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->scores.genuine.empty());
}

}  // namespace
}  // namespace tta::face
