#pragma once
/// Administrator accounts for the administrator's pages (README, "Administrator pages"): kept
/// in the encrypted store, passwords hashed with scrypt (OpenSSL's EVP_PBE_scrypt; memory-hard,
/// 32 MiB and about 0.1 s per hash here). The hash is split from the store lookup so a login
/// can hash on a worker thread while the event loop goes on.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// scrypt cost: N = 2^15, r = 8, p = 1 (128·N·r bytes = 32 MiB of memory per hash).
struct ScryptCost {
  std::uint64_t n = 1u << 15;
  std::uint64_t r = 8;
  std::uint64_t p = 1;
};

/// "scrypt$N$r$p$SALT$HASH" (hex), for a new password with a fresh 16-byte salt.
[[nodiscard]] Result<std::string> hash_password(std::string_view password, ScryptCost cost = {});
/// True when `password` gives `stored` (constant-time compare). A malformed `stored` is false.
[[nodiscard]] bool password_matches(std::string_view password, std::string_view stored);

/// A name administrators log in with: 1-32 of a-z 0-9 . _ -
[[nodiscard]] bool valid_admin_name(std::string_view name);
inline constexpr std::size_t kMinPasswordLength = 10;

/// Add an administrator, or set a new password for one (the store's event log says which).
[[nodiscard]] Status set_admin(store::Store& store, std::string_view name, std::string_view password,
                               std::int64_t now_ms);
/// The stored hash of an administrator, nullopt when there is none of that name.
[[nodiscard]] Result<std::optional<std::string>> admin_hash(store::Store& store, std::string_view name);
/// Every administrator's name.
[[nodiscard]] Result<std::vector<std::string>> admin_names(store::Store& store);

}  // namespace tta::agent
