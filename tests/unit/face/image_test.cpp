#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "face_support.hpp"
#include "tta/face/image.hpp"

namespace tta::face {
namespace {

TEST(faceImage, DecodeRejectsGarbageAndEmpty) {
  const std::vector<std::uint8_t> garbage{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'g'};
  auto r = decode_image(garbage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::parse);
  EXPECT_EQ(decode_image({}).error().code, Errc::parse);
}

TEST(faceImage, JpegRoundTripKeepsSizeAndContent) {
  cv::Mat m(48, 64, CV_8UC3, cv::Scalar(10, 120, 240));
  const Image img = testing::to_image(m);
  ASSERT_TRUE(img.valid());
  auto jpeg = encode_jpeg(img, 95);
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  ASSERT_GT(jpeg->size(), 2U);
  EXPECT_EQ((*jpeg)[0], 0xFF);
  EXPECT_EQ((*jpeg)[1], 0xD8);
  auto back = decode_image(*jpeg);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->width, 64);
  EXPECT_EQ(back->height, 48);
  EXPECT_EQ(back->format, PixelFormat::bgr8);
  EXPECT_NEAR(back->pixels[2], 240, 4);  // red channel of the first pixel
}

TEST(faceImage, GreyStaysGreyAndInvalidImagesAreRefused) {
  cv::Mat m(10, 12, CV_8UC1, cv::Scalar(77));
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", m, png));
  auto img = decode_image(png);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->format, PixelFormat::gray8);
  EXPECT_EQ(img->pixels.size(), 120U);
  Image bad = *img;
  bad.pixels.pop_back();
  EXPECT_FALSE(bad.valid());
  EXPECT_EQ(encode_jpeg(bad).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode_jpeg(*img, 0).error().code, Errc::invalid_argument);
}

TEST(faceImage, LoadMissingFileIsNotFound) {
  auto r = load_image("/nonexistent/face.jpg");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
}

}  // namespace
}  // namespace tta::face
