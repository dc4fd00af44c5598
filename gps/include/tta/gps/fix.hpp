#pragma once
/// The fix model: what the receiver said about one epoch (one UTC time of day), merged from
/// the RMC, GGA, GSA, VTG, GLL and ZDA sentences that carry that time. Every value has a bit
/// in `Fix::set`; an unset double is NaN, so nothing unknown can pass for zero.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include "tta/core/clock.hpp"
#include "tta/gps/nmea.hpp"

namespace tta::gps {

/// Bits of `Fix::set`.
enum FixField : std::uint32_t {
  kFieldTime = 1U << 0,       ///< time_of_day
  kFieldDate = 1U << 1,       ///< date
  kFieldPosition = 1U << 2,   ///< lat_deg, lon_deg
  kFieldAltitude = 1U << 3,   ///< alt_msl_m
  kFieldSpeed = 1U << 4,      ///< speed_kmh
  kFieldCourse = 1U << 5,     ///< course_deg
  kFieldMode = 1U << 6,       ///< mode (from GSA, or RMC/GGA status)
  kFieldQuality = 1U << 7,    ///< quality (GGA)
  kFieldHdop = 1U << 8,
  kFieldPdop = 1U << 9,
  kFieldVdop = 1U << 10,
  kFieldSatsUsed = 1U << 11,  ///< sats_used
  kFieldStatus = 1U << 12,    ///< status_valid (RMC/GLL status letter)
};

/// Dimension of the fix.
enum class FixMode : std::uint8_t { unknown = 0, no_fix = 1, fix_2d = 2, fix_3d = 3 };

/// GGA fix quality indicator.
enum class FixQuality : std::uint8_t {
  invalid = 0, gps = 1, dgps = 2, pps = 3, rtk = 4, float_rtk = 5, estimated = 6, manual = 7,
  simulation = 8,
};

/// One epoch's fix. Doubles not marked in `set` are NaN.
struct Fix {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  std::uint32_t set = 0;          ///< FixField bits
  TimeOfDay time_of_day;          ///< UTC, kFieldTime
  Date date;                      ///< UTC, kFieldDate
  double lat_deg = kNaN;          ///< WGS-84, north positive
  double lon_deg = kNaN;          ///< WGS-84, east positive
  double alt_msl_m = kNaN;        ///< above mean sea level
  double speed_kmh = kNaN;        ///< speed over ground
  double course_deg = kNaN;       ///< true course over ground
  double hdop = kNaN, pdop = kNaN, vdop = kNaN;
  FixMode mode = FixMode::unknown;
  FixQuality quality = FixQuality::invalid;
  std::uint8_t sats_used = 0;     ///< kFieldSatsUsed
  bool status_valid = false;      ///< kFieldStatus: the receiver flagged its data valid
  Talker talker = Talker::other;  ///< talker of the first sentence of the epoch
  std::uint16_t sentences = 0;    ///< how many sentences were merged

  [[nodiscard]] bool has(std::uint32_t fields) const { return (set & fields) == fields; }
  /// UTC instant when both date and time are known (as transmitted: no rollover correction).
  [[nodiscard]] std::optional<WallTime> utc() const;
  /// The receiver claims a usable position fix: a position, no "invalid" status, and a
  /// quality (when known) of GPS, DGPS, PPS, RTK or float RTK (not estimated/manual/simulated),
  /// and a mode (when known) of 2D or 3D.
  [[nodiscard]] bool has_fix() const;
};

/// Merges the sentences of one epoch into a Fix. An epoch is the run of sentences with the same
/// UTC time of day; sentences without time (GSA, VTG) join the epoch of the last timed sentence.
/// Sentences without time seen before any timed one are dropped rather than guessed into an
/// epoch. A fix is emitted when a sentence with a different time arrives, or on `flush()`.
class EpochAssembler {
 public:
  /// Merge one parsed sentence; returns the previous epoch's fix when this sentence closes it.
  [[nodiscard]] std::optional<Fix> add(const Sentence& s);
  /// Close the open epoch (end of input, device gone).
  [[nodiscard]] std::optional<Fix> flush();

 private:
  void merge(const Sentence& s);
  Fix cur_;
  bool open_ = false;
};

/// Counters of a decoding pipeline.
struct DecodeStats {
  LexStats lex;
  std::uint64_t parsed = 0;         ///< sentences parsed into a known type
  std::uint64_t unsupported = 0;    ///< verified sentences of types we do not decode
  std::uint64_t parse_errors = 0;   ///< verified sentences with malformed fields (dropped)
  std::uint64_t epochs = 0;         ///< fixes emitted (any content)
  std::uint64_t fixes = 0;          ///< of those, `has_fix()`
};

/// Bytes → lexer → parser → epoch assembler → fixes. The whole hot path, no allocation.
class NmeaDecoder {
 public:
  explicit NmeaDecoder(bool skip_comments = false) : lexer_(skip_comments) {}

  /// Feed bytes; `on_fix(const Fix&)` is called for each completed epoch.
  template <typename F>
  void feed(std::span<const char> bytes, F&& on_fix) {
    lexer_.feed(bytes, [&](std::string_view body) {
      if (auto fix = on_sentence(body)) emit(*fix, on_fix);
    });
  }
  /// End of input: flush the open epoch.
  template <typename F>
  void finish(F&& on_fix) {
    lexer_.finish();
    if (auto fix = assembler_.flush()) emit(*fix, on_fix);
  }
  [[nodiscard]] DecodeStats stats() const {
    DecodeStats s = stats_;
    s.lex = lexer_.stats();
    return s;
  }

 private:
  std::optional<Fix> on_sentence(std::string_view body);
  template <typename F>
  void emit(const Fix& fix, F& on_fix) {
    ++stats_.epochs;
    if (fix.has_fix()) ++stats_.fixes;
    on_fix(fix);
  }

  NmeaLexer lexer_;
  EpochAssembler assembler_;
  DecodeStats stats_;
};

}  // namespace tta::gps
