#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "face_support.hpp"
#include "tta/face/camera.hpp"
#include "v4l2_reader.hpp"

namespace tta::face {
namespace {

using namespace std::chrono_literals;

TEST(faceCameraUri, ParsesEveryScheme) {
  auto v = parse_camera_uri("v4l2:///dev/video0?width=640&height=480");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->kind, CameraKind::v4l2);
  EXPECT_EQ(v->target, "/dev/video0");
  EXPECT_EQ(v->width, 640);
  EXPECT_EQ(v->height, 480);

  auto r = parse_camera_uri("rtsp://admin:pw@10.0.0.5:554/stream1?channel=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, CameraKind::rtsp);
  EXPECT_EQ(r->target, "rtsp://admin:pw@10.0.0.5:554/stream1?channel=1");

  auto f = parse_camera_uri("file:///var/demo/clip.avi?loop=1");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, CameraKind::file);
  EXPECT_EQ(f->target, "/var/demo/clip.avi");
  EXPECT_TRUE(f->loop);

  auto d = parse_camera_uri("dir:///srv/frames");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, CameraKind::dir);
  EXPECT_TRUE(d->loop) << "a folder camera keeps giving frames (issue #14: one check, then none)";
  EXPECT_FALSE(parse_camera_uri("dir:///srv/frames?loop=0")->loop);
  EXPECT_FALSE(parse_camera_uri("file:///var/demo/clip.avi")->loop);
}

TEST(faceCameraUri, RejectsBadUris) {
  for (const char* bad : {"", "http://cam/1", "v4l2://dev/video0", "dir://", "rtsp://",
                          "v4l2:///dev/video0?width=abc", "v4l2:///dev/video0?width=4",
                          "v4l2:///dev/video0?fps=30", "file:///a.avi?loop=maybe"}) {
    auto r = parse_camera_uri(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
}

TEST(faceCamera, MissingSourcesAreClearErrors) {
  auto v = open_camera("v4l2:///dev/video-tta-missing");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::not_found);
  EXPECT_NE(v.error().message.find("no such camera device"), std::string::npos);

  auto d = open_camera("dir:///nonexistent/tta/frames");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::not_found);

  auto f = open_camera("file:///nonexistent/tta/clip.avi");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::not_found);
}

TEST(faceCamera, DirPlaysImagesInNameOrderThenEnds) {
  const auto dir = testing::temp_dir("dircam");
  // Written out of order; each frame's grey level says which it is.
  for (int i : {2, 0, 1}) {
    cv::Mat m(24, 32, CV_8UC3, cv::Scalar::all(40.0 * (i + 1)));
    ASSERT_TRUE(cv::imwrite((dir / ("frame" + std::to_string(i) + ".png")).string(), m));
  }
  { std::ofstream(dir / "notes.txt") << "not an image"; }
  auto cam = open_camera("dir://" + dir.string() + "?loop=0");
  ASSERT_TRUE(cam) << cam.error().message;
  for (int i = 0; i < 3; ++i) {
    auto img = (*cam)->grab(100ms);
    ASSERT_TRUE(img) << img.error().message;
    EXPECT_EQ(img->width, 32);
    EXPECT_EQ(img->pixels[0], 40 * (i + 1));
  }
  auto end = (*cam)->grab(100ms);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code, Errc::unavailable);
  EXPECT_FALSE((*cam)->status().open);

  auto looped = open_camera("dir://" + dir.string());  // loops by default
  ASSERT_TRUE(looped);
  for (int i = 0; i < 7; ++i) {
    auto img = (*looped)->grab(100ms);
    ASSERT_TRUE(img);
    EXPECT_EQ(img->pixels[0], 40 * (i % 3 + 1));
  }
  std::filesystem::remove_all(dir);
}

