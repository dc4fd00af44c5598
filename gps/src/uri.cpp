#include <charconv>

#include "tta/gps/source.hpp"

namespace tta::gps {

Result<SourceUri> parse_source_uri(std::string_view uri) {
  auto parsed = parse_uri(uri, "GNSS source");
  if (!parsed) return fail(parsed.error());
  SourceUri u;
  static_cast<Uri&>(u) = std::move(*parsed);
  if (u.scheme == "replay" || u.scheme == "serial") {
    if (u.path.empty()) return fail(Errc::invalid_argument, u.scheme + ":// needs a path");
    return u;
  }
  if (u.scheme == "gpsd") {
    std::string_view rest = u.path;
    if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
      const std::string_view port = rest.substr(colon + 1);
      unsigned v = 0;
      const auto r = std::from_chars(port.data(), port.data() + port.size(), v);
      if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || v == 0 || v > 65535) {
        return fail(Errc::invalid_argument, "gpsd:// port \"" + std::string(port) + "\" is invalid");
      }
      u.port = static_cast<std::uint16_t>(v);
      rest = rest.substr(0, colon);
    }
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    u.host = rest.empty() ? "127.0.0.1" : std::string(rest);
    u.path.clear();
    return u;
  }
  return fail(Errc::invalid_argument,
              "unknown GNSS source scheme \"" + u.scheme + "\" (serial, gpsd or replay)");
}

}  // namespace tta::gps
