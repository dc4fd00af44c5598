#pragma once
// An administrator's-pages backend with no terminal behind it: one administrator "ada" with
// password "correct horse battery", two people, one refused outbox entry (id 7). Records the
// audit log. For the admin router's unit tests and its fuzz target.

#include <map>
#include <string>
#include <vector>

#include "control/admin.hpp"

namespace tta::testing {

class FakeAdminBackend final : public agent::control::admin::AdminBackend {
 public:
  void verify(const std::string& user, const std::string& password,
              std::function<void(bool)> done) override {
    done(user == "ada" && password == "correct horse battery");
  }
  Result<nlohmann::json> people() override {
    return nlohmann::json{{"people",
                           {{{"role", "coach"}, {"number", "3201000000000201"}, {"name", "王"}},
                            {{"role", "student"}, {"number", "3201000000000101"}, {"name", "李"}}}}};
  }
  Status set_disabled(const std::string& number, bool off, const std::string& user) override {
    if (number != "3201000000000101" && number != "3201000000000201") {
      return fail(Errc::not_found, "nobody with national number " + number);
    }
    disabled[number] = off ? user : "";
    return ok();
  }
  void enrol(const agent::control::admin::EnrolRequest& r, agent::control::Respond done) override {
    enrolled.push_back(r);
    if (r.photo.rfind("\xFF\xD8", 0) != 0) {
      return done({409, {{"error", "no face found"}}, {}});
    }
    done({200, {{"ok", true}, {"number", r.number}}, {}});
  }
  Result<std::string> enrol_photo(const std::string& number) override {
    if (number != "3201000000000101") return fail(Errc::not_found, "no photo");
    return std::string("\xFF\xD8\xFF\xD9", 4);
  }
  void capture(std::function<void(Result<std::string>)> done) override {
    if (camera_jpeg.empty()) return done(fail(Errc::unavailable, "camera: no such device"));
    done(camera_jpeg);
  }
  Result<nlohmann::json> progress(const std::string& student) override {
    if (student != "3201000000000101") return fail(Errc::not_found, "no such student");
    return nlohmann::json{{"programmes", nlohmann::json::array()}};
  }
  Result<nlohmann::json> outbox(int) override {
    return nlohmann::json{{"refused", refused ? nlohmann::json::array({{{"id", 7}}}) : nlohmann::json::array()}};
  }
  Status retry(std::int64_t id) override {
    if (id != 7 || !refused) return fail(Errc::not_found, "no refused entry " + std::to_string(id));
    refused = false;
    return ok();
  }
  Result<nlohmann::json> sessions(const std::string& from, const std::string& to) override {
    if (from.size() != 10 || to.size() != 10) return fail(Errc::invalid_argument, "dates: YYYY-MM-DD");
    return nlohmann::json{{"sessions", nlohmann::json::array({{{"session_id", 1}}})}};
  }
  Result<nlohmann::json> session_minutes(std::int64_t session_id, int limit) override {
    if (session_id != 1) return fail(Errc::not_found, "no session " + std::to_string(session_id));
    return nlohmann::json{{"session_id", 1}, {"limit", limit}, {"minutes", nlohmann::json::array()}};
  }
  Result<std::string> export_csv(const std::string& what, const std::string& from,
                                 const std::string& to) override {
    if (from.size() != 10 || to.size() != 10) return fail(Errc::invalid_argument, "dates: YYYY-MM-DD");
    return what + "\r\n" + from + "," + to + "\r\n";
  }
  Result<nlohmann::json> complete(const std::string& student, bool passed, const std::string&,
                                  const std::string&) override {
    if (student != "3201000000000101") return fail(Errc::not_found, "no such student");
    if (passed && !hours_complete) return fail(Errc::refused, "part 2: 0 of 2 practical minutes");
    return nlohmann::json{{"certificate", passed ? nlohmann::json{{"number", "C-1"}} : nlohmann::json(nullptr)}};
  }
  Result<nlohmann::json> certificate(const std::string& student, const std::string& number) override {
    if (student != "3201000000000101" || number != "C-1") return fail(Errc::not_found, "no certificate");
    return nlohmann::json{{"number", "C-1"}};
  }
  void audit(const std::string& user, const std::string& action, const std::string& detail) override {
    log.push_back(user + " " + action + (detail.empty() ? "" : " " + detail));
  }

  std::vector<agent::control::admin::EnrolRequest> enrolled;
  std::string camera_jpeg;  ///< what capture() answers; empty: no camera
  std::map<std::string, std::string> disabled;  ///< number → who disabled (empty: re-enabled)
  bool refused = true;
  bool hours_complete = false;
  std::vector<std::string> log;
};

}  // namespace tta::testing
