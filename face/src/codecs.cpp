#include "codecs.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include <png.h>
#include <turbojpeg.h>

namespace tta::face::detail {
namespace {

std::string size_text(long w, long h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

Status check_size(long w, long h, std::string_view what) {
  if (w <= 0 || h <= 0) return fail(Errc::parse, std::string(what) + ": empty image");
  if (w > kMaxImageSide || h > kMaxImageSide) {
    return fail(Errc::parse, std::string(what) + ": " + size_text(w, h) + " is larger than " +
                                 std::to_string(kMaxImageSide) + " pixels on a side");
  }
  return ok();
}

struct TjDeleter {
  void operator()(void* h) const noexcept { tjDestroy(h); }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

// ---------------------------------------------------------------------------------------------
// PNM

/// Reads the whitespace-separated header fields of a PNM file, skipping '#' comments.
class PnmHeader {
 public:
  explicit PnmHeader(std::span<const std::uint8_t> b) : b_(b) {}

  /// The next unsigned decimal field, or nothing when there is none or it is absurdly long.
  std::optional<unsigned long> number() {
    skip_space_and_comments();
    unsigned long v = 0;
    std::size_t digits = 0;
    while (pos_ < b_.size() && b_[pos_] >= '0' && b_[pos_] <= '9') {
      if (++digits > 9) return std::nullopt;
      v = v * 10 + (b_[pos_] - '0');
      ++pos_;
    }
    if (digits == 0) return std::nullopt;
    return v;
  }
  /// After maxval exactly one whitespace byte separates the header from the pixels.
  bool end_of_header() {
    if (pos_ >= b_.size() || !is_space(b_[pos_])) return false;
    ++pos_;
    return true;
  }
  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
  void skip(std::size_t n) noexcept { pos_ += n; }

 private:
  static bool is_space(std::uint8_t c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  }
  void skip_space_and_comments() {
    while (pos_ < b_.size()) {
      if (is_space(b_[pos_])) {
        ++pos_;
      } else if (b_[pos_] == '#') {
        while (pos_ < b_.size() && b_[pos_] != '\n' && b_[pos_] != '\r')
          ++pos_;
      } else {
        break;
      }
    }
  }
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

}  // namespace

ImageFormat sniff_format(std::span<const std::uint8_t> b) noexcept {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::jpeg;
  static constexpr std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= 8 && std::equal(kPng, kPng + 8, b.begin())) return ImageFormat::png;
  if (b.size() >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6')) return ImageFormat::pnm;
  return ImageFormat::unknown;
}

Result<Image> decode_pnm(std::span<const std::uint8_t> bytes) {
  if (sniff_format(bytes) != ImageFormat::pnm) return fail(Errc::parse, "not a binary PGM/PPM");
  const bool colour = bytes[1] == '6';
  PnmHeader h(bytes);
  h.skip(2);
  const auto w = h.number();
  const auto ht = h.number();
  const auto maxval = h.number();
  if (!w || !ht || !maxval || !h.end_of_header()) {
    return fail(Errc::parse, "PNM: malformed header (width, height, maxval)");
  }
  if (auto st = check_size(static_cast<long>(*w), static_cast<long>(*ht), "PNM"); !st) {
    return fail(st.error());
  }
  if (*maxval == 0 || *maxval > 65535) {
    return fail(Errc::parse, "PNM: maxval " + std::to_string(*maxval) + " is outside 1..65535");
  }
  const std::size_t channels = colour ? 3 : 1;
  const std::size_t sample_bytes = *maxval > 255 ? 2 : 1;
  const std::size_t samples = *w * *ht * channels;
  const std::size_t need = samples * sample_bytes;
  if (bytes.size() - h.pos() < need) {
    return fail(Errc::parse, "PNM: truncated: " + std::to_string(bytes.size() - h.pos()) + " of " +
                                 std::to_string(need) + " pixel bytes");
  }
  Image out;
  out.width = static_cast<int>(*w);
  out.height = static_cast<int>(*ht);
  out.format = colour ? PixelFormat::bgr8 : PixelFormat::gray8;
  out.pixels.resize(samples);
  const std::uint8_t* src = bytes.data() + h.pos();
  for (std::size_t i = 0; i < samples; ++i) {
    unsigned long v =
        sample_bytes == 2 ? (static_cast<unsigned long>(src[2 * i]) << 8) | src[2 * i + 1] : src[i];
    if (v > *maxval) {
      return fail(Errc::parse,
                  "PNM: sample " + std::to_string(v) + " above maxval " + std::to_string(*maxval));
    }
    out.pixels[i] = static_cast<std::uint8_t>((v * 255 + *maxval / 2) / *maxval);
  }
  if (colour) {  // file order is RGB
    for (std::size_t i = 0; i < samples; i += 3)
      std::swap(out.pixels[i], out.pixels[i + 2]);
  }
  return out;
}

std::vector<std::uint8_t> encode_pnm_bytes(const Image& image) {
  const bool colour = image.format == PixelFormat::bgr8;
  const std::string header = std::string(colour ? "P6\n" : "P5\n") + std::to_string(image.width) +
                             " " + std::to_string(image.height) + "\n255\n";
  std::vector<std::uint8_t> out(header.begin(), header.end());
  const std::size_t start = out.size();
  out.insert(out.end(), image.pixels.begin(), image.pixels.end());
  if (colour) {
    for (std::size_t i = start; i + 2 < out.size(); i += 3)
      std::swap(out[i], out[i + 2]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JPEG

Result<Image> decode_jpeg(std::span<const std::uint8_t> bytes) {
  TjHandle tj(tjInitDecompress());
  if (!tj) return fail(Errc::internal, "JPEG: cannot start the decoder");
  // TurboJPEG takes a non-const pointer on this version but only reads.
  auto* src = const_cast<unsigned char*>(bytes.data());  // NOLINT
  const auto size = static_cast<unsigned long>(bytes.size());
  int w = 0;
  int h = 0;
  int subsamp = 0;
  int colourspace = 0;
  if (tjDecompressHeader3(tj.get(), src, size, &w, &h, &subsamp, &colourspace) != 0) {
    return fail(Errc::parse, std::string("JPEG: ") + tjGetErrorStr2(tj.get()));
  }
  if (auto st = check_size(w, h, "JPEG"); !st) return fail(st.error());
  const bool grey = colourspace == TJCS_GRAY;
  Image out;
  out.width = w;
  out.height = h;
  out.format = grey ? PixelFormat::gray8 : PixelFormat::bgr8;
  out.pixels.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                    static_cast<std::size_t>(out.channels()));
  // Stop on warnings too: a truncated file would otherwise come back with invented grey rows.
  if (tjDecompress2(tj.get(), src, size, out.pixels.data(), w, 0, h, grey ? TJPF_GRAY : TJPF_BGR,
                    TJFLAG_STOPONWARNING) != 0) {
    return fail(Errc::parse, std::string("JPEG: ") + tjGetErrorStr2(tj.get()));
  }
  return out;
}

Result<std::vector<std::uint8_t>> encode_jpeg_bytes(const Image& image, int quality) {
  TjHandle tj(tjInitCompress());
  if (!tj) return fail(Errc::internal, "JPEG: cannot start the encoder");
  const bool grey = image.format == PixelFormat::gray8;
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  const int rc = tjCompress2(tj.get(), image.pixels.data(), image.width, 0, image.height,
                             grey ? TJPF_GRAY : TJPF_BGR, &buf, &len,
                             grey ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(buf, tjFree);
  if (rc != 0) return fail(Errc::internal, std::string("JPEG: ") + tjGetErrorStr2(tj.get()));
  return std::vector<std::uint8_t>(buf, buf + len);
}

// ---------------------------------------------------------------------------------------------
// PNG

namespace {

struct PngImage {
  png_image img{};
  PngImage() { img.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&img); }
  PngImage(const PngImage&) = delete;
  PngImage& operator=(const PngImage&) = delete;
};

}  // namespace

Result<Image> decode_png(std::span<const std::uint8_t> bytes) {
  PngImage p;
  if (png_image_begin_read_from_memory(&p.img, bytes.data(), bytes.size()) == 0) {
    return fail(Errc::parse, std::string("PNG: ") + p.img.message);
  }
  if (auto st = check_size(static_cast<long>(p.img.width), static_cast<long>(p.img.height), "PNG");
      !st) {
    return fail(st.error());
  }
  const bool colour = (p.img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  p.img.format = colour ? PNG_FORMAT_BGR : PNG_FORMAT_GRAY;
  Image out;
  out.width = static_cast<int>(p.img.width);
  out.height = static_cast<int>(p.img.height);
  out.format = colour ? PixelFormat::bgr8 : PixelFormat::gray8;
  out.pixels.resize(PNG_IMAGE_SIZE(p.img));
  if (png_image_finish_read(&p.img, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    return fail(Errc::parse, std::string("PNG: ") + p.img.message);
  }
  // A warning (e.g. a bad CRC in an ancillary chunk) leaves the pixels whole; an error does not.
  if (PNG_IMAGE_FAILED(p.img)) return fail(Errc::parse, std::string("PNG: ") + p.img.message);
  return out;
}

Result<std::vector<std::uint8_t>> encode_png_bytes(const Image& image) {
  PngImage p;
  p.img.width = static_cast<png_uint_32>(image.width);
  p.img.height = static_cast<png_uint_32>(image.height);
  p.img.format = image.format == PixelFormat::gray8 ? PNG_FORMAT_GRAY : PNG_FORMAT_BGR;
  png_alloc_size_t size = 0;
  if (png_image_write_to_memory(&p.img, nullptr, &size, 0, image.pixels.data(), 0, nullptr) == 0) {
    return fail(Errc::internal, std::string("PNG: ") + p.img.message);
  }
  std::vector<std::uint8_t> out(size);
  if (png_image_write_to_memory(&p.img, out.data(), &size, 0, image.pixels.data(), 0, nullptr) ==
      0) {
    return fail(Errc::internal, std::string("PNG: ") + p.img.message);
  }
  out.resize(size);
  return out;
}

}  // namespace tta::face::detail
