// The face pipeline on real faces (AT&T and LFW from ../shared/data/faces) and on images
// composed from them at test time. Skips when the data or the models are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/needs.hpp"
#include "face_support.hpp"
#include "tta/face/engine.hpp"

namespace tta::face {
namespace {

using testing::load_bgr;
using testing::scene_with;
using testing::to_image;

class faceEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto faces = testing::faces_dir();
    if (!faces) TTA_SKIP_OR_FAIL_IN_CI() << "shared face data absent (" << TTA_SHARED_DATA_DIR << "/faces)";
    const auto models = testing::models_dir();
    if (!models) {
      TTA_SKIP_OR_FAIL_IN_CI() << "face models absent in " << default_models_dir() << " (run scripts/setup)";
    }
    faces_ = *faces;
    if (!engine_) {
      EngineOptions opt;
      opt.models_dir = *models;
      auto e = FaceEngine::load(opt);
      ASSERT_TRUE(e) << e.error().message;
      engine_.emplace(std::move(*e));
    }
  }
  static void TearDownTestSuite() { engine_.reset(); }

  cv::Mat att(int subject, int n) const {
    return load_bgr(faces_ / "att" / ("s" + std::to_string(subject)) /
                    (std::to_string(n) + ".pgm"));
  }
  Image att_image(int subject, int n) const { return to_image(att(subject, n)); }

  Template enrol_att(int subject, int n) {
    auto en = engine_->enrol(att_image(subject, n));
    EXPECT_TRUE(en) << en.error().message;
    return en ? en->templ : Template{};
  }

  std::filesystem::path faces_;
  static std::optional<FaceEngine> engine_;
};
std::optional<FaceEngine> faceEngine::engine_;

// ---------------------------------------------------------------------------------- outcomes

TEST_F(faceEngine, SamePersonMatches) {
  const Template t = enrol_att(1, 1);
  for (int n : {2, 5, 8}) {
    auto v = engine_->verify(t, att_image(1, n));
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->quality, Quality::ok);
    EXPECT_TRUE(v->match) << "s1/" << n << " score " << v->score;
    EXPECT_GE(v->confidence, 50);
    EXPECT_GE(v->score, engine_->options().match_threshold);
  }
}

TEST_F(faceEngine, OtherPersonDoesNotMatch) {
  const Template t = enrol_att(1, 1);
  for (int s : {2, 3, 7, 12}) {
    auto v = engine_->verify(t, att_image(s, 1));
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->quality, Quality::ok);
    EXPECT_FALSE(v->match) << "s" << s << " score " << v->score;
    EXPECT_LT(v->confidence, 50);
  }
}

TEST_F(faceEngine, SamePersonScoresAboveOtherPeopleOnLfw) {
  const auto dir = faces_ / "lfw" / "Abdullah_Gul";
  auto a = engine_->enrol(to_image(load_bgr(dir / "Abdullah_Gul_0001.jpg")));
  ASSERT_TRUE(a) << a.error().message;
  auto same = engine_->verify(a->templ, to_image(load_bgr(dir / "Abdullah_Gul_0002.jpg")));
  auto other = engine_->verify(
      a->templ, to_image(load_bgr(faces_ / "lfw" / "Alan_Greenspan" / "Alan_Greenspan_0001.jpg")));
  ASSERT_TRUE(same && other);
  EXPECT_GT(same->score, other->score + 0.2);
}

TEST_F(faceEngine, EmptySceneIsNoFace) {
  cv::Mat wall(480, 640, CV_8UC3, cv::Scalar(120, 130, 140));
  cv::randn(wall, cv::Scalar::all(128), cv::Scalar::all(20));
  auto a = engine_->analyse(to_image(wall));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->quality, Quality::no_face);
  EXPECT_TRUE(a->faces.empty());
  auto v = engine_->verify(enrol_att(1, 1), to_image(wall));
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->match);
  EXPECT_EQ(v->confidence, 0);
}

