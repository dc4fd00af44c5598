#include "v4l2_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <opencv2/imgproc.hpp>

#include "codecs.hpp"
#include "cv_util.hpp"

namespace tta::face::detail {
namespace {

using Clock = std::chrono::steady_clock;

/// Longest wait for one frame before the device counts as gone (the camera then reopens it).
constexpr std::chrono::milliseconds kFrameTimeout{2000};
constexpr unsigned kBuffers = 4;

std::string errno_text(int err) {
  return std::strerror(err);
}

/// ioctl, retried when a signal interrupts it.
int xioctl(int fd, unsigned long request, void* arg) {
  int r = 0;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

std::string fourcc_text(std::uint32_t f) {
  std::string s(4, ' ');
  for (int i = 0; i < 4; ++i)
    s[static_cast<std::size_t>(i)] = static_cast<char>((f >> (8 * i)) & 0xFF);
  return s;
}

class V4l2Reader final : public FrameReader {
 public:
  explicit V4l2Reader(CameraUri u) : u_(std::move(u)) {}
  ~V4l2Reader() override { close(); }
  V4l2Reader(const V4l2Reader&) = delete;
  V4l2Reader& operator=(const V4l2Reader&) = delete;

  Status open() override {
    close();
    fd_ = ::open(u_.target.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) return fail(Errc::unavailable, u_.target + ": " + errno_text(errno));
    if (auto st = configure(); !st) {
      close();
      return st;
    }
    return ok();
  }

  Result<Image> read() override {
    if (fd_ < 0) return fail(Errc::unavailable, u_.target + ": not open");
    const auto deadline = Clock::now() + kFrameTimeout;
    std::string last_problem = "no frame in " + std::to_string(kFrameTimeout.count()) + " ms";
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return fail(Errc::unavailable, u_.target + ": " + last_problem);
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      const int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Errc::unavailable, u_.target + ": poll: " + errno_text(errno));
      if (n == 0) continue;  // the deadline check above reports it
      if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (p.revents & POLLIN) == 0) {
        return fail(Errc::unavailable, u_.target + ": device error (unplugged?)");
      }
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      if (xioctl(fd_, VIDIOC_DQBUF, &buf) != 0) {
        if (errno == EAGAIN) continue;
        return fail(Errc::unavailable, u_.target + ": VIDIOC_DQBUF: " + errno_text(errno));
      }
      Result<Image> img = fail(Errc::parse, "buffer index out of range");
      if (buf.index < maps_.size()) {
        const auto& m = maps_[buf.index];
        const std::size_t used = std::min<std::size_t>(buf.bytesused, m.length);
        if ((buf.flags & V4L2_BUF_FLAG_ERROR) != 0) {
          img = fail(Errc::parse, "driver marked the frame damaged");
        } else {
          img = v4l2_frame_to_image(format_, width_, height_, stride_,
                                    {static_cast<const std::uint8_t*>(m.start), used});
        }
      }
      // Give the buffer back before anything else, or the driver runs out of buffers.
      if (xioctl(fd_, VIDIOC_QBUF, &buf) != 0) {
        return fail(Errc::unavailable, u_.target + ": VIDIOC_QBUF: " + errno_text(errno));
      }
      if (img) return img;
      // A damaged frame is dropped, never patched; the next one may be whole.
      last_problem = "only damaged frames (" + img.error().message + ")";
    }
  }

