// Classroom mode end to end on virtual time: tta-platform-sim as a process, three students
// enrolled with real face images, `tta-agent simulate --mode classroom`, and the platform's
// own list of minutes: every minute each student made arrives exactly once.
#include <gtest/gtest.h>

#include <utility>  // before Asio

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <regex>
#include <set>

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
using nlohmann::json;

json get(const std::string& port, const std::string& target) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<std::uint16_t>(std::stoi(port))));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return json::parse(res.body(), nullptr, false);
}

TEST(ClassroomSim, SeveralStudentsEachMinuteArrivesExactlyOnce) {
  const fs::path faces = fs::path(TTA_SHARED_DATA_DIR) / "faces/att";
  if (!fs::exists(faces)) TTA_SKIP_OR_FAIL_IN_CI() << "../shared/data/faces is absent";
  const fs::path models = "/usr/local/share/tta/models";
  if (!fs::exists(models / "fr_detect.onnx")) TTA_SKIP_OR_FAIL_IN_CI() << "face models absent (scripts/setup)";

  const fs::path dir = fs::temp_directory_path() / ("tta-classroom-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  BackgroundProcess sim({std::string(TTA_BINARY_DIR) + "/tests/platform/tta-platform-sim",
                         "--tcp-port", "0", "--admin-port", "0", "--data-dir",
                         (dir / "platform").string()});
  const std::string ports = sim.read_line(20'000);
  std::smatch m;
  ASSERT_TRUE(testing::parse_sim_ports(ports, m)) << "simulator said: " << ports;

  std::string text = testing::demo_config_text(m[1].str());
  testing::replace_once(text, "mode = \"vehicle\"", "mode = \"classroom\"");
  text += "\n[classroom]\nlatitude = 32.0440\nlongitude = 118.7850\ncourse_code = \"2212110000\"\n"
          "recheck_min_interval_min = 2\nrecheck_max_interval_min = 4\n";
  const fs::path config = dir / "agent.toml";
  std::ofstream(config) << text;

  auto agent = [&](std::vector<std::string> args) {
    args.insert(args.begin(), TTA_AGENT_BIN);
    return run_process(args);
  };
  ASSERT_EQ(agent({"init", "--config", config}).exit_code, 0);
  const std::vector<std::string> students = {"3201000000000101", "3201000000000102",
                                             "3201000000000103"};
  for (std::size_t i = 0; i < students.size(); ++i) {
    auto r = agent({"enroll", "--config", config, "--role", "student", "--number", students[i],
                    "--id-card", "11010519491231002X", "--name", "student" + std::to_string(i),
                    "--licence", "C1", "--photo",
                    (faces / ("s" + std::to_string(i + 2)) / "1.pgm").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  auto run = agent({"simulate", "--config", config, "--mode", "classroom", "--student",
                    students[0], "--student", students[1], "--student", students[2],
                    "--minutes", "5", "--json", "--platform-admin",
                    "http://127.0.0.1:" + m[2].str()});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  auto j = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  {
    json brief = j;  // the figures, for the log (progress is long)
    brief.erase("progress");
    brief.erase("progress_all");
    std::cout << "simulate --mode classroom: " << brief.dump() << '\n';
  }
  // Check-ins at 09:00:20, 09:01:10, 09:02:00, each staying 5 min 15 s: 4 + 4 + 5 whole minutes.
  EXPECT_EQ(j["minutes_made"], 13) << j.dump();
  EXPECT_EQ(j["minutes_uploaded"], j["minutes_made"]);
  EXPECT_EQ(j["platform_minutes_unique"], j["minutes_made"]);
  EXPECT_EQ(j["duplicates"], 0);
  EXPECT_EQ(j["signature_failures"], 0);
  EXPECT_EQ(j["photos"]["17"], 3) << j.dump();
  EXPECT_EQ(j["photos"]["18"], 3) << j.dump();
  EXPECT_GE(j["photos"]["19"], 3) << "re-checks every 2-4 minutes: " << j.dump();

  // The platform's own list: one row per record number and per student-minute.
  const json minutes = get(m[2].str(), "/sim/minutes");
  ASSERT_TRUE(minutes.is_array()) << minutes.dump();
  std::set<std::string> numbers;
  std::set<std::pair<std::string, std::string>> student_minutes;
  std::map<std::string, int> per_student;
  for (const auto& row : minutes) {
    numbers.insert(row["record_no"].get<std::string>());
    student_minutes.insert({row["student_no"].get<std::string>(), row["minute_start"].dump()});
    ++per_student[row["student_no"].get<std::string>()];
  }
  EXPECT_EQ(numbers.size(), minutes.size());
  EXPECT_EQ(student_minutes.size(), minutes.size()) << "no student has two records for a minute";
  EXPECT_EQ(per_student[students[0]], 4);
  EXPECT_EQ(per_student[students[1]], 4);
  EXPECT_EQ(per_student[students[2]], 5);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tta
