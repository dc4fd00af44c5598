#include "training/minute.hpp"

#include <cmath>

#include "tta/core/time_util.hpp"

namespace tta::agent {

namespace {

/// 0.1 km/h from km/h.
std::uint16_t to_dkmh(double kmh) { return static_cast<std::uint16_t>(std::lround(kmh * 10)); }

}  // namespace

store::MinuteRecord stored_minute(const gps::MinuteRecord& m, std::string record_no,
                                  std::int64_t session_id, std::optional<std::uint32_t> odometer_hm,
                                  const std::optional<vehicle::VehicleSample>& vehicle) {
  store::MinuteRecord rec{.record_no = std::move(record_no), .session_id = session_id,
                          .minute_ms = unix_millis(m.minute_start)};
  if (m.max_speed_kmh) rec.max_speed_dkmh = m.max_speed_dkmh;
  rec.mileage_hm = m.mileage_hm;
  if (m.sample) {
    const gps::Fix& f = *m.sample;
    if (std::isfinite(f.lat_deg) && std::isfinite(f.lon_deg)) {
      rec.lat_e6 = static_cast<std::int32_t>(std::lround(f.lat_deg * 1e6));
      rec.lon_e6 = static_cast<std::int32_t>(std::lround(f.lon_deg * 1e6));
    }
    if (const auto t = f.utc()) rec.gnss_time_ms = unix_millis(*t);
    if (!std::isnan(f.speed_kmh)) rec.gnss_speed_dkmh = to_dkmh(f.speed_kmh);
    if (!std::isnan(f.course_deg)) {
      rec.heading_deg = static_cast<std::uint16_t>(std::lround(f.course_deg) % 360);
    }
  }
  rec.odometer_hm = odometer_hm;
  if (vehicle) {
    rec.engine_rpm = vehicle->engine_rpm;
    if (m.max_sensor_speed_kmh) rec.sensor_speed_dkmh = to_dkmh(*m.max_sensor_speed_kmh);
  }
  return rec;
}

RecordHeader record_header(const store::TrainingSession& s) {
  return {.student_no = s.student_no, .coach_no = s.coach_no, .class_id = s.class_id,
          .course_code = s.course_code};
}

uplink::TrainingRecord training_record(const store::MinuteRecord& m, const RecordHeader& h) {
  const WallTime start{std::chrono::milliseconds(m.minute_ms)};
  const CivilTime local = to_civil(start, kChinaUtcOffset);
  uplink::TrainingRecord r;
  r.record_no = m.record_no;
  r.report_type = h.report_type;
  r.student_no = h.student_no;
  r.coach_no = h.coach_no;
  r.class_id = h.class_id;
  r.time_of_day_s = static_cast<std::uint32_t>(local.hour * 3600 + local.minute * 60 + local.second);
  r.course_code = h.course_code;
  r.status = m.status;
  r.max_speed_dkmh = m.max_speed_dkmh.value_or(0);
  r.mileage_hm = m.mileage_hm.value_or(0);
  uplink::PositionBlock& b = r.gnss.basic;
  if (h.ignition_on) b.status_flags |= uplink::kStatusAccOn;
  if (m.lat_e6 && m.lon_e6) {
    b.status_flags |= uplink::kStatusPositioned;
    b.set_latitude_deg(*m.lat_e6 / 1e6);
    b.set_longitude_deg(*m.lon_e6 / 1e6);
  }
  if (m.gnss_time_ms) b.time = WallTime{std::chrono::milliseconds(*m.gnss_time_ms)};
  b.gnss_speed_dkmh = m.gnss_speed_dkmh;
  b.vehicle_speed_dkmh = m.sensor_speed_dkmh;
  b.direction_deg = m.heading_deg;
  r.gnss.odometer_hm = m.odometer_hm;
  r.gnss.engine_speed_rpm = m.engine_rpm;
  return r;
}

}  // namespace tta::agent