TEST_F(faceEngine, TwoPeopleInViewAreSeveralFaces) {
  cv::Mat scene(480, 640, CV_8UC3, cv::Scalar(90, 100, 110));
  cv::Mat a, b;
  cv::resize(att(3, 1), a, cv::Size(), 2.5, 2.5, cv::INTER_CUBIC);
  cv::resize(att(9, 1), b, cv::Size(), 2.5, 2.5, cv::INTER_CUBIC);
  a.copyTo(scene(cv::Rect(40, 100, a.cols, a.rows)));
  b.copyTo(scene(cv::Rect(370, 110, b.cols, b.rows)));
  auto r = engine_->analyse(to_image(scene));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->quality, Quality::several_faces);
  EXPECT_EQ(r->faces.size(), 2U);
  auto v = engine_->verify(enrol_att(3, 1), to_image(scene));
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->match);  // never guess which of the two is checking in
}

TEST_F(faceEngine, DistantFaceIsTooSmall) {
  const cv::Mat scene = scene_with(att(4, 1), 0.35, 300, 200);  // face ~30 px
  auto r = engine_->analyse(to_image(scene));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->faces.empty()) << "the detector should still see the small face";
  EXPECT_EQ(r->quality, Quality::too_small);
  // The same face closer passes.
  auto near = engine_->analyse(to_image(scene_with(att(4, 1), 2.5, 200, 100)));
  ASSERT_TRUE(near);
  EXPECT_EQ(near->quality, Quality::ok);
}

TEST_F(faceEngine, UnderexposedFaceIsTooDark) {
  cv::Mat dark;  // the whole frame underexposed, as in an unlit cab at dusk
  scene_with(att(5, 1), 2.5, 200, 100).convertTo(dark, -1, 0.25, 0);
  auto r = engine_->analyse(to_image(dark));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->faces.empty());
  EXPECT_EQ(r->quality, Quality::too_dark) << "brightness " << r->brightness;
  EXPECT_LT(r->brightness, engine_->options().min_brightness);
}

TEST_F(faceEngine, OutOfFocusFaceIsBlurred) {
  cv::Mat blurred;
  cv::GaussianBlur(scene_with(att(6, 1), 2.5, 200, 100), blurred, cv::Size(0, 0), 6.0);
  auto r = engine_->analyse(to_image(blurred));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->faces.empty());
  EXPECT_EQ(r->quality, Quality::blurred) << "sharpness " << r->sharpness;
}

TEST_F(faceEngine, EveryAttImagePassesTheGateOrIsExplained) {
  // The gate must not reject ordinary frontal faces: at most 5 % of AT&T images fail it.
  int failed = 0, total = 0;
  for (int s = 1; s <= 25; ++s) {
    for (int n = 1; n <= 10; ++n) {
      auto r = engine_->analyse(att_image(s, n));
      ASSERT_TRUE(r);
      ++total;
      if (r->quality != Quality::ok) ++failed;
    }
  }
  EXPECT_LE(failed * 20, total) << failed << " of " << total;
}

// ------------------------------------------------------------------------ model output checks

TEST_F(faceEngine, DetectorBoxCoversTheFace) {
  // Face placed at a known spot: the box must be around it.
  const cv::Mat scene = scene_with(att(7, 1), 2.5, 200, 100);  // 230x280 face image
  auto r = engine_->analyse(to_image(scene));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->faces.size(), 1U);
  const auto& f = r->faces[0];
  EXPECT_GT(f.score, 0.65F);
  EXPECT_LE(f.score, 1.0F);
  const float cx = f.x + f.width / 2, cy = f.y + f.height / 2;
  EXPECT_GT(cx, 200);
  EXPECT_LT(cx, 430);
  EXPECT_GT(cy, 100);
  EXPECT_LT(cy, 380);
  EXPECT_NEAR(f.width, f.height, 1.5);  // the JS squares boxes to their height
  EXPECT_GT(f.height, 100);
  EXPECT_EQ(r->detector, "fr_detect.onnx");
}

