// The face pipeline on OpenCV DNN. Pre- and post-processing follow the JavaScript of
// faceplugin-face-recognition-js@0.0.1 (lib/fr_*.js); each step names the function it mirrors.
//
// Channel order. The JS reads pixels from an HTML canvas, which OpenCV.js returns as RGBA; our
// frames are BGR. What each model actually received in the JS, reproduced here:
//   fr_detect  : cvtColor(RGBA, COLOR_BGR2RGB) swaps R and B, so the planes were B,G,R
//                -> our BGR frame as it is.
//   fr_feature : warpAffine of the RGBA canvas, channels 0..2 = R,G,B -> swap our BGR.
//   fr_liveness: ROI of the RGBA canvas, channels 0..2 = R,G,B -> swap our BGR.
//   fr_landmark, fr_eye: cvtColor(RGBA, COLOR_BGR2GRAY) weighs channel 0 (R) by 0.114 and
//                channel 2 (B) by 0.299 -> COLOR_RGB2GRAY applied to our BGR frame.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include <opencv2/calib3d.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "cv_util.hpp"
#include "tta/face/engine.hpp"

namespace tta::face {
namespace {

// fr_detect.js: detectFaceImage's onnx_config.
constexpr int kDetectWidth = 320;
constexpr int kDetectHeight = 240;
constexpr int kDetectPriors = 4420;
constexpr float kDetectConfidence = 0.65F;
constexpr std::size_t kDetectTopK = 750;
constexpr float kDetectNms = 0.4F;
constexpr float kSecondFaceRatio = 0.5F;

// fr_feature.js: REFERENCE_FACIAL_POINTS for a 112x112 crop (the first three are used).
constexpr std::array<std::array<float, 2>, 5> kReference{{{38.29459953F, 51.69630051F},
                                                          {73.53179932F, 51.50139999F},
                                                          {56.02519989F, 71.73660278F},
                                                          {41.54930115F, 92.3655014F},
                                                          {70.72990036F, 92.20410156F}}};
constexpr int kFeatureSize = 112;
constexpr int kLandmarkSize = 64;
constexpr int kLandmarkPoints = 68;
constexpr int kLivenessSize = 128;
constexpr double kLivenessScale = 2.7;  // fr_liveness.js: alignLivenessImage(…, 2.7)
constexpr int kEyeSize = 24;
constexpr double kEyePadding = 1.6;  // fr_eye.js: getEyeBBox padding_rate

// Liveness across frames (judge_liveness): a non-rigid landmark residual (after removing the
// best similarity transform, which a photo moved by hand also shows) of a fraction of the face
// height, in LivenessRule's band.

// Pose from landmarks (estimate_pose): the nose tip's height between the eye line (0) and the
// mouth corners (1) in a frontal face, and the nose tip's depth in front of the eyes and mouth
// as a fraction of the eye-to-mouth height. kFrontalNoseRatio is the median on the AT&T set
// (frontal faces, face/EVAL.md); kNoseDepthRatio is anthropometric (about 30 mm / 50 mm).
constexpr double kFrontalNoseRatio = 0.51;
constexpr double kNoseDepthRatio = 0.6;

constexpr std::uint8_t kTemplateVersion = 1;
constexpr std::array<char, 4> kTemplateMagic{'T', 'T', 'F', 'T'};

std::vector<float> softmax(const float* v, int n) {
  std::vector<float> out(static_cast<std::size_t>(n));
  const float mx = *std::max_element(v, v + n);
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = std::exp(v[i] - mx);
    sum += out[static_cast<std::size_t>(i)];
  }
  for (auto& x : out)
    x /= sum;
  return out;
}

cv::Mat grey_like_js(const cv::Mat& bgr) {
  cv::Mat g;
  cv::cvtColor(bgr, g, cv::COLOR_RGB2GRAY);  // see the file comment
  return g;
}

struct Candidate {
  float x1, y1, x2, y2, score;
};

// fr_detect.js cpuNMS: boxes ordered by their bottom edge; a box is dropped when its overlap
// (intersection with +1 pixel convention over the box's own area) with a kept one is >= 0.4.
std::vector<Candidate> js_nms(const std::vector<Candidate>& in, float thresh) {
  struct Loc {
    Candidate c;
    float area;
  };
  std::vector<Loc> locs;
  for (const auto& c : in) {
    const float w = c.x2 - c.x1, h = c.y2 - c.y1;
    if (w > 0 && h > 0) locs.push_back({c, w * h});
  }
  std::stable_sort(locs.begin(), locs.end(),
                   [](const Loc& a, const Loc& b) { return a.c.y2 < b.c.y2; });
  std::vector<Candidate> kept;
  while (!locs.empty()) {
    const Loc last = locs.front();
    kept.push_back(last.c);
    std::vector<Loc> rest;
    for (std::size_t i = 1; i < locs.size(); ++i) {
      const auto& b = locs[i];
      const float w = std::max(0.0F, std::min(b.c.x2, last.c.x2) - std::max(b.c.x1, last.c.x1) + 1);
      const float h = std::max(0.0F, std::min(b.c.y2, last.c.y2) - std::max(b.c.y1, last.c.y1) + 1);
      if ((w * h) / b.area < thresh) rest.push_back(b);
    }
    locs = std::move(rest);
  }
  return kept;
}

// fr_liveness.js alignLivenessImage (fr_landmark.js with scale 1): the box scaled about its
// centre, shifted back inside the image.
cv::Rect expand_box(const cv::Size& img, int x, int y, int bw, int bh, double scale_value) {
  const double src_w = img.width, src_h = img.height;
  const double scale = std::min({(src_h - 1) / bh, (src_w - 1) / bw, scale_value});
  const double nw = bw * scale, nh = bh * scale;
  const double cx = bw / 2.0 + x, cy = bh / 2.0 + y;
  double l = cx - nw / 2, t = cy - nh / 2, r = cx + nw / 2, b = cy + nh / 2;
  if (l < 0) {
    r -= l;
    l = 0;
  }
  if (t < 0) {
    b -= t;
    t = 0;
  }
  if (r > src_w - 1) {
    l -= r - src_w + 1;
    r = src_w - 1;
  }
  if (b > src_h - 1) {
    t -= b - src_h + 1;
    b = src_h - 1;
  }
  const cv::Rect rect(std::max(static_cast<int>(l), 0), std::max(static_cast<int>(t), 0),
                      std::min(static_cast<int>(r - l), img.width - 1),
                      std::min(static_cast<int>(b - t), img.height - 1));
  return rect & cv::Rect(0, 0, img.width, img.height);
}

// The box as the JS passes it on: parseInt of the corners, width/height = |x2-x1|, |y2-y1|.
cv::Rect js_box(const FaceBox& f) {
  const int x1 = static_cast<int>(f.x), y1 = static_cast<int>(f.y);
  const int x2 = static_cast<int>(f.x + f.width), y2 = static_cast<int>(f.y + f.height);
  return {x1, y1, std::abs(x2 - x1), std::abs(y2 - y1)};
}

cv::Point2f mean_of(const std::vector<Point2>& p, std::initializer_list<int> idx) {
  cv::Point2f s(0, 0);
  for (int i : idx)
    s += cv::Point2f(p[static_cast<std::size_t>(i)].x, p[static_cast<std::size_t>(i)].y);
  return s / static_cast<float>(idx.size());
}

double non_rigid_motion(const std::vector<Point2>& a, const std::vector<Point2>& b, double face_h) {
  std::vector<cv::Point2d> pa, pb;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    pa.emplace_back(static_cast<double>(a[i].x), static_cast<double>(a[i].y));
    pb.emplace_back(static_cast<double>(b[i].x), static_cast<double>(b[i].y));
  }
  if (pa.size() < 3 || face_h <= 0) return 0;
  const cv::Mat m = cv::estimateAffinePartial2D(pa, pb, cv::noArray(), cv::LMEDS);
  if (m.empty()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const double x =
        m.at<double>(0, 0) * pa[i].x + m.at<double>(0, 1) * pa[i].y + m.at<double>(0, 2);
    const double y =
        m.at<double>(1, 0) * pa[i].x + m.at<double>(1, 1) * pa[i].y + m.at<double>(1, 2);
    sum += std::hypot(x - pb[i].x, y - pb[i].y);
  }
  return sum / static_cast<double>(pa.size()) / face_h;
}

