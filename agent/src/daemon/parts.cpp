#include "daemon/parts.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "daemon/asio_scheduler.hpp"
#include "tta/face/camera.hpp"
#include "tta/face/image.hpp"

namespace tta::agent {

namespace {

/// The JT/T 808 session as the daemon's platform link.
class SessionPlatformLink final : public PlatformLink {
 public:
  SessionPlatformLink(boost::asio::io_context& io, const config::Config& cfg, const Clock& clock,
                      uplink::CredentialStore& credentials, uplink::SessionListener& listener)
      : s_(io, uplink::SessionOptions::from_config(cfg), clock, credentials, listener) {}

  bool online() const override { return s_.online(); }
  uplink::SessionStats stats() const override { return s_.stats(); }
  void send_extended(uplink::ExtendedMessage m, uplink::TerminalSession::Done done) override {
    s_.send_extended(std::move(m), std::move(done));
  }
  std::uint16_t packets_for(std::size_t n) const override { return s_.packets_for(n); }
  void start() override { s_.start(); }
  void stop() override { s_.stop(); }
  std::string terminal_no() const override { return s_.terminal_no(); }
  void send_position(const uplink::PositionReport& p,
                     uplink::TerminalSession::Done done) override {
    s_.send_position(p, std::move(done));
  }
  void send_reply(std::uint16_t msg_id, const uplink::Bytes& body) override {
    s_.send_reply(msg_id, body);
  }
  void set_heartbeat(std::chrono::milliseconds interval) override { s_.set_heartbeat(interval); }
  void reconnect(const std::string& why) override { s_.reconnect(why); }

 private:
  uplink::TerminalSession s_;
};

/// `image` shrunk (nearest pixel, whole steps) so that neither side exceeds `max_side_px`.
face::Image shrink(const face::Image& image, int max_side_px) {
  const int step = std::max({1, (image.width + max_side_px - 1) / max_side_px,
                             (image.height + max_side_px - 1) / max_side_px});
  if (step == 1) return image;
  face::Image out{.width = image.width / step, .height = image.height / step, .format = image.format};
  const auto ch = static_cast<std::size_t>(image.channels());
  out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * ch);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const auto from = (static_cast<std::size_t>(y * step) * static_cast<std::size_t>(image.width) +
                         static_cast<std::size_t>(x * step)) * ch;
      const auto to = (static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) +
                       static_cast<std::size_t>(x)) * ch;
      std::copy_n(image.pixels.begin() + static_cast<std::ptrdiff_t>(from), ch,
                  out.pixels.begin() + static_cast<std::ptrdiff_t>(to));
    }
  }
  return out;
}

/// The camera of face.camera and the face engine, each opened on first use and kept.
class CameraFaceChecker final : public FaceChecker {
 public:
  CameraFaceChecker(config::FaceConfig cfg, face::Challenge challenge)
      : cfg_(std::move(cfg)), challenge_(challenge) {}

