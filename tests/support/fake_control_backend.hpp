#pragma once
// A control-API backend with no terminal behind it: it records what it was asked and answers
// in the shapes the daemon uses. For the API's unit tests and its fuzz target.

#include <string>
#include <vector>

#include "control/api.hpp"

namespace tta::testing {

class FakeControlBackend final : public agent::control::Backend {
 public:
  nlohmann::json status() override { return {{"mode", "vehicle"}, {"minutes_made", minutes_made}}; }

  void check(const agent::control::CheckRequest& r, agent::control::Respond done) override {
    checks.push_back(r);
    if (!r.number && r.in) {
      done({409, {{"error", "nobody to check in"}}, {}});
      return;
    }
    // Echo what was asked, as the daemon does (the number may hold any bytes).
    done({200, {{"ok", true}, {"number", r.number.value_or("")}, {"face", "match"}}, {}});
  }

  Result<nlohmann::json> messages(bool unread_only) override {
    return nlohmann::json{{"messages", nlohmann::json::array()}, {"unread", unread_only ? 0 : 1}};
  }

  Result<std::int64_t> ack_messages(const std::vector<std::int64_t>& ids) override {
    if (!ids.empty() && ids.front() == 404) return fail(Errc::not_found, "no message 404");
    return static_cast<std::int64_t>(ids.size());
  }

  Result<nlohmann::json> progress(const std::string& student) override {
    if (student == "0") return fail(Errc::not_found, "no student 0");
    return nlohmann::json{{"student", student}};
  }

  Result<std::string> enrol_photo(const std::string& number) override {
    if (number != "1") return fail(Errc::not_found, "nobody enrolled as " + number);
    return std::string("\xFF\xD8\xFF\xD9", 4);  // the smallest JPEG-shaped bytes
  }

  Result<std::string> camera_preview() override {
    ++previews;
    if (preview.empty()) return fail(Errc::not_found, "no camera frame yet");
    return preview;
  }

  std::vector<agent::control::CheckRequest> checks;
  std::string preview;  ///< what camera_preview() answers; empty: no frame yet
  int previews = 0;     ///< how often camera_preview() was asked
  int minutes_made = 0;  ///< what status() says; a test changes it
};

}  // namespace tta::testing
