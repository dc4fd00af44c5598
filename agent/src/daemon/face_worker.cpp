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

void Daemon::Impl::note_camera(const FaceEvidence& ev) {
  const bool was_ok = camera.ok;
  camera.ok = !ev.camera_unavailable;
  camera.known = true;
  if (camera.ok) {
    camera.last_ok = now();
    if (!was_ok) spdlog::info("camera: frames again");
  } else {
    camera.last_error = ev.outcome;
    camera.last_error_at = now();
    ++camera.failures;
    if (was_ok || camera.failures == 1) spdlog::warn("camera unavailable: {}", ev.outcome);
  }
}

void Daemon::Impl::face_check(const std::string& number, std::uint8_t event, std::uint8_t size_code,
                std::function<void(FaceEvidence)> then) {
  auto person = store.people().find(number);
  if (!person || !*person || (*person)->face_template.empty()) {
    then(FaceEvidence{.outcome = "not enrolled with a face"});  // the camera was not asked
    return;
  }
  auto done = [this, then = std::move(then)](FaceEvidence ev) {
    note_camera(ev);
    then(std::move(ev));
  };
  face::Template templ{(*person)->face_template};
  const auto stamp = evidence_stamp();
  if (options.face_checks_inline) {
    done(faces->check(templ, stamp, event, size_code));
    return;
  }
  worker.submit([this, templ, stamp, event, size_code, done = std::move(done)]() mutable {
    FaceEvidence ev = faces->check(templ, stamp, event, size_code);
    asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
  });
}

void Daemon::Impl::face_check(const std::string& number, std::uint8_t event,
                std::function<void(FaceEvidence)> done) {
  face_check(number, event, 1, std::move(done));
}

void Daemon::Impl::grab_photo(std::uint8_t size_code, std::function<void(FaceEvidence)> then) {
  auto done = [this, then = std::move(then)](FaceEvidence ev) {
    note_camera(ev);
    then(std::move(ev));
  };
  const auto stamp = evidence_stamp();
  if (options.face_checks_inline) {
    done(faces->photo(stamp, size_code));
    return;
  }
  worker.submit([this, stamp, size_code, done = std::move(done)]() mutable {
    FaceEvidence ev = faces->photo(stamp, size_code);
    asio::post(io, [ev = std::move(ev), done = std::move(done)]() mutable { done(std::move(ev)); });
  });
}

face::EvidenceStamp Daemon::Impl::evidence_stamp() const {
  const auto pos = engine.position_block(now());
  return face::EvidenceStamp{.terminal_no = session.terminal_no(), .time = now(),
                             .lat_deg = pos.latitude_deg(), .lon_deg = pos.longitude_deg()};
}

}  // namespace tta::agent
