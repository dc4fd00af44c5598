#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

#include "codecs.hpp"
#include "tta/face/image.hpp"

namespace tta::face {

bool Image::valid() const noexcept {
  if (width <= 0 || height <= 0) return false;
  const auto expected = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                        static_cast<std::size_t>(channels());
  return pixels.size() == expected;
}

Result<Image> decode_image(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return fail(Errc::parse, "empty image data");
  switch (detail::sniff_format(bytes)) {
    case detail::ImageFormat::jpeg:
      return detail::decode_jpeg(bytes);
    case detail::ImageFormat::png:
      return detail::decode_png(bytes);
    case detail::ImageFormat::pnm:
      return detail::decode_pnm(bytes);
    case detail::ImageFormat::unknown:
      break;
  }
  return fail(Errc::parse, "not a JPEG, PNG or binary PGM/PPM image");
}

Result<Image> load_image(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      return fail(Errc::not_found, file.string() + ": no such file");
    }
    return fail(Errc::io, file.string() + ": cannot open");
  }
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  auto img = decode_image(bytes);
  if (!img) return fail(img.error().context(file.string()));
  return img;
}

Result<std::vector<std::uint8_t>> encode_jpeg(const Image& image, int quality) {
  if (!image.valid()) return fail(Errc::invalid_argument, "encode_jpeg: invalid image");
  if (quality < 1 || quality > 100) return fail(Errc::invalid_argument, "JPEG quality 1..100");
  return detail::encode_jpeg_bytes(image, quality);
}

Status save_image(const Image& image, const std::filesystem::path& file) {
  if (!image.valid()) return fail(Errc::invalid_argument, "save_image: invalid image");
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Result<std::vector<std::uint8_t>> bytes = fail(Errc::internal, "unset");
  if (ext == ".jpg" || ext == ".jpeg") {
    bytes = detail::encode_jpeg_bytes(image, 95);
  } else if (ext == ".png") {
    bytes = detail::encode_png_bytes(image);
  } else if ((ext == ".pgm" && image.format == PixelFormat::gray8) ||
             (ext == ".ppm" && image.format == PixelFormat::bgr8) || ext == ".pnm") {
    bytes = detail::encode_pnm_bytes(image);
  } else {
    return fail(Errc::invalid_argument,
                file.string() + ": write .jpg, .png, .pnm, .pgm (grey) or .ppm (colour)");
  }
  if (!bytes) return fail(bytes.error().context(file.string()));
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  out.close();
  if (!out) return fail(Errc::io, file.string() + ": cannot write image");
  return ok();
}

}  // namespace tta::face
