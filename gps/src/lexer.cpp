#include <string>

#include "tta/gps/nmea.hpp"

namespace tta::gps {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::uint8_t nmea_checksum(std::string_view body) noexcept {
  unsigned sum = 0;
  for (const char c : body) sum ^= static_cast<unsigned char>(c);
  return static_cast<std::uint8_t>(sum);
}

bool NmeaLexer::step(char c) {
  const auto u = static_cast<unsigned char>(c);
  switch (state_) {
    case State::line_start:
      if (c == '#' && skip_comments_) {
        ++stats_.comment_lines;
        ++stats_.garbage_bytes;
        state_ = State::comment;
        return false;
      }
      [[fallthrough]];
    case State::idle:
      if (c == '$') {
        buf_[0] = c;
        len_ = 1;
        state_ = State::in_sentence;
      } else if (c == '\n' || c == '\r') {
        state_ = State::line_start;  // line ends are not noise
      } else {
        ++stats_.garbage_bytes;
        state_ = State::idle;
      }
      return false;
    case State::comment:
      ++stats_.garbage_bytes;
      if (c == '\n' || c == '\r') state_ = State::line_start;
      return false;
    case State::in_sentence:
      break;
  }
  if (c == '\r' || c == '\n') {
    state_ = State::line_start;
    return end_of_line();
  }
  if (c == '$') {
    // A new sentence starts before the old one ended: the old one lost its tail.
    ++stats_.truncated;
    len_ = 1;
    return false;
  }
  if (u < 0x20 || u > 0x7E) {
    // Binary noise inside a sentence: the sentence is lost; resynchronise on the next '$'.
    ++stats_.truncated;
    ++stats_.garbage_bytes;
    state_ = State::idle;
    return false;
  }
  if (len_ >= buf_.size()) {
    ++stats_.overlong;
    ++stats_.garbage_bytes;
    state_ = State::idle;
    return false;
  }
  buf_[len_++] = c;
  return false;
}

bool NmeaLexer::end_of_line() {
  const std::string_view line(buf_.data(), len_);  // starts with '$'
  const auto star = line.rfind('*');
  if (star == std::string_view::npos) {
    if (len_ > 1) {
      ++stats_.no_checksum;
    } else {
      ++stats_.truncated;
    }
    return false;
  }
  if (star + 3 != len_ || star < 2) {
    ++stats_.bad_checksum;
    return false;
  }
  const int hi = hex_value(line[star + 1]);
  const int lo = hex_value(line[star + 2]);
  const std::string_view body = line.substr(1, star - 1);
  if (hi < 0 || lo < 0 || nmea_checksum(body) != hi * 16 + lo) {
    ++stats_.bad_checksum;
    return false;
  }
  ++stats_.sentences;
  body_len_ = body.size();
  return true;
}

void NmeaLexer::finish() {
  if (state_ == State::in_sentence) ++stats_.truncated;
  state_ = State::line_start;
  len_ = 0;
}

Result<Sentence> parse_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty() || line.front() != '$') return fail(Errc::parse, "NMEA line must start with '$'");
  const auto star = line.rfind('*');
  if (star == std::string_view::npos) return fail(Errc::parse, "NMEA line has no checksum");
  if (star + 3 != line.size()) return fail(Errc::parse, "NMEA checksum must be two hex digits");
  const int hi = hex_value(line[star + 1]);
  const int lo = hex_value(line[star + 2]);
  const std::string_view body = line.substr(1, star - 1);
  if (hi < 0 || lo < 0 || nmea_checksum(body) != hi * 16 + lo) {
    return fail(Errc::parse, "NMEA checksum does not verify");
  }
  Sentence s;
  switch (parse_sentence(body, s)) {
    case ParseStatus::ok: return s;
    case ParseStatus::unsupported:
      return fail(Errc::parse, "unsupported NMEA sentence " + std::string(body.substr(0, 5)));
    case ParseStatus::bad_field: return fail(Errc::parse, "malformed field in NMEA sentence");
    case ParseStatus::too_short: return fail(Errc::parse, "too few fields in NMEA sentence");
  }
  return fail(Errc::internal, "unreachable");
}

}  // namespace tta::gps
