#pragma once
// Shared setup for tests that drive the training / classroom engines in one process: the
// registered people, a minimal valid agent config, and a face check that passed.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "training/engine.hpp"
#include "tta/config/config.hpp"

namespace tta::testing {

inline constexpr const char* kCoach = "3201000000000201";
inline constexpr const char* kStudent = "3201000000000101";
inline constexpr const char* kCourse = "1212110000";
inline constexpr const char* kTerminal = "3201138001380000";

/// The training yard as a [[gps.fence]] (for ConfigExtra::gps).
inline constexpr std::string_view kYardFence = R"toml([[gps.fence]]
name = "yard"
points = [[32.0400, 118.7800], [32.0400, 118.7900], [32.0480, 118.7900], [32.0480, 118.7800]]
)toml";

/// What a test adds to the base config. TOML allows each table once, so keys for the base
/// tables go here rather than in a second [terminal] / [training]. Each part is TOML text.
struct ConfigExtra {
  std::string_view terminal;  ///< more keys of [terminal], e.g. `mode = "classroom"`
  std::string_view gps;       ///< after [gps] (its keys, [[gps.fence]] tables)
  std::string_view training;  ///< keys of [training]
  std::string_view sections;  ///< further tables after [agent], e.g. [classroom], [[syllabus]]
};

/// A valid config: [terminal] [store] [gps] [face] [uplink.tcp] [training] [agent] with what
/// `extra` adds. Invalid text is a bug in the test: the diagnostics are reported and it aborts.
inline config::Config test_config(const ConfigExtra& extra = {}) {
  std::string text = R"toml(
[terminal]
phone = "13800138000"
province_id = 32
city_id = 100
maker_id = "TTA01"
model = "T"
serial = "0000001"
imei = "860000000000001"
plate = "A12345"
institution_code = "3201000000000001"
)toml";
  text += extra.terminal;
  text += R"toml(
[store]
database = "x.db"
key_file = "x.key"
[gps]
source = "replay:///dev/null"
)toml";
  text += extra.gps;
  text += R"toml(
[face]
camera = "dir:///tmp"
models_dir = "/tmp"
[uplink.tcp]
host = "127.0.0.1"
port = 1
test_platform = true
[training]
)toml";
  text += extra.training;
  text += R"toml(
[agent]
simulated = true
control_token_file = "t"
)toml";
  text += "\n";
  text += extra.sections;
  auto cfg = config::parse_config(text, "/test/agent.toml");
  if (!cfg) {
    for (const auto& d : cfg.error()) ADD_FAILURE() << d.to_string();
    std::abort();
  }
  return *cfg;
}

/// A face check that passed, with a stand-in JPEG (stored and sent as given).
inline agent::FaceEvidence good_face(std::uint8_t confidence) {
  return agent::FaceEvidence{.performed = true, .matched = true, .confidence = confidence,
                             .jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9},
                             .size_code = 1, .outcome = "match"};
}

}  // namespace tta::testing
