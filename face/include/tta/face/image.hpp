#pragma once
/// Plain image values that cross the face module's edge. cv::Mat stays inside face/: callers
/// hand over encoded bytes (JPEG, PNG, PGM/PPM) or an `Image`, and get `Image`s and JPEG bytes back.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "tta/core/result.hpp"

namespace tta::face {

/// Pixel layout of an `Image`.
enum class PixelFormat : std::uint8_t {
  gray8,  ///< one byte per pixel
  bgr8,   ///< three bytes per pixel, blue first (OpenCV's order)
};

/// An uncompressed image, rows top to bottom, tightly packed (no row padding).
struct Image {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::bgr8;
  std::vector<std::uint8_t> pixels;  ///< width * height * channels bytes

  /// Bytes per pixel of the format.
  [[nodiscard]] int channels() const noexcept { return format == PixelFormat::gray8 ? 1 : 3; }
  /// True when the size is positive and `pixels` holds exactly width*height*channels bytes.
  [[nodiscard]] bool valid() const noexcept;
};

/// Decode image file bytes: JPEG, PNG, binary PGM/PPM. Grey files stay grey. Errc::parse when
/// the bytes are not one of those, or are damaged or truncated (never a partly decoded image),
/// or the image is over 8192 pixels on a side.
[[nodiscard]] Result<Image> decode_image(std::span<const std::uint8_t> bytes);

/// Read and decode an image file. Errc::not_found when it does not exist, Errc::parse when it is
/// not an image.
[[nodiscard]] Result<Image> load_image(const std::filesystem::path& file);

/// Encode as baseline JPEG, `quality` 1..100.
[[nodiscard]] Result<std::vector<std::uint8_t>> encode_jpeg(const Image& image, int quality = 90);

/// Write an image file; the format follows the extension: .jpg/.jpeg, .png, .pnm, .pgm (grey
/// images), .ppm (colour). Errc::invalid_argument for others.
[[nodiscard]] Status save_image(const Image& image, const std::filesystem::path& file);

}  // namespace tta::face
