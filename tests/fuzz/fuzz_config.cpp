// libFuzzer target: the config parser must turn any bytes into a config or diagnostics,
// never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tta/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = tta::config::parse_config(text, "/fuzz/agent.toml");
  if (!cfg) {
    for (const auto& d : cfg.error()) (void)d.to_string();
  }
  return 0;
}
