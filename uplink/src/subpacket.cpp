// Sub-packet split and reassembly (terminal-protocol.md §1, attribute bit 13).
#include "tta/uplink/subpacket.hpp"

#include <algorithm>

namespace tta::uplink {

Result<std::vector<Frame>> split_message(const FrameHeader& header,
                                         std::span<const std::uint8_t> body,
                                         std::size_t chunk_bytes, std::uint16_t first_serial) {
  if (chunk_bytes < kMinChunkBytes || chunk_bytes > kMaxChunkBytes) {
    return fail(Errc::invalid_argument,
                "sub-packet chunk size " + std::to_string(chunk_bytes) + " is outside 512-1023");
  }
  std::vector<Frame> frames;
  if (body.size() <= chunk_bytes) {
    Frame f{header, Bytes(body.begin(), body.end())};
    f.header.subpacket.reset();
    f.header.serial = first_serial;
    frames.push_back(std::move(f));
    return frames;
  }
  const std::size_t total = (body.size() + chunk_bytes - 1) / chunk_bytes;
  if (total > 0xFFFF) {
    return fail(Errc::invalid_argument, "message of " + std::to_string(body.size()) +
                                            " bytes needs more than 65535 sub-packets");
  }
  frames.reserve(total);
  for (std::size_t i = 0; i < total; ++i) {
    const std::size_t start = i * chunk_bytes;
    const std::size_t len = std::min(chunk_bytes, body.size() - start);
    Frame f;
    f.header = header;
    f.header.serial = static_cast<std::uint16_t>(first_serial + i);
    f.header.subpacket =
        SubPacket{static_cast<std::uint16_t>(total), static_cast<std::uint16_t>(i + 1)};
    f.body.assign(body.begin() + static_cast<std::ptrdiff_t>(start),
                  body.begin() + static_cast<std::ptrdiff_t>(start + len));
    frames.push_back(std::move(f));
  }
  return frames;
}

DroppedSet Reassembler::dropped(const Key& k, const Set& s, std::string reason) {
  DroppedSet d{k.phone, k.msg_id, k.first_serial, k.total, {}, std::move(reason)};
  for (std::size_t i = 0; i < s.parts.size(); ++i) {
    if (!s.parts[i]) d.missing.push_back(static_cast<std::uint16_t>(i + 1));
  }
  return d;
}

Result<std::optional<Reassembled>> Reassembler::feed(const Frame& frame, MonoTime now) {
  const auto& sp = frame.header.subpacket;
  if (!sp) {
    Reassembled r{frame, frame.header.serial, frame.header.serial, 1};
    return std::optional<Reassembled>(std::move(r));
  }
  if (sp->total == 0) return fail(Errc::parse, "sub-packet total is 0");
  if (sp->total > options_.max_total) {
    return fail(Errc::parse, "sub-packet total " + std::to_string(sp->total) +
                                 " exceeds the configured maximum " +
                                 std::to_string(options_.max_total));
  }
  if (sp->index == 0 || sp->index > sp->total) {
    return fail(Errc::parse, "sub-packet index " + std::to_string(sp->index) + " outside 1.." +
                                 std::to_string(sp->total));
  }
  Key key{frame.header.phone, frame.header.msg_id, sp->total, 0};
  if (options_.consecutive_serials) {
    key.first_serial = static_cast<std::uint16_t>(frame.header.serial - (sp->index - 1));
  }
  auto it = sets_.find(key);
  if (it == sets_.end()) {
    if (sets_.size() >= options_.max_pending_sets && options_.max_pending_sets > 0) evict_oldest();
    Set s;
    s.started = now;
    s.last_progress = now;
    s.order = next_order_++;
    s.header = frame.header;
    s.parts.resize(sp->total);
    it = sets_.emplace(key, std::move(s)).first;
  }
  Set& set = it->second;
  auto& slot = set.parts[sp->index - 1U];
  if (slot) {
    ++duplicates_;
    return std::optional<Reassembled>();
  }
  slot = frame.body;
  held_bytes_ += frame.body.size();
  ++set.received;
  set.last_progress = now;
  if (sp->index == 1) set.header = frame.header;
  if (sp->index == sp->total) set.last_serial = frame.header.serial;
  if (set.received < sp->total) {
    // Over the byte bound: the oldest other sets go first, then, if still over, this one.
    const std::uint64_t mine = set.order;
    while (held_bytes_ > options_.max_pending_bytes && !sets_.empty()) evict_oldest(mine);
    return std::optional<Reassembled>();
  }

  Reassembled r;
  r.frame.header = set.header;
  r.frame.header.subpacket.reset();
  std::size_t size = 0;
  for (const auto& p : set.parts)
    size += p->size();
  r.frame.body.reserve(size);
  for (const auto& p : set.parts)
    r.frame.body.insert(r.frame.body.end(), p->begin(), p->end());
  r.first_serial = options_.consecutive_serials ? key.first_serial : set.header.serial;
  r.frame.header.serial = r.first_serial;
  r.last_serial = options_.consecutive_serials
                      ? static_cast<std::uint16_t>(key.first_serial + sp->total - 1)
                      : set.last_serial;
  r.parts = sp->total;
  held_bytes_ -= size;
  sets_.erase(it);
  return std::optional<Reassembled>(std::move(r));
}

void Reassembler::evict_oldest(std::optional<std::uint64_t> spare) {
  if (sets_.empty()) return;
  auto oldest = sets_.end();
  for (auto i = sets_.begin(); i != sets_.end(); ++i) {
    if (spare && i->second.order == *spare && sets_.size() > 1) continue;
    if (oldest == sets_.end() || i->second.order < oldest->second.order) oldest = i;
  }
  for (const auto& p : oldest->second.parts) held_bytes_ -= p ? p->size() : 0;
  ++evicted_total_;
  evicted_.push_back(dropped(oldest->first, oldest->second,
                             "evicted: more than " + std::to_string(options_.max_pending_sets) +
                                 " sets or " + std::to_string(options_.max_pending_bytes) +
                                 " bytes held"));
  if (evicted_.size() > options_.max_evicted_kept) evicted_.erase(evicted_.begin());
  sets_.erase(oldest);
}

std::vector<DroppedSet> Reassembler::expire(MonoTime now) {
  std::vector<DroppedSet> out;
  for (auto it = sets_.begin(); it != sets_.end();) {
    const Set& set = it->second;
    std::string why;
    if (now - set.started > options_.timeout) {
      why = "incomplete after " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - set.started)
                               .count()) +
            " s (timeout " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(options_.timeout).count()) +
            " s)";
    } else if (options_.max_resend_requests > 0 && set.requests >= options_.max_resend_requests &&
               now - set.last_progress >= options_.resend_after) {
      why = std::to_string(set.requests) + " re-send request(s) unanswered";
    }
    if (!why.empty()) {
      out.push_back(dropped(it->first, set, std::move(why)));
      for (const auto& p : it->second.parts) held_bytes_ -= p ? p->size() : 0;
      it = sets_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<ResendAsk> Reassembler::resend_due(MonoTime now) {
  std::vector<ResendAsk> out;
  for (auto& [key, set] : sets_) {
    if (set.requests >= options_.max_resend_requests) continue;
    if (now - set.last_progress < options_.resend_after) continue;
    ResendAsk ask{key.phone, key.msg_id, key.first_serial, {}, 0};
    for (std::size_t i = 0; i < set.parts.size() && ask.serials.size() < 255; ++i) {
      if (set.parts[i]) continue;
      const auto index = static_cast<std::uint16_t>(i + 1);
      ask.serials.push_back(options_.consecutive_serials
                                ? static_cast<std::uint16_t>(key.first_serial + i)
                                : index);
    }
    if (!options_.consecutive_serials) ask.first_serial = set.header.serial;
    ++set.requests;
    set.last_progress = now;  // the next request, or giving up, after another quiet spell
    ask.request_no = set.requests;
    out.push_back(std::move(ask));
  }
  return out;
}

std::vector<DroppedSet> Reassembler::take_evicted() {
  std::vector<DroppedSet> out;
  out.swap(evicted_);
  return out;
}

}  // namespace tta::uplink
