// The rtsp:// and file:// camera readers: OpenCV VideoCapture (FFmpeg backend), built as the
// plugin tta-camera-videoio.so that face/ loads with dlopen the first time such a camera is
// opened (camera.cpp), so processes without one never map videoio and its codec libraries.
// The one exported symbol is tta_camera_videoio_reader_v1; everything else is hidden.

#include <cstdint>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/videoio.hpp>

#include "cv_util.hpp"
#include "tta/face/camera.hpp"

namespace tta::face {
namespace {

class CaptureReader final : public FrameReader {
 public:
  explicit CaptureReader(CameraUri u) : u_(std::move(u)) {}

  Status open() override {
    return detail::guarded("opening " + u_.target, [&]() -> Status {
      cap_.release();
      ended_ = false;
      // FFmpeg honours these; they bound a stalled stream so the reader thread never hangs.
      const std::vector<int> params{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, 5000,
                                    cv::CAP_PROP_READ_TIMEOUT_MSEC, 5000};
      bool opened = false;
      switch (u_.kind) {
        case CameraKind::rtsp:
          opened = cap_.open(u_.target, cv::CAP_FFMPEG, params);
          break;
        case CameraKind::file:
          opened = cap_.open(u_.target, cv::CAP_ANY);
          break;
        case CameraKind::v4l2:  // read directly (v4l2_reader.cpp), never here
        case CameraKind::dir:
          break;
      }
      if (!opened || !cap_.isOpened()) {
        return fail(Errc::unavailable, u_.target + ": cannot open camera");
      }
      if (u_.width > 0) cap_.set(cv::CAP_PROP_FRAME_WIDTH, u_.width);
      if (u_.height > 0) cap_.set(cv::CAP_PROP_FRAME_HEIGHT, u_.height);
      return ok();
    });
  }

  Result<Image> read() override {
    return detail::guarded("reading " + u_.target, [&]() -> Result<Image> {
      cv::Mat frame;
      if (!cap_.read(frame) || frame.empty()) {
        if (u_.kind == CameraKind::file) {
          if (u_.loop && frames_ > 0) {
            cap_.set(cv::CAP_PROP_POS_FRAMES, 0);
            frames_ = 0;
            if (cap_.read(frame) && !frame.empty()) {
              ++frames_;
              return detail::from_mat(frame);
            }
          }
          ended_ = true;
          return fail(Errc::unavailable, u_.target + ": end of video");
        }
        return fail(Errc::unavailable, u_.target + ": no frame (camera gone?)");
      }
      ++frames_;
      return detail::from_mat(frame);
    });
  }

  void close() override {
    try {
      cap_.release();
    } catch (const cv::Exception&) {
      // Releasing a vanished device may throw; it is closed either way.
    }
  }

  bool end_of_stream() const override { return ended_; }

 private:
  CameraUri u_;
  cv::VideoCapture cap_;
  std::uint64_t frames_ = 0;
  bool ended_ = false;
};

}  // namespace
}  // namespace tta::face

extern "C" __attribute__((visibility("default"))) tta::face::FrameReader*
tta_camera_videoio_reader_v1(const tta::face::CameraUri* uri) {
  if (uri == nullptr) return nullptr;
  return new (std::nothrow) tta::face::CaptureReader(*uri);  // NOLINT: ownership to the caller
}
