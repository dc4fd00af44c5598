// The demo's path as a user runs it: tta-platform-sim as a process, init, enroll two people
// with real face images, `tta-agent simulate` for a few minutes, and the platform's counts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/demo_setup.hpp"
#include "support/process.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using tta::testing::BackgroundProcess;
using tta::testing::run_process;

TEST(Demo, SimulatedSessionIsDeliveredOnceWithEveryPhoto) {
  const fs::path faces = fs::path(TTA_SHARED_DATA_DIR) / "faces/att";
  if (!fs::exists(faces)) GTEST_SKIP() << "../shared/data/faces is absent";
  const fs::path models = "/usr/local/share/tta/models";
  if (!fs::exists(models / "fr_detect.onnx")) GTEST_SKIP() << "face models absent (scripts/setup)";

  const fs::path dir = fs::temp_directory_path() / ("tta-demo-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  BackgroundProcess sim({std::string(TTA_BINARY_DIR) + "/tests/platform/tta-platform-sim",
                         "--tcp-port", "0", "--admin-port", "0", "--data-dir",
                         (dir / "platform").string(), "--audit-config",
                         std::string(TTA_SOURCE_DIR) + "/config/demo.toml"});
  const std::string ports = sim.read_line(20'000);
  std::smatch m;
  ASSERT_TRUE(testing::parse_sim_ports(ports, m)) << "simulator said: " << ports;

  std::string text = testing::demo_config_text(m[1].str());
  const fs::path config = dir / "agent.toml";
  std::ofstream(config) << text;

  auto agent = [&](std::vector<std::string> args) {
    args.insert(args.begin(), TTA_AGENT_BIN);
    return run_process(args);
  };
  ASSERT_EQ(agent({"init", "--config", config}).exit_code, 0);
  auto coach = agent({"enroll", "--config", config, "--role", "coach", "--number",
                      "3201000000000201", "--id-card", "320106199003071234", "--name", "coach",
                      "--licence", "C1", "--photo", (faces / "s1/1.pgm").string()});
  ASSERT_EQ(coach.exit_code, 0) << coach.err;
  auto student = agent({"enroll", "--config", config, "--role", "student", "--number",
                        "3201000000000101", "--id-card", "11010519491231002X", "--name",
                        "student", "--licence", "C1", "--photo", (faces / "s2/1.pgm").string()});
  ASSERT_EQ(student.exit_code, 0) << student.err;

  auto run = agent({"simulate", "--config", config, "--coach", "3201000000000201", "--student",
                    "3201000000000101", "--minutes", "5", "--json", "--platform-admin",
                    "http://127.0.0.1:" + m[2].str()});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  // With --json the standard output is the one JSON line (logs go to standard error).
  const std::string last_line = run.out;
  auto j = nlohmann::json::parse(last_line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  EXPECT_EQ(j["minutes_made"], 4) << "login at :30, logout at 5:50: minutes 1-4 are whole";
  EXPECT_EQ(j["minutes_uploaded"], j["minutes_made"]);
  EXPECT_EQ(j["platform_minutes_unique"], j["minutes_made"]);
  EXPECT_EQ(j["minutes_valid"], j["minutes_made"])
      << "the simulator's own audit accepts every minute: " << j["minutes_void"].dump();
  EXPECT_EQ(j["duplicates"], 0);
  EXPECT_EQ(j["signature_failures"], 0);
  // The student's progress after the session (progress_json's shape).
  ASSERT_TRUE(j["progress"].is_object()) << j.dump();
  EXPECT_EQ(j["progress"].value("student", ""), "3201000000000101") << j["progress"].dump();
  for (const char* event : {"17", "18", "20", "21"}) {
    EXPECT_EQ(j["photos"][event], 1) << "event " << event << " in " << j.dump();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tta
