#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <dlfcn.h>

#include "tta/face/camera.hpp"
#include "v4l2_reader.hpp"

namespace tta::face {
namespace {

bool parse_int(std::string_view s, int& out) {
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && p == end;
}

Status parse_query(std::string_view query, CameraUri& u) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (key == "width" || key == "height") {
      int v = 0;
      if (!parse_int(value, v) || v < 16 || v > 8192) {
        return fail(Errc::invalid_argument,
                    std::string(key) + " must be a whole number of pixels 16..8192");
      }
      (key == "width" ? u.width : u.height) = v;
    } else if (key == "loop") {
      if (value != "0" && value != "1" && value != "true" && value != "false") {
        return fail(Errc::invalid_argument, "loop must be 0, 1, true or false");
      }
      u.loop = value == "1" || value == "true";
    } else {
      return fail(Errc::invalid_argument, "unknown camera option '" + std::string(key) + "'");
    }
  }
  return ok();
}

// ---------------------------------------------------------------------------------------------
// dir://: the images of a folder in name order, read synchronously (no device to wait for).

bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".pnm"}) {
    if (ext == e) return true;
  }
  return false;
}

class DirCamera final : public Camera {
 public:
  DirCamera(std::string uri, std::vector<std::filesystem::path> files, bool loop)
      : uri_(std::move(uri)), files_(std::move(files)), loop_(loop) {}

  Result<Image> grab(std::chrono::milliseconds /*timeout*/) override {
    std::lock_guard lock(mu_);
    if (next_ >= files_.size()) {
      if (!loop_) {
        status_.open = false;
        status_.last_error = "end of images";
        return fail(Errc::unavailable, uri_ + ": end of images");
      }
      next_ = 0;
    }
    auto img = load_image(files_[next_++]);
    if (!img) status_.last_error = img.error().message;
    return img;
  }
  CameraStatus status() const override {
    std::lock_guard lock(mu_);
    return status_;
  }
  const std::string& uri() const override { return uri_; }

 private:
  std::string uri_;
  std::vector<std::filesystem::path> files_;
  bool loop_;
  mutable std::mutex mu_;
  std::size_t next_ = 0;
  CameraStatus status_{.open = true, .reopen_count = 0, .last_error = {}};
};

// ---------------------------------------------------------------------------------------------
// rtsp://, file://: OpenCV VideoCapture (FFmpeg) in a plugin loaded the first time such a camera
// is opened. Linking videoio into every process would map libavcodec, GStreamer and their codec
// libraries (tens of MB) into an agent that never uses them.

constexpr const char* kVideoioPlugin = "tta-camera-videoio.so";
constexpr const char* kVideoioEntry = "tta_camera_videoio_reader_v1";
using VideoioEntry = FrameReader* (*)(const CameraUri*);

/// The plugin's entry point, loaded once per process. Looked up in $TTA_PLUGIN_DIR, then in the
/// build tree it was built in, then where `cmake --install` puts it.
Result<VideoioEntry> videoio_entry() {
  static std::mutex mu;
  static VideoioEntry entry = nullptr;
  std::lock_guard lock(mu);
  if (entry != nullptr) return entry;
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("TTA_PLUGIN_DIR"); dir != nullptr && *dir != '\0') {
    candidates.push_back(std::string(dir) + "/" + kVideoioPlugin);
  }
  // The build tree's copy first: it is the one built with this binary. An installed terminal
  // has no build tree, so it takes the installed one.
  // (Empty in a package build: a packaged binary has no build tree.)
  if (!std::string_view(TTA_VIDEOIO_PLUGIN_BUILD_PATH).empty()) {
    candidates.emplace_back(TTA_VIDEOIO_PLUGIN_BUILD_PATH);
  }
  candidates.emplace_back(TTA_PLUGIN_INSTALL_DIR "/" + std::string(kVideoioPlugin));
  std::string tried;
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return fail(Errc::unavailable,
                  path + ": cannot load (" + (why != nullptr ? why : "unknown reason") + ")");
    }
    void* sym = ::dlsym(handle, kVideoioEntry);
    if (sym == nullptr) {
      return fail(Errc::incompatible, path + ": has no " + kVideoioEntry + " (another version?)");
    }
    entry = reinterpret_cast<VideoioEntry>(sym);  // NOLINT: dlsym's contract
    return entry;
  }
  return fail(Errc::unavailable, std::string("rtsp:// and file:// cameras need ") + kVideoioPlugin +
                                     " (OpenCV videoio); not found in " + tried);
}

class StreamCamera final : public Camera {
 public:
  StreamCamera(std::string uri, std::unique_ptr<FrameReader> reader, CameraOptions options,
               bool already_open)
      : uri_(std::move(uri)), reader_(std::move(reader)), options_(std::move(options)) {
    status_.open = already_open;
    thread_ = std::thread([this, already_open] { run(already_open); });
  }