// Frames are analysed on a copy with a black border, so a face cut by the frame edge (a tight ID
// photo, a close-up) keeps the square, undistorted box the landmark model expects instead of
// the JS's clamped, stretched one, and large faces get context around the head. On the AT&T set
// (faces filling 92x112 frames) this takes the usable images from 245 to 250 of 250 and lowers the
// false rejects (face/EVAL.md).
constexpr double kPadFraction = 0.25;

struct Frame {
  cv::Mat original;  // BGR
  cv::Mat canvas;    // original with a black border
  cv::Point2f off;   // original (0,0) in canvas coordinates
};

Frame make_frame(const Image& image) {
  Frame f;
  f.original = detail::to_bgr(image);
  const int px = static_cast<int>(std::lround(kPadFraction * f.original.cols));
  const int py = static_cast<int>(std::lround(kPadFraction * f.original.rows));
  cv::copyMakeBorder(f.original, f.canvas, py, py, px, px, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  f.off = cv::Point2f(static_cast<float>(px), static_cast<float>(py));
  return f;
}

void shift(FaceAnalysis& a, float dx, float dy) {
  for (auto& f : a.faces) {
    f.x += dx;
    f.y += dy;
  }
  for (auto& p : a.landmarks) {
    p.x += dx;
    p.y += dy;
  }
}

std::vector<Point2> shifted(std::vector<Point2> pts, cv::Point2f d) {
  for (auto& p : pts) {
    p.x += d.x;
    p.y += d.y;
  }
  return pts;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names, templates, confidence

std::string_view to_string(Quality q) noexcept {
  switch (q) {
    case Quality::ok:
      return "ok";
    case Quality::no_face:
      return "no_face";
    case Quality::several_faces:
      return "several_faces";
    case Quality::too_small:
      return "too_small";
    case Quality::too_dark:
      return "too_dark";
    case Quality::too_bright:
      return "too_bright";
    case Quality::blurred:
      return "blurred";
    case Quality::bad_pose:
      return "bad_pose";
  }
  return "unknown";
}

std::string_view describe(Quality q) noexcept {
  switch (q) {
    case Quality::ok:
      return "face usable";
    case Quality::no_face:
      return "no face found";
    case Quality::several_faces:
      return "more than one face in view";
    case Quality::too_small:
      return "face too small: come closer to the camera";
    case Quality::too_dark:
      return "face too dark: more light needed";
    case Quality::too_bright:
      return "face too bright: avoid direct light on the face";
    case Quality::blurred:
      return "face blurred: hold still";
    case Quality::bad_pose:
      return "head turned away: look at the camera";
  }
  return "unknown";
}

std::string_view describe_zh(Quality q) noexcept {
  switch (q) {
    case Quality::ok:
      return "人脸可用";
    case Quality::no_face:
      return "未检测到人脸，请正对摄像头";
    case Quality::several_faces:
      return "画面中有多张人脸，请仅一人面对摄像头";
    case Quality::too_small:
      return "人脸太小，请靠近摄像头";
    case Quality::too_dark:
      return "光线太暗，请补充光线";
    case Quality::too_bright:
      return "光线太亮，请避开强光";
    case Quality::blurred:
      return "图像模糊，请保持不动";
    case Quality::bad_pose:
      return "请正视摄像头";
  }
  return "未知";
}

Template make_template(std::span<const float> embedding) {
  // Layout: "TTFT", version, 0, dimension (u16 LE), dimension x float32 LE.
  Template t;
  t.bytes.resize(8 + embedding.size() * 4, 0);
  for (std::size_t i = 0; i < kTemplateMagic.size(); ++i) {
    t.bytes[i] = static_cast<std::uint8_t>(kTemplateMagic[i]);
  }
  t.bytes[4] = kTemplateVersion;
  const auto dim = static_cast<std::uint16_t>(embedding.size());
  t.bytes[6] = static_cast<std::uint8_t>(dim & 0xFF);
  t.bytes[7] = static_cast<std::uint8_t>(dim >> 8);
  for (std::size_t i = 0; i < embedding.size(); ++i) {
    std::uint32_t u = 0;
    std::memcpy(&u, &embedding[i], sizeof u);
    for (std::size_t k = 0; k < 4; ++k)
      t.bytes[8 + i * 4 + k] = static_cast<std::uint8_t>(u >> (8 * k));
  }
  return t;
}

Result<std::vector<float>> template_embedding(const Template& t) {
  const auto& b = t.bytes;
  if (b.size() < 8 || !std::equal(kTemplateMagic.begin(), kTemplateMagic.end(), b.begin())) {
    return fail(Errc::parse, "not a face template");
  }
  if (b[4] != kTemplateVersion) {
    return fail(Errc::incompatible, "face template version " + std::to_string(b[4]));
  }
  const std::size_t dim = b[6] | (static_cast<std::size_t>(b[7]) << 8);
  if (dim == 0 || b.size() != 8 + dim * 4) return fail(Errc::parse, "face template truncated");
  std::vector<float> v(dim);
  for (std::size_t i = 0; i < dim; ++i) {
    std::uint32_t u = 0;
    for (std::size_t k = 0; k < 4; ++k)
      u |= static_cast<std::uint32_t>(b[8 + i * 4 + k]) << (8 * k);
    std::memcpy(&v[i], &u, sizeof u);
    if (!std::isfinite(v[i])) return fail(Errc::corrupt, "face template holds a non-number");
  }
  return v;
}

Result<double> compare_templates(const Template& a, const Template& b) {
  auto ea = template_embedding(a);
  if (!ea) return fail(ea.error());
  auto eb = template_embedding(b);
  if (!eb) return fail(eb.error());
  if (ea->size() != eb->size()) return fail(Errc::incompatible, "face templates differ in size");
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < ea->size(); ++i) {
    dot += static_cast<double>((*ea)[i]) * static_cast<double>((*eb)[i]);
    na += static_cast<double>((*ea)[i]) * static_cast<double>((*ea)[i]);
    nb += static_cast<double>((*eb)[i]) * static_cast<double>((*eb)[i]);
  }
  if (na <= 0 || nb <= 0) return fail(Errc::corrupt, "face template is all zeros");
  return dot / std::sqrt(na * nb);
}

std::uint8_t confidence_for(double score, double threshold) noexcept {
  if (!std::isfinite(score)) return 0;
  double c = 0;
  if (threshold <= 0 || threshold >= 1) {
    c = score >= threshold ? 100 : 0;
  } else if (score >= threshold) {
    c = 50 + 50 * (score - threshold) / (1 - threshold);
  } else {
    c = 50 * score / threshold;
  }
  c = std::clamp(c, 0.0, 100.0);
  // A score at or above the threshold never rounds below 50, one below never reaches 50.
  auto r = static_cast<std::uint8_t>(std::floor(c));
  if (score >= threshold && r < 50) r = 50;
  if (score < threshold && r >= 50) r = 49;
  return r;
}

void set_inference_threads(int threads) {
  cv::setNumThreads(threads <= 0 ? -1 : threads);
}

std::filesystem::path default_models_dir() {
  if (const char* env = std::getenv("TTA_MODELS_DIR"); env != nullptr && *env != '\0') return env;
  return "/usr/local/share/tta/models";
}

std::vector<std::string> missing_models(const std::filesystem::path& models_dir) {
  std::vector<std::string> missing;
  for (auto name : {kDetectModel, kLandmarkModel, kFeatureModel, kLivenessModel, kEyeModel}) {
    std::error_code ec;
    const auto p = models_dir / std::string(name);
    if (!std::filesystem::is_regular_file(p, ec) || std::filesystem::file_size(p, ec) == 0) {
      missing.emplace_back(name);
    }
  }
  return missing;
}

EngineOptions options_from_config(const config::FaceConfig& cfg) {
  EngineOptions o;
  o.models_dir = cfg.models_dir;
  o.match_threshold = cfg.match_threshold;
  o.min_face_px = static_cast<int>(cfg.min_face_px);
  o.liveness_threshold = cfg.liveness_threshold;
  o.min_brightness = cfg.min_brightness;
  o.max_brightness = cfg.max_brightness;
  o.max_clipped_fraction = cfg.max_clipped_fraction;
  o.min_sharpness = cfg.min_sharpness;
  o.min_eye_distance_px = cfg.min_eye_distance_px;
  o.max_yaw_deg = cfg.max_yaw_deg;
  o.max_pitch_deg = cfg.max_pitch_deg;
  o.turn_min_deg = cfg.turn_min_deg;
  return o;
}

EngineOptions without_quality_gates(EngineOptions o) {
  o.min_brightness = 0;
  o.max_brightness = 255;
  o.max_clipped_fraction = 1;
  o.min_sharpness = 0;
  o.min_eye_distance_px = 0;
  o.max_yaw_deg = 90;
  o.max_pitch_deg = 90;
  return o;
}

Result<PoseEstimate> estimate_pose(std::span<const Point2> lm) {
  if (lm.size() != static_cast<std::size_t>(kLandmarkPoints)) {
    return fail(Errc::invalid_argument, "pose needs 68 landmarks, got " + std::to_string(lm.size()));
  }
  for (const auto& p : lm) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return fail(Errc::invalid_argument, "landmark is not a number");
    }
  }
  auto mean = [&](int from, int to) {  // inclusive
    double x = 0, y = 0;
    for (int i = from; i <= to; ++i) {
      x += static_cast<double>(lm[static_cast<std::size_t>(i)].x);
      y += static_cast<double>(lm[static_cast<std::size_t>(i)].y);
    }
    const double n = to - from + 1;
    return std::array<double, 2>{x / n, y / n};
  };
  auto at = [&](int i) {
    return std::array<double, 2>{static_cast<double>(lm[static_cast<std::size_t>(i)].x),
                                 static_cast<double>(lm[static_cast<std::size_t>(i)].y)};
  };
  const auto el = mean(36, 41), er = mean(42, 47);
  const double ex = er[0] - el[0], ey = er[1] - el[1];
  const double eye_px = std::hypot(ex, ey);
  if (!(eye_px > 1e-3)) return fail(Errc::invalid_argument, "eye centres coincide");
  // Undo the roll: coordinates along the eye line (u) and across it (v), origin between the eyes.
  const double c = ex / eye_px, s = ey / eye_px;
  const double ox = (el[0] + er[0]) / 2, oy = (el[1] + er[1]) / 2;
  auto uv = [&](std::array<double, 2> p) {
    const double dx = p[0] - ox, dy = p[1] - oy;
    return std::array<double, 2>{dx * c + dy * s, -dx * s + dy * c};
  };
  const auto nose = uv(at(30));
  const auto left = uv(at(1)), right = uv(at(15));
  const auto m1 = uv(at(48)), m2 = uv(at(54));
  const double mouth_v = (m1[1] + m2[1]) / 2;
  const double dl = nose[0] - left[0], dr = right[0] - nose[0];
  if (!(dl + dr > 1e-3) || !(mouth_v > 1e-3)) {
    return fail(Errc::invalid_argument, "landmarks are not a face (outline or mouth misplaced)");
  }
  constexpr double kDeg = 180.0 / 3.14159265358979323846;
  PoseEstimate p;
  p.eye_distance_px = eye_px;
  p.roll_deg = std::atan2(ey, ex) * kDeg;
  p.yaw_deg = std::asin(std::clamp((dl - dr) / (dl + dr), -1.0, 1.0)) * kDeg;
  // Pitch: the nose tip sits kFrontalNoseRatio of the way from the eye line to the mouth when
  // frontal; nodding moves it by (nose depth / eye-mouth height) * tan(pitch) of that height.
  const double ratio = nose[1] / mouth_v;
  p.pitch_deg = std::atan((ratio - kFrontalNoseRatio) / kNoseDepthRatio) * kDeg;
  return p;
}

