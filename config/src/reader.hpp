#pragma once
// A small validating walker over a toml++ table: every read records which keys are known,
// every problem becomes a Diagnostic with the node's position, and `finish()` reports the
// keys nobody asked for (so typos are caught).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "tta/config/config.hpp"

namespace tta::config::detail {

class Diagnostics {
 public:
  explicit Diagnostics(std::filesystem::path file) : file_(std::move(file)) {}
  void add(const toml::source_region& where, std::string key_path, std::string message);
  [[nodiscard]] const std::filesystem::path& file() const { return file_; }
  [[nodiscard]] std::vector<Diagnostic> take() { return std::move(list_); }
  [[nodiscard]] bool empty() const { return list_.empty(); }

 private:
  std::filesystem::path file_;
  std::vector<Diagnostic> list_;
};

class Section {
 public:
  /// `table` may be null: the section is absent, reads leave defaults and report required keys.
  Section(Diagnostics& diag, const toml::table* table, std::string path,
          toml::source_region where);

  void str(std::string_view key, std::string& out, bool required = false);
  void boolean(std::string_view key, bool& out);
  void real(std::string_view key, double& out, double min, double max);
  /// A path; relative ones are resolved against the config file's directory.
  void path(std::string_view key, std::filesystem::path& out, bool required = false);

  template <typename T>
  void integer(std::string_view key, T& out, std::int64_t min, std::int64_t max,
               bool required = false) {
    std::int64_t v = 0;
    if (read_integer(key, v, min, max, required)) out = static_cast<T>(v);
  }

  /// A sub-table; absent gives a Section over null.
  [[nodiscard]] Section table(std::string_view key);
  /// An array of tables ([[key]]).
  [[nodiscard]] std::vector<Section> tables(std::string_view key);
  /// The raw node for custom checks (marks the key known); null when absent.
  [[nodiscard]] const toml::node* raw(std::string_view key);

  /// Report a problem at this key (or at the section when the key is absent).
  void error(std::string_view key, std::string message);
  /// Report a problem at a given node.
  void error_at(const toml::node& node, std::string_view key, std::string message);

  /// Report unknown keys. Call once, after every read.
  void finish();

  [[nodiscard]] bool present() const { return table_ != nullptr; }
  [[nodiscard]] const std::string& path_prefix() const { return path_; }
  [[nodiscard]] std::filesystem::path resolve(const std::filesystem::path& p) const;

 private:
  bool read_integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max,
                    bool required);
  const toml::node* get(std::string_view key);
  [[nodiscard]] std::string key_path(std::string_view key) const;
  void missing(std::string_view key);

  Diagnostics* diag_;
  const toml::table* table_;
  std::string path_;
  toml::source_region where_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace tta::config::detail
