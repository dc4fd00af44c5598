#pragma once
// What the CLI tests share: a private folder per test and the committed demo config with its
// store, key and control token moved into that folder.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace tta::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A fresh, empty folder named after `prefix`, the process and the running test.
inline std::filesystem::path fresh_test_dir(std::string_view prefix) {
  const auto dir = std::filesystem::temp_directory_path() /
                   (std::string(prefix) + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// config/demo.toml with tta.db, store.key and control.token beside the config file (a
/// relative path in the config is relative to the file). A line it cannot find fails the test.
inline std::string demo_config_with_local_store() {
  std::string text = slurp(std::filesystem::path(TTA_SOURCE_DIR) / "config/demo.toml");
  for (const auto& [from, to] : {std::pair<std::string_view, std::string_view>{
                                     "\"../demo-run/tta.db\"", "\"tta.db\""},
                                 {"\"../demo-run/store.key\"", "\"store.key\""},
                                 {"\"../demo-run/control.token\"", "\"control.token\""}}) {
    const auto at = text.find(from);
    if (at == std::string::npos) {
      ADD_FAILURE() << "config/demo.toml has no " << from;
      continue;
    }
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace tta::testing
