#pragma once
/// The 28-byte basic position block and the 38-byte attached GNSS block
/// (terminal-protocol.md §1.2, "Basic position block, 28 bytes (differs from JT/T 808!)").
///
/// Missing values: a terminal without a vehicle speed sensor, an engine-speed input or a fix
/// leaves the matching field `std::nullopt`. The wire has no "missing" marker, so the encoder
/// writes 0 for a missing number and 00 00 00 00 00 00 for a missing time; the CALLER must then
/// mark the record abnormal (0x0203 status 1) — `has_missing()` tells it. The codec never
/// invents a value and never changes the status word on its own. Decoding cannot tell 0 from
/// missing, so decoded numbers are always present (0 stays 0); only an all-zero BCD time,
/// which is no valid date, decodes as a missing time.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/uplink/frame.hpp"

namespace tta::uplink {

/// Status word bits (§1.2).
inline constexpr std::uint32_t kStatusAccOn = 1U << 0;       ///< ACC / ignition on
inline constexpr std::uint32_t kStatusPositioned = 1U << 1;  ///< GNSS fix
inline constexpr std::uint32_t kStatusSouth = 1U << 2;       ///< latitude is south
inline constexpr std::uint32_t kStatusWest = 1U << 3;        ///< longitude is west

/// Size of the basic block on the wire.
inline constexpr std::size_t kPositionBlockBytes = 28;
/// Size of the attached GNSS block on the wire.
inline constexpr std::size_t kAttachedGnssBytes = 38;

/// Basic position block, 28 bytes: alarm DWORD, status DWORD, latitude DWORD, longitude DWORD,
/// vehicle-sensor speed WORD, satellite speed WORD, direction WORD, time BCD[6].
struct PositionBlock {
  std::uint32_t alarm_flags = 0;
  std::uint32_t status_flags = 0;                         ///< kStatus* bits; hemispheres live here
  std::optional<std::uint32_t> latitude_udeg;             ///< |latitude| in 1e-6 degree
  std::optional<std::uint32_t> longitude_udeg;            ///< |longitude| in 1e-6 degree
  std::optional<std::uint16_t> vehicle_speed_dkmh;  ///< from the vehicle's own sensor
  std::optional<std::uint16_t> gnss_speed_dkmh;     ///< satellite speed
  std::optional<std::uint16_t> direction_deg;             ///< 0-359
  std::optional<WallTime> time;                           ///< sent as GMT+8 BCD[6]

  /// True when any value is missing (the caller must flag the record abnormal).
  [[nodiscard]] bool has_missing() const;
  /// Signed latitude in degrees (south negative), if present.
  [[nodiscard]] std::optional<double> latitude_deg() const;
  /// Signed longitude in degrees (west negative), if present.
  [[nodiscard]] std::optional<double> longitude_deg() const;
  /// Set latitude and the south bit from signed degrees. A value that is not finite or
  /// beyond ±90° leaves the latitude missing (nothing is invented).
  void set_latitude_deg(double deg);
  /// Set longitude and the west bit from signed degrees; not finite or beyond ±180° → missing.
  void set_longitude_deg(double deg);

  friend bool operator==(const PositionBlock&, const PositionBlock&) = default;
};

/// Attached GNSS block, 38 bytes: the basic block, TLV 0x01 odometer (6 bytes), TLV 0x05
/// engine speed (4 bytes). Missing TLV values are written as 0 (see the file comment).
struct AttachedGnss {
  PositionBlock basic;
  std::optional<std::uint32_t> odometer_hm;
  std::optional<std::uint16_t> engine_speed_rpm;

  /// True when any value, in the basic block or the TLVs, is missing.
  [[nodiscard]] bool has_missing() const;

  friend bool operator==(const AttachedGnss&, const AttachedGnss&) = default;
};

/// TLV item ids of §1.2.
inline constexpr std::uint8_t kTlvOdometer = 0x01;     ///< DWORD, 0.1 km
inline constexpr std::uint8_t kTlvFuel = 0x02;         ///< WORD, 0.1 L
inline constexpr std::uint8_t kTlvAltitude = 0x03;     ///< WORD, m
inline constexpr std::uint8_t kTlvEngineSpeed = 0x05;  ///< WORD, rpm

/// A TLV item the codec does not know, kept byte for byte.
struct RawTlv {
  std::uint8_t id = 0;
  Bytes value;  ///< at most 255 bytes
  friend bool operator==(const RawTlv&, const RawTlv&) = default;
};

/// 0x0200 position report: the basic block then TLV items (§1.2). A missing optional item is
/// simply not sent. Known items are encoded in the order 0x01, 0x02, 0x03, 0x05, then the
/// unknown ones in their order.
struct PositionReport {
  static constexpr std::uint16_t kMsgId = 0x0200;
  PositionBlock basic;
  std::optional<std::uint32_t> odometer_hm;
  std::optional<std::uint16_t> fuel_tenth_l;
  std::optional<std::uint16_t> altitude_m;
  std::optional<std::uint16_t> engine_speed_rpm;
  std::vector<RawTlv> other_items;

  [[nodiscard]] Result<Bytes> encode() const;
  [[nodiscard]] static Result<PositionReport> decode(std::span<const std::uint8_t> body);
  friend bool operator==(const PositionReport&, const PositionReport&) = default;
};

/// Encode the 28-byte block (missing values as 0, missing time as six 0x00).
[[nodiscard]] Bytes encode_position_block(const PositionBlock& p);
/// Decode exactly 28 bytes.
[[nodiscard]] Result<PositionBlock> decode_position_block(std::span<const std::uint8_t> b);
/// Encode the 38-byte attached block.
[[nodiscard]] Bytes encode_attached_gnss(const AttachedGnss& a);
/// Decode exactly 38 bytes: the basic block then TLVs 0x01 (len 4) and 0x05 (len 2), in
/// either order; anything else is an error.
[[nodiscard]] Result<AttachedGnss> decode_attached_gnss(std::span<const std::uint8_t> b);

}  // namespace tta::uplink
