#pragma once
// Big-endian byte reader/writer with sticky errors, so message layouts read as flat field
// lists (see layouts.hpp). Internal to tta_uplink.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"

namespace tta::uplink::wire {

using Bytes = std::vector<std::uint8_t>;

/// Appends big-endian fields; the first error sticks and later writes are ignored.
class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out_.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void fail(std::string message) {
    if (!error_) error_ = std::move(message);
  }
  [[nodiscard]] bool ok() const { return !error_; }
  [[nodiscard]] const std::optional<std::string>& error() const { return error_; }
  [[nodiscard]] Bytes& out() { return out_; }
  [[nodiscard]] std::size_t size() const { return out_.size(); }

 private:
  Bytes out_;
  std::optional<std::string> error_;
};

/// Reads big-endian fields; a short read records "truncated" with the field name and offset,
/// and every later read returns zeros.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}

  bool need(std::size_t n, std::string_view what) {
    if (error_) return false;
    if (in_.size() - pos_ < n) {
      error_ = "truncated at offset " + std::to_string(pos_) + ": " + std::string(what) +
               " needs " + std::to_string(n) + " bytes, " + std::to_string(in_.size() - pos_) +
               " left";
      return false;
    }
    return true;
  }
  std::uint8_t u8(std::string_view what) {
    if (!need(1, what)) return 0;
    return in_[pos_++];
  }
  std::uint16_t u16(std::string_view what) {
    if (!need(2, what)) return 0;
    const auto v = static_cast<std::uint16_t>((in_[pos_] << 8) | in_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32(std::string_view what) {
    if (!need(4, what)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v = (v << 8) | in_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 4;
    return v;
  }
  std::span<const std::uint8_t> take(std::size_t n, std::string_view what) {
    if (!need(n, what)) return {};
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::span<const std::uint8_t> rest() {
    if (error_) return {};
    auto s = in_.subspan(pos_);
    pos_ = in_.size();
    return s;
  }
  void fail(std::string message) {
    if (!error_) error_ = std::move(message);
  }
  /// Record an error for a field that was read but is invalid (offset = where it started).
  void fail_at(std::size_t at, std::string_view what, std::string_view why) {
    fail(std::string(what) + " at offset " + std::to_string(at) + ": " + std::string(why));
  }
  [[nodiscard]] std::size_t pos() const { return pos_; }
  [[nodiscard]] std::size_t remaining() const { return in_.size() - pos_; }
  [[nodiscard]] bool ok() const { return !error_; }
  [[nodiscard]] const std::optional<std::string>& error() const { return error_; }
  /// Fails when bytes are left over after the last field.
  void expect_end() {
    if (!error_ && pos_ != in_.size()) {
      error_ = std::to_string(in_.size() - pos_) + " unexpected trailing bytes at offset " +
               std::to_string(pos_);
    }
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  std::optional<std::string> error_;
};

}  // namespace tta::uplink::wire
