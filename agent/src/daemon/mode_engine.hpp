#pragma once
// The engine of the terminal's mode, for the daemon: a vehicle's TrainingEngine or a
// classroom kiosk's ClassroomEngine behind the calls both take.

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include "training/classroom.hpp"
#include "training/engine.hpp"
#include "tta/config/config.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// classroom kiosk's ClassroomEngine. What both do goes through here; the rest asks which.
class ModeEngine {
 public:
  /// `classroom_seed` drives a classroom's random re-check moments (unset: a random seed).
  ModeEngine(store::Store& s, const config::Config& cfg,
             std::optional<std::uint64_t> classroom_seed = std::nullopt)
      : e_(make(s, cfg, classroom_seed)) {}

  [[nodiscard]] TrainingEngine* vehicle() { return std::get_if<TrainingEngine>(&e_); }
  [[nodiscard]] ClassroomEngine* classroom() { return std::get_if<ClassroomEngine>(&e_); }
  [[nodiscard]] bool is_classroom() const { return std::holds_alternative<ClassroomEngine>(e_); }

  void set_terminal_no(const std::string& no) { each([&](auto& e) { e.set_terminal_no(no); }); }
  void set_training(const config::TrainingConfig& t) { each([&](auto& e) { e.set_training(t); }); }
  void on_outbox(std::function<void()> fn) { each([&](auto& e) { e.on_outbox(fn); }); }
  void set_ban(bool banned, const std::string& message, WallTime now) {
    each([&](auto& e) { e.set_ban(banned, message, now); });
  }
  void set_timed_photos_paused(bool paused, WallTime now) {  // [retention]
    each([&](auto& e) { e.set_timed_photos_paused(paused, now); });
  }
  [[nodiscard]] Status resume(WallTime now) {
    return std::visit([&](auto& e) { return e.resume(now); }, e_);
  }
  [[nodiscard]] EngineStatus status() const {
    return std::visit([](const auto& e) { return e.status(); }, e_);
  }
  [[nodiscard]] uplink::PositionBlock position_block(WallTime now) const {
    if (const auto* c = std::get_if<ClassroomEngine>(&e_)) return c->position_block(now);
    return std::get<TrainingEngine>(e_).position_block();
  }

 private:
  using Engines = std::variant<TrainingEngine, ClassroomEngine>;
  static Engines make(store::Store& s, const config::Config& cfg,
                      std::optional<std::uint64_t> classroom_seed) {
    if (cfg.terminal.mode == "classroom") {
      return Engines(std::in_place_type<ClassroomEngine>, s, cfg, "",
                     classroom_seed ? *classroom_seed : std::random_device{}());
    }
    return Engines(std::in_place_type<TrainingEngine>, s, cfg, "");
  }
  template <class F>
  void each(F&& f) {
    std::visit(f, e_);
  }

  Engines e_;
};

}  // namespace tta::agent
