#pragma once
// A face checker with no camera and no models: every check answers `next` (a match by
// default) and is counted with the event it was for. Called on the daemon's face worker
// thread, so what the test reads is guarded.

#include <cstdint>
#include <mutex>
#include <vector>

#include "daemon/parts.hpp"

namespace tta::testing {

class FakeFaceChecker final : public agent::FaceChecker {
 public:
  agent::FaceEvidence check(const face::Template& templ, const face::EvidenceStamp& stamp,
                            std::uint8_t event, std::uint8_t size_code) override {
    (void)templ;
    (void)stamp;
    std::lock_guard lock(mu_);
    events_.push_back(event);
    agent::FaceEvidence ev = next_;
    ev.size_code = size_code;
    return ev;
  }
  agent::FaceEvidence photo(const face::EvidenceStamp& stamp, std::uint8_t size_code) override {
    (void)stamp;
    std::lock_guard lock(mu_);
    events_.push_back(0);
    return agent::FaceEvidence{.jpeg = next_.jpeg, .size_code = size_code, .outcome = "photo"};
  }
  Result<Preview> preview() override {
    return fail(Errc::not_found, "the fake face checker has no camera");
  }
  Result<std::vector<std::uint8_t>> capture() override {
    return fail(Errc::unavailable, "the fake face checker has no camera");
  }
  Result<face::Enrolment> enrol(std::span<const std::uint8_t> photo) override {
    (void)photo;
    return fail(Errc::unavailable, "the fake face checker does not enrol");
  }

  /// What the following checks answer.
  void answer(agent::FaceEvidence ev) {
    std::lock_guard lock(mu_);
    next_ = std::move(ev);
  }
  /// The events (17 student in, 18 out, 19 timed/re-check, 20 coach in, 21 out, 0 photo)
  /// of every check so far.
  [[nodiscard]] std::vector<std::uint8_t> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  agent::FaceEvidence next_{.performed = true, .matched = true, .confidence = 96,
                            .jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9},
                            .size_code = 1, .outcome = "match"};
  std::vector<std::uint8_t> events_;
};

}  // namespace tta::testing