TEST_F(faceEngine, LandmarksAreAnatomicallyOrdered) {
  int checked = 0;
  for (int s : {1, 8, 15, 22}) {
    auto r = engine_->analyse(att_image(s, 1));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->quality, Quality::ok);
    ASSERT_EQ(r->landmarks.size(), 68U);
    const auto& p = r->landmarks;
    const float left_eye_x = (p[37].x + p[38].x + p[40].x + p[41].x) / 4;
    const float right_eye_x = (p[43].x + p[44].x + p[46].x + p[47].x) / 4;
    const float eyes_y = (p[37].y + p[44].y) / 2;
    EXPECT_LT(left_eye_x, right_eye_x);  // image-left eye first
    EXPECT_LT(eyes_y, p[30].y);          // eyes above the nose tip
    EXPECT_LT(p[30].y, p[51].y);         // nose above the upper lip
    EXPECT_LT(p[51].y, p[8].y);          // lip above the chin
    EXPECT_GT(p[30].x, left_eye_x);      // nose between the eyes
    EXPECT_LT(p[30].x, right_eye_x);
    const auto& f = r->faces[0];
    for (const auto& q : p) {
      EXPECT_GT(q.x, f.x - 0.2F * f.width);
      EXPECT_LT(q.x, f.x + 1.2F * f.width);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST_F(faceEngine, AlignedCropPutsTheFivePointsOnTheReference) {
  // Five bright dots where a face's eyes, nose tip and mouth corners would be, rotated and
  // scaled; landmarks placed on them. The 112x112 crop must bring each dot to its reference
  // point (fr_feature.js REFERENCE_FACIAL_POINTS).
  const std::array<cv::Point2d, 5> ref{{{38.2946, 51.6963},
                                        {73.5318, 51.5014},
                                        {56.0252, 71.7366},
                                        {41.5493, 92.3655},
                                        {70.7299, 92.2041}}};
  const double angle = 0.2, scale = 1.7;
  const cv::Point2d t(150, 90);
  cv::Mat img(400, 400, CV_8UC3, cv::Scalar::all(0));
  std::array<cv::Point2d, 5> at{};
  for (std::size_t i = 0; i < 5; ++i) {
    at[i] = cv::Point2d(scale * (std::cos(angle) * ref[i].x - std::sin(angle) * ref[i].y),
                        scale * (std::sin(angle) * ref[i].x + std::cos(angle) * ref[i].y)) +
            t;
    cv::circle(
        img,
        cv::Point(static_cast<int>(std::lround(at[i].x)), static_cast<int>(std::lround(at[i].y))),
        2, cv::Scalar::all(255), cv::FILLED);
  }
  FaceAnalysis a;
  a.quality = Quality::ok;
  a.landmarks.resize(68);
  auto put = [&](std::initializer_list<int> idx, cv::Point2d p) {
    for (int k : idx)
      a.landmarks[static_cast<std::size_t>(k)] = {static_cast<float>(p.x), static_cast<float>(p.y)};
  };
  put({37, 38, 40, 41}, at[0]);
  put({43, 44, 46, 47}, at[1]);
  put({30}, at[2]);
  put({48, 60}, at[3]);
  put({54, 64}, at[4]);
  auto crop = engine_->aligned_face(to_image(img), a);
  ASSERT_TRUE(crop) << crop.error().message;
  ASSERT_EQ(crop->width, 112);
  ASSERT_EQ(crop->height, 112);
  cv::Mat grey;
  cv::cvtColor(testing::to_mat(*crop), grey, cv::COLOR_BGR2GRAY);
  for (const auto& r : ref) {
    const cv::Rect win(static_cast<int>(r.x) - 5, static_cast<int>(r.y) - 5, 11, 11);
    const cv::Moments m = cv::moments(grey(win));
    ASSERT_GT(m.m00, 0) << "no dot near " << r;
    EXPECT_NEAR(win.x + m.m10 / m.m00, r.x, 1.0);
    EXPECT_NEAR(win.y + m.m01 / m.m00, r.y, 1.0);
  }
}

TEST_F(faceEngine, AlignedRealFaceIsStillAFace) {
  const Image img = att_image(10, 1);
  auto r = engine_->analyse(img);
  ASSERT_TRUE(r && r->quality == Quality::ok);
  auto crop = engine_->aligned_face(img, *r);
  ASSERT_TRUE(crop) << crop.error().message;
  auto again = engine_->analyse(to_image(scene_with(testing::to_mat(*crop), 2.0, 200, 120)));
  ASSERT_TRUE(again);
  ASSERT_EQ(again->faces.size(), 1U);
  // Eyes level after alignment (the reference eyes differ by 0.2 px in height).
  const auto& p = again->landmarks;
  if (again->quality == Quality::ok) {
    const float ly = (p[37].y + p[38].y + p[40].y + p[41].y) / 4;
    const float ry = (p[43].y + p[44].y + p[46].y + p[47].y) / 4;
    EXPECT_NEAR(ly, ry, 8.0F);
  }
}

TEST_F(faceEngine, EmbeddingIsUnitLengthAndStable) {
  auto a = engine_->embed(att_image(11, 1));
  ASSERT_TRUE(a && a->templ);
  auto v = template_embedding(*a->templ);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->size(), 512U);
  double n = 0;
  for (float x : *v)
    n += static_cast<double>(x) * static_cast<double>(x);
  EXPECT_NEAR(n, 1.0, 1e-4);
  auto b = engine_->embed(att_image(11, 1));
  ASSERT_TRUE(b && b->templ);
  auto self = compare_templates(*a->templ, *b->templ);
  ASSERT_TRUE(self);
  EXPECT_NEAR(*self, 1.0, 1e-5);  // deterministic
}

TEST_F(faceEngine, EyeModelSeesOpenEyesOnFrontalFaces) {
  int open = 0, total = 0;
  for (int s = 1; s <= 25; s += 3) {
    const Image img = att_image(s, 1);
    auto r = engine_->analyse(img);
    ASSERT_TRUE(r);
    if (r->quality != Quality::ok) continue;
    auto e = engine_->eyes(img, *r);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_GE(e->left_open_p, 0.0F);
    EXPECT_LE(e->left_open_p, 1.0F);
    ++total;
    if (e->left_open || e->right_open) ++open;
  }
  ASSERT_GT(total, 5);
  EXPECT_GE(open * 10, total * 7) << open << " of " << total;
}

TEST_F(faceEngine, LivenessModelScoresCameraCapturesAsLive) {
  int live = 0, total = 0;
  for (int s = 1; s <= 25; s += 2) {
    const Image img = att_image(s, 2);
    auto r = engine_->analyse(img);
    ASSERT_TRUE(r);
    if (r->faces.empty()) continue;
    auto l = engine_->liveness_score(img, *r);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_GE(*l, 0.0);
    EXPECT_LE(*l, 1.0);
    ++total;
    if (*l >= 0.5) ++live;
  }
  ASSERT_GT(total, 8);
  EXPECT_GE(live * 10, total * 6) << live << " of " << total;
}

// ------------------------------------------------------------------------------- liveness

TEST_F(faceEngine, PhotoOfAPhotoHeldStillIsNotLive) {
  // A print of the enrolled person's photo, on white paper, seen by the camera; the hand holding
  // it moves it a little between frames (rigid motion only).
  const Template t = enrol_att(12, 1);
  cv::Mat print;
  cv::copyMakeBorder(att(12, 1), print, 12, 12, 12, 12, cv::BORDER_CONSTANT, cv::Scalar::all(235));
  std::vector<Image> frames;
  for (int i = 0; i < 5; ++i) {
    cv::Mat scene = scene_with(print, 2.2, 200 + 3 * i, 100 + 2 * (i % 2));
    std::vector<std::uint8_t> jpeg;
    ASSERT_TRUE(cv::imencode(".jpg", scene, jpeg, {cv::IMWRITE_JPEG_QUALITY, 70}));
    frames.push_back(to_image(cv::imdecode(jpeg, cv::IMREAD_COLOR)));
  }
  auto v = engine_->check(t, frames);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_TRUE(v->liveness.has_value());
  EXPECT_TRUE(v->match);                           // it is the right face...
  EXPECT_NE(v->liveness->outcome, Liveness::live)  // ...but not a live one
      << "model " << v->liveness->model_score << " motion " << v->liveness->motion;
  EXPECT_FALSE(v->liveness->blink);
  EXPECT_EQ(v->liveness->frames, 5U);
}

TEST_F(faceEngine, OneFrameIsNeverEnoughForLive) {
  const Template t = enrol_att(13, 1);
  const Image frame = att_image(13, 2);
  auto v = engine_->check(t, std::span<const Image>(&frame, 1));
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->liveness);
  EXPECT_NE(v->liveness->outcome, Liveness::live);
}

