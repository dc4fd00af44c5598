#pragma once
// Internal: a V4L2 capture device read directly through the kernel's interface (memory-mapped
// streaming), so an agent with a USB or CSI camera maps no video library. Formats: MJPEG
// (decoded with libjpeg-turbo), YUYV 4:2:2 and 8-bit grey, preferred in that order.

#include <cstdint>
#include <memory>
#include <span>

#include "tta/core/result.hpp"
#include "tta/face/camera.hpp"
#include "tta/face/image.hpp"

namespace tta::face::detail {

/// FOURCC of the pixel formats the reader accepts (V4L2_PIX_FMT_*).
inline constexpr std::uint32_t fourcc(char a, char b, char c, char d) noexcept {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(a)) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b)) << 8) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(c)) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d)) << 24);
}
inline constexpr std::uint32_t kFourccMjpeg = fourcc('M', 'J', 'P', 'G');
inline constexpr std::uint32_t kFourccYuyv = fourcc('Y', 'U', 'Y', 'V');
inline constexpr std::uint32_t kFourccGrey = fourcc('G', 'R', 'E', 'Y');

/// One captured buffer as an Image. `stride` is the driver's bytes per line (0: tightly
/// packed). Errc::parse when the buffer is short or a JPEG frame is damaged.
[[nodiscard]] Result<Image> v4l2_frame_to_image(std::uint32_t pixel_format, int width, int height,
                                                int stride, std::span<const std::uint8_t> data);

/// A reader for `v4l2://` URIs; its open() negotiates the format and starts streaming.
[[nodiscard]] std::unique_ptr<FrameReader> make_v4l2_reader(const CameraUri& uri);

}  // namespace tta::face::detail
