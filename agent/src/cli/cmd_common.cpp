#include <iostream>

#include "cli/common.hpp"

namespace tta::agent {

std::optional<config::Config> load_config_or_report(const std::string& file) {
  auto cfg = config::load_config(file);
  if (!cfg) {
    for (const auto& d : cfg.error()) std::cerr << d.to_string() << '\n';
    std::cerr << cfg.error().size() << " problem(s) in " << file << '\n';
    return std::nullopt;
  }
  return std::move(*cfg);
}

int exit_code_for(const Error& e) {
  switch (e.code) {
    case Errc::wrong_key: return kExitWrongKey;
    case Errc::permission: return kExitInsecureKey;
    case Errc::corrupt:
    case Errc::incompatible: return kExitStoreDamaged;
    case Errc::not_found:
    case Errc::invalid_argument: return kExitUsage;
    default: return kExitFailure;
  }
}

}  // namespace tta::agent
