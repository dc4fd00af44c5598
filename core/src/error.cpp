#include "tta/core/result.hpp"

namespace tta {

std::string_view to_string(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::parse: return "parse";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::io: return "io";
    case Errc::permission: return "permission";
    case Errc::wrong_key: return "wrong_key";
    case Errc::corrupt: return "corrupt";
    case Errc::disk_full: return "disk_full";
    case Errc::incompatible: return "incompatible";
    case Errc::timeout: return "timeout";
    case Errc::unavailable: return "unavailable";
    case Errc::refused: return "refused";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

}  // namespace tta