TEST_F(faceEngine, CheckPicksTheBestFrameAndReportsQualityWhenNoneIsUsable) {
  const Template t = enrol_att(14, 1);
  cv::Mat wall(480, 640, CV_8UC3, cv::Scalar(100, 100, 100));
  std::vector<Image> frames{to_image(wall), att_image(14, 3), to_image(wall)};
  auto v = engine_->check(t, frames);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->quality, Quality::ok);
  EXPECT_EQ(v->best_frame, 1U);
  EXPECT_TRUE(v->match);
  std::vector<Image> empty{to_image(wall), to_image(wall)};
  auto none = engine_->check(t, empty);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->quality, Quality::no_face);
  EXPECT_FALSE(none->match);
  EXPECT_EQ(none->liveness->frames, 0U);
  EXPECT_EQ(none->liveness->outcome, Liveness::inconclusive);
}

// ------------------------------------------------------------------------------- enrolment

TEST_F(faceEngine, EnrolFromIdPhotoReturnsTemplateAndJpeg) {
  auto en =
      engine_->enrol(to_image(load_bgr(faces_ / "lfw" / "Abdullah_Gul" / "Abdullah_Gul_0001.jpg")));
  ASSERT_TRUE(en) << en.error().message;
  EXPECT_EQ(en->analysis.quality, Quality::ok);
  ASSERT_TRUE(template_embedding(en->templ));
  auto photo = decode_image(en->photo_jpeg);
  ASSERT_TRUE(photo);
  EXPECT_EQ(photo->width, 250);
}

