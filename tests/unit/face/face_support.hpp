#pragma once
// Shared helpers of the face tests: where the data and models are, and Mat <-> Image.

#include <filesystem>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "support/needs.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/image.hpp"

namespace tta::face::testing {

/// ../shared/data/faces, or nullopt when the folder is absent.
std::optional<std::filesystem::path> faces_dir();
/// The installed models folder, or nullopt when a model is missing.
std::optional<std::filesystem::path> models_dir();

/// Image <-> Mat for composing test images.
cv::Mat to_mat(const Image& img);
Image to_image(const cv::Mat& m);
/// Load a shared face image as BGR.
cv::Mat load_bgr(const std::filesystem::path& file);

/// A scene: a camera-like 640x480 frame with `face` scaled by `scale` at (x, y).
cv::Mat scene_with(const cv::Mat& face, double scale, int x, int y);

/// A fresh empty folder under the system temp dir, removed by the caller.
std::filesystem::path temp_dir(const std::string& tag);

}  // namespace tta::face::testing

#define TTA_REQUIRE_FACES(var)                                                               \
  const auto var##_opt = ::tta::face::testing::faces_dir();                                  \
  if (!var##_opt) TTA_SKIP_OR_FAIL_IN_CI() << "shared face data absent (" << TTA_SHARED_DATA_DIR << "/faces)"; \
  const std::filesystem::path var = *var##_opt

#define TTA_REQUIRE_MODELS(var)                                                   \
  const auto var##_opt = ::tta::face::testing::models_dir();                      \
  if (!var##_opt)                                                                 \
    TTA_SKIP_OR_FAIL_IN_CI() << "face models absent in " << ::tta::face::default_models_dir() \
                 << " (run scripts/setup)";                                       \
  const std::filesystem::path var = *var##_opt
