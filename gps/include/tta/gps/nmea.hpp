#pragma once
/// NMEA 0183 framing and parsing, kept apart (as gpsd does):
///  - `NmeaLexer` finds `$…*hh` sentences in an arbitrary byte stream, resynchronises after
///    garbage, binary noise and truncated lines, and drops (but counts) bad or missing checksums;
///  - `parse_sentence` turns one checksum-verified sentence into a typed value.
/// Neither allocates per sentence: sentences are `std::string_view`s into the lexer's fixed
/// buffer (valid only during the callback) and numbers go through `std::from_chars`.
/// Unknown values are `std::nullopt`, never zero.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "tta/core/result.hpp"

namespace tta::gps {

/// Counters kept by the lexer; every byte of input ends up in exactly one class.
struct LexStats {
  std::uint64_t sentences = 0;       ///< complete sentences whose checksum verified (emitted)
  std::uint64_t bad_checksum = 0;    ///< `*hh` present but wrong or malformed: dropped
  std::uint64_t no_checksum = 0;     ///< complete lines without `*hh`: dropped, never trusted
  std::uint64_t truncated = 0;       ///< sentences cut by a new `$`, a control byte or end of input
  std::uint64_t overlong = 0;        ///< sentences longer than `NmeaLexer::kMaxSentence`
  std::uint64_t garbage_bytes = 0;   ///< bytes outside any sentence (noise, comments, binary)
  std::uint64_t comment_lines = 0;   ///< `#` lines skipped (only with `skip_comments`)
};

/// Splits a byte stream into checksum-verified NMEA sentences.
class NmeaLexer {
 public:
  /// NMEA allows 82 characters; NMEA 4.1 receivers exceed that, so we allow a little more.
  static constexpr std::size_t kMaxSentence = 160;

  /// `skip_comments`: lines whose first byte is `#` are skipped (captured logs use them for
  /// headers); off for live receivers.
  explicit NmeaLexer(bool skip_comments = false) : skip_comments_(skip_comments) {}

  /// Feed bytes; `on_sentence(std::string_view body)` is called for each sentence whose
  /// checksum verified, with `body` the text between `$` and `*` (talker+type, fields).
  template <typename F>
  void feed(std::span<const char> bytes, F&& on_sentence) {
    for (const char c : bytes) {
      if (step(c)) on_sentence(std::string_view(buf_.data() + 1, body_len_));
    }
  }
  /// End of input: a sentence still open is counted as truncated.
  void finish();
  /// Counters so far.
  [[nodiscard]] const LexStats& stats() const { return stats_; }

 private:
  enum class State : std::uint8_t { line_start, idle, comment, in_sentence };
  /// One byte; true when a verified sentence is ready in buf_[1, 1+body_len_).
  bool step(char c);
  bool end_of_line();

