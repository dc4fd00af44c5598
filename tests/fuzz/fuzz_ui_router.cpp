// libFuzzer target: the screens' router (agent/src/control/ui.*) as a browser, or anything else
// on the device, reaches it. The first byte picks whether the request carries a live session
// cookie (bit 0) and its CSRF token (bit 1); the rest is METHOD \n TARGET \n COOKIE \n BODY.
// Every request gets exactly one answer, with a status the screens use, the security headers,
// and a JSON body that serialises when it is not a page or a file.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "control/api.hpp"
#include "control/ui.hpp"
#include "support/fake_control_backend.hpp"

namespace {
using tta::agent::control::Response;
namespace ui = tta::agent::control::ui;

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

std::string_view field(std::string_view& rest) {
  const auto nl = rest.find('\n');
  const std::string_view f = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::set<unsigned> kStatuses = {200, 303, 400, 401, 403, 404, 405,
                                                409, 413, 429, 500, 503};
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view method = field(rest);
  const std::string_view target = field(rest);
  std::string cookie(field(rest));
  const std::string_view body = rest;

  tta::testing::FakeControlBackend backend;
  ui::Sessions sessions;
  const auto now = ui::Clock::time_point{} + std::chrono::hours(1);
  std::string csrf;
  if (data[0] & 1) {
    const std::string id = sessions.create(now);
    if (id.empty()) std::abort();
    cookie += "; tta_ui=" + id;
    if (data[0] & 2) csrf = sessions.find("tta_ui=" + id, now)->csrf;
  }
  int answers = 0;
  Response last;
  ui::route(backend, sessions, kToken,
            ui::Request{.method = method, .target = target, .body = body, .cookie = cookie, .csrf = csrf},
            now, [&](Response r) {
              ++answers;
              last = std::move(r);
            });
  if (answers != 1 || !kStatuses.contains(last.status)) std::abort();
  bool csp = false;
  for (const auto& [k, v] : last.headers) csp = csp || k == "Content-Security-Policy";
  if (!csp) std::abort();
  if (last.content_type.empty()) {
    const std::string text = tta::agent::control::serialise(last.body);
    if (nlohmann::json::parse(text, nullptr, false).is_discarded()) std::abort();
  }
  // A change without the session's CSRF token never reaches the terminal.
  if (csrf.empty() && !backend.checks.empty()) std::abort();
  return 0;
}
