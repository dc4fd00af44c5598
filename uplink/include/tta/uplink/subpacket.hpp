#pragma once
/// JT/T 808 sub-packets (terminal-protocol.md §1): splitting a long body into frames with
/// attribute bit 13 and `total, index`, and bounds-checked reassembly. No clock inside: the
/// caller passes the current monotonic time.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/uplink/frame.hpp"

namespace tta::uplink {

inline constexpr std::size_t kMinChunkBytes = 512;   ///< smallest chunk size we allow
inline constexpr std::size_t kMaxChunkBytes = 1023;  ///< the 10-bit body length

/// Split `body` into frames that each carry at most `chunk_bytes` (512-1023) of it. A body no
/// longer than `chunk_bytes` gives one frame without sub-packet fields. Otherwise every frame
/// has bit 13 set, `total` = the number of frames, `index` 1..total, and consecutive serials
/// starting at `first_serial` (wrapping at 0xFFFF); the caller's next serial is
/// `first_serial + frames.size()`. All other header fields come from `header`.
/// Fails on a chunk size outside 512-1023 or more than 65535 sub-packets.
[[nodiscard]] Result<std::vector<Frame>> split_message(const FrameHeader& header,
                                                       std::span<const std::uint8_t> body,
                                                       std::size_t chunk_bytes,
                                                       std::uint16_t first_serial);

/// Bounds of the reassembler.
struct ReassemblyOptions {
  /// Largest `total` accepted. 64 KiB photos at 512-byte chunks need 128.
  std::uint16_t max_total = 1024;
  /// Incomplete sets older than this (since their first part) are dropped by expire().
  std::chrono::milliseconds timeout{std::chrono::seconds{120}};
  /// A set that got no new part for this long has its missing parts asked for again
  /// (resend_due()), at most max_resend_requests times; after the last request and another
  /// quiet `resend_after` it is given up by expire(), even before `timeout`.
  std::chrono::milliseconds resend_after{std::chrono::seconds{10}};
  std::uint8_t max_resend_requests = 3;
  /// Most incomplete sets kept at once; a new set beyond this evicts the oldest one.
  std::size_t max_pending_sets = 32;
  /// Most body bytes held in incomplete sets; past it the oldest sets are evicted (the one
  /// being added last). 4 MiB holds four 1 MiB messages in the making.
  std::size_t max_pending_bytes = 4 * 1024 * 1024;
  /// Evicted sets kept for take_evicted(); older ones are only counted.
  std::size_t max_evicted_kept = 64;
  /// Key sets by the serial of their first part (serial − index + 1), which the consecutive
  /// serials of §1 allow and which keeps two messages with the same ID apart. Turn off for
  /// devices that number sub-packets arbitrarily: then (phone, message ID, total) is the key.
  bool consecutive_serials = true;
};

/// A completed message.
struct Reassembled {
  /// Header of part 1 with `subpacket` cleared and `serial` = the first part's serial
  /// (derived from any part when serials are consecutive); body = all parts in index order.
  Frame frame;
  std::uint16_t first_serial = 0;
  std::uint16_t last_serial = 0;
  std::uint16_t parts = 1;
};

/// An incomplete set that expire() dropped or that was evicted; `missing` lists the indexes
/// (1-based) never received, for a 0x8003 re-send request.
struct DroppedSet {
  std::string phone;
  std::uint16_t msg_id = 0;
  std::uint16_t first_serial = 0;
  std::uint16_t total = 0;
  std::vector<std::uint16_t> missing;
  /// Why it was dropped, in words, for the log ("incomplete after 120 s" …).
  std::string reason;
};

/// Parts of an incomplete set to ask for again (a re-send request, terminal-protocol.md §1.2
/// layout): the set's first serial and the serials of its missing parts (at most 255, the
/// count being a BYTE), or their 1-based indexes when serials are not consecutive.
struct ResendAsk {
  std::string phone;
  std::uint16_t msg_id = 0;
  std::uint16_t first_serial = 0;
  std::vector<std::uint16_t> serials;
  std::uint8_t request_no = 1;  ///< 1 … max_resend_requests
};

/// Reassembles sub-packets. Duplicates are ignored, parts may come in any order.
class Reassembler {
 public:
  explicit Reassembler(ReassemblyOptions options = {}) : options_(options) {}

  /// Take one frame. A frame without sub-packet fields is returned at once. A part returns
  /// nullopt until its set is complete, then the whole message. Errors (total 0 or above
  /// max_total, index 0 or above total) reject only that frame. A part whose `total` differs
  /// from its neighbours' belongs to a different set (total is part of the key), so it can
  /// never complete a set with a wrong size; such leftovers expire.
  [[nodiscard]] Result<std::optional<Reassembled>> feed(const Frame& frame, MonoTime now);

  /// Drop sets whose first part arrived more than `timeout` before `now`, and sets whose last
  /// re-send request went unanswered for `resend_after`; each with its reason.
  [[nodiscard]] std::vector<DroppedSet> expire(MonoTime now);

  /// Sets that got no part for `resend_after` and have re-send requests left: what to ask
  /// for. Each call counts as one request per set returned.
  [[nodiscard]] std::vector<ResendAsk> resend_due(MonoTime now);

  /// Sets evicted because more than max_pending_sets were open or max_pending_bytes held
  /// (the newest max_evicted_kept); cleared when read.
  [[nodiscard]] std::vector<DroppedSet> take_evicted();
  /// Sets evicted so far, including those no longer kept.
  [[nodiscard]] std::uint64_t evicted_total() const noexcept { return evicted_total_; }

  /// Number of incomplete sets held.
  [[nodiscard]] std::size_t pending_sets() const noexcept { return sets_.size(); }
  /// Body bytes held in incomplete sets.
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return held_bytes_; }
  /// Duplicate parts ignored so far.
  [[nodiscard]] std::uint64_t duplicates() const noexcept { return duplicates_; }

 private:
  struct Key {
    std::string phone;
    std::uint16_t msg_id = 0;
    std::uint16_t total = 0;
    std::uint16_t first_serial = 0;
    auto operator<=>(const Key&) const = default;
  };
  struct Set {
    MonoTime started{};
    MonoTime last_progress{};  ///< the last new part, or the last re-send request
    std::uint8_t requests = 0;
    std::uint64_t order = 0;
    FrameHeader header;  // from the first part that arrived
    std::vector<std::optional<Bytes>> parts;
    std::uint16_t received = 0;
    std::uint16_t last_serial = 0;
  };
  static DroppedSet dropped(const Key& k, const Set& s, std::string reason);

  ReassemblyOptions options_;
  std::map<Key, Set> sets_;
  /// Evict the oldest set, sparing the one of order `spare` while another is left.
  void evict_oldest(std::optional<std::uint64_t> spare = std::nullopt);

  std::vector<DroppedSet> evicted_;
  std::uint64_t evicted_total_ = 0;
  std::size_t held_bytes_ = 0;  ///< body bytes in sets_
  std::uint64_t next_order_ = 0;
  std::uint64_t duplicates_ = 0;
};

}  // namespace tta::uplink
