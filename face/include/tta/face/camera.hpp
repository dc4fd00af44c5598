#pragma once
/// Camera sources behind one interface, chosen by a URI:
///   v4l2:///dev/video0?width=640&height=480   a V4L2 device, read through the kernel interface
///                                             (MJPEG, YUYV or grey; no video library)
///   rtsp://user:pw@host/stream                an IP camera (OpenCV VideoCapture, FFmpeg backend)
///   file:///path/video.mp4[?loop=1]           a video file, played once (or looped)
///   dir:///path/images[?loop=0]               the images of a folder in name order, again and
///                                             again (?loop=0: once) (tests, demo, kiosks)
/// rtsp:// and file:// are read by the plugin tta-camera-videoio.so, loaded the first time one
/// is opened (looked up in $TTA_PLUGIN_DIR, the build tree, then the install's lib/tta).
/// A grab never hangs: it waits at most its timeout. Device-backed sources read on their own
/// thread and reopen a camera that vanished, with a back-off, reporting it in `CameraStatus`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tta/core/result.hpp"
#include "tta/face/image.hpp"

namespace tta::face {

/// Kind of source named by a camera URI.
enum class CameraKind : std::uint8_t { v4l2, rtsp, file, dir };

/// A parsed camera URI.
struct CameraUri {
  CameraKind kind = CameraKind::dir;
  std::string target;  ///< device path, stream URL (with scheme), file or folder path
  int width = 0;       ///< requested frame width in pixels, 0 = the device's default
  int height = 0;      ///< requested frame height in pixels, 0 = the device's default
  bool loop = false;   ///< start again at the end instead of reporting it (dir: by default)
};

/// Parse a camera URI (see the file comment). Errc::invalid_argument with the reason otherwise.
[[nodiscard]] Result<CameraUri> parse_camera_uri(std::string_view uri);

/// What a camera is doing now, for the status screen and the log.
struct CameraStatus {
  bool open = false;               ///< frames are arriving (or can be read)
  std::uint32_t reopen_count = 0;  ///< times the source was reopened after it vanished
  std::string last_error;          ///< latest failure, empty when none
};

/// A source of frames.
class Camera {
 public:
  virtual ~Camera() = default;
  /// The next frame. Waits at most `timeout`; Errc::timeout when no frame came in time,
  /// Errc::unavailable when the source is gone (being reopened) or ended (file, dir without loop).
  [[nodiscard]] virtual Result<Image> grab(std::chrono::milliseconds timeout) = 0;
  /// Current state; cheap, callable from any thread.
  [[nodiscard]] virtual CameraStatus status() const = 0;
  /// The URI it was opened with.
  [[nodiscard]] virtual const std::string& uri() const = 0;
};

/// Tunables of device-backed sources.
struct CameraOptions {
  std::chrono::milliseconds reopen_min{500};     ///< first back-off after a failure
  std::chrono::milliseconds reopen_max{30'000};  ///< back-off ceiling
  /// Called from the reader thread when the source fails or comes back (message, open).
  std::function<void(const std::string&, bool)> on_state_change;
};

/// Open the source a URI names. Errc::invalid_argument for a bad URI, Errc::not_found for a
/// missing file or folder, Errc::unavailable when a device or stream cannot be opened.
[[nodiscard]] Result<std::unique_ptr<Camera>> open_camera(std::string_view uri,
                                                          const CameraOptions& options = {});

/// Low-level frame reader that a `StreamCamera` drives from its thread. Tests substitute one
/// to simulate devices that stall or vanish.
class FrameReader {
 public:
  virtual ~FrameReader() = default;
  /// (Re)open the device; may block for a while.
  [[nodiscard]] virtual Status open() = 0;
  /// Read one frame; may block. An error means the device is gone: the camera closes it and
  /// reopens with back-off (or, with `end_of_stream` set, reports the end).
  [[nodiscard]] virtual Result<Image> read() = 0;
  /// Release the device.
  virtual void close() = 0;
  /// True after read() failed because a finite source (a file) ended.
  [[nodiscard]] virtual bool end_of_stream() const { return false; }
};

/// A camera that reads frames on its own thread from a `FrameReader` and hands out the newest.
/// `grab` waits for a frame newer than the last one returned.
[[nodiscard]] std::unique_ptr<Camera> make_stream_camera(std::string uri,
                                                         std::unique_ptr<FrameReader> reader,
                                                         const CameraOptions& options = {});

}  // namespace tta::face
