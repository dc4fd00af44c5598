// The demo's path as a user runs it: tta-platform-sim as a process, init, enroll two people
// with real face images, `tta-agent simulate` for a few minutes, and the platform's counts.
#include <gtest/gtest.h>

#include <tuple>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/needs.hpp"
#include "support/demo_setup.hpp"
#include "support/process.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using tta::testing::BackgroundProcess;
using tta::testing::run_process;

/// Faults for the simulator process: none, and platforms that close the connection on every
/// Nth frame (issue #18: `simulate` used to stop retrying when the simulated route ended, and
/// delivered 5 of 59 minutes). A photo is a 0x0305 and a 0x0306 of about 15 sub-packets: when
/// every 7th frame is dropped no photo can cross (one frame per connection authenticates), and
/// the run must fail naming them; every minute still arrives once.
struct DemoCase {
  const char* name;
  std::vector<std::string> sim_faults;
  bool photos_can_cross = true;
};

class Demo : public ::testing::TestWithParam<DemoCase> {};

TEST_P(Demo, SimulatedSessionIsDeliveredOnceWithEveryPhoto) {
  const fs::path faces = fs::path(TTA_SHARED_DATA_DIR) / "faces/att";
  if (!fs::exists(faces)) TTA_SKIP_OR_FAIL_IN_CI() << "../shared/data/faces is absent";
  const fs::path models = "/usr/local/share/tta/models";
  if (!fs::exists(models / "fr_detect.onnx")) TTA_SKIP_OR_FAIL_IN_CI() << "face models absent (scripts/setup)";

  const fs::path dir = fs::temp_directory_path() / ("tta-demo-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> sim_args{std::string(TTA_BINARY_DIR) + "/tests/platform/tta-platform-sim",
                                    "--tcp-port", "0", "--admin-port", "0", "--data-dir",
                                    (dir / "platform").string(), "--audit-config",
                                    std::string(TTA_SOURCE_DIR) + "/config/demo.toml"};
  sim_args.insert(sim_args.end(), GetParam().sim_faults.begin(), GetParam().sim_faults.end());
  BackgroundProcess sim(sim_args);
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
                    "3201000000000101", "--minutes", "5", "--json", "--drain-seconds", "20",
                    "--platform-admin", "http://127.0.0.1:" + m[2].str()});
  const bool photos = GetParam().photos_can_cross;
  ASSERT_EQ(run.exit_code, photos ? 0 : 1) << run.err << run.out;
  // With --json the standard output is the one JSON line (logs go to standard error).
  const std::string last_line = run.out;
  auto j = nlohmann::json::parse(last_line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  EXPECT_EQ(j["minutes_made"], 4) << "login at :30, logout at 5:50: minutes 1-4 are whole";
  EXPECT_EQ(j["minutes_uploaded"], j["minutes_made"]);
  EXPECT_EQ(j["platform_minutes_unique"], j["minutes_made"]);
  EXPECT_EQ(j["signature_failures"], 0);
  EXPECT_TRUE(j["platform_errors"].empty()) << "the strict simulator refused: " << j.dump();
  if (!photos) {
    // Every minute arrived once; only the photos did not, and the run says so.
    EXPECT_EQ(j["undelivered"], nlohmann::json({{"tcp.photo", 4}})) << j.dump();
    EXPECT_NE(run.err.find("never delivered: 4 photo"), std::string::npos) << run.err;
    fs::remove_all(dir);
    return;
  }
  EXPECT_EQ(j["minutes_valid"], j["minutes_made"])
      << "the simulator's own audit accepts every minute: " << j["minutes_void"].dump();
  EXPECT_TRUE(j["undelivered"].empty()) << j["undelivered"].dump();
  if (GetParam().sim_faults.empty()) {
    // Sent as they were made on a link that never went down: none is re-sent (补传), however
    // fast the simulated route runs, and none arrives twice. (With drops, a minute whose ack
    // was lost arrives again and the platform keeps one: at-least-once on the wire.)
    EXPECT_EQ(j["platform_resent_minutes"], 0) << j.dump();
    EXPECT_EQ(j["duplicates"], 0);
  }
  // The student's progress after the session (progress_json's shape).
  ASSERT_TRUE(j["progress"].is_object()) << j.dump();
  EXPECT_EQ(j["progress"].value("student", ""), "3201000000000101") << j["progress"].dump();
  for (const char* event : {"17", "18", "20", "21"}) {
    EXPECT_EQ(j["photos"][event], 1) << "event " << event << " in " << j.dump();
  }
  // Honest inputs (issue #14): everything the demo made is marked SIMULATED in its store.
  EXPECT_EQ(j["simulated"], true);
  auto check = agent({"db-check", "--config", config, "--json"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  auto db = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_FALSE(db.is_discarded()) << check.out;
  EXPECT_EQ(db["simulated"]["minutes"], j["minutes_made"]) << db.dump();
  EXPECT_GE(db["simulated"]["photos"].get<int>(), 4) << db.dump();
  if (GetParam().sim_faults.empty()) {
    // Without the platform's verdicts the run fails rather than report its own count as them.
    // (A store of its own: a second session at the same simulated hour would clash.)
    const fs::path blind_dir = dir / "blind";
    fs::create_directories(blind_dir);
    const fs::path blind_config = blind_dir / "agent.toml";
    std::ofstream(blind_config) << text;
    ASSERT_EQ(agent({"init", "--config", blind_config}).exit_code, 0);
    for (const auto& [role, no, id, photo] :
         {std::tuple<const char*, const char*, const char*, const char*>{
              "coach", "3201000000000201", "320106199003071234", "s1/1.pgm"},
          {"student", "3201000000000101", "11010519491231002X", "s2/1.pgm"}}) {
      auto e = agent({"enroll", "--config", blind_config, "--role", role, "--number", no,
                      "--id-card", id, "--name", role, "--licence", "C1", "--photo",
                      (faces / photo).string()});
      ASSERT_EQ(e.exit_code, 0) << e.err;
    }
    auto blind = agent({"simulate", "--config", blind_config, "--coach", "3201000000000201",
                        "--student", "3201000000000101", "--minutes", "3", "--json",
                        "--drain-seconds", "20", "--platform-admin", "http://127.0.0.1:9"});
    EXPECT_EQ(blind.exit_code, 1) << blind.err << blind.out;
    EXPECT_NE(blind.err.find("verdicts could not be read"), std::string::npos) << blind.err;
    auto bj = nlohmann::json::parse(blind.out, nullptr, false);
    ASSERT_FALSE(bj.is_discarded()) << blind.out;
    EXPECT_TRUE(bj["minutes_valid"].is_null()) << bj.dump();
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Platform, Demo,
                         ::testing::Values(DemoCase{"reliable", {}},
                                           DemoCase{"drop_every_25", {"--drop-every", "25"}},
                                           DemoCase{"drop_every_7", {"--drop-every", "7"}, false}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace tta