TEST_F(faceEngine, EnrolRefusesAnImageWithoutAUsableFace) {
  cv::Mat wall(480, 640, CV_8UC3, cv::Scalar(100, 100, 100));
  auto en = engine_->enrol(to_image(wall));
  ASSERT_FALSE(en);
  EXPECT_EQ(en.error().code, Errc::refused);
  EXPECT_NE(en.error().message.find("no face"), std::string::npos);
}

TEST_F(faceEngine, EnrolFromLiveFramesAveragesTheGoodOnes) {
  std::vector<Image> frames{att_image(15, 1), att_image(15, 2), att_image(15, 3)};
  auto en = engine_->enrol(frames);
  ASSERT_TRUE(en) << en.error().message;
  auto v = engine_->verify(en->templ, att_image(15, 9));
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->match) << v->score;
}

// ---------------------------------------------------------------------- quality gates, pose

// An engine with other options than the shared fixture's (a second load of the models).
std::optional<FaceEngine> engine_with(EngineOptions opt) {
  opt.models_dir = *testing::models_dir();
  auto e = FaceEngine::load(opt);
  EXPECT_TRUE(e) << e.error().message;
  if (!e) return std::nullopt;
  return std::move(*e);
}

TEST_F(faceEngine, TurnedHeadIsRefusedWithLookAtTheCamera) {
  // A press photo with the head turned well away (near profile).
  const Image turned =
      to_image(load_bgr(faces_ / "lfw" / "Ben_Affleck" / "Ben_Affleck_0002.jpg"));
  auto r = engine_->analyse(turned);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->quality, Quality::bad_pose);
  ASSERT_TRUE(r->pose);
  EXPECT_GT(std::abs(r->pose->yaw_deg), engine_->options().max_yaw_deg);
  EXPECT_NE(std::string(describe(r->quality)).find("look at the camera"), std::string::npos);
  // The refusal is the gate's: without it the same face is usable.
  auto ungated = engine_with(without_quality_gates(EngineOptions{}));
  ASSERT_TRUE(ungated);
  auto u = ungated->analyse(turned);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->quality, Quality::ok);
  // A frontal face passes with a small estimated yaw.
  auto frontal = engine_->analyse(att_image(1, 1));
  ASSERT_TRUE(frontal && frontal->pose);
  EXPECT_EQ(frontal->quality, Quality::ok);
  EXPECT_LT(std::abs(frontal->pose->yaw_deg), std::abs(r->pose->yaw_deg) / 2);
}