// ---------------------------------------------------------------------------------------------
// The engine

struct FaceEngine::Impl {
  EngineOptions opt;
  cv::dnn::Net detect, landmark, feature, liveness, eye;
  bool cascade_fallback = false;
  cv::CascadeClassifier cascade;

  std::vector<FaceBox> detect_faces(const cv::Mat& bgr) {
    if (cascade_fallback) return detect_cascade(bgr);
    cv::Mat resized;
    cv::resize(bgr, resized, cv::Size(kDetectWidth, kDetectHeight));
    // preprocessDetection: (p - 127) / 128, planes in the order described at the top.
    const cv::Mat blob = cv::dnn::blobFromImage(resized, 1.0 / 128.0, cv::Size(),
                                                cv::Scalar(127, 127, 127), false, false);
    detect.setInput(blob);
    std::vector<cv::Mat> outs;
    detect.forward(outs, std::vector<std::string>{"boxes", "scores"});
    if (outs.size() != 2 || outs[0].total() != kDetectPriors * 4 ||
        outs[1].total() != kDetectPriors * 2) {
      throw std::runtime_error("fr_detect.onnx: unexpected output shape");
    }
    const auto* loc = outs[0].ptr<float>();
    const auto* conf = outs[1].ptr<float>();
    // The exported model decodes its priors itself: `boxes` are corner-form fractions, which the
    // JS multiplies by [320, 240, 320, 240] (scaleMultiplyBBox) and never re-decodes.
    std::vector<Candidate> cands;
    for (int i = 0; i < kDetectPriors; ++i) {
      const float s = conf[i * 2 + 1];
      if (s < kDetectConfidence) continue;  // screenScore
      cands.push_back({loc[i * 4] * kDetectWidth, loc[i * 4 + 1] * kDetectHeight,
                       loc[i * 4 + 2] * kDetectWidth, loc[i * 4 + 3] * kDetectHeight, s});
    }
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    if (cands.size() > kDetectTopK) cands.resize(kDetectTopK);  // sortScore
    const auto kept = js_nms(cands, kDetectNms);
    // scaleResult: back to image pixels, squared to the box height about its centre, clamped.
    const float sx = static_cast<float>(bgr.cols) / kDetectWidth;
    const float sy = static_cast<float>(bgr.rows) / kDetectHeight;
    std::vector<FaceBox> faces;
    for (const auto& c : kept) {
      const float x1 = c.x1 * sx, y1 = c.y1 * sy, x2 = c.x2 * sx, y2 = c.y2 * sy;
      const float side = y2 - y1, cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
      const float nx1 = std::max(cx - side / 2, 0.0F);
      const float ny1 = std::max(cy - side / 2, 0.0F);
      const float nx2 = std::min(cx + side / 2, static_cast<float>(bgr.cols - 1));
      const float ny2 = std::min(cy + side / 2, static_cast<float>(bgr.rows - 1));
      if (nx2 <= nx1 || ny2 <= ny1) continue;
      faces.push_back({nx1, ny1, nx2 - nx1, ny2 - ny1, c.score});
    }
    return faces;
  }

