#include "daemon/admin_accounts.hpp"

#include <algorithm>
#include <charconv>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tta/core/hex.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::agent {

namespace {

constexpr std::string_view kUsersParam = "admin.users";  ///< comma-separated names
std::string hash_param(std::string_view name) { return "admin.user." + std::string(name); }
constexpr std::size_t kHashBytes = 32;

std::optional<std::vector<std::uint8_t>> scrypt(std::string_view password,
                                                std::span<const std::uint8_t> salt, ScryptCost c) {
  std::vector<std::uint8_t> out(kHashBytes);
  // maxmem: what N, r and p need, with room (OpenSSL refuses above it).
  const std::uint64_t maxmem = 128 * c.n * c.r * c.p + (16u << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), c.n, c.r, c.p,
                     maxmem, out.data(), out.size()) != 1) {
    return std::nullopt;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool to_u64(std::string_view s, std::uint64_t& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

Result<std::string> hash_password(std::string_view password, ScryptCost cost) {
  auto salt = random_bytes(16);
  if (!salt) return fail(salt.error());
  auto h = scrypt(password, *salt, cost);
  if (!h) return fail(Errc::internal, "scrypt failed (OpenSSL)");
  return "scrypt$" + std::to_string(cost.n) + "$" + std::to_string(cost.r) + "$" +
         std::to_string(cost.p) + "$" + to_hex(*salt) + "$" + to_hex(*h);
}

bool password_matches(std::string_view password, std::string_view stored) {
  const auto parts = split(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptCost c;
  if (!to_u64(parts[1], c.n) || !to_u64(parts[2], c.r) || !to_u64(parts[3], c.p)) return false;
  // Costs a stored value may ask for: no more than 1 GiB of memory, no silly N.
  if (c.n < 2 || c.n > (1u << 22) || (c.n & (c.n - 1)) != 0 || c.r == 0 || c.r > 32 || c.p == 0 ||
      c.p > 16 || 128 * c.n * c.r * c.p > (1ull << 30)) {
    return false;
  }
  auto salt = from_hex(parts[4]);
  auto want = from_hex(parts[5]);
  if (!salt || !want || want->size() != kHashBytes || salt->empty()) return false;
  auto got = scrypt(password, *salt, c);
  return got && CRYPTO_memcmp(got->data(), want->data(), kHashBytes) == 0;
}

bool valid_admin_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
  });
}

Result<std::vector<std::string>> admin_names(store::Store& store) {
  auto list = store.param(kUsersParam);
  if (!list) return fail(list.error());
  std::vector<std::string> out;
  if (!*list || (*list)->empty()) return out;
  for (auto n : split(**list, ',')) {
    if (valid_admin_name(n)) out.emplace_back(n);
  }
  return out;
}

Result<std::optional<std::string>> admin_hash(store::Store& store, std::string_view name) {
  if (!valid_admin_name(name)) return std::optional<std::string>{};
  return store.param(hash_param(name));
}

Status set_admin(store::Store& store, std::string_view name, std::string_view password,
                 std::int64_t now_ms) {
  if (!valid_admin_name(name)) {
    return fail(Errc::invalid_argument, "an administrator's name is 1-32 of a-z, 0-9, '.', '_', '-'");
  }
  if (password.size() < kMinPasswordLength) {
    return fail(Errc::invalid_argument, "the password must be at least " +
                                            std::to_string(kMinPasswordLength) + " characters");
  }
  auto hash = hash_password(password);
  if (!hash) return fail(hash.error());
  auto names = admin_names(store);
  if (!names) return fail(names.error());
  const bool known = std::find(names->begin(), names->end(), name) != names->end();
  if (auto st = store.set_param(hash_param(name), *hash, now_ms); !st) return st;
  if (!known) {
    std::string list;
    for (const auto& n : *names) list += n + ",";
    list += std::string(name);
    if (auto st = store.set_param(kUsersParam, list, now_ms); !st) return st;
  }
  return store.log_event(known ? "admin.password_set" : "admin.added", std::string(name), now_ms);
}

}  // namespace tta::agent