  void close() override {
    if (fd_ < 0) return;
    if (streaming_) {
      int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      (void)xioctl(fd_, VIDIOC_STREAMOFF, &type);
      streaming_ = false;
    }
    for (auto& m : maps_)
      ::munmap(m.start, m.length);
    maps_.clear();
    v4l2_requestbuffers req{};
    req.count = 0;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    (void)xioctl(fd_, VIDIOC_REQBUFS, &req);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  struct Mapping {
    void* start = nullptr;
    std::size_t length = 0;
  };

  Status configure() {
    v4l2_capability cap{};
    if (xioctl(fd_, VIDIOC_QUERYCAP, &cap) != 0) {
      return fail(Errc::unavailable, u_.target + ": not a V4L2 device (" + errno_text(errno) + ")");
    }
    const std::uint32_t caps =
        (cap.capabilities & V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities;
    if ((caps & V4L2_CAP_VIDEO_CAPTURE) == 0) {
      return fail(Errc::unavailable, u_.target + ": the device does not capture video");
    }
    if ((caps & V4L2_CAP_STREAMING) == 0) {
      return fail(Errc::unavailable, u_.target + ": the device does not support streaming I/O");
    }
    // The formats it offers; take the first of ours in preference order.
    std::vector<std::uint32_t> offered;
    for (std::uint32_t i = 0;; ++i) {
      v4l2_fmtdesc d{};
      d.index = i;
      d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      if (xioctl(fd_, VIDIOC_ENUM_FMT, &d) != 0) break;
      offered.push_back(d.pixelformat);
    }
    std::uint32_t chosen = 0;
    for (std::uint32_t want : {kFourccMjpeg, kFourccYuyv, kFourccGrey}) {
      if (std::find(offered.begin(), offered.end(), want) != offered.end()) {
        chosen = want;
        break;
      }
    }
    if (chosen == 0) {
      std::string list;
      for (auto f : offered)
        list += (list.empty() ? "" : ", ") + fourcc_text(f);
      return fail(Errc::unavailable, u_.target + ": offers none of MJPG, YUYV, GREY (it has: " +
                                         (list.empty() ? "nothing" : list) + ")");
    }
    v4l2_format fmt{};
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_G_FMT, &fmt) != 0) {
      return fail(Errc::unavailable, u_.target + ": VIDIOC_G_FMT: " + errno_text(errno));
    }
    fmt.fmt.pix.pixelformat = chosen;
    if (u_.width > 0) fmt.fmt.pix.width = static_cast<std::uint32_t>(u_.width);
    if (u_.height > 0) fmt.fmt.pix.height = static_cast<std::uint32_t>(u_.height);
    fmt.fmt.pix.field = V4L2_FIELD_ANY;
    if (xioctl(fd_, VIDIOC_S_FMT, &fmt) != 0) {
      return fail(Errc::unavailable,
                  u_.target + ": VIDIOC_S_FMT " + fourcc_text(chosen) + ": " + errno_text(errno));
    }
    // The driver may adjust the size; what it says now is what the frames are.
    format_ = fmt.fmt.pix.pixelformat;
    width_ = static_cast<int>(fmt.fmt.pix.width);
    height_ = static_cast<int>(fmt.fmt.pix.height);
    stride_ = static_cast<int>(fmt.fmt.pix.bytesperline);

    v4l2_requestbuffers req{};
    req.count = kBuffers;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) != 0 || req.count == 0) {
      return fail(Errc::unavailable, u_.target + ": VIDIOC_REQBUFS: " + errno_text(errno));
    }
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) != 0) {
        return fail(Errc::unavailable, u_.target + ": VIDIOC_QUERYBUF: " + errno_text(errno));
      }
      void* start =
          ::mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      if (start == MAP_FAILED) {
        return fail(Errc::unavailable, u_.target + ": mmap: " + errno_text(errno));
      }
      maps_.push_back({start, buf.length});
      if (xioctl(fd_, VIDIOC_QBUF, &buf) != 0) {
        return fail(Errc::unavailable, u_.target + ": VIDIOC_QBUF: " + errno_text(errno));
      }
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) != 0) {
      return fail(Errc::unavailable, u_.target + ": VIDIOC_STREAMON: " + errno_text(errno));
    }
    streaming_ = true;
    return ok();
  }

  CameraUri u_;
  int fd_ = -1;
  bool streaming_ = false;
  std::vector<Mapping> maps_;
  std::uint32_t format_ = 0;
  int width_ = 0;
  int height_ = 0;
  int stride_ = 0;
};

}  // namespace

Result<Image> v4l2_frame_to_image(std::uint32_t pixel_format, int width, int height, int stride,
                                  std::span<const std::uint8_t> data) {
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide) {
    return fail(Errc::parse, "frame size " + std::to_string(width) + "x" + std::to_string(height) +
                                 " is out of range");
  }
  if (pixel_format == kFourccMjpeg) {
    auto img = decode_jpeg(data);
    if (!img) return img;
    if (img->width != width || img->height != height) {
      return fail(Errc::parse, "MJPEG frame is " + std::to_string(img->width) + "x" +
                                   std::to_string(img->height) + ", the device said " +
                                   std::to_string(width) + "x" + std::to_string(height));
    }
    return img;
  }
  const int bpp = pixel_format == kFourccYuyv ? 2 : pixel_format == kFourccGrey ? 1 : 0;
  if (bpp == 0) return fail(Errc::parse, "unsupported pixel format " + fourcc_text(pixel_format));
  const int line = width * bpp;
  if (stride == 0) stride = line;
  if (stride < line) return fail(Errc::parse, "line stride shorter than a line");
  const std::size_t need = static_cast<std::size_t>(stride) * static_cast<std::size_t>(height - 1) +
                           static_cast<std::size_t>(line);
  if (data.size() < need) {
    return fail(Errc::parse, "short frame: " + std::to_string(data.size()) + " of " +
                                 std::to_string(need) + " bytes");
  }
  return guarded("converting a camera frame", [&]() -> Result<Image> {
    const cv::Mat view(height, width, bpp == 2 ? CV_8UC2 : CV_8UC1,
                       const_cast<std::uint8_t*>(data.data()),  // NOLINT: only read
                       static_cast<std::size_t>(stride));
    if (bpp == 1) return from_mat(view);
    cv::Mat bgr;
    cv::cvtColor(view, bgr, cv::COLOR_YUV2BGR_YUYV);
    return from_mat(bgr);
  });
}

std::unique_ptr<FrameReader> make_v4l2_reader(const CameraUri& uri) {
  return std::make_unique<V4l2Reader>(uri);
}

}  // namespace tta::face::detail
