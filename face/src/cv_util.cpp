#include "cv_util.hpp"

#include <opencv2/imgproc.hpp>

namespace tta::face {

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

}  // namespace tta::face
