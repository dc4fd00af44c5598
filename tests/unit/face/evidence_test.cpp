#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "face_support.hpp"
#include "tta/core/time_util.hpp"
#include "tta/face/evidence.hpp"

namespace tta::face {
namespace {

EvidenceStamp stamp_at(std::optional<double> lat, std::optional<double> lon) {
  EvidenceStamp s;
  s.terminal_no = "1234567890123456";
  auto t = from_civil({2026, 11, 27, 9, 30, 5}, kChinaUtcOffset);
  EXPECT_TRUE(t);
  s.time = *t;
  s.lat_deg = lat;
  s.lon_deg = lon;
  return s;
}

TEST(faceEvidence, EverySizeCodeHasItsPixelSize) {
  const std::array<std::pair<int, int>, 8> want{{{320, 240},
                                                 {640, 480},
                                                 {800, 600},
                                                 {1024, 768},
                                                 {176, 144},
                                                 {352, 288},
                                                 {704, 288},
                                                 {704, 576}}};
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(30, 160, 90));
  for (std::uint8_t code = 1; code <= 8; ++code) {
    auto sz = photo_size(code);
    ASSERT_TRUE(sz);
    EXPECT_EQ(sz->width, want[code - 1].first);
    EXPECT_EQ(sz->height, want[code - 1].second);
    auto p = make_evidence_photo(testing::to_image(frame), code, stamp_at(32.04, 118.78), 17, 87);
    ASSERT_TRUE(p) << p.error().message;
    const cv::Mat jpeg = cv::imdecode(p->jpeg, cv::IMREAD_COLOR);
    ASSERT_FALSE(jpeg.empty());
    EXPECT_EQ(jpeg.cols, want[code - 1].first) << int(code);
    EXPECT_EQ(jpeg.rows, want[code - 1].second) << int(code);
    EXPECT_EQ(p->size_code, code);
    EXPECT_EQ(p->event, 17);
    EXPECT_EQ(p->confidence, 87);
  }
  EXPECT_FALSE(photo_size(0));
  EXPECT_FALSE(photo_size(9));
}

TEST(faceEvidence, StampNamesTerminalLocalTimeAndPosition) {
  const auto lines = stamp_lines(stamp_at(32.0412345, -118.7856789));
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0], "T:1234567890123456");
  EXPECT_EQ(lines[1], "2026-11-27 09:30:05 +08");
  EXPECT_EQ(lines[2], "N32.041235 W118.785679");
}

TEST(faceEvidence, NoFixIsSaidNotInvented) {
  const auto lines = stamp_lines(stamp_at(std::nullopt, std::nullopt));
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[2], "POS: no fix");
  EXPECT_EQ(stamp_lines(stamp_at(32.0, std::nullopt))[2], "POS: no fix");
}

TEST(faceEvidence, TextIsDrawnIntoTheImage) {
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(128, 128, 128));
  auto p =
      make_evidence_photo(testing::to_image(frame), 2, stamp_at(32.0, 118.0), 20, std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->confidence.has_value());
  EXPECT_EQ(p->taken_ms, unix_millis(stamp_at(32.0, 118.0).time));
  const cv::Mat img = cv::imdecode(p->jpeg, cv::IMREAD_GRAYSCALE);
  // The stamp band at the top holds bright text pixels the plain grey frame never had.
  const cv::Mat band = img(cv::Rect(0, 0, 400, 60));
  double mx = 0;
  cv::minMaxLoc(band, nullptr, &mx);
  EXPECT_GT(mx, 220);
  double below = 0;
  cv::minMaxLoc(img(cv::Rect(0, 300, 640, 100)), nullptr, &below);
  EXPECT_LT(below, 150);
}

TEST(faceEvidence, RejectsBadInput) {
  cv::Mat frame(48, 64, CV_8UC3, cv::Scalar(1, 2, 3));
  const Image img = testing::to_image(frame);
  EXPECT_EQ(make_evidence_photo(img, 9, stamp_at(1, 1), 17, 50).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(make_evidence_photo(img, 1, stamp_at(1, 1), 17, 101).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(make_evidence_photo(Image{}, 1, stamp_at(1, 1), 17, 50).error().code,
            Errc::invalid_argument);
}

}  // namespace
}  // namespace tta::face
