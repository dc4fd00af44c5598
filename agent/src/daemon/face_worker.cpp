// Face checks and photos: the engines' requests, run on the face worker thread.
#include "daemon/daemon_impl.hpp"

namespace tta::agent {

namespace asio = boost::asio;
using nlohmann::json;

void Daemon::Impl::wire_checks() {
  if (auto* v = engine.vehicle()) {
    v->on_photo_due([this, v] {
      face_check(v->status().student_no, 19, [this, v](FaceEvidence ev) {
        if (auto r = v->add_timed_photo(ev, now()); !r) spdlog::warn("timed photo: {}", r.error().message);
      });
    });
    v->on_recheck_due([this, v] {
      face_check(v->status().student_no, 19, [this, v](FaceEvidence ev) {
        if (auto r = v->recheck(ev, now()); !r) spdlog::warn("re-check: {}", r.error().message);
      });
    });
  } else if (auto* c = engine.classroom()) {
    c->on_photo_due([this, c](const std::string& no) {
      face_check(no, 19, [this, c, no](FaceEvidence ev) {
        if (auto r = c->add_timed_photo(no, ev, now()); !r) spdlog::warn("timed photo of {}: {}", no, r.error().message);
      });
    });
    c->on_recheck_due([this, c](const std::string& no) {
      face_check(no, 19, [this, c, no](FaceEvidence ev) {
        if (auto r = c->recheck(no, ev, now()); !r) spdlog::warn("re-check of {}: {}", no, r.error().message);
      });
    });
  }
}

void Daemon::Impl::face_check(const std::string& number, std::uint8_t event, std::uint8_t size_code,
                std::function<void(FaceEvidence)> done) {
  auto person = store.find_person(number);
  if (!person || !*person || (*person)->face_template.empty()) {
    done(FaceEvidence{.outcome = "not enrolled with a face"});
    return;
  }
  face::Template templ{(*person)->face_template};
  const auto stamp = evidence_stamp();
  worker.submit([this, templ, stamp, event, size_code, done = std::move(done)]() mutable {
    FaceEvidence ev = run_check(templ, stamp, event, size_code);
    asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
  });
}

void Daemon::Impl::face_check(const std::string& number, std::uint8_t event,
                std::function<void(FaceEvidence)> done) {
  face_check(number, event, 1, std::move(done));
}

void Daemon::Impl::grab_photo(std::uint8_t size_code, std::function<void(FaceEvidence)> done) {
  const auto stamp = evidence_stamp();
  worker.submit([this, stamp, size_code, done = std::move(done)]() mutable {
    FaceEvidence ev{.size_code = size_code};
    std::string why;
    if (ensure_camera(why)) {
      auto frame = camera->grab(std::chrono::seconds(2));
      if (!frame) {
        ev.outcome = "no frame from the camera: " + frame.error().message;
      } else if (auto photo = face::make_evidence_photo(*frame, size_code, stamp, 0, std::nullopt)) {
        ev.jpeg = std::move(photo->jpeg);
        ev.outcome = "photo";
      } else {
        ev.outcome = photo.error().message;
      }
    } else {
      ev.outcome = why;
    }
    asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
  });
}

face::EvidenceStamp Daemon::Impl::evidence_stamp() const {
  const auto pos = engine.position_block(now());
  return face::EvidenceStamp{.terminal_no = session.terminal_no(), .time = now(),
                             .lat_deg = pos.latitude_deg(), .lon_deg = pos.longitude_deg()};
}

bool Daemon::Impl::ensure_camera(std::string& why) {
  if (camera) return true;
  auto cam = face::open_camera(cfg.face.camera);
  if (!cam) {
    why = "camera: " + cam.error().message;
    return false;
  }
  camera = std::move(*cam);
  return true;
}

FaceEvidence Daemon::Impl::run_check(const face::Template& templ, const face::EvidenceStamp& stamp,
                       std::uint8_t event, std::uint8_t size_code) {
  FaceEvidence ev;
  ev.size_code = size_code;
  if (!faces) {
    auto loaded = face::FaceEngine::load(face::options_from_config(cfg.face));
    if (!loaded) {
      ev.outcome = "face checks unavailable: " + loaded.error().message;
      return ev;
    }
    faces.emplace(std::move(*loaded));
  }
  if (!ensure_camera(ev.outcome)) return ev;
  std::vector<face::Image> frames;
  for (int i = 0; i < 5; ++i) {
    auto f = camera->grab(std::chrono::seconds(2));
    if (!f) break;
    frames.push_back(std::move(*f));
  }
  if (frames.empty()) {
    ev.outcome = "no frame from the camera";
    return ev;
  }
  auto v = faces->check(templ, frames);
  if (!v) {
    ev.outcome = v.error().message;
    return ev;
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

}  // namespace tta::agent