  std::vector<FaceBox> detect_cascade(const cv::Mat& bgr) {
    cv::Mat g;
    cv::cvtColor(bgr, g, cv::COLOR_BGR2GRAY);
    cv::equalizeHist(g, g);
    std::vector<cv::Rect> rects;
    const int min_side = std::max(opt.min_face_px / 2, 20);
    cascade.detectMultiScale(g, rects, 1.1, 5, 0, cv::Size(min_side, min_side));
    std::vector<FaceBox> faces;
    for (const auto& r : rects) {
      // No confidence from a cascade: score 0 marks that.
      faces.push_back({static_cast<float>(r.x), static_cast<float>(r.y),
                       static_cast<float>(r.width), static_cast<float>(r.height), 0.0F});
    }
    return faces;
  }

  // fr_landmark.js predictLandmarkImage: the box (scale 1), 64x64 grey / 256, 68 points as
  // fractions of the box.
  std::vector<Point2> landmarks(const cv::Mat& bgr, const FaceBox& f) {
    const cv::Rect box = js_box(f);
    const cv::Rect crop = expand_box(bgr.size(), box.x, box.y, box.width, box.height, 1.0);
    cv::Mat resized;
    cv::resize(bgr(crop), resized, cv::Size(kLandmarkSize, kLandmarkSize));
    const cv::Mat blob = cv::dnn::blobFromImage(grey_like_js(resized), 1.0 / 256.0);
    landmark.setInput(blob);
    const cv::Mat out = landmark.forward();
    if (out.total() != kLandmarkPoints * 2) {
      throw std::runtime_error("fr_landmark.onnx: unexpected output shape");
    }
    const auto* v = out.ptr<float>();
    std::vector<Point2> pts(kLandmarkPoints);
    for (std::size_t i = 0; i < pts.size(); ++i) {
      pts[i].x = v[i * 2] * static_cast<float>(box.width) + static_cast<float>(box.x);
      pts[i].y = v[i * 2 + 1] * static_cast<float>(box.height) + static_cast<float>(box.y);
    }
    return pts;
  }

