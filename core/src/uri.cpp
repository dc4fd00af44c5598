#include "tta/core/uri.hpp"

#include <charconv>

namespace tta {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s.front())) return false;
  for (const char c : s) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

Result<std::uint64_t> Uri::number(std::string_view key, std::uint64_t fallback) const {
  const auto it = query.find(key);
  if (it == query.end()) return fallback;
  const std::string& s = it->second;
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || !is_digit(s.front()) || r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
    return fail(Errc::invalid_argument,
                scheme + "://: " + std::string(key) + "=" + s + " is not a whole number");
  }
  return v;
}

Result<Uri> parse_uri(std::string_view text, std::string_view what) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return fail(Errc::invalid_argument,
                std::string(what) + " \"" + std::string(text) + "\" has no scheme://");
  }
  Uri u;
  u.scheme = std::string(text.substr(0, sep));
  if (!is_scheme(u.scheme)) {
    return fail(Errc::invalid_argument, std::string(what) + " \"" + std::string(text) +
                                            "\": \"" + u.scheme + "\" is not a scheme");
  }
  std::string_view rest = text.substr(sep + 3);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  u.path = std::string(rest);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail(Errc::invalid_argument,
                  std::string(what) + " query \"" + std::string(kv) + "\" is not key=value");
    }
    const std::string key(kv.substr(0, eq));
    if (!u.query.emplace(key, std::string(kv.substr(eq + 1))).second) {
      return fail(Errc::invalid_argument,
                  std::string(what) + " query names \"" + key + "\" twice");
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return u;
}

}  // namespace tta
