#pragma once
// Shared setup for tests that run the demo as a user does: tta-platform-sim as a process and
// the agent on config/demo.toml, moved into the test's own directory.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

namespace tta::testing {

/// The ports tta-platform-sim announces on its first line ("tcp_port=N admin_port=M"): the test
/// asserts that it matched, then reads [1] (TCP) and [2] (admin HTTP).
inline bool parse_sim_ports(const std::string& line, std::smatch& m) {
  return std::regex_search(line, m, std::regex("tcp_port=(\\d+) admin_port=(\\d+)"));
}

/// Replace the first `from` in `text` by `to`; a test failure when there is none.
inline void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

/// config/demo.toml (under TTA_SOURCE_DIR, which the test targets define) with the store in
/// the config's own directory and the uplink on `tcp_port`; each text that is not there to be
/// replaced is a test failure.
inline std::string demo_config_text(const std::string& tcp_port) {
  std::ifstream in(std::filesystem::path(TTA_SOURCE_DIR) / "config/demo.toml", std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  replace_once(text, "\"../demo-run/tta.db\"", "\"tta.db\"");
  replace_once(text, "\"../demo-run/store.key\"", "\"store.key\"");
  replace_once(text, "port = 16000", "port = " + tcp_port);
  return text;
}

}  // namespace tta::testing
