// libFuzzer target: the image decoders face/ uses for files and camera frames (JPEG through
// libjpeg-turbo, PNG through libpng, binary PGM/PPM by hand, V4L2 YUYV/GREY/MJPEG buffers) must
// turn any bytes into a valid image or a parse error, never crash, hang or read out of bounds.
// Byte 0 picks the path: 0 decode_image(rest); 1/2/3 a YUYV/GREY/MJPEG frame whose width,
// height and line padding are bytes 1..3.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tta/face/image.hpp"
#include "v4l2_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> bytes(data, size);
  tta::Result<tta::face::Image> img = tta::face::decode_image(bytes.subspan(1));
  const int mode = data[0] % 4;
  if (mode != 0) {
    if (size < 4) return 0;
    namespace d = tta::face::detail;
    const std::uint32_t formats[] = {d::kFourccYuyv, d::kFourccGrey, d::kFourccMjpeg};
    const int w = data[1] % 65;  // 0 is a size the reader must refuse
    const int h = data[2] % 65;
    const int pad = data[3] % 8;
    const int stride = w * (mode == 1 ? 2 : 1) + pad;
    img = d::v4l2_frame_to_image(formats[mode - 1], w, h, stride, bytes.subspan(4));
  }
  if (img) {
    if (!img->valid()) __builtin_trap();
  } else if (img.error().code != tta::Errc::parse) {
    __builtin_trap();
  }
  return 0;
}
