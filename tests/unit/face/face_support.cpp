#include "face_support.hpp"

#include <atomic>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace tta::face::testing {

std::optional<std::filesystem::path> faces_dir() {
  const std::filesystem::path p = std::filesystem::path(TTA_SHARED_DATA_DIR) / "faces";
  std::error_code ec;
  if (!std::filesystem::is_directory(p / "att", ec) ||
      !std::filesystem::is_directory(p / "lfw", ec)) {
    return std::nullopt;
  }
  return p;
}

std::optional<std::filesystem::path> models_dir() {
  const auto dir = default_models_dir();
  if (!missing_models(dir).empty()) return std::nullopt;
  return dir;
}

cv::Mat to_mat(const Image& img) {
  const int type = img.format == PixelFormat::gray8 ? CV_8UC1 : CV_8UC3;
  return cv::Mat(img.height, img.width, type, const_cast<std::uint8_t*>(img.pixels.data())).clone();
}

Image to_image(const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  Image img;
  img.width = c.cols;
  img.height = c.rows;
  img.format = c.channels() == 1 ? PixelFormat::gray8 : PixelFormat::bgr8;
  img.pixels.assign(c.data, c.data + c.total() * c.elemSize());
  return img;
}

cv::Mat load_bgr(const std::filesystem::path& file) {
  cv::Mat m = cv::imread(file.string(), cv::IMREAD_COLOR);
  EXPECT_FALSE(m.empty()) << file;
  return m;
}

cv::Mat scene_with(const cv::Mat& face, double scale, int x, int y) {
  cv::Mat scene(480, 640, CV_8UC3, cv::Scalar(90, 100, 110));
  cv::Mat scaled;
  cv::resize(face, scaled, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  scaled.copyTo(scene(cv::Rect(x, y, scaled.cols, scaled.rows)));
  return scene;
}

std::filesystem::path temp_dir(const std::string& tag) {
  static std::atomic<int> n{0};
  std::random_device rd;
  const auto p = std::filesystem::temp_directory_path() /
                 ("tta-face-" + tag + "-" + std::to_string(rd()) + "-" + std::to_string(n++));
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace tta::face::testing
