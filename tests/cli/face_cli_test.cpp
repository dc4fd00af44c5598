// `tta-agent face-verify` and `face-eval` as processes.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/needs.hpp"
#include "unit/face/face_support.hpp"
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

// A small face set on disk: AT&T s1..s4, images 1..5, plus an unreadable file in s1.
std::filesystem::path small_set(const std::filesystem::path& att, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  for (int s = 1; s <= 4; ++s) {
    const auto sub = dir / ("s" + std::to_string(s));
    fs::create_directories(sub);
    for (int n = 1; n <= 5; ++n) {
      fs::copy_file(att / ("s" + std::to_string(s)) / (std::to_string(n) + ".pgm"),
                    sub / (std::to_string(n) + ".pgm"));
    }
  }
  std::ofstream(dir / "s1" / "9-garbage.pgm") << "P5\n92 112\n255\n\x01\x02";  // truncated
  return dir;
}

TEST_F(faceCli, EvalAllPairsTerminalProtocolScoresFileAndWarnings) {
  const auto dir = face::testing::temp_dir("cli-allpairs");
  const auto set = small_set(att_, dir / "set");
  const auto csv = dir / "scores.csv";
  auto r = run_process({TTA_AGENT_BIN, "face-eval", "--all-pairs", set.string(), "--protocol",
                        "terminal", "--enrol-k", "2", "--probe-n", "2", "--scores", csv.string(),
                        "--target-far", "0.001", "--json", "--models", models_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // 21 images (20 faces and the garbage file): every unordered pair.
  EXPECT_EQ(j.at("pairs").get<int>(), 21 * 20 / 2);
  EXPECT_EQ(j.at("unreadable").get<int>(), 1);
  EXPECT_EQ(j.at("genuine").get<int>() + j.at("impostor").get<int>() +
                j.at("skipped_pairs").get<int>(),
            21 * 20 / 2);
  EXPECT_EQ(j.at("skipped_pairs").get<int>(), 20);  // every pair with the garbage file
  EXPECT_TRUE(j.at("quality_gates").get<bool>());
  const auto& lat = j.at("latency_ms");
  EXPECT_GT(lat.at("p50").get<double>(), 0.0);
  EXPECT_LE(lat.at("p50").get<double>(), lat.at("p95").get<double>());
  EXPECT_LE(lat.at("p95").get<double>(), lat.at("p99").get<double>());
  // 190 impostor pairs cannot show FAR <= 0.1 %: said, in the output and on stderr.
  ASSERT_FALSE(j.at("warnings").empty());
  EXPECT_NE(r.err.find("need at least 3 / target = 3000"), std::string::npos) << r.err;

  // Terminal protocol, k = 2, n = 2. s1 has 6 images (one unreadable), the others 5.
  // Genuine checks per rotation: m - k - n + 1 -> s1: 6 x 3, others: 5 x 2 each.
  const auto& t = j.at("terminal");
  EXPECT_EQ(t.at("genuine").get<int>(), 6 * 3 + 3 * 5 * 2);
  // Impostor checks: every template against every cyclic window of every other identity:
  // s1's 6 templates x 3 x 5 windows; each other's 5 templates x (6 + 2 x 5) windows.
  EXPECT_EQ(t.at("impostor").get<int>(), 6 * 15 + 3 * 5 * 16);
  EXPECT_EQ(t.at("enrol_k").get<int>(), 2);
  EXPECT_EQ(t.at("enrol_refused").get<int>(), 0);  // the garbage image never stands alone
  EXPECT_EQ(t.at("sweep").size(), 9U);
  EXPECT_LE(t.at("check_latency_ms").at("p50").get<double>(),
            t.at("check_latency_ms").at("p99").get<double>());

  // The scores file: a header and one row per pair, with both images' quality fields.
  std::ifstream in(csv);
  std::string header, line;
  ASSERT_TRUE(std::getline(in, header));
  EXPECT_EQ(header.rfind("a,b,same,score,quality_a,eye_px_a,yaw_deg_a", 0), 0U) << header;
  int rows = 0, unreadable_rows = 0, same_rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    if (line.find(",unreadable,") != std::string::npos) ++unreadable_rows;
    if (line.find(".pgm,1,") != std::string::npos) ++same_rows;
  }
  EXPECT_EQ(rows, 21 * 20 / 2);
  EXPECT_EQ(unreadable_rows, 20);
  EXPECT_EQ(same_rows, 4 * 10 + 5);  // C(5,2) per subject, s1 with C(6,2)
  std::filesystem::remove_all(dir);
}

TEST_F(faceCli, EvalRefusesContradictoryArguments) {
  const auto dir = face::testing::temp_dir("cli-evalargs");
  const auto pairs = dir / "pairs.txt";
  std::ofstream(pairs) << att(1, 1) << ' ' << att(1, 2) << " same\n";
  auto terminal_without_set = run_process({TTA_AGENT_BIN, "face-eval", "--pairs", pairs.string(),
                                           "--protocol", "terminal", "--models", models_.string()});
  EXPECT_EQ(terminal_without_set.exit_code, 2);
  EXPECT_NE(terminal_without_set.err.find("--all-pairs"), std::string::npos);
  auto both = run_process({TTA_AGENT_BIN, "face-eval", "--pairs", pairs.string(), "--all-pairs",
                           dir.string(), "--models", models_.string()});
  EXPECT_EQ(both.exit_code, 2);
  auto neither = run_process({TTA_AGENT_BIN, "face-eval", "--models", models_.string()});
  EXPECT_EQ(neither.exit_code, 2);
  auto not_a_set = run_process({TTA_AGENT_BIN, "face-eval", "--all-pairs", (dir / "none").string(),
                                "--models", models_.string()});
  EXPECT_EQ(not_a_set.exit_code, 2);
  auto bad_k = run_process({TTA_AGENT_BIN, "face-eval", "--all-pairs", dir.string(), "--enrol-k",
                            "9", "--models", models_.string()});
  EXPECT_NE(bad_k.exit_code, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tta::face
