#pragma once
/// One training minute in its three shapes, and the only code that converts between them:
///
///   gps::MinuteRecord      what the fixes of one UTC minute add up to (gps/odometer.hpp)
///   store::MinuteRecord    the stored row; anything the terminal did not have is nullopt
///   uplink::TrainingRecord the 0x0203 record, as made at the minute's end or re-sent on request
///
/// A minute goes gps → store when it closes (`stored_minute`), and store → uplink whenever it
/// is sent (`training_record`): the record the platform gets is always the one the store
/// holds, so a record re-sent on request (0x8205) says what the first one said.

#include <cstdint>
#include <optional>
#include <string>

#include "tta/gps/odometer.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/vehicle/sample.hpp"

namespace tta::agent {

/// gps → store: the figures of a closed minute. `vehicle` is the vehicle sample that still
/// held at the minute's end (nullopt: none, or stale): engine speed and the sensor's top speed
/// are taken only with it. `odometer_hm` is the total distance (0.1 km) at the minute's end.
/// Missing stays missing (no fix: no position, GNSS time, speed or heading). The rules'
/// verdict (status, flags, counted) is the caller's: left at its defaults here.
[[nodiscard]] store::MinuteRecord stored_minute(const gps::MinuteRecord& m, std::string record_no,
                                                std::int64_t session_id,
                                                std::optional<std::uint32_t> odometer_hm,
                                                const std::optional<vehicle::VehicleSample>& vehicle);

/// What a 0x0203 record says besides the stored minute.
struct RecordHeader {
  std::string student_no;
  std::string coach_no;  ///< coach or lecturer; empty when nobody
  std::uint32_t class_id = 0;
  std::string course_code;  ///< 10 digits
  std::uint8_t report_type = 1;  ///< 1 made at the minute's end, 2 sent on request (0x8205)
  bool ignition_on = false;      ///< sets the ACC bit (not stored: a re-sent record has it clear)
};

/// The header fields of a session (report type 1, ignition unknown).
[[nodiscard]] RecordHeader record_header(const store::TrainingSession& s);

/// store → uplink: the 0x0203 record of a stored minute. A missing value stays missing in the
/// record (the codec writes 0 for it and the minute's status says abnormal); the top speed and
/// mileage words, which have no missing form, are 0 when the minute has none.
[[nodiscard]] uplink::TrainingRecord training_record(const store::MinuteRecord& m,
                                                     const RecordHeader& h);

}  // namespace tta::agent