TEST_F(faceEngine, MirroredFaceHasTheOppositeYaw) {
  const cv::Mat img = load_bgr(faces_ / "lfw" / "Ben_Affleck" / "Ben_Affleck_0002.jpg");
  cv::Mat mirrored;
  cv::flip(img, mirrored, 1);
  auto ungated = engine_with(without_quality_gates(EngineOptions{}));
  ASSERT_TRUE(ungated);
  auto a = ungated->analyse(to_image(img));
  auto b = ungated->analyse(to_image(mirrored));
  ASSERT_TRUE(a && a->pose && b && b->pose);
  EXPECT_GT(std::abs(a->pose->yaw_deg), 30);
  EXPECT_NEAR(b->pose->yaw_deg, -a->pose->yaw_deg, 10);
  EXPECT_NEAR(b->pose->pitch_deg, a->pose->pitch_deg, 8);
  EXPECT_NEAR(b->pose->eye_distance_px, a->pose->eye_distance_px, 0.15 * a->pose->eye_distance_px);
}

TEST_F(faceEngine, PoseIgnoresRollAndScaleOfTheLandmarks) {
  auto r = engine_->analyse(att_image(9, 1));
  ASSERT_TRUE(r && r->quality == Quality::ok);
  auto base = estimate_pose(r->landmarks);
  ASSERT_TRUE(base) << base.error().message;
  // The same landmarks rotated by 20 degrees and scaled by 2 about a point.
  const double a = 20.0 * 3.14159265358979323846 / 180.0;
  std::vector<Point2> moved;
  for (const auto& p : r->landmarks) {
    const double x = static_cast<double>(p.x) - 50.0, y = static_cast<double>(p.y) - 60.0;
    moved.push_back({static_cast<float>(2 * (x * std::cos(a) - y * std::sin(a)) + 300),
                     static_cast<float>(2 * (x * std::sin(a) + y * std::cos(a)) + 200)});
  }
  auto m = estimate_pose(moved);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_NEAR(m->roll_deg - base->roll_deg, 20.0, 0.01);
  EXPECT_NEAR(m->yaw_deg, base->yaw_deg, 0.01);
  EXPECT_NEAR(m->pitch_deg, base->pitch_deg, 0.01);
  EXPECT_NEAR(m->eye_distance_px, 2 * base->eye_distance_px, 0.01);
}

TEST(facePose, WhatIsNotAFaceIsAnError) {
  std::vector<Point2> few(10);
  EXPECT_EQ(estimate_pose(few).error().code, Errc::invalid_argument);
  std::vector<Point2> flat(68);  // all at the origin: eyes coincide
  EXPECT_EQ(estimate_pose(flat).error().code, Errc::invalid_argument);
  std::vector<Point2> nan(68);
  for (std::size_t i = 0; i < nan.size(); ++i)
    nan[i] = {static_cast<float>(i), static_cast<float>(i % 7)};
  nan[30].x = std::nanf("");
  EXPECT_EQ(estimate_pose(nan).error().code, Errc::invalid_argument);
}

TEST_F(faceEngine, EyesCloserThanTheMinimumAreTooSmall) {
  const Image scene = to_image(scene_with(att(4, 1), 2.5, 200, 100));
  auto fine = engine_->analyse(scene);
  ASSERT_TRUE(fine && fine->pose);
  ASSERT_EQ(fine->quality, Quality::ok);
  EngineOptions strict;
  strict.min_eye_distance_px = fine->pose->eye_distance_px + 5;
  auto e = engine_with(strict);
  ASSERT_TRUE(e);
  auto r = e->analyse(scene);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->quality, Quality::too_small);
  EXPECT_NE(std::string(describe(r->quality)).find("closer"), std::string::npos);
}

