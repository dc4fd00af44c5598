// `tta-agent run` as a process, against tta-platform-sim on loopback, with a SIMULATED receiver
// writing 1 Hz NMEA to a pseudo-terminal in real time. Prints one JSON line per measurement:
//   phase "idle":            online, GNSS flowing, nobody checked in, face models not loaded
//   phase "checkin_latency": POST /checkin (student) → the simulator has the 0x0201 and has sent
//                            its 0x8201 reply (its student_logins count moves), face check
//                            included; p50/p95 over N check-ins (each followed by a check-out)
//   phase "session":         a student training between check-ins, face models loaded
//   phase "session_resumed": the same session after a restart of the agent (resume), so
//                            without face models loaded
// Resident memory is VmRSS/VmHWM of /proc/PID/status; CPU is (utime+stime) over wall time of
// /proc/PID/stat, in % of one core.
//   agent_run_bench [window_s=20] [checkins=20]
// Needs ../shared/data/faces/att (two people's images) and the face models of scripts/setup.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tta/gps/route_sim.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/nmea_pty.hpp"
#include "support/process.hpp"
#include "tta/config/config.hpp"
#include "tta/core/time_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using tta::testing::BackgroundProcess;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A request to the agent's control API or the simulator's admin API; a body that is not a JSON
/// object (or none, when the request failed) reads as {}.
tta::testing::HttpReply request(int port, http::verb verb, const std::string& target,
                                const std::string& token, const std::string& body = "") {
  auto reply = tta::testing::http_request(port, verb, target, token, body);
  if (!reply.body.is_object()) reply.body = json::object();
  return reply;
}

template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit, std::chrono::milliseconds every) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return false;
}

/// utime + stime of a process, seconds.
double cpu_seconds(int pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// The number of a "VmRSS:   1234 kB" or "Threads: 5" line of /proc/PID/status.
double status_value(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) return std::stod(line.substr(key.size() + 1));
  }
  return -1;
}

