// Face check latency on one core: a 640x480 camera frame to a match decision.
//   cmake -S . -B build-face-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DTTA_BENCH=ON
//   cmake --build build-face-rel --target face_bench && build-face-rel/bench/face_bench
// Needs the models (scripts/setup) and ../shared/data/faces; skips with a message otherwise.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>

#include "tta/face/engine.hpp"
#include "tta/face/image.hpp"

namespace {

using tta::face::FaceEngine;
using tta::face::Image;
using tta::face::PixelFormat;

struct Fixture {
  std::optional<FaceEngine> engine;
  tta::face::Template templ;
  Image frame;  // 640x480 BGR with the probe face in it
  std::string skip;
};

// The probe face scaled (nearest neighbour) to 400 px high and pasted into a 640x480 frame,
// grey expanded to BGR, as a terminal camera sees a person at about 50 cm.
Image camera_frame(const Image& face) {
  Image out;
  out.width = 640;
  out.height = 480;
  out.format = PixelFormat::bgr8;
  out.pixels.assign(static_cast<std::size_t>(640 * 480 * 3), 100);
  const int h = 400, w = face.width * h / face.height;
  const int ox = (640 - w) / 2, oy = (480 - h) / 2;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int sx = x * face.width / w, sy = y * face.height / h;
      const auto src = static_cast<std::size_t>(sy * face.width + sx) *
                       static_cast<std::size_t>(face.channels());
      const auto dst = static_cast<std::size_t>(((oy + y) * 640 + ox + x) * 3);
      for (int c = 0; c < 3; ++c) {
        out.pixels[dst + static_cast<std::size_t>(c)] =
            face.pixels[src + static_cast<std::size_t>(face.channels() == 3 ? c : 0)];
      }
    }
  }
  return out;
}

Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    tta::face::set_inference_threads(1);  // one core
    const std::filesystem::path lfw =
        std::filesystem::path(TTA_SHARED_DATA_DIR) / "faces" / "lfw" / "Abdullah_Gul";
    tta::face::EngineOptions opt;
    opt.models_dir = tta::face::default_models_dir();
    auto engine = FaceEngine::load(opt);
    if (!engine) {
      x.skip = engine.error().message;
      return x;
    }
    auto enrolled = tta::face::load_image(lfw / "Abdullah_Gul_0001.jpg");
    auto probe = tta::face::load_image(lfw / "Abdullah_Gul_0002.jpg");
    if (!enrolled || !probe) {
      x.skip = "shared face data absent (" TTA_SHARED_DATA_DIR "/faces)";
      return x;
    }
    auto en = engine->enrol(*enrolled);
    if (!en) {
      x.skip = en.error().message;
      return x;
    }
    x.templ = en->templ;
    x.frame = camera_frame(*probe);
    x.engine.emplace(std::move(*engine));
    return x;
  }();
  return f;
}

// detect -> gate -> landmarks -> align -> embed -> score -> decision
void BM_FaceVerify640x480(benchmark::State& state) {
  auto& f = fixture();
  if (!f.skip.empty()) {
    state.SkipWithError(f.skip.c_str());
    return;
  }
  for (auto _ : state) {
    auto v = f.engine->verify(f.templ, f.frame);
    if (!v || !v->match) {
      state.SkipWithError("the probe should match");
      return;
    }
    benchmark::DoNotOptimize(v->confidence);
  }
}
BENCHMARK(BM_FaceVerify640x480)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// The same plus the liveness and eye models (what one frame of a check-in costs).
void BM_FaceCheckFrame640x480(benchmark::State& state) {
  auto& f = fixture();
  if (!f.skip.empty()) {
    state.SkipWithError(f.skip.c_str());
    return;
  }
  for (auto _ : state) {
    auto v = f.engine->check(f.templ, std::span<const Image>(&f.frame, 1));
    if (!v) {
      state.SkipWithError(v.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(v->liveness);
  }
}
BENCHMARK(BM_FaceCheckFrame640x480)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// Detection, quality gate and landmarks only.
void BM_FaceAnalyse640x480(benchmark::State& state) {
  auto& f = fixture();
  if (!f.skip.empty()) {
    state.SkipWithError(f.skip.c_str());
    return;
  }
  for (auto _ : state) {
    auto a = f.engine->analyse(f.frame);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_FaceAnalyse640x480)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
