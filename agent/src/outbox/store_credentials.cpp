#include "outbox/store_credentials.hpp"

namespace tta::agent {
namespace {
constexpr const char* kKeys[] = {"cred.platform_no", "cred.institution_no", "cred.terminal_no",
                                 "cred.certificate_password", "cred.certificate_base64"};
}

Result<std::optional<uplink::Credentials>> StoreCredentials::load() {
  std::string values[5];
  for (int i = 0; i < 5; ++i) {
    auto v = store_.param(kKeys[i]);
    if (!v) return fail(v.error());
    if (!*v) return std::optional<uplink::Credentials>();
    values[i] = std::move(**v);
  }
  return std::optional<uplink::Credentials>(
      uplink::Credentials{values[0], values[1], values[2], values[3], values[4]});
}

Status StoreCredentials::save(const uplink::Credentials& c) {
  const std::string* values[5] = {&c.platform_no, &c.institution_no, &c.terminal_no,
                                  &c.certificate_password, &c.certificate_base64};
  const auto now = unix_millis(clock_.wall_now());
  // The terminal number goes last: load() sees all five or none of them.
  for (int i : {0, 1, 3, 4, 2}) {
    if (auto st = store_.set_param(kKeys[i], *values[i], now); !st) return st;
  }
  return ok();
}

}  // namespace tta::agent
