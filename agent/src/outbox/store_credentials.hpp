#pragma once
/// Terminal credentials from registration (0x8100), kept in the encrypted store's parameter
/// table: the PKCS#12 and its password never touch the disk in clear.

#include "tta/store/store.hpp"
#include "tta/uplink/session.hpp"

namespace tta::agent {

class StoreCredentials final : public uplink::CredentialStore {
 public:
  StoreCredentials(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  Result<std::optional<uplink::Credentials>> load() override;
  Status save(const uplink::Credentials& c) override;

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace tta::agent
