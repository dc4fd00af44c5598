// `tta-agent face-verify` and `face-eval` as processes.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/needs.hpp"
#include "face_support.hpp"
#include "support/process.hpp"

namespace tta::face {
namespace {

using tta::testing::run_process;

class faceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto faces = face::testing::faces_dir();
    if (!faces) TTA_SKIP_OR_FAIL_IN_CI() << "shared face data absent (" << TTA_SHARED_DATA_DIR << "/faces)";
    const auto models = face::testing::models_dir();
    if (!models) TTA_SKIP_OR_FAIL_IN_CI() << "face models absent (run scripts/setup)";
    att_ = *faces / "att";
    models_ = *models;
  }
  std::string att(int s, int n) const {
    return (att_ / ("s" + std::to_string(s)) / (std::to_string(n) + ".pgm")).string();
  }
  std::filesystem::path att_, models_;
};

TEST_F(faceCli, VerifySamePersonMatchesAsJson) {
  auto r = run_process({TTA_AGENT_BIN, "face-verify", "--enrolled", att(2, 1), "--probe", att(2, 4),
                        "--json", "--models", models_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("match").get<bool>());
  EXPECT_GE(j.at("confidence").get<int>(), 50);
  EXPECT_EQ(j.at("quality"), "ok");
  EXPECT_GT(j.at("score").get<double>(), j.at("threshold").get<double>());
}

TEST_F(faceCli, VerifyOtherPersonExitsZeroWithoutMatch) {
  auto r = run_process({TTA_AGENT_BIN, "face-verify", "--enrolled", att(2, 1), "--probe",
                        att(20, 1), "--models", models_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("match: no"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("confidence:"), std::string::npos);
}

TEST_F(faceCli, VerifyWithoutAFaceExitsFourWithTheReason) {
  const auto dir = face::testing::temp_dir("cli");
  const auto wall = dir / "wall.png";
  ASSERT_TRUE(cv::imwrite(wall.string(), cv::Mat(240, 320, CV_8UC3, cv::Scalar(90, 90, 90))));
  auto r = run_process({TTA_AGENT_BIN, "face-verify", "--enrolled", att(2, 1), "--probe",
                        wall.string(), "--json", "--models", models_.string()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("no face found"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("quality"), "no_face");
  EXPECT_EQ(j.at("image"), "probe");
  std::filesystem::remove_all(dir);
}

TEST_F(faceCli, ModelsAbsentIsSaidPlainly) {
  const auto dir = face::testing::temp_dir("cli-nomodels");
  auto r = run_process({TTA_AGENT_BIN, "face-verify", "--enrolled", att(2, 1), "--probe", att(2, 2),
                        "--models", dir.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("face models missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/setup"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST_F(faceCli, EvalReportsRatesAndLatency) {
  const auto dir = face::testing::temp_dir("cli-eval");
  const auto pairs = dir / "pairs.txt";
  {
    std::ofstream out(pairs);
    out << "# enrolled probe same|diff\n";
    for (int s = 1; s <= 4; ++s)
      out << att(s, 1) << ' ' << att(s, 2) << " same\n";
    for (int s = 1; s <= 4; ++s)
      out << att(s, 1) << ' ' << att(s % 4 + 1, 3) << " diff\n";
    out << att(1, 1) << ' ' << "/nonexistent/face.pgm diff\n";
  }
  auto r = run_process({TTA_AGENT_BIN, "face-eval", "--pairs", pairs.string(), "--json", "--models",
                        models_.string(), "--threshold", "0.4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"genuine", "impostor", "threshold", "far", "frr", "no_face",
                          "latency_ms_mean", "latency_ms_p95"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("genuine").get<int>(), 4);
  EXPECT_EQ(j.at("impostor").get<int>(), 4);
  EXPECT_EQ(j.at("skipped_pairs").get<int>(), 1);
  EXPECT_EQ(j.at("unreadable").get<int>(), 1);
  EXPECT_DOUBLE_EQ(j.at("threshold").get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(j.at("frr").get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j.at("far").get<double>(), 0.0);
  EXPECT_GT(j.at("latency_ms_mean").get<double>(), 0.0);
  EXPECT_GE(j.at("latency_ms_p95").get<double>(), j.at("latency_ms_mean").get<double>() * 0.5);

  auto bad = run_process({TTA_AGENT_BIN, "face-eval", "--pairs", (dir / "missing.txt").string()});
  EXPECT_EQ(bad.exit_code, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tta::face
