#pragma once
/// Face detection, quality gate, alignment, embedding, matching and liveness.
///
/// Models (installed by scripts/setup from faceplugin-face-recognition-js@0.0.1, MIT):
/// fr_detect.onnx, fr_landmark.onnx, fr_feature.onnx, fr_liveness.onnx, fr_eye.onnx.
///
/// Threading: a `FaceEngine` is thread-compatible, not thread-safe: use one instance per worker
/// thread (each owns its own networks). Inputs and outputs are plain values, so the agent can
/// post a check to a worker pool and post the result back to its event loop.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"
#include "tta/face/liveness.hpp"
#include "tta/face/image.hpp"

namespace tta::face {

/// File names of the models the engine needs, all in one folder.
inline constexpr std::string_view kDetectModel = "fr_detect.onnx";
inline constexpr std::string_view kLandmarkModel = "fr_landmark.onnx";
inline constexpr std::string_view kFeatureModel = "fr_feature.onnx";
inline constexpr std::string_view kLivenessModel = "fr_liveness.onnx";
inline constexpr std::string_view kEyeModel = "fr_eye.onnx";

/// The models folder when none is configured: $TTA_MODELS_DIR, else /usr/local/share/tta/models
/// (where scripts/setup puts them).
[[nodiscard]] std::filesystem::path default_models_dir();

/// Models that are missing from `models_dir` (empty when all are there).
[[nodiscard]] std::vector<std::string> missing_models(const std::filesystem::path& models_dir);

/// Threads OpenCV may use inside one inference call, process-wide (0 = OpenCV's default). With
/// a worker pool of one engine per thread, 1 keeps workers from competing for cores.
void set_inference_threads(int threads);

/// Tunables of the engine. Defaults are the calibrated ones (face/EVAL.md).
struct EngineOptions {
  std::filesystem::path models_dir;
  double match_threshold = 0.42;    ///< cosine score at or above which two faces match (EVAL.md)
  int min_face_px = 48;             ///< smaller face boxes (side, pixels) are `too_small`
  double min_brightness = 40.0;     ///< mean grey level (0-255) of the face below: `too_dark`
  double max_brightness = 215.0;    ///< mean grey level of the face above: `too_bright`
  double max_clipped_fraction = 0.25;  ///< share of face pixels at 250+ above: `too_bright`
  double min_sharpness = 40.0;      ///< Laplacian variance of the 64x64 face below: `blurred`
  double min_eye_distance_px = 24;  ///< eye centres closer than this (pixels): `too_small`
  double max_yaw_deg = 40;          ///< estimated head turn beyond this: `bad_pose`
  double max_pitch_deg = 30;        ///< estimated head nod beyond this: `bad_pose`
  double liveness_threshold = 0.5;  ///< mean liveness-model score needed to be `live`
  double turn_min_deg = 20;         ///< head-yaw span the turn challenge needs (liveness.hpp)
  /// With fr_detect.onnx absent, detect with OpenCV's Haar cascade (labelled in every result)
  /// instead of refusing. Matching still needs the ONNX landmark and feature models.
  bool allow_cascade_fallback = false;
  std::filesystem::path cascade_file =
      "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
};

/// Engine options from the agent's [face] config section.
[[nodiscard]] EngineOptions options_from_config(const config::FaceConfig& cfg);

/// The options with the image-quality gates switched off (exposure, sharpness, eye distance,
/// pose), for measuring what the gates change. Detection rules (no face, several faces, box
/// smaller than min_face_px) stay.
[[nodiscard]] EngineOptions without_quality_gates(EngineOptions o);

/// Outcome of the quality gate, in the order the checks run. Only `ok` goes on to matching.
enum class Quality : std::uint8_t {
  ok,
  no_face,        ///< nothing the detector is confident about
  several_faces,  ///< more than one face of sufficient size: who is checking in is ambiguous
  too_small,      ///< the face box is under min_face_px, or the eyes under min_eye_distance_px
  too_dark,       ///< the face is too dark to match reliably
  too_bright,     ///< the face is overexposed (mean too high or too many clipped pixels)
  blurred,        ///< the face is out of focus or moving
  bad_pose,       ///< the head is turned or nodded too far from the camera
};

/// Stable machine code, e.g. "several_faces".
[[nodiscard]] std::string_view to_string(Quality q) noexcept;
/// A sentence for the screen saying what to do, e.g. "face too small: come closer to the camera".
[[nodiscard]] std::string_view describe(Quality q) noexcept;
/// The same in Chinese for the terminal's screen and voice prompt, e.g. "请靠近摄像头".
[[nodiscard]] std::string_view describe_zh(Quality q) noexcept;

/// A face box in image pixels. It may extend past the image edge when the face is cut off by it
/// (the detector keeps boxes square; see EVAL.md on padding).
struct FaceBox {
  float x = 0;
  float y = 0;
  float width = 0;
  float height = 0;
  float score = 0;  ///< detector confidence 0..1
};

/// A point in image pixels.
struct Point2 {
  float x = 0;
  float y = 0;
};

/// Head pose and eye distance estimated from 68 landmarks (iBUG order).
///
/// Not a calibrated angle: yaw treats the face as a cylinder (nose tip on its surface, the jaw
/// points 1 and 15 on its outline, so (left - right) / (left + right) of the nose-to-outline
/// distances is sin(yaw)); pitch compares the nose tip's height between the eye line and the
/// mouth corners with its frontal value (face/EVAL.md). Both are measured after removing the
/// roll of the eye line.
struct PoseEstimate {
  double yaw_deg = 0;          ///< positive: nose towards the image's right
  double pitch_deg = 0;        ///< positive: nose lower than frontal (head bent down)
  double roll_deg = 0;         ///< eye line angle, positive clockwise in the image
  double eye_distance_px = 0;  ///< between the two eye centres, image pixels
};
/// Errc::invalid_argument unless there are 68 finite points with distinct eyes, nose and mouth.
[[nodiscard]] Result<PoseEstimate> estimate_pose(std::span<const Point2> landmarks);

/// What the engine saw in one image.
struct FaceAnalysis {
  Quality quality = Quality::no_face;
  std::vector<FaceBox> faces;     ///< every detection, largest first
  /// 68 points of the chosen face: set when quality is ok, and for too_small (eyes) or bad_pose
  std::vector<Point2> landmarks;
  double brightness = 0;          ///< mean grey level of the chosen face (0 if none)
  double clipped_fraction = 0;    ///< share of the chosen face's pixels at 250 or above
  double sharpness = 0;           ///< Laplacian variance of the chosen face (0 if none)
  std::optional<PoseEstimate> pose;  ///< when landmarks were found
  std::string detector;           ///< "fr_detect.onnx" or "haar-cascade-fallback"
};

/// An enrolled face: an L2-normalised embedding in a versioned byte format.
struct Template {
  std::vector<std::uint8_t> bytes;
};

/// Serialise / parse embeddings; Errc::parse / Errc::incompatible for foreign bytes.
[[nodiscard]] Template make_template(std::span<const float> embedding);
[[nodiscard]] Result<std::vector<float>> template_embedding(const Template& t);

/// Cosine score of two templates in [-1, 1]; errors when either is malformed or sizes differ.
[[nodiscard]] Result<double> compare_templates(const Template& a, const Template& b);

/// Confidence 0-100 for a cosine score: 50 at the threshold, 100 at a score of 1, 0 at 0 and
/// below, linear in between. A match is exactly a confidence of 50 or more.
[[nodiscard]] std::uint8_t confidence_for(double score, double threshold) noexcept;

/// Result of one identity check.
struct Verification {
  Quality quality = Quality::no_face;  ///< of the probe (the best frame); match only when ok
  bool match = false;
  double score = 0;                        ///< cosine score vs the template (0 unless quality ok)
  std::uint8_t confidence = 0;             ///< 0-100, see confidence_for
  std::optional<LivenessResult> liveness;  ///< set by check(), not by verify()
  std::vector<FrameCue> cues;              ///< check(): what each frame showed (judge_liveness)
  std::size_t best_frame = 0;              ///< index of the frame matched (check())
  FaceAnalysis analysis;                   ///< of that frame
};

/// An enrolment: the template to store and the JPEG of the enrolment face.
struct Enrolment {
  Template templ;
  std::vector<std::uint8_t> photo_jpeg;  ///< the source image, re-encoded (what was enrolled)
  FaceAnalysis analysis;                 ///< of the image whose photo is kept
  std::vector<Quality> image_quality;    ///< gate outcome of every image given, in order
};

/// Images an enrolment from several photos may use (enrol_all).
inline constexpr std::size_t kMaxEnrolImages = 5;

/// The face pipeline. Load once per worker thread; every call is independent.
class FaceEngine {
 public:
  /// Load the models. Errc::unavailable (message names the folder and the missing files) when
  /// models are absent: the caller must refuse face checks. Errc::corrupt when a model file does
  /// not load.
  [[nodiscard]] static Result<FaceEngine> load(const EngineOptions& options);

