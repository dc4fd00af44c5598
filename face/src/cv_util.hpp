#pragma once
// Internal: conversions between the public Image value and cv::Mat, and the guard that turns
// OpenCV exceptions into error values at the module edge.

#include <exception>
#include <string>
#include <utility>

#include <opencv2/core.hpp>

#include "tta/core/result.hpp"
#include "tta/face/image.hpp"

namespace tta::face::detail {

/// A deep copy of an Image as a Mat (CV_8UC1 or CV_8UC3 BGR).
cv::Mat to_mat(const Image& image);
/// A deep copy of a Mat (1, 3 or 4 channels, 8-bit) as an Image.
Image from_mat(const cv::Mat& mat);
/// The image as 3-channel BGR (grey is expanded).
cv::Mat to_bgr(const Image& image);

/// Run `fn` and convert OpenCV and standard exceptions into Errc::internal errors.
template <typename Fn>
auto guarded(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const cv::Exception& e) {
    return fail(Errc::internal, std::string(what) + ": OpenCV: " + e.what());
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string(what) + ": " + e.what());
  }
}

}  // namespace tta::face::detail
