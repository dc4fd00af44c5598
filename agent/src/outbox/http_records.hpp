#pragma once
/// Payloads of the supervision platform's completion records (shared/spec/platform-http.md):
/// the stage-hour review (`stagetrainningtime`) and the completion (`graduation`). A payload is
/// a JSON object with the canonical field names; uplink::HttpApi orders, renames and signs it.
/// Fields the terminal does not know are left out, never filled in.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "outbox/kinds.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

inline constexpr std::string_view kStageHoursKind = to_string(OutboxKind::stagetrainningtime);
inline constexpr std::string_view kGraduationKind = to_string(OutboxKind::graduation);

/// The hours of one part behind a completion.
struct StageHours {
  std::string institution_code;
  std::string student_no;
  std::uint32_t subject = 0;               ///< the part (科目) or stage number
  std::int64_t practical_min = 0;          ///< counted minutes of vehicle sessions
  std::int64_t classroom_min = 0;          ///< counted minutes of classroom sessions
  std::optional<std::int64_t> mileage_hm;  ///< nullopt: unknown, the field is left out
  bool passed = false;                     ///< the final assessment's result
};

/// inscode, stunum, subject, totaltime, vehicletime, classtime (minutes [guess: the digest
/// gives no unit]), mileage (km, one decimal, when known) and examresult ("1" pass, "0" fail
/// [guess]). simulatortime, networktime, duration, rectype, recarray, pdfid and esignature
/// are not known to the terminal and are left out.
[[nodiscard]] nlohmann::ordered_json stagetrainningtime_payload(const StageHours& h);

/// stunum, autinscode, gracertnum and grantdate ("yyyyMMdd" from `date` "YYYY-MM-DD");
/// pdfid and esignature are left out (no certificate PDF is made).
[[nodiscard]] nlohmann::ordered_json graduation_payload(const store::Certificate& c);

/// An outbox entry for one of these, keyed by the resource's natural key
/// ("stunum/subject" and "gracertnum").
[[nodiscard]] store::OutboxEntry stage_hours_entry(const StageHours& h, std::int64_t now_ms);
[[nodiscard]] store::OutboxEntry graduation_entry(const store::Certificate& c,
                                                  std::int64_t now_ms);

}  // namespace tta::agent
