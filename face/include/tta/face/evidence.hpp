#pragma once
/// Evidence photos for the platform: JPEG at a platform size code with the terminal number,
/// time and position drawn into the image (JT/T 1302.1).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/face/image.hpp"

namespace tta::face {

/// Pixel size of a platform photo size code (1: 320x240, 2: 640x480, 3: 800x600, 4: 1024x768,
/// 5: 176x144, 6: 352x288, 7: 704x288, 8: 704x576). Errc::invalid_argument for other codes.
struct PhotoSize {
  int width = 0;
  int height = 0;
};
[[nodiscard]] Result<PhotoSize> photo_size(std::uint8_t size_code);

/// What is stamped into the photo. Position is optional: without a fix the stamp says so
/// rather than showing invented coordinates.
struct EvidenceStamp {
  std::string terminal_no;        ///< the terminal's number (printable ASCII)
  WallTime time;                  ///< shown as China Standard Time (GMT+8)
  std::optional<double> lat_deg;  ///< WGS-84, north positive
  std::optional<double> lon_deg;  ///< WGS-84, east positive
};

/// An evidence photo ready for the store and the 0x0305/0x0306 upload.
struct EvidencePhoto {
  std::vector<std::uint8_t> jpeg;
  std::uint8_t size_code = 1;
  std::uint8_t event = 0;                  ///< platform event type (e.g. 17/20 login)
  std::optional<std::uint8_t> confidence;  ///< face-match confidence 0-100, when a check ran
  std::int64_t taken_ms = 0;               ///< the stamp's time, Unix milliseconds
};

/// Text lines drawn into the photo, top to bottom (exposed for tests and the log).
[[nodiscard]] std::vector<std::string> stamp_lines(const EvidenceStamp& stamp);

/// Scale the frame to the size code (letter-boxed, aspect kept), draw the stamp, encode JPEG.
[[nodiscard]] Result<EvidencePhoto> make_evidence_photo(const Image& frame, std::uint8_t size_code,
                                                        const EvidenceStamp& stamp,
                                                        std::uint8_t event,
                                                        std::optional<std::uint8_t> confidence,
                                                        int jpeg_quality = 85);

}  // namespace tta::face