TEST_F(faceEngine, OverexposedFaceIsTooBright) {
  cv::Mat bright;  // sun on the face through the side window
  scene_with(att(5, 1), 2.5, 200, 100).convertTo(bright, -1, 1.0, 120);
  auto r = engine_->analyse(to_image(bright));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->faces.empty()) << "the detector should still see the face";
  EXPECT_EQ(r->quality, Quality::too_bright)
      << "brightness " << r->brightness << " clipped " << r->clipped_fraction;
  EXPECT_TRUE(r->brightness > engine_->options().max_brightness ||
              r->clipped_fraction > engine_->options().max_clipped_fraction);
}

TEST(faceQuality, EveryRefusalHasACodeAndWordsInBothLanguages) {
  std::set<std::string> codes, en, zh;
  for (auto q : {Quality::ok, Quality::no_face, Quality::several_faces, Quality::too_small,
                 Quality::too_dark, Quality::too_bright, Quality::blurred, Quality::bad_pose}) {
    codes.insert(std::string(to_string(q)));
    en.insert(std::string(describe(q)));
    const std::string z(describe_zh(q));
    zh.insert(z);
    EXPECT_TRUE(std::any_of(z.begin(), z.end(), [](char c) { return (c & 0x80) != 0; }))
        << to_string(q) << ": " << z;
  }
  EXPECT_EQ(codes.size(), 8U);
  EXPECT_EQ(en.size(), 8U);
  EXPECT_EQ(zh.size(), 8U);
  EXPECT_EQ(codes.count("unknown"), 0U);
}

TEST_F(faceEngine, EnrolAllFromSeveralPhotosChecksEveryOne) {
  std::vector<Image> photos{att_image(16, 1), att_image(16, 4), att_image(16, 7)};
  auto en = engine_->enrol_all(photos);
  ASSERT_TRUE(en) << en.error().message;
  ASSERT_EQ(en->image_quality.size(), 3U);
  for (auto q : en->image_quality)
    EXPECT_EQ(q, Quality::ok);
  auto same = engine_->verify(en->templ, att_image(16, 9));
  auto other = engine_->verify(en->templ, att_image(17, 9));
  ASSERT_TRUE(same && other);
  EXPECT_TRUE(same->match) << same->score;
  EXPECT_FALSE(other->match) << other->score;

  // One bad photo among good ones: refused, naming it and why.
  cv::Mat wall(480, 640, CV_8UC3, cv::Scalar(100, 100, 100));
  std::vector<Image> with_bad{att_image(16, 1), to_image(wall), att_image(16, 7)};
  auto bad = engine_->enrol_all(with_bad);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::refused);
  EXPECT_NE(bad.error().message.find("image 2 of 3"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("no_face"), std::string::npos) << bad.error().message;
  // The lenient live-frame enrolment takes the same frames (2 of 3 usable).
  auto lenient = engine_->enrol(with_bad);
  ASSERT_TRUE(lenient) << lenient.error().message;
  EXPECT_EQ(lenient->image_quality[1], Quality::no_face);

  // Garbage: an image whose size and pixels disagree is an error, not a crash.
  Image broken{.width = 100, .height = 100, .format = PixelFormat::bgr8, .pixels = {1, 2, 3}};
  std::vector<Image> garbage{att_image(16, 1), broken};
  auto g = engine_->enrol_all(garbage);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::invalid_argument);

  EXPECT_EQ(engine_->enrol_all({}).error().code, Errc::invalid_argument);
  std::vector<Image> six(kMaxEnrolImages + 1, att_image(16, 1));
  EXPECT_EQ(engine_->enrol_all(six).error().code, Errc::invalid_argument);
}

// ------------------------------------------------------------------------- models absent

TEST(faceModels, AbsentModelsAreAClearDistinctError) {
  const auto dir = testing::temp_dir("nomodels");
  EngineOptions opt;
  opt.models_dir = dir;
  auto e = FaceEngine::load(opt);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::unavailable);
  EXPECT_NE(e.error().message.find("face models missing"), std::string::npos);
  EXPECT_NE(e.error().message.find("fr_detect.onnx"), std::string::npos);
  EXPECT_NE(e.error().message.find("scripts/setup"), std::string::npos);
  EXPECT_EQ(missing_models(dir).size(), 5U);
  std::filesystem::remove_all(dir);
}