  ~StreamCamera() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    reader_->close();
  }

  StreamCamera(const StreamCamera&) = delete;
  StreamCamera& operator=(const StreamCamera&) = delete;

  Result<Image> grab(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    const bool got = cv_.wait_for(lock, timeout, [&] { return seq_ > taken_ || ended_; });
    if (got && seq_ > taken_) {
      taken_ = seq_;
      return latest_;
    }
    if (ended_) return fail(Errc::unavailable, uri_ + ": end of stream");
    if (!status_.open) {
      return fail(Errc::unavailable,
                  uri_ + ": camera unavailable (" + status_.last_error + "), reopening");
    }
    return fail(Errc::timeout,
                uri_ + ": no frame within " + std::to_string(timeout.count()) + " ms");
  }

  CameraStatus status() const override {
    std::lock_guard lock(mu_);
    return status_;
  }

  const std::string& uri() const override { return uri_; }

 private:
  void report(const std::string& message, bool open) {
    if (options_.on_state_change) options_.on_state_change(message, open);
  }

  // Waits for `d` unless stopped; returns false when stopping.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [&] { return stop_; });
  }

  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  void run(bool open) {
    auto backoff = options_.reopen_min;
    bool ever_open = open;
    while (!stopping()) {
      if (!open) {
        if (auto st = reader_->open(); !st) {
          {
            std::lock_guard lock(mu_);
            status_.last_error = st.error().message;
          }
          if (!pause(backoff)) return;
          backoff = std::min(backoff * 2, options_.reopen_max);
          continue;
        }
        open = true;
        {
          std::lock_guard lock(mu_);
          status_.open = true;
          if (ever_open) ++status_.reopen_count;
        }
        report(uri_ + (ever_open ? ": camera reopened" : ": camera open"), true);
        ever_open = true;
      }
      auto frame = reader_->read();
      if (!frame) {
        reader_->close();
        open = false;
        const bool ended = reader_->end_of_stream();
        {
          std::lock_guard lock(mu_);
          status_.open = false;
          status_.last_error = frame.error().message;
          ended_ = ended;
        }
        cv_.notify_all();
        report(frame.error().message, false);
        if (ended) return;
        // Back off before reopening, so a device that opens but never delivers is not spun on.
        if (!pause(backoff)) return;
        backoff = std::min(backoff * 2, options_.reopen_max);
        continue;
      }
      backoff = options_.reopen_min;
      {
        std::lock_guard lock(mu_);
        latest_ = std::move(*frame);
        ++seq_;
      }
      cv_.notify_all();
    }
  }

  std::string uri_;
  std::unique_ptr<FrameReader> reader_;
  CameraOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  CameraStatus status_;
  Image latest_;
  std::uint64_t seq_ = 0;
  std::uint64_t taken_ = 0;
  bool ended_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace

Result<CameraUri> parse_camera_uri(std::string_view uri) {
  CameraUri u;
  std::string_view rest;
  auto take = [&](std::string_view scheme, CameraKind kind) {
    if (!uri.starts_with(scheme)) return false;
    u.kind = kind;
    rest = uri.substr(scheme.size());
    return true;
  };
  if (take("rtsp://", CameraKind::rtsp) || take("rtsps://", CameraKind::rtsp)) {
    if (rest.empty()) return fail(Errc::invalid_argument, "camera URI has no host");
    u.target = std::string(uri);  // FFmpeg takes the stream URL whole, query included
    return u;
  }
  if (!take("v4l2://", CameraKind::v4l2) && !take("file://", CameraKind::file) &&
      !take("dir://", CameraKind::dir)) {
    return fail(Errc::invalid_argument, "camera URI '" + std::string(uri) +
                                            "' must start with v4l2://, rtsp://, rtsps://, "
                                            "file:// or dir://");
  }
  const auto q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  if (path.empty() || path.front() != '/') {
    return fail(Errc::invalid_argument,
                "camera URI '" + std::string(uri) + "' needs an absolute path (three slashes)");
  }
  u.target = std::string(path);
  // A folder of frames stands for a camera that always has a picture: it starts again at the
  // end unless ?loop=0 asks for one pass. A video file plays once unless ?loop=1.
  u.loop = u.kind == CameraKind::dir;
  if (q != std::string_view::npos) {
    if (auto st = parse_query(rest.substr(q + 1), u); !st) {
      return fail(st.error().context("camera URI '" + std::string(uri) + "'"));
    }
  }
  return u;
}

std::unique_ptr<Camera> make_stream_camera(std::string uri, std::unique_ptr<FrameReader> reader,
                                           const CameraOptions& options) {
  return std::make_unique<StreamCamera>(std::move(uri), std::move(reader), options, false);
}

Result<std::unique_ptr<Camera>> open_camera(std::string_view uri, const CameraOptions& options) {
  auto u = parse_camera_uri(uri);
  if (!u) return fail(u.error());
  std::error_code ec;
  if (u->kind == CameraKind::dir) {
    if (!std::filesystem::is_directory(u->target, ec)) {
      return fail(Errc::not_found, std::string(uri) + ": no such folder");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(u->target, ec)) {
      if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path());
    }
    if (ec) return fail(Errc::io, std::string(uri) + ": " + ec.message());
    if (files.empty()) return fail(Errc::not_found, std::string(uri) + ": no images in folder");
    std::sort(files.begin(), files.end());
    return std::unique_ptr<Camera>(
        std::make_unique<DirCamera>(std::string(uri), std::move(files), u->loop));
  }
  if ((u->kind == CameraKind::v4l2 || u->kind == CameraKind::file) &&
      !std::filesystem::exists(u->target, ec)) {
    return fail(Errc::not_found,
                std::string(uri) + ": " + u->target +
                    (u->kind == CameraKind::v4l2 ? ": no such camera device" : ": no such file"));
  }
  // Open once here so a camera that is missing from the start is a clear error, not a
  // background retry loop.
  std::unique_ptr<FrameReader> reader;
  if (u->kind == CameraKind::v4l2) {
    reader = detail::make_v4l2_reader(*u);
  } else {
    auto entry = videoio_entry();
    if (!entry) return fail(entry.error().context(std::string(uri)));
    reader.reset((*entry)(&*u));
    if (!reader)
      return fail(Errc::internal, std::string(uri) + ": the videoio plugin gave no reader");
  }
  if (auto st = reader->open(); !st) return fail(st.error().context(std::string(uri)));
  return std::unique_ptr<Camera>(
      std::make_unique<StreamCamera>(std::string(uri), std::move(reader), options, true));
}

}  // namespace tta::face
