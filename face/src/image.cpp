#include <fstream>
#include <iterator>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cv_util.hpp"
#include "tta/face/image.hpp"

namespace tta::face {

bool Image::valid() const noexcept {
  if (width <= 0 || height <= 0) return false;
  const auto expected = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                        static_cast<std::size_t>(channels());
  return pixels.size() == expected;
}

namespace detail {

cv::Mat to_mat(const Image& image) {
  const int type = image.format == PixelFormat::gray8 ? CV_8UC1 : CV_8UC3;
  cv::Mat view(image.height, image.width, type,
               const_cast<std::uint8_t*>(image.pixels.data()));  // NOLINT: copied right away
  return view.clone();
}

Image from_mat(const cv::Mat& mat) {
  cv::Mat src = mat;
  if (src.depth() != CV_8U) src.convertTo(src, CV_8U);
  if (src.channels() == 4) cv::cvtColor(src, src, cv::COLOR_BGRA2BGR);
  if (!src.isContinuous()) src = src.clone();
  Image out;
  out.width = src.cols;
  out.height = src.rows;
  out.format = src.channels() == 1 ? PixelFormat::gray8 : PixelFormat::bgr8;
  out.pixels.assign(src.data, src.data + src.total() * src.elemSize());
  return out;
}

cv::Mat to_bgr(const Image& image) {
  cv::Mat m = to_mat(image);
  if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  return m;
}

}  // namespace detail

Result<Image> decode_image(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return fail(Errc::parse, "empty image data");
  return detail::guarded("decoding image", [&]() -> Result<Image> {
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1,
                      const_cast<std::uint8_t*>(bytes.data()));  // NOLINT: imdecode only reads
    const cv::Mat m = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    if (m.empty()) return fail(Errc::parse, "not a readable image");
    return detail::from_mat(m);
  });
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
  return detail::guarded("encoding JPEG", [&]() -> Result<std::vector<std::uint8_t>> {
    std::vector<std::uint8_t> out;
    if (!cv::imencode(".jpg", detail::to_mat(image), out, {cv::IMWRITE_JPEG_QUALITY, quality})) {
      return fail(Errc::internal, "JPEG encoder refused the image");
    }
    return out;
  });
}

Status save_image(const Image& image, const std::filesystem::path& file) {
  if (!image.valid()) return fail(Errc::invalid_argument, "save_image: invalid image");
  return detail::guarded("writing " + file.string(), [&]() -> Status {
    if (!cv::imwrite(file.string(), detail::to_mat(image))) {
      return fail(Errc::io, file.string() + ": cannot write image");
    }
    return ok();
  });
}

}  // namespace tta::face
