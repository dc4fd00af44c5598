#pragma once
/// The request target of the control API: "/progress?student=3201…" → path and query items,
/// percent- and '+'-decoded (a malformed escape is kept as it is). Header-only, so the fuzz
/// target needs nothing else.

#include <cctype>
#include <map>
#include <string>
#include <string_view>

namespace tta::agent {

struct ControlTarget {
  std::string path;
  std::map<std::string, std::string> query;
};

[[nodiscard]] inline ControlTarget parse_control_target(std::string_view target) {
  auto decode = [](std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        auto nibble = [](char c) {
          return std::isdigit(static_cast<unsigned char>(c))
                     ? c - '0'
                     : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
        };
        out += static_cast<char>(nibble(s[i + 1]) * 16 + nibble(s[i + 2]));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  ControlTarget t;
  const auto q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const auto eq = item.find('=');
    if (!item.empty()) {
      t.query[decode(item.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : decode(item.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return t;
}

}  // namespace tta::agent