  // Detection, gate and landmarks; coordinates in the original image.
  // Detection runs on the padded canvas: with a border of context the detector's boxes for
  // large faces (ID photos, close-ups, faces cut by the frame edge) are better, which lowers
  // false rejects markedly (face/EVAL.md). Padding shrinks faces at the detector's fixed
  // 320x240 input, so when the canvas shows no face the unpadded frame is tried too: a distant
  // face is then still found (and reported too small rather than absent).
  FaceAnalysis analyse(const Frame& fr) {
    auto padded = detect_faces(fr.canvas);
    if (!padded.empty()) {
      FaceAnalysis a =
          analyse_canvas(fr.canvas,
                         cv::Rect(cv::Point(static_cast<int>(fr.off.x), static_cast<int>(fr.off.y)),
                                  fr.original.size()),
                         std::move(padded));
      shift(a, -fr.off.x, -fr.off.y);
      return a;
    }
    return analyse_canvas(fr.original, cv::Rect(0, 0, fr.original.cols, fr.original.rows),
                          detect_faces(fr.original));
  }

  FaceAnalysis analyse_canvas(const cv::Mat& bgr, const cv::Rect& inside,
                              std::vector<FaceBox> faces) {
    FaceAnalysis a;
    a.detector = cascade_fallback ? "haar-cascade-fallback" : std::string(kDetectModel);
    a.faces = std::move(faces);
    std::stable_sort(a.faces.begin(), a.faces.end(), [](const FaceBox& x, const FaceBox& y) {
      return x.width * x.height > y.width * y.height;
    });
    if (a.faces.empty()) {
      a.quality = Quality::no_face;
      return a;
    }
    // A second face counts when it is of usable size and at least half as large as the main
    // one, i.e. about as close to the camera: then who is checking in is ambiguous. Faces far
    // behind (LFW is full of them) do not make a check ambiguous.
    const auto min_px = static_cast<float>(opt.min_face_px);
    const float main_side = std::min(a.faces.front().width, a.faces.front().height);
    const auto big = std::count_if(a.faces.begin(), a.faces.end(), [&](const FaceBox& f) {
      const float side = std::min(f.width, f.height);
      return side >= min_px && side >= kSecondFaceRatio * main_side;
    });
    if (big >= 2) {
      a.quality = Quality::several_faces;
      return a;
    }
    const FaceBox& f = a.faces.front();
    const cv::Rect box = js_box(f) & inside;  // brightness and focus of real pixels only
    if (box.width < 2 || box.height < 2) {
      a.quality = Quality::no_face;
      return a;
    }
    cv::Mat grey;
    cv::cvtColor(bgr(box), grey, cv::COLOR_BGR2GRAY);
    a.brightness = cv::mean(grey)[0];
    a.clipped_fraction =
        static_cast<double>(cv::countNonZero(grey >= 250)) / static_cast<double>(grey.total());
    cv::Mat small, lap;
    cv::resize(grey, small, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
    cv::Laplacian(small, lap, CV_64F);
    cv::Scalar mu, sigma;
    cv::meanStdDev(lap, mu, sigma);
    a.sharpness = sigma[0] * sigma[0];
    if (std::min(f.width, f.height) < min_px) {
      a.quality = Quality::too_small;
    } else if (a.brightness < opt.min_brightness) {
      a.quality = Quality::too_dark;
    } else if (a.brightness > opt.max_brightness ||
               a.clipped_fraction > opt.max_clipped_fraction) {
      a.quality = Quality::too_bright;
    } else if (a.sharpness < opt.min_sharpness) {
      a.quality = Quality::blurred;
    } else {
      // Eye distance and pose need the landmarks, so they are judged last.
      a.landmarks = landmarks(bgr, f);
      auto pose = estimate_pose(a.landmarks);
      if (!pose) {
        a.quality = Quality::bad_pose;  // landmarks that are not a face's: not frontal enough
      } else {
        a.pose = *pose;
        if (pose->eye_distance_px < opt.min_eye_distance_px) {
          a.quality = Quality::too_small;
        } else if (std::abs(pose->yaw_deg) > opt.max_yaw_deg ||
                   std::abs(pose->pitch_deg) > opt.max_pitch_deg) {
          a.quality = Quality::bad_pose;
        } else {
          a.quality = Quality::ok;
        }
      }
    }
    return a;
  }

  // fr_feature.js alignFeatureImage maps the five points of convert68pts5pts (eye centres, nose
  // tip, mouth corners) to REFERENCE_FACIAL_POINTS, but with getAffineTransform on the first
  // three only, which shears the face whenever the nose point is off. We fit a least-squares
  // similarity to all five instead (as the reference points' origin, InsightFace, does): on the
  // AT&T set it halves the false rejects at the same false accepts (face/EVAL.md).
  static cv::Mat similarity(const std::array<cv::Point2d, 5>& src) {
    cv::Point2d ms(0, 0), md(0, 0);
    for (std::size_t i = 0; i < 5; ++i) {
      ms += src[i];
      md +=
          cv::Point2d(static_cast<double>(kReference[i][0]), static_cast<double>(kReference[i][1]));
    }
    ms /= 5.0;
    md /= 5.0;
    double a = 0, b = 0, n = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      const cv::Point2d p = src[i] - ms;
      const cv::Point2d q = cv::Point2d(static_cast<double>(kReference[i][0]),
                                        static_cast<double>(kReference[i][1])) -
                            md;
      a += p.x * q.x + p.y * q.y;
      b += p.x * q.y - p.y * q.x;
      n += p.x * p.x + p.y * p.y;
    }
    if (n <= 0) throw std::runtime_error("degenerate landmarks");
    a /= n;
    b /= n;
    cv::Mat m(2, 3, CV_64F);
    m.at<double>(0, 0) = a;
    m.at<double>(0, 1) = -b;
    m.at<double>(0, 2) = md.x - (a * ms.x - b * ms.y);
    m.at<double>(1, 0) = b;
    m.at<double>(1, 1) = a;
    m.at<double>(1, 2) = md.y - (b * ms.x + a * ms.y);
    return m;
  }

