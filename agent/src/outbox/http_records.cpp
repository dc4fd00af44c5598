#include "outbox/http_records.hpp"

namespace tta::agent {
namespace {

std::vector<std::uint8_t> bytes_of(const nlohmann::ordered_json& j) {
  const std::string s = j.dump();
  return {s.begin(), s.end()};
}

std::string compact_date(std::string_view yyyy_mm_dd) {
  std::string out;
  for (const char c : yyyy_mm_dd) {
    if (c != '-') out += c;
  }
  return out;
}

}  // namespace

nlohmann::ordered_json stagetrainningtime_payload(const StageHours& h) {
  nlohmann::ordered_json j;
  j["inscode"] = h.institution_code;
  j["stunum"] = h.student_no;
  j["subject"] = h.subject;
  j["totaltime"] = h.practical_min + h.classroom_min;
  j["vehicletime"] = h.practical_min;
  j["classtime"] = h.classroom_min;
  j["examresult"] = h.passed ? "1" : "0";
  if (h.mileage_hm) j["mileage"] = static_cast<double>(*h.mileage_hm) / 10.0;
  return j;
}

nlohmann::ordered_json graduation_payload(const store::Certificate& c) {
  nlohmann::ordered_json j;
  j["stunum"] = c.student_no;
  j["autinscode"] = c.institution_code;
  j["gracertnum"] = c.number;
  j["grantdate"] = compact_date(c.granted_on);
  return j;
}

store::OutboxEntry stage_hours_entry(const StageHours& h, std::int64_t now_ms) {
  return store::OutboxEntry{.kind = std::string(kStageHoursKind),
                            .key = h.student_no + "/" + std::to_string(h.subject),
                            .payload = bytes_of(stagetrainningtime_payload(h)),
                            .next_attempt_ms = now_ms};
}

store::OutboxEntry graduation_entry(const store::Certificate& c, std::int64_t now_ms) {
  return store::OutboxEntry{.kind = std::string(kGraduationKind), .key = c.number,
                            .payload = bytes_of(graduation_payload(c)),
                            .next_attempt_ms = now_ms};
}

}  // namespace tta::agent
