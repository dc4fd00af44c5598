#pragma once
// Internal: the image file formats face/ reads and writes, without OpenCV's imgcodecs (which
// would map GDAL, GDCM, poppler, librsvg … into every process that links face/):
//   JPEG  libjpeg-turbo (TurboJPEG API), baseline, grey or 3-channel
//   PNG   libpng's simplified API, 8 or 16 bit, grey or colour (alpha composited on black)
//   PNM   binary PGM (P5) and PPM (P6), maxval 1..65535, comments allowed
// Every decoder refuses what it cannot read whole: a truncated or damaged file is Errc::parse,
// never a partly grey image.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/face/image.hpp"

namespace tta::face::detail {

/// Largest width or height decoded, in pixels: bounds the memory a hostile header can ask for.
inline constexpr int kMaxImageSide = 8192;

enum class ImageFormat : std::uint8_t { unknown, jpeg, png, pnm };

/// The format the first bytes announce.
[[nodiscard]] ImageFormat sniff_format(std::span<const std::uint8_t> bytes) noexcept;

[[nodiscard]] Result<Image> decode_jpeg(std::span<const std::uint8_t> bytes);
[[nodiscard]] Result<Image> decode_png(std::span<const std::uint8_t> bytes);
[[nodiscard]] Result<Image> decode_pnm(std::span<const std::uint8_t> bytes);

/// Encoders take a valid image (the caller checks).
[[nodiscard]] Result<std::vector<std::uint8_t>> encode_jpeg_bytes(const Image& image, int quality);
[[nodiscard]] Result<std::vector<std::uint8_t>> encode_png_bytes(const Image& image);
/// P5 for grey, P6 for colour.
[[nodiscard]] std::vector<std::uint8_t> encode_pnm_bytes(const Image& image);

}  // namespace tta::face::detail