TEST(faceCamera, VideoFilePlaysEveryFrameThenReportsTheEnd) {
  const auto dir = testing::temp_dir("filecam");
  const auto file = dir / "clip.avi";
  {
    cv::VideoWriter w(file.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                      cv::Size(64, 48));
    ASSERT_TRUE(w.isOpened());
    for (int i = 0; i < 5; ++i)
      w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(40.0 * (i + 1))));
  }
  auto cam = open_camera("file://" + file.string());
  ASSERT_TRUE(cam) << cam.error().message;
  std::vector<int> levels;
  for (;;) {
    auto img = (*cam)->grab(2000ms);
    if (!img) {
      EXPECT_EQ(img.error().code, Errc::unavailable) << img.error().message;
      break;
    }
    EXPECT_EQ(img->width, 64);
    levels.push_back(img->pixels[0]);
    ASSERT_LE(levels.size(), 5U);
  }
  // The reader thread may replace a frame not yet taken with a newer one, but the last frame
  // is always delivered and levels only go up.
  ASSERT_FALSE(levels.empty());
  EXPECT_NEAR(levels.back(), 200, 6);
  EXPECT_TRUE(std::is_sorted(levels.begin(), levels.end()));
  std::filesystem::remove_all(dir);
}

// A device the test controls: delivers frames on request, can vanish and come back, can stall.
class FakeReader final : public FrameReader {
 public:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    int frames_to_give = 0;  // read() blocks until this is > 0
    bool fail_next_read = false;
    bool device_present = true;
    int opens = 0;
    bool released = false;  // teardown: unblock everything
  };
  explicit FakeReader(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Status open() override {
    std::lock_guard lock(s_->mu);
    ++s_->opens;
    if (!s_->device_present) return fail(Errc::unavailable, "fake: no device");
    return ok();
  }
  Result<Image> read() override {
    std::unique_lock lock(s_->mu);
    s_->cv.wait(lock, [&] { return s_->frames_to_give > 0 || s_->fail_next_read || s_->released; });
    if (s_->fail_next_read || s_->released) {
      s_->fail_next_read = false;
      return fail(Errc::unavailable, "fake: device vanished");
    }
    --s_->frames_to_give;
    Image img;
    img.width = 2;
    img.height = 1;
    img.format = PixelFormat::gray8;
    img.pixels = {1, 2};
    return img;
  }
  void close() override {}

 private:
  std::shared_ptr<Shared> s_;
};

TEST(faceStreamCamera, GrabTimesOutWhenTheDeviceStalls) {
  auto shared = std::make_shared<FakeReader::Shared>();
  auto cam = make_stream_camera("fake://stall", std::make_unique<FakeReader>(shared));
  auto r = cam->grab(30ms);  // no frame is ever given: must come back, not hang
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  {
    std::lock_guard lock(shared->mu);
    shared->frames_to_give = 1;
  }
  shared->cv.notify_all();
  auto img = cam->grab(5000ms);
  ASSERT_TRUE(img) << img.error().message;
  EXPECT_EQ(img->pixels.size(), 2U);
  {
    std::lock_guard lock(shared->mu);
    shared->released = true;
  }
  shared->cv.notify_all();
}

TEST(faceStreamCamera, VanishedDeviceIsReopenedAndReported) {
  auto shared = std::make_shared<FakeReader::Shared>();
  std::mutex events_mu;
  std::vector<std::pair<std::string, bool>> events;
  CameraOptions opt;
  opt.reopen_min = 1ms;
  opt.reopen_max = 2ms;
  opt.on_state_change = [&](const std::string& msg, bool open) {
    std::lock_guard lock(events_mu);
    events.emplace_back(msg, open);
  };
  auto cam = make_stream_camera("fake://cam", std::make_unique<FakeReader>(shared), opt);
  {
    std::lock_guard lock(shared->mu);
    shared->frames_to_give = 1;
  }
  shared->cv.notify_all();
  ASSERT_TRUE(cam->grab(5000ms));
  EXPECT_TRUE(cam->status().open);

  // The device vanishes and stays away: grabs report it instead of hanging.
  {
    std::lock_guard lock(shared->mu);
    shared->device_present = false;
    shared->fail_next_read = true;
  }
  shared->cv.notify_all();
  auto gone = cam->grab(200ms);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::unavailable) << gone.error().message;
  EXPECT_FALSE(cam->status().open);
  EXPECT_FALSE(cam->status().last_error.empty());

  // It comes back: reopened in the background, counted, frames flow again.
  {
    std::lock_guard lock(shared->mu);
    shared->device_present = true;
    shared->frames_to_give = 1;
  }
  shared->cv.notify_all();
  auto back = cam->grab(5000ms);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(cam->status().open);
  EXPECT_EQ(cam->status().reopen_count, 1U);
  {
    std::lock_guard lock(shared->mu);
    EXPECT_GE(shared->opens, 3);  // first open, at least one failed retry, the reopen
    shared->released = true;
  }
  shared->cv.notify_all();
  cam.reset();
  std::lock_guard lock(events_mu);
  ASSERT_GE(events.size(), 3U);
  EXPECT_TRUE(events[0].second);   // opened
  EXPECT_FALSE(events[1].second);  // vanished
  EXPECT_TRUE(events[2].second);   // reopened
  EXPECT_NE(events[2].first.find("reopened"), std::string::npos);
}

}  // namespace
}  // namespace tta::face