  FaceEngine(FaceEngine&&) noexcept;
  FaceEngine& operator=(FaceEngine&&) noexcept;
  FaceEngine(const FaceEngine&) = delete;
  FaceEngine& operator=(const FaceEngine&) = delete;
  ~FaceEngine();

  [[nodiscard]] const EngineOptions& options() const noexcept;

  /// Detect and run the quality gate; landmarks of the chosen face when the quality is ok.
  [[nodiscard]] Result<FaceAnalysis> analyse(const Image& image);

  /// Embedding of the one good face in `image` as a template; the analysis tells why not.
  struct Embedded {
    std::optional<Template> templ;  ///< set when analysis.quality is ok
    FaceAnalysis analysis;
  };
  [[nodiscard]] Result<Embedded> embed(const Image& image);

  /// Enrol from an ID photo or a live frame. Errc::refused with the quality reason when the image
  /// fails the gate.
  [[nodiscard]] Result<Enrolment> enrol(const Image& image);
  /// Enrol from several live frames: the embeddings of good frames are averaged.
  /// Errc::refused when fewer than half of the frames (and at least one) pass the gate.
  [[nodiscard]] Result<Enrolment> enrol(std::span<const Image> frames);
  /// Enrol from 1 to kMaxEnrolImages photos of one person, every one of which must pass the gate
  /// (an administrator can retake a bad photo): the template is the mean of their normalised
  /// embeddings, normalised again. Errc::refused naming the first failing image (1-based) and its
  /// reason; Errc::invalid_argument for no images or too many.
  [[nodiscard]] Result<Enrolment> enrol_all(std::span<const Image> images);

