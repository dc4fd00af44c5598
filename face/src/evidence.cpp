#include <cmath>
#include <cstdio>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "cv_util.hpp"
#include "tta/core/time_util.hpp"
#include "tta/face/evidence.hpp"

namespace tta::face {

Result<PhotoSize> photo_size(std::uint8_t size_code) {
  switch (size_code) {
    case 1:
      return PhotoSize{320, 240};
    case 2:
      return PhotoSize{640, 480};
    case 3:
      return PhotoSize{800, 600};
    case 4:
      return PhotoSize{1024, 768};
    case 5:
      return PhotoSize{176, 144};
    case 6:
      return PhotoSize{352, 288};
    case 7:
      return PhotoSize{704, 288};
    case 8:
      return PhotoSize{704, 576};
    default:
      break;
  }
  return fail(Errc::invalid_argument,
              "photo size code " + std::to_string(size_code) + " is not one of 1..8");
}

std::vector<std::string> stamp_lines(const EvidenceStamp& stamp) {
  std::vector<std::string> lines;
  std::string term;
  for (char c : stamp.terminal_no)
    term += (c >= 0x20 && c < 0x7F) ? c : '?';
  lines.push_back("T:" + term);
  const CivilTime t = to_civil(stamp.time, kChinaUtcOffset);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d +08", t.year, t.month, t.day,
                t.hour, t.minute, t.second);
  lines.emplace_back(buf);
  if (stamp.lat_deg && stamp.lon_deg && std::isfinite(*stamp.lat_deg) &&
      std::isfinite(*stamp.lon_deg)) {
    std::snprintf(buf, sizeof buf, "%c%.6f %c%.6f", *stamp.lat_deg < 0 ? 'S' : 'N',
                  std::fabs(*stamp.lat_deg), *stamp.lon_deg < 0 ? 'W' : 'E',
                  std::fabs(*stamp.lon_deg));
    lines.emplace_back(buf);
  } else {
    lines.emplace_back("POS: no fix");  // never invented coordinates
  }
  return lines;
}

Result<EvidencePhoto> make_evidence_photo(const Image& frame, std::uint8_t size_code,
                                          const EvidenceStamp& stamp, std::uint8_t event,
                                          std::optional<std::uint8_t> confidence,
                                          int jpeg_quality) {
  auto size = photo_size(size_code);
  if (!size) return fail(size.error());
  if (!frame.valid()) return fail(Errc::invalid_argument, "evidence photo: invalid frame");
  if (confidence && *confidence > 100) {
    return fail(Errc::invalid_argument, "confidence must be 0..100");
  }
  if (jpeg_quality < 1 || jpeg_quality > 100) {
    return fail(Errc::invalid_argument, "JPEG quality 1..100");
  }
  return detail::guarded("evidence photo", [&]() -> Result<EvidencePhoto> {
    const cv::Mat src = detail::to_bgr(frame);
    // Letter-box: keep the aspect ratio (7: 704x288 is much wider than a camera frame).
    cv::Mat canvas(size->height, size->width, CV_8UC3, cv::Scalar(0, 0, 0));
    const double s = std::min(static_cast<double>(size->width) / src.cols,
                              static_cast<double>(size->height) / src.rows);
    const int w = std::max(1, static_cast<int>(std::lround(src.cols * s)));
    const int h = std::max(1, static_cast<int>(std::lround(src.rows * s)));
    cv::Mat scaled;
    cv::resize(src, scaled, cv::Size(w, h), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    scaled.copyTo(canvas(cv::Rect((size->width - w) / 2, (size->height - h) / 2, w, h)));

    // Text scaled to the photo height, white on a dark band so it reads on any background.
    const auto lines = stamp_lines(stamp);
    const double font_scale = std::max(0.3, size->height / 600.0);
    const int thickness = std::max(1, static_cast<int>(std::lround(font_scale * 1.5)));
    int baseline = 0;
    const cv::Size line_size =
        cv::getTextSize("Ag", cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &baseline);
    const int line_h = line_size.height + baseline + 4;
    const int band_h = std::min(size->height, line_h * static_cast<int>(lines.size()) + 4);
    cv::Mat band = canvas(cv::Rect(0, 0, size->width, band_h));
    band.convertTo(band, -1, 0.35, 0);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const int y = 2 + line_h * static_cast<int>(i + 1) - baseline - 2;
      cv::putText(canvas, lines[i], cv::Point(4, y), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                  cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
    }
    EvidencePhoto out;
    auto jpeg = encode_jpeg(detail::from_mat(canvas), jpeg_quality);
    if (!jpeg) return fail(jpeg.error().context("evidence photo"));
    out.jpeg = std::move(*jpeg);
    out.size_code = size_code;
    out.event = event;
    out.confidence = confidence;
    out.taken_ms = unix_millis(stamp.time);
    return out;
  });
}

}  // namespace tta::face
