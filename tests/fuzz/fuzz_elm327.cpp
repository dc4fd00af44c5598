// libFuzzer target: the OBD-II helpers of the vehicle signals (vehicle/src/obd.cpp) take
// any bytes without crashing — an ELM327 answer to any command, CAN frames of any content — and
// what they decode stays within what the PIDs can express.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tta/vehicle/obd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tta::vehicle::obd;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The first line (up to 8 bytes) is the command, the rest the adapter's answer.
  const std::size_t cut = std::min(text.find('\n'), std::min<std::size_t>(size, 8));
  const std::string_view command = text.substr(0, cut);
  const std::string_view answer = text.substr(std::min(cut + 1, size));
  for (std::string_view cmd : {command, std::string_view("010C"), std::string_view("")}) {
    const ElmResponse r = parse_elm_response(answer, cmd);
    if ((r.status == ElmStatus::data) == r.lines.empty()) __builtin_trap();
    if (r.text.size() > 64) __builtin_trap();
    if (auto v = decode_elm_pid(r, kPidEngineRpm);
        v && (!v->engine_rpm || *v->engine_rpm > 16383)) {
      __builtin_trap();
    }
    if (auto v = decode_elm_pid(r, kPidSpeed); v && (!v->speed_kmh || *v->speed_kmh > 255)) {
      __builtin_trap();
    }
    // Whatever follows the prompt belongs to the next answer.
    if (answer.find('>') != std::string_view::npos) {
      const ElmResponse again = parse_elm_response(std::string(answer) + "410C0FA0\r>", cmd);
      if (again.status != r.status || again.lines != r.lines) __builtin_trap();
    }
  }

  // CAN: 4 bytes of identifier, one flag byte, then data.
  if (size >= 5) {
    const std::uint32_t id =
        data[0] | (data[1] << 8) | (data[2] << 16) | (std::uint32_t{data[3]} << 24);
    const auto frame = std::span<const std::uint8_t>(data + 5, std::min<std::size_t>(size - 5, 8));
    if (auto p = can_single_frame(id & 0x1FFFFFFF, (data[4] & 1) != 0, frame)) {
      if (p->empty() || p->size() > 7 || p->size() >= frame.size()) __builtin_trap();
      (void)decode_pid(*p, kPidEngineRpm);
      (void)decode_pid(*p, kPidSpeed);
    }
  }
  (void)decode_pid(std::span<const std::uint8_t>(data, size), size > 1 ? data[1] : 0);
  return 0;
}
