#include <charconv>

#include "tta/gps/source.hpp"

namespace tta::gps {

Result<SourceUri> parse_source_uri(std::string_view uri) {
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos) {
    return fail(Errc::invalid_argument, "GNSS source \"" + std::string(uri) + "\" has no scheme://");
  }
  SourceUri u;
  u.scheme = std::string(uri.substr(0, sep));
  std::string_view rest = uri.substr(sep + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail(Errc::invalid_argument, "GNSS source query \"" + std::string(kv) + "\" is not key=value");
    }
    u.query.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  if (u.scheme == "replay" || u.scheme == "serial") {
    if (rest.empty()) return fail(Errc::invalid_argument, u.scheme + ":// needs a path");
    u.path = std::string(rest);
    return u;
  }
  if (u.scheme == "gpsd") {
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
    return u;
  }
  return fail(Errc::invalid_argument,
              "unknown GNSS source scheme \"" + u.scheme + "\" (serial, gpsd or replay)");
}

}  // namespace tta::gps
