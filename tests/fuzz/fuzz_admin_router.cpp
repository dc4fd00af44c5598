// libFuzzer target: the administrator's pages' router (agent/src/control/admin.cpp), which may
// face the school's LAN. The first byte picks whether the request carries a live
// administrator's session cookie (bit 0) and its CSRF token (bit 1); the rest is
// METHOD \n TARGET \n COOKIE \n BODY. Every request gets exactly one answer, with a status the
// pages use and the security headers; nothing changes without the CSRF token.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "control/admin.hpp"
#include "support/fake_admin_backend.hpp"

namespace {
using tta::agent::control::Response;
namespace ui = tta::agent::control::ui;

std::string_view field(std::string_view& rest) {
  const auto nl = rest.find('\n');
  const std::string_view f = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  return f;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::set<unsigned> kStatuses = {200, 303, 400, 401, 403, 404, 405, 409, 500, 503};
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view method = field(rest);
  const std::string_view target = field(rest);
  std::string cookie(field(rest));
  const std::string_view body = rest;

  tta::testing::FakeAdminBackend backend;
  ui::Sessions sessions{"tta_admin"};
  const auto now = ui::Clock::time_point{} + std::chrono::hours(1);
  std::string csrf;
  if (data[0] & 1) {
    const std::string id = sessions.create(now, "ada");
    if (id.empty()) std::abort();
    cookie += "; tta_admin=" + id;
    if (data[0] & 2) csrf = sessions.find("tta_admin=" + id, now)->csrf;
  }
  int answers = 0;
  Response last;
  tta::agent::control::admin::route(
      backend, sessions,
      ui::Request{.method = method, .target = target, .body = body, .cookie = cookie, .csrf = csrf},
      now, [&](Response r) {
        ++answers;
        last = std::move(r);
      });
  if (answers != 1 || !kStatuses.contains(last.status)) std::abort();
  bool hsts = false;
  for (const auto& [k, v] : last.headers) hsts = hsts || k == "Strict-Transport-Security";
  if (!hsts) std::abort();
  if (csrf.empty() && !backend.refused) std::abort();  // a retry without the CSRF token
  return 0;
}
