// libFuzzer target: the one source-URI parser (core) and the gps and vehicle parsers on top of
// it take any bytes without crashing, and what they accept holds together.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tta/core/uri.hpp"
#include "tta/gps/source.hpp"
#include "tta/vehicle/signals.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto u = tta::parse_uri(text, "fuzz")) {
    // The scheme leads the text; the path is in it; every query key is non-empty.
    if (u->scheme.empty() || text.substr(0, u->scheme.size() + 3) != u->scheme + "://") std::abort();
    if (text.find(u->path) == std::string_view::npos) std::abort();
    for (const auto& [k, v] : u->query) {
      if (k.empty()) std::abort();
      (void)u->number(k, 0);
    }
  }
  if (auto g = tta::gps::parse_source_uri(text)) {
    if (g->scheme == "gpsd" ? g->port == 0 || g->host.empty() : g->path.empty()) std::abort();
  }
  if (auto v = tta::vehicle::parse_vehicle_uri(text)) {
    if (v->scheme != "sim" && v->path.empty()) std::abort();
  }
  return 0;
}
