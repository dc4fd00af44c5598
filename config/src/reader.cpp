#include "reader.hpp"

namespace tta::config::detail {

void Diagnostics::add(const toml::source_region& where, std::string key_path,
                      std::string message) {
  list_.push_back(Diagnostic{file_, where.begin.line, where.begin.column, std::move(key_path),
                             std::move(message)});
}

Section::Section(Diagnostics& diag, const toml::table* table, std::string path,
                 toml::source_region where)
    : diag_(&diag), table_(table), path_(std::move(path)), where_(where) {}

std::string Section::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

const toml::node* Section::get(std::string_view key) {
  known_.emplace(key);
  if (table_ == nullptr) return nullptr;
  return table_->get(key);
}

void Section::missing(std::string_view key) {
  diag_->add(where_, key_path(key), "required key is missing");
}

void Section::error(std::string_view key, std::string message) {
  const toml::node* n = table_ ? table_->get(key) : nullptr;
  diag_->add(n ? n->source() : where_, key_path(key), std::move(message));
}

void Section::error_at(const toml::node& node, std::string_view key, std::string message) {
  diag_->add(node.source(), key_path(key), std::move(message));
}

std::filesystem::path Section::resolve(const std::filesystem::path& p) const {
  if (p.empty() || p.is_absolute()) return p;
  // Absolute even when the config was named by a relative path (`--config run/agent.toml`):
  // camera and GNSS URIs need an absolute path, and a relative one would follow the cwd.
  std::error_code ec;
  auto base = std::filesystem::absolute(diag_->file().parent_path(), ec);
  if (ec) base = diag_->file().parent_path();
  return (base / p).lexically_normal();
}

void Section::str(std::string_view key, std::string& out, bool required) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (required) missing(key);
    return;
  }
  if (auto v = n->value<std::string>(); v && n->is_string()) {
    out = *v;
  } else {
    error_at(*n, key, "must be a string");
  }
}

void Section::boolean(std::string_view key, bool& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  if (n->is_boolean()) {
    out = *n->value<bool>();
  } else {
    error_at(*n, key, "must be true or false");
  }
}

void Section::real(std::string_view key, double& out, double min, double max) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  if (!n->is_number()) {
    error_at(*n, key, "must be a number");
    return;
  }
  const double v = *n->value<double>();
  if (!(v >= min && v <= max)) {
    error_at(*n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return;
  }
  out = v;
}

bool Section::read_integer(std::string_view key, std::int64_t& out, std::int64_t min,
                           std::int64_t max, bool required) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (required) missing(key);
    return false;
  }
  if (!n->is_integer()) {
    error_at(*n, key, "must be an integer");
    return false;
  }
  const std::int64_t v = *n->value<std::int64_t>();
  if (v < min || v > max) {
    error_at(*n, key,
             "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                 ", got " + std::to_string(v));
    return false;
  }
  out = v;
  return true;
}

void Section::path(std::string_view key, std::filesystem::path& out, bool required) {
  std::string s;
  const bool had = table_ != nullptr && table_->get(key) != nullptr;
  str(key, s, required);
  if (!had) return;
  if (s.empty()) {
    error(key, "must not be empty");
    return;
  }
  out = resolve(s);
}

Section Section::table(std::string_view key) {
  const toml::node* n = get(key);
  if (n == nullptr) return Section(*diag_, nullptr, key_path(key), where_);
  if (!n->is_table()) {
    error_at(*n, key, "must be a table");
    return Section(*diag_, nullptr, key_path(key), n->source());
  }
  return Section(*diag_, n->as_table(), key_path(key), n->source());
}

std::vector<Section> Section::tables(std::string_view key) {
  std::vector<Section> out;
  const toml::node* n = get(key);
  if (n == nullptr) return out;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    error_at(*n, key, "must be an array of tables ([[" + key_path(key) + "]])");
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& item = *arr->get(i);
    const std::string item_path = key_path(key) + "[" + std::to_string(i) + "]";
    if (!item.is_table()) {
      diag_->add(item.source(), item_path, "must be a table");
      continue;
    }
    out.emplace_back(*diag_, item.as_table(), item_path, item.source());
  }
  return out;
}

const toml::node* Section::raw(std::string_view key) { return get(key); }

void Section::finish() {
  if (table_ == nullptr) return;
  for (const auto& [k, v] : *table_) {
    if (!known_.contains(k.str())) {
      diag_->add(k.source(), key_path(k.str()), "unknown key");
    }
  }
}

}  // namespace tta::config::detail
