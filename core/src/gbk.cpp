#include "tta/core/gbk.hpp"

#include <cerrno>

#include <iconv.h>

namespace tta {
namespace {

Result<std::string> convert(const char* to, const char* from, std::string_view in,
                            std::string_view what) {
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return fail(Errc::internal, std::string("iconv cannot convert ") + from + " to " + to);
  }
  std::string out(in.size() * 2 + 8, '\0');
  char* src = const_cast<char*>(in.data());  // iconv's API is not const-correct
  std::size_t src_left = in.size();
  std::size_t produced = 0;
  Result<std::string> result;
  while (src_left > 0) {
    char* dst = out.data() + produced;
    std::size_t dst_left = out.size() - produced;
    const std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    produced = out.size() - dst_left;
    if (rc != static_cast<std::size_t>(-1)) continue;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    const auto offset = static_cast<std::size_t>(src - in.data());
    result = fail(Errc::parse, std::string(what) + (errno == EINVAL ? ": truncated sequence"
                                                                    : ": invalid or unmappable") +
                                   " character at byte " + std::to_string(offset));
    break;
  }
  iconv_close(cd);
  if (!result) return result;
  out.resize(produced);
  return out;
}

}  // namespace

Result<std::string> utf8_to_gbk(std::string_view utf8) {
  return convert("GBK", "UTF-8", utf8, "UTF-8 to GBK");
}

Result<std::string> gbk_to_utf8(std::string_view gbk) {
  return convert("UTF-8", "GB18030", gbk, "GBK to UTF-8");
}

}  // namespace tta
