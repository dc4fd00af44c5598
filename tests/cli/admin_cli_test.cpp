// The administrator's commands as a user runs them: sessions, progress, outbox (and retry),
// export and complete, each with --json, on a store the test fills through the store API.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/needs.hpp"
#include "demo_config.hpp"
#include "support/process.hpp"
#include "tta/config/config.hpp"
#include "tta/store/store.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
using tta::testing::run_process;
using tta::testing::slurp;

constexpr const char* kStudent = "3201000000000101";
constexpr const char* kCoach = "3201000000000201";
constexpr std::int64_t kDay = 1'795'708'800'000;  // 2026-11-27T00:00:00+08:00

class AdminCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tta::testing::fresh_test_dir("tta-admin-");
    // The committed demo config with the store here and C1 at a hundredth of its hours.
    std::string text = tta::testing::demo_config_with_local_store();
    text = text.substr(0, text.find("[[syllabus]]"));
    text += R"toml([[syllabus]]
programme = "C1"
[[syllabus.part]]
part = 1
classroom_min = 3
[[syllabus.part]]
part = 2
practical_min = 5
mileage_km = 1.0
)toml";
    config_ = dir_ / "agent.toml";
    std::ofstream(config_) << text;
    auto r = agent({"init", "--config", config_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto cfg = config::load_config(config_);
    ASSERT_TRUE(cfg);
    store_cfg_ = cfg->store;
    auto s = store::Store::open(store_cfg_);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(s->people().add({.role = store::Role::student, .national_no = kStudent,
                               .id_card = "320106199003071234", .name = "张三",
                               .licence_class = "C1"},
                              1));
  }
  void TearDown() override { fs::remove_all(dir_); }

  tta::testing::ProcessResult agent(std::vector<std::string> args) {
    args.insert(args.begin(), TTA_AGENT_BIN);
    return run_process(args);
  }

  /// A session of `n` minutes starting at `start_ms`; minute 1 is abnormal and not counted,
  /// minute 2 has no mileage.
  void train(std::uint32_t class_id, const std::string& course, const std::string& mode, int n,
             std::int64_t start_ms) {
    auto s = store::Store::open(store_cfg_);
    ASSERT_TRUE(s) << s.error().message;
    auto sid = s->begin_session({.class_id = class_id, .mode = mode, .student_no = kStudent,
                                 .coach_no = mode == "vehicle" ? kCoach : "",
                                 .course_code = course, .started_ms = start_ms});
    ASSERT_TRUE(sid);
    for (int i = 0; i < n; ++i) {
      store::MinuteRecord m;
      m.record_no = "3201000000000001261127" + std::to_string(1000 + class_id * 100 + i);
      m.session_id = *sid;
      m.minute_ms = start_ms + i * 60'000LL;
      m.mileage_hm = static_cast<std::uint16_t>(3);
      m.lat_e6 = 32'044'000;
      m.lon_e6 = 118'785'000;
      if (i == 1) {
        m.status = 1;
        m.counted = false;
        m.flags = "stationary,engine_speed_zero";
      }
      if (i == 2) m.mileage_hm = std::nullopt;
      ASSERT_TRUE(s->add_minute(m, {.kind = "tcp.0203", .key = m.record_no, .payload = {1},
                                    .next_attempt_ms = m.minute_ms}));
    }
    ASSERT_TRUE(s->end_session(*sid, start_ms + n * 60'000LL));
  }

  fs::path dir_;
  fs::path config_;
  config::StoreConfig store_cfg_;
};

TEST_F(AdminCli, EnrolFromSeveralPhotosChecksEachOne) {
  const fs::path faces = fs::path(TTA_SHARED_DATA_DIR) / "faces/att";
  if (!fs::exists(faces)) TTA_SKIP_OR_FAIL_IN_CI() << "../shared/data/faces is absent";
  if (!fs::exists("/usr/local/share/tta/models/fr_detect.onnx")) {
    TTA_SKIP_OR_FAIL_IN_CI() << "face models absent (scripts/setup)";
  }
  auto enrol = [&](std::vector<std::string> photos) {
    std::vector<std::string> args{"enroll", "--config", config_.string(), "--role", "coach",
                                  "--number", kCoach, "--id-card", "320106199003071234",
                                  "--name", "c", "--licence", "C1", "--json"};
    for (auto& p : photos) {
      args.push_back("--photo");
      args.push_back(std::move(p));
    }
    return agent(args);
  };
  // A photo without a face among three: refused with the image and the reason, nothing stored.
  const auto wall = dir_ / "wall.pgm";
  std::ofstream(wall, std::ios::binary) << "P5\n64 64\n255\n" << std::string(64 * 64, '\x64');
  auto bad = enrol({(faces / "s3/1.pgm").string(), wall.string(), (faces / "s3/5.pgm").string()});
  EXPECT_EQ(bad.exit_code, 4) << bad.err;
  EXPECT_NE(bad.err.find("image 2 of 3"), std::string::npos) << bad.err;
  auto none = agent({"people", "--config", config_.string(), "--json"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out.find(kCoach), std::string::npos) << none.out;
  // Three good photos of one person: one template from all of them.
  auto good = enrol({(faces / "s3/1.pgm").string(), (faces / "s3/4.pgm").string(),
                     (faces / "s3/7.pgm").string()});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  const auto j = nlohmann::json::parse(good.out);
  EXPECT_EQ(j.at("photos").get<int>(), 3);
  EXPECT_FALSE(j.at("re_enrolled").get<bool>());
  // Six photos are more than an enrolment takes.
  std::vector<std::string> six(6, (faces / "s3/1.pgm").string());
  EXPECT_EQ(enrol(six).exit_code, 2);
}

// `disable` and `enable`: the people page's action for a terminal without one; who did it is
// kept, `people` shows it, an unknown number is a usage error.
TEST_F(AdminCli, DisableAndEnableAPersonWithWhoDidIt) {
  EXPECT_EQ(agent({"disable", "--config", config_.string(), "--number", kStudent}).exit_code, 2);
  auto off = agent({"disable", "--config", config_.string(), "--number", kStudent, "--by", "ada"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  auto listed = agent({"people", "--config", config_.string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto j = nlohmann::json::parse(listed.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_TRUE(j[0].at("disabled").get<bool>());
  EXPECT_EQ(j[0].at("disabled_by"), "ada");
  auto text = agent({"people", "--config", config_.string()});
  EXPECT_NE(text.out.find("(disabled by ada)"), std::string::npos) << text.out;
  auto on = agent({"enable", "--config", config_.string(), "--number", kStudent, "--by", "ada"});
  ASSERT_EQ(on.exit_code, 0) << on.err;
  j = nlohmann::json::parse(agent({"people", "--config", config_.string(), "--json"}).out);
  EXPECT_FALSE(j[0].at("disabled").get<bool>());
  EXPECT_TRUE(j[0].at("disabled_by").is_null());
  auto nobody = agent({"disable", "--config", config_.string(), "--number", "3201000000000999", "--by", "ada"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_NE(nobody.err.find("3201000000000999"), std::string::npos) << nobody.err;
  // Both are in the event log, with who.
  auto s = store::Store::open(store_cfg_);
  ASSERT_TRUE(s) << s.error().message;
  auto events = s->events_since(0, 100);
  ASSERT_TRUE(events) << events.error().message;
  int seen = 0;
  for (const auto& e : *events) {
    if ((e.kind == "person.disabled" || e.kind == "person.enabled") &&
        e.detail == std::string(kStudent) + " by ada") {
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(AdminCli, ProgressAsJsonAndText) {
  train(1, "1212110000", "vehicle", 5, kDay + 9 * 3'600'000LL);
  auto r = agent({"progress", "--config", config_, "--student", kStudent, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& part2 = j["programmes"][0]["parts"][1];
  EXPECT_EQ(part2["counted"]["practical_min"], 4);
  EXPECT_EQ(part2["counted"]["mileage_km"], 0.9);
  EXPECT_EQ(part2["required"]["practical_min"], 5);
  EXPECT_EQ(part2["percent"], 85);  // (4/5 + 0.9/1.0) / 2
  EXPECT_EQ(part2["complete"], false);
  EXPECT_EQ(j["programmes"][0]["complete"], false);

  r = agent({"progress", "--config", config_, "--student", kStudent});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("part 2: practical 4/5 min mileage 0.9/1.0 km"), std::string::npos) << r.out;

  r = agent({"progress", "--config", config_, "--student", "3201000000000999", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no student 3201000000000999 is enrolled"), std::string::npos) << r.err;
}

TEST_F(AdminCli, SessionsWithFiltersAndMissingValues) {
  train(1, "1212110000", "vehicle", 4, kDay + 9 * 3'600'000LL);
  train(2, "2211010000", "classroom", 3, kDay + 86'400'000LL + 3'600'000LL);
  auto r = agent({"sessions", "--config", config_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["class_id"], 1);
  EXPECT_EQ(j[0]["minutes"], 4);
  EXPECT_EQ(j[0]["counted_minutes"], 3);
  EXPECT_EQ(j[0]["mileage_km"], 0.9);
  EXPECT_EQ(j[0]["flags"], "engine_speed_zero,stationary");
  EXPECT_EQ(j[0]["started"], "2026-11-27T09:00:00+08:00");
  EXPECT_TRUE(j[1]["coach_no"].is_null()) << "a classroom session has no coach";
  r = agent({"sessions", "--config", config_, "--from", "2026-11-28", "--to", "2026-11-28", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["mode"], "classroom");
  r = agent({"sessions", "--config", config_, "--student", "3201000000000102", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 0u);
  r = agent({"sessions", "--config", config_});
  EXPECT_NE(r.out.find("2 session(s)"), std::string::npos) << r.out;
  r = agent({"sessions", "--config", config_, "--from", "2026-02-30"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
  r = agent({"sessions", "--config", config_, "--from", "2026-11-28", "--to", "2026-11-27"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(AdminCli, OutboxCountsRefusalsAndRetry) {
  train(1, "1212110000", "vehicle", 3, kDay);
  std::int64_t refused_id = 0;
  std::int64_t acked_id = 0;
  {
    auto s = store::Store::open(store_cfg_);
    ASSERT_TRUE(s);
    auto id = s->outbox().enqueue({.kind = "http.graduation", .key = "N-1", .payload = {'{', '}'}}, 5);
    ASSERT_TRUE(id);
    refused_id = *id;
    ASSERT_TRUE(s->outbox().mark_refused(refused_id, 6, "errorcode 12: 学员不存在"));
    auto pending = s->outbox().due(kDay + 10 * 60'000, 1);
    ASSERT_TRUE(pending && pending->size() == 1);
    acked_id = (*pending)[0].id;
    ASSERT_TRUE(s->outbox().mark_acked(acked_id, 7));
  }
  auto r = agent({"outbox", "--config", config_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["kinds"].size(), 2u);
  EXPECT_EQ(j["kinds"][0]["kind"], "http.graduation");
  EXPECT_EQ(j["kinds"][0]["refused"], 1);
  EXPECT_EQ(j["kinds"][1]["kind"], "tcp.0203");
  EXPECT_EQ(j["kinds"][1]["queued"], 2);
  EXPECT_EQ(j["kinds"][1]["acked"], 1);
  EXPECT_EQ(j["pending"].size(), 2u);
  EXPECT_TRUE(j["pending"][0]["last_error"].is_null());
  ASSERT_EQ(j["refused"].size(), 1u);
  EXPECT_EQ(j["refused"][0]["reason"], "errorcode 12: 学员不存在");
  r = agent({"outbox", "--config", config_});
  EXPECT_NE(r.out.find("errorcode 12"), std::string::npos) << r.out;

  r = agent({"outbox", "retry", "--config", config_, "--id", std::to_string(acked_id)});
  EXPECT_EQ(r.exit_code, 8) << "only refused entries are retried";
  EXPECT_NE(r.err.find("was not refused"), std::string::npos) << r.err;
  r = agent({"outbox", "retry", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  r = agent({"outbox", "retry", "--config", config_, "--id", "999"});
  EXPECT_EQ(r.exit_code, 2);
  r = agent({"outbox", "retry", "--config", config_, "--id", std::to_string(refused_id), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["requeued"], nlohmann::json::array({refused_id}));
  r = agent({"outbox", "--config", config_, "--json"});
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["refused"].size(), 0u);
  EXPECT_EQ(j["kinds"][0]["queued"], 1);
  r = agent({"outbox", "retry", "--config", config_, "--all-refused", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["requeued"].size(), 0u);
}

TEST_F(AdminCli, ExportMinutesAndSessionsAsCsv) {
  train(1, "1212110000", "vehicle", 3, kDay + 8 * 3'600'000LL);
  train(2, "1212110000", "vehicle", 2, kDay + 2 * 86'400'000LL);  // outside the period
  auto r = agent({"export", "--config", config_, "--from", "2026-11-27", "--to", "2026-11-27",
                  "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("record_no,student_no,coach_no,class_id,course_code,mode,"
                                "minute_start,status,counted,"))
      << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out;
  EXPECT_NE(r.out.find(",2026-11-27T08:01:00+08:00,1,0,,0.3,32.044000,118.785000,,,,,,,"
                       "\"stationary,engine_speed_zero\"\r\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(",2026-11-27T08:02:00+08:00,0,1,,,32.044000,"), std::string::npos)
      << "a missing mileage is an empty field, not 0\n" << r.out;

  const auto out = dir_ / "sessions.csv";
  r = agent({"export", "--config", config_, "--from", "2026-11-27", "--to", "2026-11-29",
             "--format", "csv", "--what", "sessions", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = slurp(out);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  EXPECT_NE(csv.find(",3,2,0.6,\"engine_speed_zero,stationary\"\r\n"), std::string::npos) << csv;

  r = agent({"export", "--config", config_, "--from", "2026-11-27", "--to", "2026-11-27",
             "--format", "xml"});
  EXPECT_EQ(r.exit_code, 2);
  r = agent({"export", "--config", config_, "--from", "27.11.2026", "--to", "2026-11-27"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("YYYY-MM-DD"), std::string::npos) << r.err;
}

TEST_F(AdminCli, CompleteRefusesThenIssuesOnce) {
  train(1, "1212110000", "vehicle", 4, kDay + 8 * 3'600'000LL);
  auto r = agent({"complete", "--config", config_, "--student", kStudent, "--result", "pass",
                  "--assessor", "王考官", "--date", "2026-11-27", "--json"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("hours short for C1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("part 1: 0 of 3 classroom minutes"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  r = agent({"complete", "--config", config_, "--student", "3201000000000999", "--result",
             "pass", "--assessor", "王考官"});
  EXPECT_EQ(r.exit_code, 2);
  r = agent({"complete", "--config", config_, "--student", kStudent, "--result", "maybe",
             "--assessor", "王考官"});
  EXPECT_EQ(r.exit_code, 2);

  r = agent({"complete", "--config", config_, "--student", kStudent, "--result", "fail",
             "--assessor", "王考官", "--date", "2026-11-27", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["certificate"].is_null());
  EXPECT_EQ(j["queued"].size(), 0u);

  train(2, "1212110000", "vehicle", 4, kDay + 10 * 3'600'000LL);
  train(3, "2211010000", "classroom", 4, kDay + 12 * 3'600'000LL);
  r = agent({"complete", "--config", config_, "--student", kStudent, "--result", "pass",
             "--assessor", "王考官", "--date", "2026-11-28", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["certificate"]["number"], "3201000000000001-C1-2026-0000001-0001");
  EXPECT_EQ(j["certificate"]["practical_min"], 6);
  EXPECT_EQ(j["certificate"]["classroom_min"], 3);
  EXPECT_EQ(j["certificate"]["mileage_km"], 1.2);
  ASSERT_EQ(j["queued"].size(), 3u);
  EXPECT_EQ(j["queued"][2]["kind"], "http.graduation");

  r = agent({"outbox", "--config", config_, "--json"});
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kinds"][0]["kind"], "http.graduation");
  EXPECT_EQ(j["kinds"][0]["queued"], 1);
  EXPECT_EQ(j["kinds"][1]["kind"], "http.stagetrainningtime");
  EXPECT_EQ(j["kinds"][1]["queued"], 2);

  r = agent({"complete", "--config", config_, "--student", kStudent, "--result", "pass",
             "--assessor", "王考官", "--date", "2026-11-29"});
  EXPECT_EQ(r.exit_code, 8);
  EXPECT_NE(r.err.find("already holds certificate 3201000000000001-C1-2026-0000001-0001"),
            std::string::npos)
      << r.err;

  r = agent({"progress", "--config", config_, "--student", kStudent, "--json"});
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["programmes"][0]["complete"], true);
  EXPECT_EQ(j["certificates"].size(), 1u);
  EXPECT_EQ(j["assessments"].size(), 2u);
}

}  // namespace
}  // namespace tta