  cv::Mat align(const cv::Mat& bgr, const std::vector<Point2>& lm) {
    auto d = [](cv::Point2f p) {
      return cv::Point2d(static_cast<double>(p.x), static_cast<double>(p.y));
    };
    const std::array<cv::Point2d, 5> src{d(mean_of(lm, {37, 38, 40, 41})),
                                         d(mean_of(lm, {43, 44, 46, 47})), d(mean_of(lm, {30})),
                                         d(mean_of(lm, {48, 60})), d(mean_of(lm, {54, 64}))};
    cv::Mat out;
    cv::warpAffine(bgr, out, similarity(src), cv::Size(kFeatureSize, kFeatureSize));
    return out;
  }

  cv::Mat align(const Frame& fr, const std::vector<Point2>& lm) {
    return align(fr.canvas, shifted(lm, fr.off));
  }

  Eyes eyes(const Frame& fr, const std::vector<Point2>& lm) {
    return eyes(fr.canvas, shifted(lm, fr.off));
  }

  // The liveness crop takes context around the face (2.7x), so it is cut from the original
  // frame the JS way (shifted inside the image), never from the black border.
  double live(const Frame& fr, const FaceBox& f) {
    const float w = static_cast<float>(fr.original.cols - 1),
                h = static_cast<float>(fr.original.rows - 1);
    const float x1 = std::max(f.x, 0.0F), y1 = std::max(f.y, 0.0F);
    const float x2 = std::min(f.x + f.width, w), y2 = std::min(f.y + f.height, h);
    if (x2 - x1 < 2 || y2 - y1 < 2) throw std::runtime_error("face box outside the image");
    return live(fr.original, FaceBox{x1, y1, x2 - x1, y2 - y1, f.score});
  }

  std::vector<float> embedding(const cv::Mat& aligned) {
    // preprocessFeature: (p - 127) / 128, R,G,B planes.
    feature.setInput(cv::dnn::blobFromImage(aligned, 1.0 / 128.0, cv::Size(),
                                            cv::Scalar(127, 127, 127), true, false));
    const cv::Mat out = feature.forward();
    std::vector<float> v(out.ptr<float>(), out.ptr<float>() + out.total());
    double n = 0;
    for (float x : v)
      n += static_cast<double>(x) * static_cast<double>(x);
    n = std::sqrt(n);
    if (n <= 0 || !std::isfinite(n)) throw std::runtime_error("fr_feature.onnx: zero embedding");
    for (float& x : v)
      x = static_cast<float>(static_cast<double>(x) / n);
    return v;
  }

  // fr_liveness.js predictLiveness: the box scaled 2.7, 128x128, raw 0-255 R,G,B, softmax.
  // The JS reports p[0] as its score, but p[0] is the spoof class: the model is a MiniFASNet
  // (2.7 crop, raw pixels, 3 classes) whose class 1 is "real", and on the shared sets genuine
  // camera captures (AT&T) give p[1] 0.85-0.99 while re-digitised press photos (LFW) give
  // p[0] ~1 (face/EVAL.md). We therefore use p[1].
  double live(const cv::Mat& bgr, const FaceBox& f) {
    const cv::Rect box = js_box(f);
    const cv::Rect crop =
        expand_box(bgr.size(), box.x, box.y, box.width, box.height, kLivenessScale);
    cv::Mat resized;
    cv::resize(bgr(crop), resized, cv::Size(kLivenessSize, kLivenessSize));
    liveness.setInput(cv::dnn::blobFromImage(resized, 1.0, cv::Size(), cv::Scalar(), true, false));
    const cv::Mat out = liveness.forward();
    const auto p = softmax(out.ptr<float>(), static_cast<int>(out.total()));
    if (p.size() <= kLiveIndex) throw std::runtime_error("fr_liveness.onnx: unexpected output");
    return static_cast<double>(p[kLiveIndex]);
  }

  // fr_eye.js getEyeBBox + predictEye: square eye crops from the landmarks, 24x24 grey / 255;
  // the JS's verdict is `p[0] > p[1]` per eye.
  Eyes eyes(const cv::Mat& bgr, const std::vector<Point2>& lm) {
    auto one = [&](std::initializer_list<int> centre, int corner_l, int corner_r) {
      const cv::Point2f c = mean_of(lm, centre);
      const int cx = static_cast<int>(c.x), cy = static_cast<int>(c.y);
      int size = static_cast<int>(static_cast<double>(lm[static_cast<std::size_t>(corner_r)].x -
                                                      lm[static_cast<std::size_t>(corner_l)].x) *
                                  kEyePadding);
      int x = std::max(static_cast<int>(cx - size / 2.0), 0);
      int y = std::max(static_cast<int>(cy - size / 2.0), 0);
      if (x + size >= bgr.cols) size = bgr.cols - x - 1;
      if (y + size >= bgr.rows) size = bgr.rows - y - 1;
      const cv::Rect r = cv::Rect(x, y, size, size) & cv::Rect(0, 0, bgr.cols, bgr.rows);
      if (r.width < 2 || r.height < 2) return 0.0F;
      cv::Mat resized;
      cv::resize(bgr(r), resized, cv::Size(kEyeSize, kEyeSize));
      eye.setInput(cv::dnn::blobFromImage(grey_like_js(resized), 1.0 / 255.0));
      const cv::Mat out = eye.forward();
      return softmax(out.ptr<float>(), static_cast<int>(out.total()))[kEyeOpenIndex];
    };
    Eyes e;
    e.left_open_p = one({37, 38, 40, 41}, 36, 39);
    e.right_open_p = one({43, 44, 46, 47}, 42, 45);
    e.left_open = e.left_open_p > 0.5F;
    e.right_open = e.right_open_p > 0.5F;
    return e;
  }

