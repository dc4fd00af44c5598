// The administrator's commands as a user runs them: check-config, init, db-check and run,
// with their exit codes and messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "demo_config.hpp"
#include "support/process.hpp"
#include "tta/core/secure_file.hpp"
#include "tta/store/store.hpp"
#include "unit/store/store_fixture.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using tta::testing::run_process;
using tta::testing::slurp;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tta::testing::fresh_test_dir("tta-cli-");
    // The committed demo config, with the store moved into this test's directory.
    config_ = dir_ / "agent.toml";
    std::ofstream(config_) << tta::testing::demo_config_with_local_store();
  }
  void TearDown() override { fs::remove_all(dir_); }

  tta::testing::ProcessResult agent(std::vector<std::string> args) {
    args.insert(args.begin(), TTA_AGENT_BIN);
    return run_process(args);
  }

  fs::path dir_;
  fs::path config_;
};

TEST_F(Cli, CheckConfigValidPrintsOneSummaryLine) {
  auto r = agent({"check-config", "--config", config_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("ok"), std::string::npos);
}

TEST_F(Cli, CheckConfigPrintsEveryProblemAsFileLineColumn) {
  std::ofstream(dir_ / "bad.toml") << "[terminal]\nphone = \"x\"\nfoo = 1\n";
  auto r = agent({"check-config", "--config", (dir_ / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  const std::string file = (dir_ / "bad.toml").string();
  EXPECT_NE(r.err.find(file + ":2:9: terminal.phone: must be 1 to 16 digits"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(file + ":3:1: terminal.foo: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("store.database: required key is missing"), std::string::npos) << r.err;
}

/// Honest inputs (issue #14): a SIMULATED source in a config that does not say the terminal
/// is simulated is an error for check-config and run alike.
TEST_F(Cli, SimulatedSourcesAreRefusedUnlessTheConfigSaysSimulated) {
  std::string text = slurp(config_);
  const std::string flag = "simulated = true\n";
  ASSERT_NE(text.find(flag), std::string::npos);
  text.erase(text.find(flag), flag.size());
  const fs::path real = dir_ / "real.toml";
  std::ofstream(real) << text;
  auto r = agent({"check-config", "--config", real});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  for (const char* key : {"gps.source: replay://", "face.camera: dir://", "vehicle.obd: sim://"}) {
    EXPECT_NE(r.err.find(key), std::string::npos) << key << "\n" << r.err;
  }
  EXPECT_NE(r.err.find("agent.simulated = true"), std::string::npos) << r.err;
  auto run = agent({"run", "--config", real});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("refusing to start"), std::string::npos) << run.err;
}

/// check-config checks what run will need: missing TLS files are errors, absent devices are
/// warnings (run starts anyway and waits), and a store not made yet says how to make it.
TEST_F(Cli, CheckConfigSaysWhatRunWillLack) {
  std::string text = slurp(config_);
  auto swap = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  swap("source = \"replay://../demo-run/route.nmea?rate=0\"", "source = \"serial:///dev/ttyUSB97\"");
  swap("camera = \"dir://../demo-run/camera\"", "camera = \"v4l2:///dev/video97\"");
  swap("base_url = \"\"", "base_url = \"\"\nclient_cert = \"nope.pem\"\nclient_key = \"nope.key\"");
  const fs::path cfg = dir_ / "kiosk.toml";
  std::ofstream(cfg) << text;
  auto r = agent({"check-config", "--config", cfg});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("error: uplink.http.client_cert: client certificate " +
                       (dir_ / "nope.pem").string() + " does not exist"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("warning: gps.source: GNSS receiver /dev/ttyUSB97 is not plugged in now"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("warning: face.camera: camera /dev/video97 is not plugged in now"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("run `tta-agent init"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  swap("\nclient_cert = \"nope.pem\"\nclient_key = \"nope.key\"", "");
  std::ofstream(cfg) << text;
  ASSERT_EQ(agent({"init", "--config", cfg}).exit_code, 0);
  r = agent({"check-config", "--config", cfg});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.err.find("/dev/ttyUSB97 is not plugged in now"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("tta-agent init"), std::string::npos) << "the store is made: " << r.err;
}

TEST_F(Cli, RunRefusesAnInvalidConfig) {
  std::ofstream(dir_ / "bad.toml") << "[terminal]\n";
  auto r = agent({"run", "--config", (dir_ / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refusing to start"), std::string::npos) << r.err;
}

TEST_F(Cli, InitThenDbCheck) {
  auto init = agent({"init", "--config", config_});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "store.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(agent({"init", "--config", config_}).exit_code, 0) << "init is idempotent";
  auto check = agent({"db-check", "--config", config_, "--json"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("\"integrity\":\"ok\""), std::string::npos) << check.out;
  // Schema 7 (v5: the SIMULATED marks, issue #14; v6: a person can be disabled, issue #15;
  // v7: capped refusals and outbox counters, issue #14) is
  // what this build makes; the demo config is a simulated terminal, but nothing is made yet.
  EXPECT_NE(check.out.find("\"schema_version\":7"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("\"simulated\":{\"minutes\":0,\"outbox\":0,\"photos\":0}"),
            std::string::npos)
      << check.out;
  auto run = agent({"run", "--config", config_, "--check-only"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  struct stat token {};
  ASSERT_EQ(::stat((dir_ / "control.token").c_str(), &token), 0) << "init makes the API token";
  EXPECT_EQ(token.st_mode & 0777, 0600u);
}

TEST_F(Cli, WrongKeyExitsThreeAndLeavesTheFileAlone) {
  ASSERT_EQ(agent({"init", "--config", config_}).exit_code, 0);
  const std::string before = slurp(dir_ / "tta.db");
  fs::remove(dir_ / "store.key");
  ASSERT_TRUE(write_secret_file(dir_ / "store.key", *random_bytes(32)));
  auto r = agent({"db-check", "--config", config_});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("key does not match"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((dir_ / "tta.db").string()), std::string::npos) << r.err;
  EXPECT_EQ(slurp(dir_ / "tta.db"), before);
  EXPECT_EQ(agent({"run", "--config", config_}).exit_code, 3);
  EXPECT_EQ(slurp(dir_ / "tta.db"), before);
}

TEST_F(Cli, InsecureKeyFileExitsSevenWithFix) {
  ASSERT_EQ(agent({"init", "--config", config_}).exit_code, 0);
  ASSERT_EQ(::chmod((dir_ / "store.key").c_str(), 0644), 0);
  auto r = agent({"db-check", "--config", config_});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
}

TEST_F(Cli, TruncatedDatabaseExitsSix) {
  ASSERT_EQ(agent({"init", "--config", config_}).exit_code, 0);
  fs::resize_file(dir_ / "tta.db", fs::file_size(dir_ / "tta.db") - 100);
  auto r = agent({"db-check", "--config", config_});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

// Upgrades keep data (tests/data/store/v3: the previous release's store, with its key).
TEST_F(Cli, ThePreviousReleasesStoreIsMigratedByDbCheck) {
  const fs::path fixture = fs::path(TTA_SOURCE_DIR) / "tests/data/store/v3";
  fs::copy_file(fixture / "tta.db", dir_ / "tta.db");
  fs::copy_file(fixture / "store.key", dir_ / "store.key");
  ASSERT_EQ(::chmod((dir_ / "store.key").c_str(), 0600), 0);
  auto r = agent({"db-check", "--config", config_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["integrity"], "ok");
  EXPECT_EQ(j["schema_version"], store::current_schema_version());
}

TEST_F(Cli, AStoreNewerThanThisBuildExitsSixAndIsLeftAlone) {
  ASSERT_EQ(agent({"init", "--config", config_}).exit_code, 0);
  config::StoreConfig cfg;
  cfg.database = dir_ / "tta.db";
  cfg.key_file = dir_ / "store.key";
  const int newer = store::current_schema_version() + 1;
  ASSERT_EQ(store::testing::raw_exec(cfg, "PRAGMA user_version = " + std::to_string(newer)), 0);
  const std::string before = slurp(dir_ / "tta.db");
  auto r = agent({"db-check", "--config", config_});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("newer"), std::string::npos) << r.err;
  EXPECT_EQ(agent({"run", "--config", config_}).exit_code, 6);
  EXPECT_EQ(slurp(dir_ / "tta.db"), before);
}

TEST_F(Cli, DbCheckBeforeInitSaysWhatToDo) {
  auto r = agent({"db-check", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tta-agent init"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "tta.db"));
}

TEST_F(Cli, UnknownCommandIsAUsageError) {
  EXPECT_EQ(agent({"frobnicate"}).exit_code, 2);
}

}  // namespace
}  // namespace tta
