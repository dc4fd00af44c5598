#pragma once
/// What the administrator's commands print: dates, CSV exports of minutes and sessions, and
/// their JSON. A value the terminal does not have is an empty CSV field or JSON null, never 0.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tta/core/result.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// Unix ms of local midnight (GMT+8) of a "YYYY-MM-DD" date; Errc::invalid_argument otherwise.
[[nodiscard]] Result<std::int64_t> local_day_start_ms(std::string_view yyyy_mm_dd);

/// "2026-11-27T08:00:00+08:00": local time (GMT+8) of Unix milliseconds.
[[nodiscard]] std::string local_time_text(std::int64_t unix_ms);

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR/LF or edge spaces;
/// quotes doubled inside.
[[nodiscard]] std::string csv_field(std::string_view s);
/// One CSV record with CRLF.
[[nodiscard]] std::string csv_record(const std::vector<std::string>& fields);

/// Minutes with their session's identity; `sessions` by id (a minute whose session is absent
/// gets empty identity fields). Header first.
[[nodiscard]] std::string minutes_csv(const std::vector<store::MinuteRecord>& minutes,
                                      const std::map<std::int64_t, store::TrainingSession>& sessions);
/// Sessions with their totals. Header first.
[[nodiscard]] std::string sessions_csv(const std::vector<store::SessionSummary>& sessions);

[[nodiscard]] nlohmann::json session_json(const store::SessionSummary& s);

/// The CSV of `what` ("minutes" or "sessions") made in [from_ms, to_ms), and how many rows.
struct CsvExport {
  std::string text;
  std::size_t rows = 0;
};
[[nodiscard]] Result<CsvExport> export_csv(store::Store& store, std::string_view what,
                                           std::int64_t from_ms, std::int64_t to_ms);

}  // namespace tta::agent
