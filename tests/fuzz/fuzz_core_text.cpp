// libFuzzer target: hex, BCD, GBK and ID parsers take any bytes without crashing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tta/core/bcd.hpp"
#include "tta/core/gbk.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/ids.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tta::from_hex(text);
  (void)tta::bcd_decode(std::span(data, size));
  if (size == 6) (void)tta::parse_bcd_time6(std::span(data, size));
  if (auto utf8 = tta::gbk_to_utf8(text)) {
    auto back = tta::utf8_to_gbk(*utf8);
    (void)back;
  }
  (void)tta::validate_id_card(text);
  (void)tta::validate_national_number(text);
  (void)tta::CourseCode::parse(text);
  return 0;
}