json measure(const char* phase, int pid, int window_s) {
  const double cpu0 = cpu_seconds(pid);
  const auto t0 = Steady::now();
  std::this_thread::sleep_for(std::chrono::seconds(window_s));
  const double cpu1 = cpu_seconds(pid);
  const double wall = std::chrono::duration<double>(Steady::now() - t0).count();
  return {{"phase", phase},
          {"window_s", wall},
          {"cpu_percent_of_one_core", 100.0 * (cpu1 - cpu0) / wall},
          {"rss_mb", status_value(pid, "VmRSS") / 1024.0},
          {"hwm_mb", status_value(pid, "VmHWM") / 1024.0},
          {"threads", status_value(pid, "Threads")}};
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const int window_s = argc > 1 ? std::atoi(argv[1]) : 20;
  const int checkins = argc > 2 ? std::atoi(argv[2]) : 20;
  const fs::path faces = fs::path(TTA_SHARED_DATA_DIR) / "faces/att";
  if (!fs::exists(faces) || !fs::exists("/usr/local/share/tta/models/fr_detect.onnx")) {
    std::cerr << "agent_run_bench: needs " << faces << " and the face models (scripts/setup)\n";
    return 2;
  }
  const fs::path dir = fs::temp_directory_path() / ("tta-run-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "camera");
  BackgroundProcess sim({TTA_SIM_BIN, "--tcp-port", "0", "--admin-port", "0", "--data-dir",
                         (dir / "platform").string()});
  std::smatch m;
  const std::string ports = sim.read_line(20'000);
  if (!std::regex_search(ports, m, std::regex("tcp_port=(\\d+) admin_port=(\\d+)"))) {
    std::cerr << "agent_run_bench: the simulator said: " << ports << '\n';
    return 1;
  }
  const int admin_port = std::stoi(m[2].str());
  const int api_port = tta::testing::free_tcp_port();

  // Camera frames, 5 per check: the coach's check-in, then the student's in and out, N+1 times.
  int frame = 0;
  auto add_frames = [&](const char* subject, int first) {
    for (int k = 0; k < 5; ++k) {
      char name[32];
      std::snprintf(name, sizeof name, "%04d.pgm", frame++);
      fs::copy_file(faces / subject / (std::to_string(2 + (first + k) % 9) + ".pgm"),
                    dir / "camera" / name);
    }
  };
  add_frames("s1", 0);
  for (int i = 0; i <= checkins; ++i) {
    add_frames("s2", i);
    add_frames("s2", i + 3);
  }

  std::string text = slurp(fs::path(TTA_SOURCE_DIR) / "config/demo.toml");
  auto cfg0 = tta::config::parse_config(text, fs::path(TTA_SOURCE_DIR) / "config/demo.toml");
  if (!cfg0) return 1;
  tta::gps::RouteOptions route;
  route.start = tta::SystemClock().wall_now();  // real time, 1 Hz
  route.start = tta::WallTime{std::chrono::seconds(tta::unix_seconds(route.start))};
  route.seconds = 3600;
  route.area = cfg0->gps.fences.front();
  std::vector<std::string> nmea;
  for (const auto& f : tta::gps::simulate_route(route)) {
    std::istringstream lines(tta::gps::to_nmea({f}));
    std::string line, fix_text;
    while (std::getline(lines, line)) {
      if (line.starts_with("$")) fix_text += line + (line.ends_with("\r") ? "\n" : "\r\n");
    }
    nmea.push_back(fix_text);
  }
  tta::testing::NmeaPty receiver(std::move(nmea), 1.0);
  if (!receiver.ok()) return 1;
  auto swap = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
  };
  swap("\"../demo-run/tta.db\"", "\"tta.db\"");
  swap("\"../demo-run/store.key\"", "\"store.key\"");
  swap("\"../demo-run/control.token\"", "\"control.token\"");
  swap("port = 16000", "port = " + m[1].str());
  swap("127.0.0.1:18808", "127.0.0.1:" + std::to_string(api_port));
  swap("replay://../demo-run/route.nmea?rate=0", "serial://" + receiver.device());
  swap("dir://../demo-run/camera", "dir://camera");
  swap("log_level = \"info\"", "log_level = \"warn\"");
  // Between check-ins means no timed photos or re-checks inside the measuring windows.
  swap("[training]\n", "[training]\nphoto_interval_min = 255\nrecheck_interval_min = 65535\n");
  const fs::path config = dir / "agent.toml";
  std::ofstream(config) << text;

  auto agent_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), TTA_AGENT_BIN);
    return tta::testing::run_process(args);
  };
  if (agent_cmd({"init", "--config", config}).exit_code != 0 ||
      agent_cmd({"enroll", "--config", config, "--role", "coach", "--number", "3201000000000201",
                 "--id-card", "320106199003071234", "--name", "c", "--licence", "C1", "--photo",
                 (faces / "s1/1.pgm").string()}).exit_code != 0 ||
      agent_cmd({"enroll", "--config", config, "--role", "student", "--number",
                 "3201000000000101", "--id-card", "11010519491231002X", "--name", "s",
                 "--licence", "C1", "--photo", (faces / "s2/1.pgm").string()}).exit_code != 0) {
    std::cerr << "agent_run_bench: init or enrol failed\n";
    return 1;
  }
  std::string token = slurp(dir / "control.token");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  auto status = [&] { return request(api_port, http::verb::get, "/status", token).body; };
  auto sim_count = [&](const char* key) {
    return request(admin_port, http::verb::get, "/sim/summary", "").body.value(key, -1);
  };
  auto running = [&] {
    auto s = status();
    return s.value("uplink_online", false) && s.value("gnss_fixes", 0) > 0;
  };

  receiver.start();
  std::optional<BackgroundProcess> agent;
  agent.emplace(std::vector<std::string>{TTA_AGENT_BIN, "run", "--config", config.string()});
  if (!wait_for(running, std::chrono::seconds(30), std::chrono::milliseconds(100))) {
    std::cerr << "agent_run_bench: the agent did not come up\n";
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // settle after start-up
  std::cout << measure("idle", agent->pid(), window_s).dump() << std::endl;

  auto post = [&](const std::string& body, const char* path) {
    return request(api_port, http::verb::post, path, token, body);
  };
  if (post(R"({"role":"coach","number":"3201000000000201"})", "/checkin").status != 200) {
    std::cerr << "agent_run_bench: coach check-in refused\n";
    return 1;
  }
  std::vector<double> reply_ms, api_ms;
  const std::string student_in =
      R"({"role":"student","number":"3201000000000101","course":"1212110000"})";
  for (int i = 1; i <= checkins; ++i) {
    const int logins = sim_count("student_logins");
    const auto t0 = Steady::now();
    auto r = post(student_in, "/checkin");
    const auto t1 = Steady::now();
    if (r.status != 200) {
      std::cerr << "agent_run_bench: check-in " << i << " refused: " << r.body.dump() << '\n';
      return 1;
    }
    if (!wait_for([&] { return sim_count("student_logins") > logins; }, std::chrono::seconds(10),
                  std::chrono::milliseconds(1))) {
      std::cerr << "agent_run_bench: the login never reached the simulator\n";
      return 1;
    }
    const auto t2 = Steady::now();
    api_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    reply_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    if (post(R"({"role":"student"})", "/checkout").status != 200) {
      std::cerr << "agent_run_bench: check-out " << i << " refused\n";
      return 1;
    }
  }
  std::cout << json{{"phase", "checkin_latency"},
                    {"checkins", checkins},
                    {"to_platform_reply_ms_p50", percentile(reply_ms, 0.5)},
                    {"to_platform_reply_ms_p95", percentile(reply_ms, 0.95)},
                    {"to_platform_reply_ms_max", percentile(reply_ms, 1.0)},
                    {"api_answer_ms_p50", percentile(api_ms, 0.5)},
                    {"api_answer_ms_p95", percentile(api_ms, 0.95)}}
                   .dump()
            << std::endl;

  if (post(student_in, "/checkin").status != 200) {
    std::cerr << "agent_run_bench: last check-in refused\n";
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::cout << measure("session", agent->pid(), window_s).dump() << std::endl;

  agent.reset();  // SIGTERM; the session stays open in the store
  agent.emplace(std::vector<std::string>{TTA_AGENT_BIN, "run", "--config", config.string()});
  if (!wait_for(running, std::chrono::seconds(30), std::chrono::milliseconds(100))) return 1;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const bool resumed = !status().value("student_no", "").empty();
  auto j = measure("session_resumed", agent->pid(), window_s);
  j["resumed"] = resumed;  // false: resume() is not wired into run, so nobody is logged in
  std::cout << j.dump() << std::endl;
  agent.reset();
  receiver.stop();
  fs::remove_all(dir);
  return 0;
}