  FaceEvidence check(const face::Template& templ, const face::EvidenceStamp& stamp,
                     std::uint8_t event, std::uint8_t size_code) override {
    FaceEvidence ev;
    ev.size_code = size_code;
    if (!faces_) {
      auto loaded = face::FaceEngine::load(face::options_from_config(cfg_));
      if (!loaded) {
        ev.outcome = "face checks unavailable: " + loaded.error().message;
        return ev;
      }
      faces_.emplace(std::move(*loaded));
    }
    if (!ensure_camera(ev.outcome)) {
      ev.camera_unavailable = true;
      return ev;
    }
    // A challenge (blink, turn) takes the person a second or two after the screen's prompt,
    // so its frames are spread over about three seconds.
    const face::Challenge asked = challenge_;
    const int wanted = asked == face::Challenge::none ? 5 : 15;
    std::vector<face::Image> frames;
    std::string grab_error;
    for (int i = 0; i < wanted; ++i) {
      if (i > 0 && asked != face::Challenge::none) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the worker thread's pace
      }
      auto f = camera_->grab(std::chrono::seconds(2));
      if (!f) {
        grab_error = f.error().message;
        break;
      }
      keep_for_preview(*f);
      frames.push_back(std::move(*f));
    }
    if (frames.empty()) {
      ev.outcome = "no frame from the camera";
      if (!grab_error.empty()) ev.outcome += ": " + grab_error;
      ev.camera_unavailable = true;
      // A camera unplugged since it was opened is opened again next time.
      camera_.reset();
      return ev;
    }
    auto v = faces_->check(templ, frames, asked);
    if (!v) {
      ev.outcome = v.error().message;
      return ev;
    }
    if (v->liveness) {
      const auto& l = *v->liveness;
      spdlog::info("face check: liveness {} (decided by {}, challenge {}{}), model score {:.3f} "
                   "over {} of {} frames",
                   face::to_string(l.outcome), face::to_string(l.decided_by),
                   face::to_string(l.challenge), l.challenge_met ? " met" : "", l.model_score,
                   l.frames, frames.size());
      ev.liveness = FaceEvidence::Liveness{
          .outcome = std::string(face::to_string(l.outcome)),
          .decided_by = std::string(face::to_string(l.decided_by)),
          .challenge = std::string(face::to_string(l.challenge)),
          .challenge_met = l.challenge_met,
          .score = l.model_score,
          .frames = l.frames,
          .words = std::string(face::describe(l)),
          .words_zh = std::string(face::describe_zh(l))};
    }
    const bool live_face = v->liveness && v->liveness->outcome == face::Liveness::live;
    ev.performed = v->quality == face::Quality::ok;
    ev.matched = v->match && live_face;
    ev.confidence = v->confidence;
    ev.outcome = !ev.performed ? std::string(face::describe(v->quality))
                 : !v->match   ? "face does not match"
                 : !live_face  ? "liveness " + std::string(face::to_string(v->liveness
                                                                      ? v->liveness->outcome
                                                                      : face::Liveness::inconclusive))
                               : "match";
    if (auto photo = face::make_evidence_photo(frames[v->best_frame], size_code, stamp, event,
                                               v->confidence)) {
      ev.jpeg = std::move(photo->jpeg);
    }
    return ev;
  }

  FaceEvidence photo(const face::EvidenceStamp& stamp, std::uint8_t size_code) override {
    FaceEvidence ev{.size_code = size_code};
    std::string why;
    if (ensure_camera(why)) {
      auto frame = camera_->grab(std::chrono::seconds(2));
      if (frame) keep_for_preview(*frame);
      if (!frame) {
        ev.outcome = "no frame from the camera: " + frame.error().message;
        ev.camera_unavailable = true;
        camera_.reset();
      } else if (auto photo = face::make_evidence_photo(*frame, size_code, stamp, 0, std::nullopt)) {
        ev.jpeg = std::move(photo->jpeg);
        ev.outcome = "photo";
      } else {
        ev.outcome = photo.error().message;
      }
    } else {
      ev.outcome = why;
      ev.camera_unavailable = true;
    }
    return ev;
  }

  Result<Preview> preview() override {
    std::lock_guard lock(preview_mu_);
    if (!preview_) return fail(Errc::not_found, "no camera frame yet");
    return *preview_;
  }

  Result<std::vector<std::uint8_t>> capture() override {
    std::string why;
    if (!ensure_camera(why)) return fail(Errc::unavailable, why);
    auto frame = camera_->grab(std::chrono::seconds(2));
    if (!frame) return fail(frame.error().context("no frame from the camera"));
    keep_for_preview(*frame);
    return face::encode_jpeg(*frame, 92);
  }

  Result<face::Enrolment> enrol(std::span<const std::uint8_t> photo) override {
    Result<face::Enrolment> enrolment = fail(Errc::unavailable, "face checks unavailable");
    if (!faces_) {
      auto loaded = face::FaceEngine::load(face::options_from_config(cfg_));
      if (loaded) faces_.emplace(std::move(*loaded));
      else enrolment = fail(loaded.error().context("face checks unavailable"));
    }
    if (faces_) {
      auto image = face::decode_image(photo);
      enrolment = image ? faces_->enrol(*image) : Result<face::Enrolment>(fail(image.error()));
    }
    return enrolment;
  }

 private:
  bool ensure_camera(std::string& why) {
    if (camera_) return true;
    auto cam = face::open_camera(cfg_.camera);
    if (!cam) {
      why = "camera: " + cam.error().message;
      return false;
    }
    camera_ = std::move(*cam);
    return true;
  }

  // On the worker: the frame just grabbed becomes the preview (small, encoded once here, so
  // the loop only copies bytes).
  void keep_for_preview(const face::Image& frame) {
    auto jpeg = face::encode_jpeg(shrink(frame, kPreviewMaxSidePx), 75);
    if (!jpeg) return;
    std::lock_guard lock(preview_mu_);
    preview_ = Preview{std::move(*jpeg), std::chrono::steady_clock::now()};
  }

  config::FaceConfig cfg_;
  face::Challenge challenge_;
  std::optional<face::FaceEngine> faces_;
  std::unique_ptr<face::Camera> camera_;
  std::mutex preview_mu_;
  std::optional<Preview> preview_;  // guarded by preview_mu_
};

}  // namespace

std::unique_ptr<PlatformLink> make_session_link(boost::asio::io_context& io,
                                                const config::Config& cfg, const Clock& clock,
                                                uplink::CredentialStore& credentials,
                                                uplink::SessionListener& listener) {
  return std::make_unique<SessionPlatformLink>(io, cfg, clock, credentials, listener);
}

face::Challenge liveness_challenge(const config::Config& cfg) {
  if (cfg.face.liveness_challenge == "auto") {
    return cfg.terminal.mode == "classroom" ? face::Challenge::blink : face::Challenge::none;
  }
  // check-config refuses any other word; a config that bypassed it asks for nothing rather
  // than for something the screen cannot prompt.
  auto c = face::parse_challenge(cfg.face.liveness_challenge);
  return c ? *c : face::Challenge::none;
}

std::unique_ptr<FaceChecker> make_camera_face_checker(const config::FaceConfig& cfg,
                                                      face::Challenge challenge) {
  return std::make_unique<CameraFaceChecker>(cfg, challenge);
}

Result<DaemonParts> real_parts(boost::asio::io_context& io, const config::Config& cfg,
                               const Clock& clock) {
  DaemonParts parts;
  // The daemon's timers, made here so that the GNSS source's reconnects run on them too.
  parts.timers = std::make_unique<AsioScheduler>(io, clock);
  if (!cfg.gps.source.empty()) {  // a classroom kiosk may have no receiver
    auto source = gps::make_source(cfg.gps.source, io, clock, parts.timers.get());
    if (!source) return fail(source.error().context("GNSS source"));
    parts.gnss = std::move(*source);
  }
  // [vehicle-signals]: ignition/OBD/pulses from [vehicle] (tta/vehicle/signals.hpp).
  auto vehicle = vehicle::make_vehicle_signals(cfg.vehicle, io, clock);
  if (!vehicle) return fail(vehicle.error().context("vehicle signals"));
  parts.vehicle = std::move(*vehicle);
  parts.faces = make_camera_face_checker(cfg.face, liveness_challenge(cfg));
  return parts;
}

}  // namespace tta::agent
