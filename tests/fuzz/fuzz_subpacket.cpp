// libFuzzer target: sub-packet reassembly under arbitrary parts (bounds, duplicates, order,
// expiry) never crashes, never holds more than its bounds, and split→reassemble is lossless.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tta/uplink/subpacket.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono_literals;
  if (size < 3) return 0;
  tta::uplink::ReassemblyOptions opt;
  opt.max_total = static_cast<std::uint16_t>(1 + data[0] % 32);
  opt.max_pending_sets = 1 + data[1] % 4;
  opt.timeout = std::chrono::milliseconds(1 + data[2] % 50);
  opt.consecutive_serials = (data[2] & 0x80) != 0;
  opt.resend_after = std::chrono::milliseconds(1 + data[1] % 20);
  opt.max_resend_requests = static_cast<std::uint8_t>(data[1] % 4);
  tta::uplink::Reassembler r(opt);
  tta::MonoTime now{};

  // Records: total, index, serial, msg-id bit, time step, payload length, payload.
  std::size_t pos = 3;
  while (pos + 6 <= size) {
    tta::uplink::Frame f;
    f.header.phone = "1";
    f.header.msg_id = (data[pos + 3] & 1) != 0 ? 0x0900 : 0x0801;
    f.header.subpacket = tta::uplink::SubPacket{data[pos], data[pos + 1]};
    f.header.serial = data[pos + 2];
    now += std::chrono::milliseconds(data[pos + 4]);
    const std::size_t len = data[pos + 5] % 40;
    pos += 6;
    const std::size_t n = len < size - pos ? len : size - pos;
    f.body.assign(data + pos, data + pos + n);
    pos += n;
    auto res = r.feed(f, now);
    if (res && *res) {
      const auto& done = **res;
      if (done.frame.header.subpacket) __builtin_trap();
      if (done.parts > opt.max_total) __builtin_trap();
    }
    if ((data[pos - 1] & 7) == 0) (void)r.expire(now);
    if ((data[pos - 1] & 7) == 1) {
      for (const auto& ask : r.resend_due(now)) {
        // A request asks only for what is missing, at most 255 parts, within its budget.
        if (ask.serials.empty() || ask.serials.size() > 255) __builtin_trap();
        if (ask.request_no == 0 || ask.request_no > opt.max_resend_requests) __builtin_trap();
      }
    }
    (void)r.take_evicted();
    if (r.pending_sets() > opt.max_pending_sets) __builtin_trap();
    if (r.pending_bytes() > opt.max_pending_sets * opt.max_total * 40U) __builtin_trap();
  }

  // Split the whole input and put it back together in reverse order.
  tta::uplink::FrameHeader h;
  h.phone = "13800138000";
  h.msg_id = 0x0900;
  std::vector<std::uint8_t> big;
  for (int i = 0; i < 8; ++i)
    big.insert(big.end(), data, data + size);
  auto parts = tta::uplink::split_message(h, big, 512 + data[0] % 512, data[1]);
  if (!parts) __builtin_trap();
  tta::uplink::Reassembler whole;
  std::optional<tta::uplink::Reassembled> out;
  for (auto it = parts->rbegin(); it != parts->rend(); ++it) {
    auto res = whole.feed(*it, tta::MonoTime{});
    if (!res) __builtin_trap();
    if (*res) out = **res;
  }
  if (!out || out->frame.body != big) __builtin_trap();
  return 0;
}