  bool skip_comments_;
  State state_ = State::line_start;
  std::array<char, kMaxSentence + 1> buf_{};
  std::size_t len_ = 0;
  std::size_t body_len_ = 0;
  LexStats stats_;
};

/// Who sent a sentence (the two letters after `$`).
enum class Talker : std::uint8_t {
  other,  ///< a talker we do not name (proprietary `$P…` never reaches the parser as known)
  gp,     ///< GPS
  gn,     ///< combined GNSS
  gl,     ///< GLONASS
  ga,     ///< Galileo
  gb,     ///< BeiDou (NMEA 4.11 name)
  bd,     ///< BeiDou (Chinese receivers' name)
  gq,     ///< QZSS
  gi,     ///< NavIC
};

/// Two-letter lower-case name ("gp", "gn", …; "??" for other).
[[nodiscard]] std::string_view to_string(Talker t) noexcept;

/// UTC time of day from a sentence, in milliseconds since midnight.
struct TimeOfDay {
  std::int32_t ms = 0;  ///< 0 .. 86'400'999 (a leap second may show as second 60)
  friend bool operator==(TimeOfDay, TimeOfDay) = default;
};

/// A calendar date from RMC or ZDA (year as transmitted, four digits; RMC's two digits
/// map to 1980-2079).
struct Date {
  std::int16_t year = 0;
  std::int8_t month = 0;
  std::int8_t day = 0;
  friend bool operator==(Date, Date) = default;
};

/// FAA mode indicator (NMEA 2.3+): A autonomous, D differential, E estimated, M manual,
/// S simulator, N not valid, P precise, R RTK, F float RTK. '\0' when absent (pre-2.3).
using FaaMode = char;

/// Recommended minimum data.
struct Rmc {
  std::optional<TimeOfDay> time;
  bool status_valid = false;            ///< status field 'A'
  std::optional<double> lat_deg, lon_deg;
  std::optional<double> speed_knots;
  std::optional<double> course_deg;     ///< true course over ground
  std::optional<Date> date;
  std::optional<double> mag_var_deg;    ///< east positive
  FaaMode mode = '\0';
  char nav_status = '\0';               ///< NMEA 4.1: S safe, C caution, U unsafe, V not valid
};

/// Fix data.
struct Gga {
  std::optional<TimeOfDay> time;
  std::optional<double> lat_deg, lon_deg;
  std::optional<std::uint8_t> quality;  ///< 0 invalid, 1 GPS, 2 DGPS, 4 RTK, 5 float, 6 DR, 8 sim
  std::optional<std::uint8_t> sats_used;
  std::optional<double> hdop;
  std::optional<double> alt_msl_m;
  std::optional<double> geoid_sep_m;
  std::optional<double> dgps_age_s;
};

/// DOP and active satellites.
struct Gsa {
  char selection = '\0';                ///< 'A' automatic, 'M' manual
  std::optional<std::uint8_t> fix_type; ///< 1 none, 2 2D, 3 3D
  std::array<std::uint16_t, 12> prns{};
  std::uint8_t prn_count = 0;
  std::optional<double> pdop, hdop, vdop;
  std::optional<std::uint8_t> system_id;  ///< NMEA 4.1: 1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou …
};

/// One satellite in view.
struct SatInView {
  std::uint16_t prn = 0;
  std::optional<std::uint8_t> elevation_deg;
  std::optional<std::uint16_t> azimuth_deg;
  std::optional<std::uint8_t> snr_dbhz;
};

/// Satellites in view (one message of a group).
struct Gsv {
  std::uint8_t total_msgs = 0;
  std::uint8_t msg_num = 0;
  std::uint8_t sats_in_view = 0;
  std::array<SatInView, 4> sats{};
  std::uint8_t sat_count = 0;
  std::optional<std::uint8_t> signal_id;  ///< NMEA 4.1
};

/// Course and speed over ground.
struct Vtg {
  std::optional<double> course_true_deg, course_mag_deg;
  std::optional<double> speed_knots, speed_kmh;
  FaaMode mode = '\0';
};

/// Geographic position.
struct Gll {
  std::optional<double> lat_deg, lon_deg;
  std::optional<TimeOfDay> time;
  bool status_valid = false;
  FaaMode mode = '\0';
};

/// Time and date.
struct Zda {
  std::optional<TimeOfDay> time;
  std::optional<Date> date;
  std::optional<std::int8_t> zone_hours, zone_minutes;
};

/// Text message. `text` points into the lexer buffer: copy it if you keep it.
struct Txt {
  std::uint8_t total = 0, number = 0, type = 0;
  std::string_view text;
};

/// A parsed sentence.
struct Sentence {
  Talker talker = Talker::other;
  std::variant<std::monostate, Rmc, Gga, Gsa, Gsv, Vtg, Gll, Zda, Txt> body;
};

/// Why a sentence was not parsed.
enum class ParseStatus : std::uint8_t {
  ok,
  unsupported,   ///< a type we do not decode (proprietary `$P…`, GST, RMB, …): not an error
  bad_field,     ///< a field of a supported type is malformed
  too_short,     ///< a supported type with too few fields
};

/// Parse one sentence body (the text between `$` and `*`, as the lexer delivers it).
/// Never allocates; `out.body` holds `std::monostate` unless the status is `ok`.
[[nodiscard]] ParseStatus parse_sentence(std::string_view body, Sentence& out) noexcept;

/// Convenience for tests and tools: verify and parse a whole line `$…*hh` (with or without
/// CR/LF). A bad or missing checksum, an unsupported type or a bad field is an error.
[[nodiscard]] Result<Sentence> parse_line(std::string_view line);

/// NMEA checksum (XOR of the bytes) of a sentence body.
[[nodiscard]] std::uint8_t nmea_checksum(std::string_view body) noexcept;

}  // namespace tta::gps
