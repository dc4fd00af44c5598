#pragma once
/// The screens' files (agent/web/), compiled into the binary by cmake/embed_assets.cmake.

#include <string_view>
#include <vector>

namespace tta::agent::control::ui {

struct Asset {
  std::string_view path;  ///< "/terminal.html", relative to agent/web/
  std::string_view type;  ///< the Content-Type it is served with
  std::string_view data;
};

/// Every embedded file (generated).
[[nodiscard]] const std::vector<Asset>& assets();

/// The file at `path` ("/app.css"), or null.
[[nodiscard]] inline const Asset* find_asset(std::string_view path) {
  for (const auto& a : assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace tta::agent::control::ui
