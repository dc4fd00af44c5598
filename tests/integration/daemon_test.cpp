// `tta-agent run` as an administrator and the terminal's screen use it: the daemon talks to
// tta-platform-sim, reads a SIMULATED route paced in real time (30×), and is driven through its
// authenticated control API: check-ins and check-outs by face with real images, status, and
// refusal of requests without the token.
#include <gtest/gtest.h>

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "route_sim.hpp"
#include "support/process.hpp"
#include "tta/config/config.hpp"
#include "tta/core/time_util.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using nlohmann::json;
using tta::testing::BackgroundProcess;
using tta::testing::run_process;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Reply {
  int status = 0;
  json body;
};

Reply request(int port, http::verb verb, const std::string& target, const std::string& token,
              const std::string& body = "") {
  try {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                  static_cast<std::uint16_t>(port)));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return {static_cast<int>(res.result_int()), json::parse(res.body(), nullptr, false)};
  } catch (const std::exception&) {
    return {};
  }
}

template <typename Pred>
bool wait_for(Pred pred, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    // Polling a separate process over HTTP: there is no clock of ours to advance.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(Daemon, CheckInTrainCheckOutThroughTheControlApi) {
  const fs::path faces = fs::path(TTA_SHARED_DATA_DIR) / "faces/att";
  if (!fs::exists(faces)) GTEST_SKIP() << "../shared/data/faces is absent";
  if (!fs::exists("/usr/local/share/tta/models/fr_detect.onnx")) {
    GTEST_SKIP() << "face models absent (scripts/setup)";
  }
  const fs::path dir = fs::temp_directory_path() / ("tta-daemon-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "camera");
  BackgroundProcess sim({std::string(TTA_BINARY_DIR) + "/tests/platform/tta-platform-sim",
                         "--tcp-port", "0", "--admin-port", "0", "--data-dir",
                         (dir / "platform").string()});
  std::smatch m;
  const std::string ports = sim.read_line(20'000);
  ASSERT_TRUE(std::regex_search(ports, m, std::regex("tcp_port=(\\d+) admin_port=(\\d+)")));
  const int admin_port = std::stoi(m[2].str());
  const int api_port = 20000 + ::getpid() % 20000;

  // Camera frames in the order the checks will take them: 5 per check.
  int n = 0;
  auto frames = [&](const char* subject, std::initializer_list<int> images) {
    for (int i : images) {
      char name[32];
      std::snprintf(name, sizeof name, "%03d.pgm", n++);
      fs::copy_file(faces / subject / (std::to_string(i) + ".pgm"), dir / "camera" / name);
    }
  };
  frames("s1", {2, 3, 4, 5, 6});   // coach check-in
  frames("s2", {2, 3, 4, 5, 6});   // student check-in
  frames("s2", {7, 8, 9, 10, 1});  // student check-out
  frames("s1", {7, 8, 9, 10, 1});  // coach check-out

  std::string text = slurp(fs::path(TTA_SOURCE_DIR) / "config/demo.toml");
  auto swap = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  swap("\"../demo-run/tta.db\"", "\"tta.db\"");
  swap("\"../demo-run/store.key\"", "\"store.key\"");
  swap("\"../demo-run/control.token\"", "\"control.token\"");
  swap("port = 16000", "port = " + m[1].str());
  swap("127.0.0.1:18808", "127.0.0.1:" + std::to_string(api_port));
  swap("replay://../demo-run/route.nmea?rate=0", "replay://route-SIMULATED.nmea?rate=30");
  swap("dir://../demo-run/camera", "dir://camera");
  const fs::path config = dir / "agent.toml";
  std::ofstream(config) << text;
  auto cfg = config::load_config(config);
  ASSERT_TRUE(cfg);
  agent::RouteOptions route;
  route.start = *from_civil({2026, 11, 27, 2, 0, 0}, std::chrono::seconds(0));  // 10:00 GMT+8
  route.seconds = 20 * 60;
  route.area = cfg->gps.fences.front();
  std::ofstream(dir / "route-SIMULATED.nmea") << agent::to_nmea(agent::simulate_route(route));

  auto agent_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), TTA_AGENT_BIN);
    return run_process(args);
  };
  ASSERT_EQ(agent_cmd({"init", "--config", config}).exit_code, 0);
  ASSERT_EQ(agent_cmd({"enroll", "--config", config, "--role", "coach", "--number",
                       "3201000000000201", "--id-card", "320106199003071234", "--name", "c",
                       "--licence", "C1", "--photo", (faces / "s1/1.pgm").string()})
                .exit_code,
            0);
  ASSERT_EQ(agent_cmd({"enroll", "--config", config, "--role", "student", "--number",
                       "3201000000000101", "--id-card", "11010519491231002X", "--name", "s",
                       "--licence", "C1", "--photo", (faces / "s2/1.pgm").string()})
                .exit_code,
            0);
  std::string token = slurp(dir / "control.token");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  ASSERT_GE(token.size(), 32u);

  BackgroundProcess daemon({TTA_AGENT_BIN, "run", "--config", config.string()});
  ASSERT_TRUE(wait_for([&] {
    auto r = request(api_port, http::verb::get, "/status", token);
    return r.status == 200 && r.body.value("uplink_online", false);
  }, std::chrono::seconds(30)));

  EXPECT_EQ(request(api_port, http::verb::get, "/status", "").status, 401);
  EXPECT_EQ(request(api_port, http::verb::get, "/status", "wrong-token").status, 401);

  auto coach = request(api_port, http::verb::post, "/checkin", token,
                       R"({"role":"coach","number":"3201000000000201"})");
  ASSERT_EQ(coach.status, 200) << coach.body.dump();
  auto student = request(api_port, http::verb::post, "/checkin", token,
                         R"({"role":"student","number":"3201000000000101","course":"1212110000"})");
  ASSERT_EQ(student.status, 200) << student.body.dump();
  ASSERT_TRUE(wait_for([&] {
    return request(api_port, http::verb::get, "/status", token).body.value("minutes_made", 0) >= 2;
  }, std::chrono::seconds(60)));
  ASSERT_EQ(request(api_port, http::verb::post, "/checkout", token, R"({"role":"student"})").status,
            200);
  ASSERT_EQ(request(api_port, http::verb::post, "/checkout", token, R"({"role":"coach"})").status,
            200);
  ASSERT_TRUE(wait_for([&] {
    auto s = request(api_port, http::verb::get, "/status", token);
    return s.body.contains("outbox") && s.body["outbox"].value("queued", 1) == 0;
  }, std::chrono::seconds(30)));
  const auto made = request(api_port, http::verb::get, "/status", token).body["minutes_made"];

  auto summary = request(admin_port, http::verb::get, "/sim/summary", "").body;
  EXPECT_EQ(summary["coach_logins"], 1);
  EXPECT_EQ(summary["student_logins"], 1);
  EXPECT_EQ(summary["student_logouts"], 1);
  EXPECT_EQ(summary["coach_logouts"], 1);
  EXPECT_EQ(summary["minutes_unique"], made);
  EXPECT_EQ(summary["duplicates"], 0);
  EXPECT_EQ(summary["photos_by_event"]["20"], 1);
  EXPECT_EQ(summary["photos_by_event"]["17"], 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tta