  // fr_eye.js returns `p[0] > p[1]` per eye, which is the *closed* verdict: on the shared
  // sets (eyes open in nearly every image) p[1] is ~1. So p[1] is "open".
  static constexpr int kEyeOpenIndex = 1;
  static constexpr std::size_t kLiveIndex = 1;
};

Result<FaceEngine> FaceEngine::load(const EngineOptions& options) {
  auto missing = missing_models(options.models_dir);
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  const bool only_detector_missing = missing.size() == 1 && missing.front() == kDetectModel;
  if (!missing.empty() && !(only_detector_missing && options.allow_cascade_fallback)) {
    std::string names;
    for (const auto& m : missing)
      names += (names.empty() ? "" : ", ") + m;
    return fail(Errc::unavailable, "face models missing in " + options.models_dir.string() + ": " +
                                       names + " (run scripts/setup); face checks are refused");
  }
  return detail::guarded("loading face models", [&]() -> Result<FaceEngine> {
    auto read = [&](std::string_view name, cv::dnn::Net& net) -> Status {
      const auto p = options.models_dir / std::string(name);
      try {
        net = cv::dnn::readNetFromONNX(p.string());
      } catch (const cv::Exception& e) {
        return fail(Errc::corrupt, p.string() + ": not a loadable ONNX model: " + e.what());
      }
      if (net.empty()) return fail(Errc::corrupt, p.string() + ": empty model");
      net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      return ok();
    };
    if (only_detector_missing) {
      impl->cascade_fallback = true;
      if (!impl->cascade.load(options.cascade_file.string())) {
        return fail(Errc::unavailable, "fr_detect.onnx missing and the fallback cascade " +
                                           options.cascade_file.string() + " does not load");
      }
    } else if (auto st = read(kDetectModel, impl->detect); !st) {
      return fail(st.error());
    }
    for (auto [name, net] :
         {std::pair{kLandmarkModel, &impl->landmark}, std::pair{kFeatureModel, &impl->feature},
          std::pair{kLivenessModel, &impl->liveness}, std::pair{kEyeModel, &impl->eye}}) {
      if (auto st = read(name, *net); !st) return fail(st.error());
    }
    return FaceEngine(std::move(impl));
  });
}

FaceEngine::FaceEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceEngine::FaceEngine(FaceEngine&&) noexcept = default;
FaceEngine& FaceEngine::operator=(FaceEngine&&) noexcept = default;
FaceEngine::~FaceEngine() = default;

const EngineOptions& FaceEngine::options() const noexcept {
  return impl_->opt;
}

namespace {
Status check_image(const Image& image) {
  if (!image.valid()) return fail(Errc::invalid_argument, "image size and pixel data disagree");
  return ok();
}
}  // namespace

Result<FaceAnalysis> FaceEngine::analyse(const Image& image) {
  if (auto st = check_image(image); !st) return fail(st.error());
  return detail::guarded(
      "face analysis", [&]() -> Result<FaceAnalysis> { return impl_->analyse(make_frame(image)); });
}

Result<FaceEngine::Embedded> FaceEngine::embed(const Image& image) {
  if (auto st = check_image(image); !st) return fail(st.error());
  return detail::guarded("face embedding", [&]() -> Result<Embedded> {
    const Frame frame = make_frame(image);
    Embedded e;
    e.analysis = impl_->analyse(frame);
    if (e.analysis.quality == Quality::ok) {
      const auto v = impl_->embedding(impl_->align(frame, e.analysis.landmarks));
      e.templ = make_template(v);
    }
    return e;
  });
}

Result<Image> FaceEngine::aligned_face(const Image& image, const FaceAnalysis& analysis) {
  if (auto st = check_image(image); !st) return fail(st.error());
  if (analysis.landmarks.size() != kLandmarkPoints) {
    return fail(Errc::invalid_argument, "analysis has no landmarks");
  }
  return detail::guarded("face alignment", [&]() -> Result<Image> {
    return detail::from_mat(impl_->align(make_frame(image), analysis.landmarks));
  });
}

Result<double> FaceEngine::liveness_score(const Image& image, const FaceAnalysis& analysis) {
  if (auto st = check_image(image); !st) return fail(st.error());
  if (analysis.faces.empty()) return fail(Errc::invalid_argument, "analysis has no face");
  return detail::guarded("liveness", [&]() -> Result<double> {
    return impl_->live(make_frame(image), analysis.faces.front());
  });
}

Result<FaceEngine::Eyes> FaceEngine::eyes(const Image& image, const FaceAnalysis& analysis) {
  if (auto st = check_image(image); !st) return fail(st.error());
  if (analysis.landmarks.size() != kLandmarkPoints) {
    return fail(Errc::invalid_argument, "analysis has no landmarks");
  }
  return detail::guarded("eye state", [&]() -> Result<Eyes> {
    return impl_->eyes(make_frame(image), analysis.landmarks);
  });
}

Result<Enrolment> FaceEngine::enrol(const Image& image) {
  return enrol(std::span<const Image>(&image, 1));
}

