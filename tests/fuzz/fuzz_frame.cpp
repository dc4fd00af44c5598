// libFuzzer target: the frame decoder, the streaming splitter and every body decoder (through
// the explainer) take any bytes without crashing; whatever decodes re-encodes to the same.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tta/uplink/explain.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/frame.hpp"

namespace {

void check_round_trip(const tta::uplink::Frame& f) {
  auto wire = tta::uplink::encode_frame(f);
  if (!wire) __builtin_trap();  // anything decoded must be encodable
  auto back = tta::uplink::decode_frame(*wire);
  if (!back || !(*back == f)) __builtin_trap();
  if (!f.body.empty() && f.body[0] == 0x13) {
    if (auto m = tta::uplink::ExtendedMessage::decode(f.body)) {
      auto body = m->encode();
      if (!body || *body != f.body) __builtin_trap();
    }
  }
  (void)tta::uplink::explain_decoded(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  if (auto f = tta::uplink::decode_frame(in)) check_round_trip(*f);
  (void)tta::uplink::explain_frame(in);

  // The same bytes as a stream, cut into chunks whose sizes come from the input itself.
  tta::uplink::FrameSplitter splitter(tta::uplink::SplitterOptions{256, {}});
  std::size_t pos = 0;
  while (pos < size) {
    const std::size_t chunk = 1 + (data[pos] % 17);
    const std::size_t n = chunk < size - pos ? chunk : size - pos;
    for (auto& r : splitter.feed(in.subspan(pos, n))) {
      if (r.frame) check_round_trip(*r.frame);
    }
    pos += n;
  }
  if (splitter.pending_bytes() > 2 * 256 + 2) __builtin_trap();
  return 0;
}