  /// Compare one image against a template (no liveness). A quality failure is a normal result.
  [[nodiscard]] Result<Verification> verify(const Template& enrolled, const Image& probe);

  /// A full check-in: several frames of one person in front of the camera, in the order they
  /// were taken. Matches the best frame and judges liveness across all of them
  /// (judge_liveness): by the passive rule, or by whether the person did what `challenge`
  /// asked while the frames were taken.
  [[nodiscard]] Result<Verification> check(const Template& enrolled, std::span<const Image> frames,
                                           Challenge challenge = Challenge::none);

  /// Liveness-model probability of "live" for the chosen face of an analysed image.
  [[nodiscard]] Result<double> liveness_score(const Image& image, const FaceAnalysis& analysis);
  /// Eye-model verdicts (left open, right open) for an analysed image with landmarks.
  struct Eyes {
    bool left_open = false;
    bool right_open = false;
    float left_open_p = 0;  ///< probability of "open"
    float right_open_p = 0;
  };
  [[nodiscard]] Result<Eyes> eyes(const Image& image, const FaceAnalysis& analysis);

  /// The aligned 112x112 face crop fed to the embedding model (for inspection and tests).
  [[nodiscard]] Result<Image> aligned_face(const Image& image, const FaceAnalysis& analysis);

 private:
  struct Impl;
  explicit FaceEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tta::face
