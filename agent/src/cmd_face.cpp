// `face-eval` (threshold calibration over a pairs file) and `face-verify` (one comparison).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/eval.hpp"

namespace tta::agent {
namespace {

struct FaceArgs {
  std::string models;
  double threshold = face::EngineOptions{}.match_threshold;
  bool json = false;
};

void add_common(CLI::App* cmd, FaceArgs& a) {
  cmd->add_option("--models", a.models, "Folder with the ONNX face models")
      ->default_str(face::default_models_dir().string());
  cmd->add_option("--threshold", a.threshold, "Cosine score at or above which faces match")
      ->check(CLI::Range(-1.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("--json", a.json, "One JSON object on standard output");
}

// Load the engine; on missing models say so plainly (face checks are refused).
std::optional<face::FaceEngine> load_engine(const FaceArgs& a, int& exit_code) {
  face::EngineOptions opt;
  opt.models_dir = a.models.empty() ? face::default_models_dir() : std::filesystem::path(a.models);
  opt.match_threshold = a.threshold;
  auto engine = face::FaceEngine::load(opt);
  if (!engine) {
    std::cerr << "error: " << engine.error().message << '\n';
    exit_code = kExitFailure;  // missing models (Errc::unavailable) or a model that does not load
    return std::nullopt;
  }
  return std::move(*engine);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

nlohmann::json to_json(const face::Distribution& d) {
  return {{"count", d.count}, {"min", d.min}, {"p5", d.p5},  {"median", d.median},
          {"mean", d.mean},   {"p95", d.p95}, {"max", d.max}};
}

// An embedded image of the pairs file, computed once however many pairs use it.
struct Embedded {
  std::optional<face::Template> templ;
  face::Quality quality = face::Quality::no_face;
  std::string error;  // the image could not be read at all
};

int run_eval(const std::string& pairs_file, double target_far, const FaceArgs& a) {
  std::ifstream in(pairs_file, std::ios::binary);
  if (!in) {
    std::cerr << "error: " << pairs_file << ": cannot open\n";
    return kExitUsage;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto pairs = face::parse_pairs(ss.str());
  if (!pairs) {
    std::cerr << "error: " << pairs_file << ": " << pairs.error().message << '\n';
    return kExitUsage;
  }
  int exit_code = kExitOk;
  auto engine = load_engine(a, exit_code);
  if (!engine) return exit_code;

  const auto base = std::filesystem::absolute(pairs_file).parent_path();
  auto resolve = [&](const std::string& p) {
    const std::filesystem::path path(p);
    return path.is_absolute() ? path : base / path;
  };
  std::map<std::string, Embedded> cache;
  std::vector<double> latency_ms;
  std::map<std::string, int> quality_counts;
  auto embed = [&](const std::string& name) -> const Embedded& {
    const auto key = resolve(name).string();
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    Embedded e;
    auto img = face::load_image(key);
    if (!img) {
      e.error = img.error().message;
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = engine->embed(*img);
      latency_ms.push_back(ms_since(t0));
      if (!r) {
        e.error = r.error().message;
      } else {
        e.templ = r->templ;
        e.quality = r->analysis.quality;
      }
    }
    ++quality_counts[e.error.empty() ? std::string(face::to_string(e.quality)) : "unreadable"];
    return cache.emplace(key, std::move(e)).first->second;
  };

  face::ScoreSet scores;
  std::size_t skipped = 0;
  for (const auto& p : *pairs) {
    const Embedded& en = embed(p.enrolled);
    const Embedded& pr = embed(p.probe);
    if (!en.templ || !pr.templ) {
      ++skipped;
      continue;
    }
    auto s = face::compare_templates(*en.templ, *pr.templ);
    if (!s) {
      std::cerr << "error: line " << p.line << ": " << s.error().message << '\n';
      return kExitFailure;
    }
    (p.same ? scores.genuine : scores.impostor).push_back(*s);
  }
  std::size_t no_face = 0, unreadable = 0;
  for (const auto& [path, e] : cache) {
    if (!e.error.empty()) {
      ++unreadable;
      std::cerr << "warning: " << e.error << '\n';
    } else if (!e.templ) {
      ++no_face;
    }
  }
  const auto at = face::rates_at(scores, a.threshold);
  const auto target = face::threshold_for_far(scores, target_far);
  const auto gen = face::describe_scores(scores.genuine);
  const auto imp = face::describe_scores(scores.impostor);
  const auto lat = face::describe_scores(latency_ms);
  if (a.json) {
    nlohmann::json j{{"pairs", pairs->size()},
                     {"genuine", scores.genuine.size()},
                     {"impostor", scores.impostor.size()},
                     {"skipped_pairs", skipped},
                     {"images", cache.size()},
                     {"no_face", no_face},
                     {"unreadable", unreadable},
                     {"quality", quality_counts},
                     {"threshold", at.threshold},
                     {"far", at.far},
                     {"frr", at.frr},
                     {"target_far", target_far},
                     {"threshold_at_target_far", target.threshold},
                     {"far_at_target", target.far},
                     {"frr_at_target", target.frr},
                     {"genuine_scores", to_json(gen)},
                     {"impostor_scores", to_json(imp)},
                     {"latency_ms_mean", lat.mean},
                     {"latency_ms_p95", lat.p95}};
    std::cout << j.dump() << '\n';
  } else {
    std::cout << fmt::format("pairs: {} ({} genuine, {} impostor scored; {} skipped)\n",
                             pairs->size(), scores.genuine.size(), scores.impostor.size(), skipped)
              << fmt::format("images: {} ({} without a usable face, {} unreadable)\n", cache.size(),
                             no_face, unreadable);
    for (const auto& [q, n] : quality_counts)
      std::cout << fmt::format("  {:<14} {}\n", q, n);
    auto dist = [](const char* name, const face::Distribution& d) {
      return fmt::format(
          "{:<9} n={:<6} min={:.3f} p5={:.3f} median={:.3f} mean={:.3f} "
          "p95={:.3f} max={:.3f}\n",
          name, d.count, d.min, d.p5, d.median, d.mean, d.p95, d.max);
    };
    std::cout << dist("genuine", gen) << dist("impostor", imp)
              << fmt::format("at threshold {:.4f}: FAR {:.4f}% FRR {:.4f}%\n", at.threshold,
                             at.far * 100, at.frr * 100)
              << fmt::format("for FAR <= {:.4f}%: threshold {:.4f} (FAR {:.4f}%, FRR {:.4f}%)\n",
                             target_far * 100, target.threshold, target.far * 100, target.frr * 100)
              << fmt::format("latency per image (decode excluded): mean {:.1f} ms, p95 {:.1f} ms\n",
                             lat.mean, lat.p95);
  }
  return kExitOk;
}

int run_verify(const std::string& enrolled, const std::string& probe, const FaceArgs& a) {
  int exit_code = kExitOk;
  auto engine = load_engine(a, exit_code);
  if (!engine) return exit_code;
  auto embed = [&](const std::string& file,
                   const char* role) -> std::optional<face::FaceEngine::Embedded> {
    auto img = face::load_image(file);
    if (!img) {
      std::cerr << "error: " << role << " image: " << img.error().message << '\n';
      exit_code = img.error().code == Errc::not_found ? kExitUsage : kExitNoFace;
      return std::nullopt;
    }
    auto r = engine->embed(*img);
    if (!r) {
      std::cerr << "error: " << role << " image " << file << ": " << r.error().message << '\n';
      exit_code = kExitFailure;
      return std::nullopt;
    }
    return std::move(*r);
  };
  auto en = embed(enrolled, "enrolled");
  if (!en) return exit_code;
  auto pr = embed(probe, "probe");
  if (!pr) return exit_code;
  auto report_bad = [&](const face::FaceEngine::Embedded& e, const char* role) {
    if (a.json) {
      std::cout << nlohmann::json{{"match", false},
                                  {"usable", false},
                                  {"image", role},
                                  {"quality", face::to_string(e.analysis.quality)},
                                  {"reason", face::describe(e.analysis.quality)},
                                  {"faces", e.analysis.faces.size()}}
                       .dump()
                << '\n';
    }
    std::cerr << role << " image: no usable face: " << face::describe(e.analysis.quality) << " ("
              << face::to_string(e.analysis.quality) << ")\n";
    return kExitNoFace;
  };
  if (!en->templ) return report_bad(*en, "enrolled");
  if (!pr->templ) return report_bad(*pr, "probe");
  auto s = face::compare_templates(*en->templ, *pr->templ);
  if (!s) {
    std::cerr << "error: " << s.error().message << '\n';
    return kExitFailure;
  }
  const bool match = *s >= a.threshold;
  const auto conf = face::confidence_for(*s, a.threshold);
  if (a.json) {
    std::cout << nlohmann::json{{"match", match},
                                {"usable", true},
                                {"score", *s},
                                {"confidence", conf},
                                {"threshold", a.threshold},
                                {"quality", face::to_string(pr->analysis.quality)},
                                {"enrolled_quality", face::to_string(en->analysis.quality)}}
                     .dump()
              << '\n';
  } else {
    std::cout << fmt::format(
        "match: {}\nscore: {:.4f}\nconfidence: {}\nthreshold: {:.4f}\n"
        "quality: {}\n",
        match ? "yes" : "no", *s, conf, a.threshold, face::to_string(pr->analysis.quality));
  }
  return kExitOk;
}

}  // namespace

void add_face_commands(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand(
        "face-eval", "Score a pairs file (enrolled probe same|diff): FAR, FRR, latency");
    auto args = std::make_shared<FaceArgs>();
    auto pairs = std::make_shared<std::string>();
    auto target = std::make_shared<double>(0.001);
    cmd->add_option("--pairs", *pairs, "Pairs file, one 'enrolled probe same|diff' a line")
        ->required();
    cmd->add_option("--target-far", *target, "False accept rate to find the threshold for")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    add_common(cmd, *args);
    cmd->callback(
        [args, pairs, target, &exit_code] { exit_code = run_eval(*pairs, *target, *args); });
  }
  {
    auto* cmd = app.add_subcommand("face-verify", "Compare a probe image with an enrolled one");
    auto args = std::make_shared<FaceArgs>();
    auto enrolled = std::make_shared<std::string>();
    auto probe = std::make_shared<std::string>();
    cmd->add_option("--enrolled", *enrolled, "Enrolled (reference) image")->required();
    cmd->add_option("--probe", *probe, "Probe image")->required();
    add_common(cmd, *args);
    cmd->callback(
        [args, enrolled, probe, &exit_code] { exit_code = run_verify(*enrolled, *probe, *args); });
  }
}

}  // namespace tta::agent
