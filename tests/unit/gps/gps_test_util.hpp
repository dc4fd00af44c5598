#pragma once
// Helpers shared by the gps tests.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "tta/gps/nmea.hpp"

namespace tta::gps::test {

/// "$" + body + "*" + correct checksum.
inline std::string nmea(std::string_view body) {
  char cs[4];
  std::snprintf(cs, sizeof cs, "%02X", nmea_checksum(body));
  return "$" + std::string(body) + "*" + cs;
}

/// The shared receiver logs, or empty when ../shared is absent.
inline std::filesystem::path shared_nmea_dir() {
  const std::filesystem::path p = std::filesystem::path(TTA_SHARED_DATA_DIR) / "nmea";
  return std::filesystem::is_directory(p) ? p : std::filesystem::path{};
}

}  // namespace tta::gps::test