TEST(faceModels, CorruptModelIsCorruptNotMissing) {
  const auto models = testing::models_dir();
  if (!models) TTA_SKIP_OR_FAIL_IN_CI() << "face models absent (run scripts/setup)";
  const auto dir = testing::temp_dir("badmodels");
  for (auto name : {kDetectModel, kLandmarkModel, kFeatureModel, kLivenessModel, kEyeModel}) {
    std::filesystem::create_symlink(*models / std::string(name), dir / std::string(name));
  }
  std::filesystem::remove(dir / std::string(kFeatureModel));
  { std::ofstream(dir / std::string(kFeatureModel)) << "this is not an onnx file"; }
  EngineOptions opt;
  opt.models_dir = dir;
  auto e = FaceEngine::load(opt);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::corrupt) << e.error().message;
  std::filesystem::remove_all(dir);
}

TEST(faceModels, CascadeFallbackIsOptInAndLabelled) {
  const auto models = testing::models_dir();
  const auto faces = testing::faces_dir();
  if (!models || !faces) TTA_SKIP_OR_FAIL_IN_CI() << "face models or shared face data absent";
  const auto dir = testing::temp_dir("fallback");
  for (auto name : {kLandmarkModel, kFeatureModel, kLivenessModel, kEyeModel}) {
    std::filesystem::create_symlink(*models / std::string(name), dir / std::string(name));
  }
  EngineOptions opt;
  opt.models_dir = dir;
  auto refused = FaceEngine::load(opt);
  ASSERT_FALSE(refused);  // not silently weaker
  EXPECT_EQ(refused.error().code, Errc::unavailable);
  opt.allow_cascade_fallback = true;
  if (!std::filesystem::exists(opt.cascade_file)) GTEST_SKIP() << "opencv-data cascade absent";
  auto e = FaceEngine::load(opt);
  ASSERT_TRUE(e) << e.error().message;
  auto r =
      e->analyse(to_image(scene_with(load_bgr(*faces / "att" / "s1" / "1.pgm"), 2.5, 200, 100)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->detector, "haar-cascade-fallback");
  EXPECT_FALSE(r->faces.empty());
  std::filesystem::remove_all(dir);
}

// ------------------------------------------------------------------- templates, confidence

TEST(faceTemplate, RoundTripAndRejectsForeignBytes) {
  const std::vector<float> v{0.6F, 0.8F, 0.0F};
  const Template t = make_template(v);
  auto back = template_embedding(t);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
  auto self = compare_templates(t, t);
  ASSERT_TRUE(self);
  EXPECT_NEAR(*self, 1.0, 1e-9);

  EXPECT_EQ(template_embedding(Template{{1, 2, 3}}).error().code, Errc::parse);
  Template truncated = t;
  truncated.bytes.pop_back();
  EXPECT_EQ(template_embedding(truncated).error().code, Errc::parse);
  Template future = t;
  future.bytes[4] = 99;
  EXPECT_EQ(template_embedding(future).error().code, Errc::incompatible);
  const Template other = make_template(std::vector<float>{1, 0});
  EXPECT_EQ(compare_templates(t, other).error().code, Errc::incompatible);
}

TEST(faceConfidence, FiftyAtTheThresholdAndMonotonic) {
  const double t = 0.42;
  EXPECT_EQ(confidence_for(t, t), 50);
  EXPECT_LT(confidence_for(std::nextafter(t, 0.0), t), 50);
  EXPECT_EQ(confidence_for(1.0, t), 100);
  EXPECT_EQ(confidence_for(0.0, t), 0);
  EXPECT_EQ(confidence_for(-0.5, t), 0);
  EXPECT_EQ(confidence_for(std::nan(""), t), 0);
  int prev = -1;
  for (double s = -1; s <= 1.0; s += 0.01) {
    const int c = confidence_for(s, t);
    EXPECT_GE(c, prev);
    EXPECT_LE(c, 100);
    prev = c;
  }
}

}  // namespace
}  // namespace tta::face