namespace tta::face {

// ---------------------------------------------------------------------------------------------
// V4L2 read directly. No capture device exists on the build machines, so the kernel side is
// covered by the refusal paths and the frame conversion by known buffers.

TEST(faceV4l2, YuyvAndGreyFramesConvertWithTheDriversStride) {
  // Two pixels of YUYV per four bytes; Y=81 U=90 V=240 is BT.601 red (about B 0, G 0, R 255).
  const int w = 4;
  const int h = 2;
  const int stride = 12;  // 8 bytes of pixels + 4 of padding per line
  std::vector<std::uint8_t> yuyv(static_cast<std::size_t>(stride * h), 0xEE);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; x += 2) {
      auto* p = &yuyv[static_cast<std::size_t>(y * stride + x * 2)];
      p[0] = 81, p[1] = 90, p[2] = 81, p[3] = 240;
    }
  auto img = detail::v4l2_frame_to_image(detail::kFourccYuyv, w, h, stride, yuyv);
  ASSERT_TRUE(img) << img.error().message;
  EXPECT_EQ(img->format, PixelFormat::bgr8);
  ASSERT_EQ(img->pixels.size(), static_cast<std::size_t>(w * h * 3));
  for (std::size_t i = 0; i < img->pixels.size(); i += 3) {
    EXPECT_LT(img->pixels[i], 10);       // blue
    EXPECT_LT(img->pixels[i + 1], 10);   // green
    EXPECT_GT(img->pixels[i + 2], 245);  // red
  }

  std::vector<std::uint8_t> grey{1, 2, 3, 0, 4, 5, 6};  // 3x2, stride 4, last line unpadded
  auto g = detail::v4l2_frame_to_image(detail::kFourccGrey, 3, 2, 4, grey);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->pixels, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(faceV4l2, ShortDamagedOrForeignFramesAreRefused) {
  std::vector<std::uint8_t> short_frame(10);
  EXPECT_EQ(detail::v4l2_frame_to_image(detail::kFourccYuyv, 4, 2, 0, short_frame).error().code,
            Errc::parse);
  EXPECT_FALSE(detail::v4l2_frame_to_image(detail::fourcc('H', '2', '6', '4'), 4, 2, 0,
                                           std::vector<std::uint8_t>(64)));
  EXPECT_FALSE(detail::v4l2_frame_to_image(detail::kFourccGrey, 0, 2, 0, short_frame));

  // MJPEG: a whole frame decodes; a cut one or one of another size than negotiated does not.
  std::vector<std::uint8_t> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 128, 255)), jpeg));
  ASSERT_TRUE(detail::v4l2_frame_to_image(detail::kFourccMjpeg, 64, 48, 0, jpeg));
  EXPECT_FALSE(detail::v4l2_frame_to_image(detail::kFourccMjpeg, 640, 480, 0, jpeg));
  jpeg.resize(jpeg.size() / 2);
  EXPECT_FALSE(detail::v4l2_frame_to_image(detail::kFourccMjpeg, 64, 48, 0, jpeg));
}

TEST(faceV4l2, SomethingThatIsNotACameraIsUnavailable) {
  auto cam = open_camera("v4l2:///dev/null");
  ASSERT_FALSE(cam);
  EXPECT_EQ(cam.error().code, Errc::unavailable);
  EXPECT_NE(cam.error().message.find("not a V4L2 device"), std::string::npos)
      << cam.error().message;
}

}  // namespace tta::face