Result<Enrolment> FaceEngine::enrol(std::span<const Image> frames) {
  if (frames.empty()) return fail(Errc::invalid_argument, "enrolment needs at least one image");
  std::vector<float> sum;
  std::size_t good = 0;
  std::optional<std::size_t> first_good;
  FaceAnalysis first_bad;
  std::vector<Quality> qualities;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto e = embed(frames[i]);
    if (!e) return fail(e.error());
    qualities.push_back(e->analysis.quality);
    if (!e->templ) {
      if (good == 0 && i == 0) first_bad = e->analysis;
      continue;
    }
    auto v = template_embedding(*e->templ);
    if (!v) return fail(v.error());
    if (sum.empty()) sum.assign(v->size(), 0.0F);
    for (std::size_t k = 0; k < v->size(); ++k)
      sum[k] += (*v)[k];
    if (!first_good) {
      first_good = i;
      first_bad = e->analysis;  // reused as the analysis of the enrolled frame
    }
    ++good;
  }
  if (good == 0 || good * 2 < frames.size()) {
    return fail(Errc::refused, "enrolment refused: " + std::string(describe(first_bad.quality)) +
                                   " (" + std::to_string(good) + " of " +
                                   std::to_string(frames.size()) + " images usable)");
  }
  double n = 0;
  for (float x : sum)
    n += static_cast<double>(x) * static_cast<double>(x);
  n = std::sqrt(n);
  for (float& x : sum)
    x = static_cast<float>(static_cast<double>(x) / n);
  Enrolment out;
  out.templ = make_template(sum);
  out.analysis = first_bad;
  out.image_quality = std::move(qualities);
  auto jpeg = encode_jpeg(frames[*first_good], 92);
  if (!jpeg) return fail(jpeg.error());
  out.photo_jpeg = std::move(*jpeg);
  return out;
}

Result<Enrolment> FaceEngine::enrol_all(std::span<const Image> images) {
  if (images.empty()) return fail(Errc::invalid_argument, "enrolment needs at least one image");
  if (images.size() > kMaxEnrolImages) {
    return fail(Errc::invalid_argument, "enrolment takes at most " +
                                            std::to_string(kMaxEnrolImages) + " images, got " +
                                            std::to_string(images.size()));
  }
  auto en = enrol(images);
  if (!en) {
    if (en.error().code != Errc::refused) return fail(en.error());
  } else {
    const auto bad = std::find_if(en->image_quality.begin(), en->image_quality.end(),
                                  [](Quality q) { return q != Quality::ok; });
    if (bad == en->image_quality.end()) return en;
  }
  // Some image failed the gate: name the first one (analysed again; refusals are rare).
  for (std::size_t i = 0; i < images.size(); ++i) {
    auto a = analyse(images[i]);
    if (!a) return fail(a.error());
    if (a->quality != Quality::ok) {
      return fail(Errc::refused, "enrolment refused: image " + std::to_string(i + 1) + " of " +
                                     std::to_string(images.size()) + ": " +
                                     std::string(describe(a->quality)) + " (" +
                                     std::string(to_string(a->quality)) + ")");
    }
  }
  return fail(Errc::refused, "enrolment refused: an image has no usable face");
}

Result<Verification> FaceEngine::verify(const Template& enrolled, const Image& probe) {
  auto ref = template_embedding(enrolled);
  if (!ref) return fail(ref.error().context("enrolled template"));
  auto e = embed(probe);
  if (!e) return fail(e.error());
  Verification v;
  v.analysis = std::move(e->analysis);
  v.quality = v.analysis.quality;
  if (!e->templ) return v;
  auto score = compare_templates(enrolled, *e->templ);
  if (!score) return fail(score.error());
  v.score = *score;
  v.confidence = confidence_for(v.score, impl_->opt.match_threshold);
  v.match = v.score >= impl_->opt.match_threshold;
  return v;
}

Result<Verification> FaceEngine::check(const Template& enrolled, std::span<const Image> frames,
                                       Challenge challenge) {
  if (frames.empty()) return fail(Errc::invalid_argument, "a check needs at least one frame");
  auto ref = template_embedding(enrolled);
  if (!ref) return fail(ref.error().context("enrolled template"));
  for (const auto& f : frames) {
    if (auto st = check_image(f); !st) return fail(st.error());
  }
  return detail::guarded("face check", [&]() -> Result<Verification> {
    Verification best;
    best.quality = Quality::no_face;
    bool have = false;
    std::vector<FrameCue> cues(frames.size());
    const FaceAnalysis* prev = nullptr;
    std::vector<FaceAnalysis> analyses(frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const Frame fr = make_frame(frames[i]);
      analyses[i] = impl_->analyse(fr);
      const FaceAnalysis& a = analyses[i];
      FrameCue& cue = cues[i];
      if (a.pose) cue.yaw_deg = a.pose->yaw_deg;  // turned frames count for the turn challenge
      if (i == 0) best.analysis = a, best.quality = a.quality;
      if (a.quality != Quality::ok) continue;
      const auto emb = impl_->embedding(impl_->align(fr, a.landmarks));
      double score = 0;
      for (std::size_t k = 0; k < emb.size() && k < ref->size(); ++k) {
        score += static_cast<double>(emb[k]) * static_cast<double>((*ref)[k]);
      }
      if (!have || score > best.score) {
        best.score = score;
        best.best_frame = i;
        best.analysis = a;
        best.quality = Quality::ok;
        have = true;
      }
      cue.usable = true;
      cue.model_score = impl_->live(fr, a.faces.front());
      const Eyes eyes = impl_->eyes(fr, a.landmarks);
      cue.eyes_open = eyes.left_open && eyes.right_open;
      cue.eyes_closed = !eyes.left_open && !eyes.right_open;
      if (prev != nullptr) {
        cue.motion = non_rigid_motion(prev->landmarks, a.landmarks,
                                      static_cast<double>(a.faces.front().height));
      }
      prev = &a;
    }
    if (have) {
      best.confidence = confidence_for(best.score, impl_->opt.match_threshold);
      best.match = best.score >= impl_->opt.match_threshold;
    } else {
      best.score = 0;
    }
    best.liveness = judge_liveness(cues, {.model_threshold = impl_->opt.liveness_threshold,
                                          .turn_min_deg = impl_->opt.turn_min_deg,
                                          .challenge = challenge});
    best.cues = std::move(cues);
    return best;
  });
}

}  // namespace tta::face
