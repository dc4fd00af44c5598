// `face-eval` (threshold calibration over a pairs file) and `face-verify` (one comparison).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
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

// An image of the evaluation, embedded once however many pairs use it.
struct Embedded {
  std::optional<face::Template> templ;
  face::MaybeEmbedding embedding;  // for the terminal protocol
  face::FaceAnalysis analysis;
  double latency_ms = 0;  // detect, gate, landmarks, align, embed (decode excluded)
  std::string error;      // the image could not be read at all
};

struct EvalArgs {
  std::string pairs_file;
  std::string set_dir;
  std::string scores_file;
  std::string protocol = "single";
  double target_far = 0.001;
  std::size_t enrol_k = 2;
  std::size_t probe_n = 3;
  bool no_gates = false;
};

// Thresholds every report lists, around the default.
constexpr double kSweep[] = {0.34, 0.36, 0.38, 0.40, 0.42, 0.44, 0.46, 0.48, 0.50};

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

std::string quality_name(const Embedded& e) {
  return e.error.empty() ? std::string(face::to_string(e.analysis.quality)) : "unreadable";
}

// Quality fields of one image for the scores file.
std::string csv_quality(const Embedded& e) {
  const auto& a = e.analysis;
  const bool has_face = e.error.empty() && !a.faces.empty();
  std::string out = quality_name(e) + ',';
  out += a.pose ? fmt::format("{:.1f},{:.1f},{:.1f}", a.pose->eye_distance_px, a.pose->yaw_deg,
                              a.pose->pitch_deg)
                : std::string(",,");
  out += has_face ? fmt::format(",{:.1f},{:.1f},{:.4f}", a.sharpness, a.brightness,
                                a.clipped_fraction)
                  : std::string(",,,");
  return out;
}

nlohmann::json rates_json(const face::ScoreSet& s, double threshold, double target_far) {
  const auto at = face::rates_at(s, threshold);
  const auto target = face::threshold_for_far(s, target_far);
  nlohmann::json sweep = nlohmann::json::array();
  for (double t : kSweep) {
    const auto r = face::rates_at(s, t);
    sweep.push_back({{"threshold", t}, {"far", r.far}, {"frr", r.frr}});
  }
  return {{"genuine", s.genuine.size()},
          {"impostor", s.impostor.size()},
          {"threshold", at.threshold},
          {"far", at.far},
          {"frr", at.frr},
          {"far_accepted", static_cast<std::size_t>(std::llround(at.far * static_cast<double>(s.impostor.size())))},
          {"frr_rejected", static_cast<std::size_t>(std::llround(at.frr * static_cast<double>(s.genuine.size())))},
          {"target_far", target_far},
          {"threshold_at_target_far", target.threshold},
          {"far_at_target", target.far},
          {"frr_at_target", target.frr},
          {"sweep", sweep}};
}

std::string rates_text(const nlohmann::json& r) {
  std::string out = fmt::format(
      "at threshold {:.4f}: FAR {:.4f}% ({} of {}) FRR {:.4f}% ({} of {})\n",
      r.at("threshold").get<double>(), r.at("far").get<double>() * 100,
      r.at("far_accepted").get<std::size_t>(), r.at("impostor").get<std::size_t>(),
      r.at("frr").get<double>() * 100, r.at("frr_rejected").get<std::size_t>(),
      r.at("genuine").get<std::size_t>());
  out += fmt::format("for FAR <= {:.4f}%: threshold {:.4f} (FAR {:.4f}%, FRR {:.4f}%)\n",
                     r.at("target_far").get<double>() * 100,
                     r.at("threshold_at_target_far").get<double>(),
                     r.at("far_at_target").get<double>() * 100,
                     r.at("frr_at_target").get<double>() * 100);
  out += "threshold   FAR%      FRR%\n";
  for (const auto& row : r.at("sweep")) {
    out += fmt::format("{:<10.2f}  {:<8.4f}  {:.4f}\n", row.at("threshold").get<double>(),
                       row.at("far").get<double>() * 100, row.at("frr").get<double>() * 100);
  }
  return out;
}

nlohmann::json latency_json(const std::vector<double>& ms) {
  return {{"count", ms.size()},
          {"mean", face::describe_scores(ms).mean},
          {"p50", face::percentile(ms, 50)},
          {"p95", face::percentile(ms, 95)},
          {"p99", face::percentile(ms, 99)}};
}

int run_eval(const EvalArgs& ea, const FaceArgs& a) {
  if (ea.pairs_file.empty() == ea.set_dir.empty()) {
    std::cerr << "error: give exactly one of --pairs FILE and --all-pairs DIR\n";
    return kExitUsage;
  }
  const bool terminal = ea.protocol == "terminal";
  if (terminal && ea.set_dir.empty()) {
    std::cerr << "error: --protocol terminal needs a face set (--all-pairs DIR)\n";
    return kExitUsage;
  }
  std::vector<face::Pair> pairs;
  std::vector<face::Identity> set;
  std::filesystem::path base;
  if (!ea.pairs_file.empty()) {
    std::ifstream in(ea.pairs_file, std::ios::binary);
    if (!in) {
      std::cerr << "error: " << ea.pairs_file << ": cannot open\n";
      return kExitUsage;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = face::parse_pairs(ss.str());
    if (!parsed) {
      std::cerr << "error: " << ea.pairs_file << ": " << parsed.error().message << '\n';
      return kExitUsage;
    }
    pairs = std::move(*parsed);
    base = std::filesystem::absolute(ea.pairs_file).parent_path();
  } else {
    auto listed = face::list_face_set(ea.set_dir);
    if (!listed) {
      std::cerr << "error: " << listed.error().message << '\n';
      return kExitUsage;
    }
    set = std::move(*listed);
    pairs = face::all_pairs(set);
  }
  std::ofstream scores_out;
  if (!ea.scores_file.empty()) {
    scores_out.open(ea.scores_file, std::ios::binary | std::ios::trunc);
    if (!scores_out) {
      std::cerr << "error: " << ea.scores_file << ": cannot write\n";
      return kExitUsage;
    }
  }
  face::EngineOptions opt;
  opt.models_dir = a.models.empty() ? face::default_models_dir() : std::filesystem::path(a.models);
  opt.match_threshold = a.threshold;
  if (ea.no_gates) opt = face::without_quality_gates(opt);
  auto engine = face::FaceEngine::load(opt);
  if (!engine) {
    std::cerr << "error: " << engine.error().message << '\n';
    return kExitFailure;
  }

  auto resolve = [&](const std::string& p) {
    const std::filesystem::path path(p);
    return path.is_absolute() || base.empty() ? path : base / path;
  };
  std::map<std::string, Embedded> cache;
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
      e.latency_ms = ms_since(t0);
      if (!r) {
        e.error = r.error().message;
      } else {
        e.templ = r->templ;
        e.analysis = std::move(r->analysis);
        if (e.templ) {
          auto v = face::template_embedding(*e.templ);
          if (v) e.embedding = std::move(*v);
        }
      }
    }
    return cache.emplace(key, std::move(e)).first->second;
  };
  // A set's images first, in its order, so the per-image figures do not depend on pair order.
  for (const auto& id : set) {
    for (const auto& img : id.images)
      (void)embed(img);
  }

  if (scores_out.is_open()) {
    scores_out << "a,b,same,score,quality_a,eye_px_a,yaw_deg_a,pitch_deg_a,sharpness_a,"
                  "brightness_a,clipped_a,quality_b,eye_px_b,yaw_deg_b,pitch_deg_b,sharpness_b,"
                  "brightness_b,clipped_b\n";
  }
  face::ScoreSet scores;
  std::size_t skipped = 0;
  for (const auto& p : pairs) {
    const Embedded& en = embed(p.enrolled);
    const Embedded& pr = embed(p.probe);
    std::optional<double> score;
    if (en.templ && pr.templ) {
      auto s = face::compare_templates(*en.templ, *pr.templ);
      if (!s) {
        std::cerr << "error: " << p.enrolled << " vs " << p.probe << ": " << s.error().message
                  << '\n';
        return kExitFailure;
      }
      score = *s;
      (p.same ? scores.genuine : scores.impostor).push_back(*s);
    } else {
      ++skipped;
    }
    if (scores_out.is_open()) {
      scores_out << csv_field(p.enrolled) << ',' << csv_field(p.probe) << ','
                 << (p.same ? 1 : 0) << ',' << (score ? fmt::format("{:.6f}", *score) : "")
                 << ',' << csv_quality(en) << ',' << csv_quality(pr) << '\n';
    }
  }
  if (scores_out.is_open()) {
    scores_out.flush();
    if (!scores_out) {
      std::cerr << "error: " << ea.scores_file << ": write failed\n";
      return kExitFailure;
    }
  }

  // Images: gate outcomes (the refusal rate) and latency.
  std::size_t unreadable = 0, usable = 0, detected = 0;
  std::map<std::string, std::size_t> quality_counts;
  std::vector<double> latency_ms;
  for (const auto& [path, e] : cache) {
    ++quality_counts[quality_name(e)];
    if (!e.error.empty()) {
      ++unreadable;
      std::cerr << "warning: " << e.error << '\n';
      continue;
    }
    latency_ms.push_back(e.latency_ms);
    if (e.templ) ++usable;
    // Refusals by the quality gate proper: a face was found, alone, but judged unusable.
    const auto q = e.analysis.quality;
    if (q != face::Quality::no_face && q != face::Quality::several_faces) ++detected;
  }
  const std::size_t gate_refused = detected - std::min(detected, usable);
  const std::size_t readable = cache.size() - unreadable;
  const double refusal_rate =
      readable == 0 ? 0.0 : static_cast<double>(readable - usable) / static_cast<double>(readable);
  const double gate_refusal_rate =
      detected == 0 ? 0.0 : static_cast<double>(gate_refused) / static_cast<double>(detected);

  std::vector<std::string> warnings;
  auto warn_impostors = [&](const char* what, std::size_t n) {
    const auto need = face::impostors_needed(ea.target_far);
    if (n < need) {
      warnings.push_back(fmt::format(
          "{}: {} impostor comparisons cannot show FAR <= {:.4f}% (need at least 3 / target = "
          "{}); the FAR figures are not evidence at that level",
          what, n, ea.target_far * 100, need));
    }
  };
  warn_impostors("single pairs", scores.impostor.size());

  nlohmann::json single = rates_json(scores, a.threshold, ea.target_far);
  nlohmann::json term;
  std::vector<double> check_ms;
  if (terminal) {
    std::vector<std::vector<face::MaybeEmbedding>> emb;
    for (const auto& id : set) {
      std::vector<face::MaybeEmbedding> v;
      std::vector<double> lat;
      for (const auto& img : id.images) {
        const Embedded& e = embed(img);
        v.push_back(e.embedding);
        lat.push_back(e.latency_ms);
      }
      // Latency of a check: its n frames, each through the pipeline.
      for (const auto& w : face::probe_windows(lat.size(), ea.probe_n)) {
        double sum = 0;
        for (auto j : w)
          sum += lat[j];
        check_ms.push_back(sum);
      }
      emb.push_back(std::move(v));
    }
    auto r = face::run_terminal_protocol(emb, {ea.enrol_k, ea.probe_n});
    if (!r) {
      std::cerr << "error: " << r.error().message << '\n';
      return kExitUsage;
    }
    term = rates_json(r->scores, a.threshold, ea.target_far);
    term["enrol_k"] = ea.enrol_k;
    term["probe_n"] = ea.probe_n;
    term["templates"] = r->templates;
    term["enrol_refused"] = r->enrol_refused;
    term["genuine_refused"] = r->genuine_refused;
    term["impostor_refused"] = r->impostor_refused;
    term["check_latency_ms"] = latency_json(check_ms);
    warn_impostors("terminal protocol", r->scores.impostor.size());
  }
  for (const auto& w : warnings)
    std::cerr << "warning: " << w << '\n';

  const auto gen = face::describe_scores(scores.genuine);
  const auto imp = face::describe_scores(scores.impostor);
  const auto lat = latency_json(latency_ms);
  if (a.json) {
    nlohmann::json j{{"pairs", pairs.size()},
                     {"genuine", scores.genuine.size()},
                     {"impostor", scores.impostor.size()},
                     {"skipped_pairs", skipped},
                     {"images", cache.size()},
                     {"usable", usable},
                     {"no_face", readable - usable},
                     {"unreadable", unreadable},
                     {"quality", quality_counts},
                     {"quality_gates", !ea.no_gates},
                     {"refusal_rate", refusal_rate},
                     {"gate_refused", gate_refused},
                     {"gate_refusal_rate", gate_refusal_rate},
                     {"threshold", a.threshold},
                     {"far", single.at("far")},
                     {"frr", single.at("frr")},
                     {"target_far", ea.target_far},
                     {"threshold_at_target_far", single.at("threshold_at_target_far")},
                     {"far_at_target", single.at("far_at_target")},
                     {"frr_at_target", single.at("frr_at_target")},
                     {"single", single},
                     {"genuine_scores", to_json(gen)},
                     {"impostor_scores", to_json(imp)},
                     {"latency_ms", lat},
                     {"latency_ms_mean", lat.at("mean")},
                     {"latency_ms_p95", lat.at("p95")},
                     {"warnings", warnings}};
    if (terminal) j["terminal"] = term;
    std::cout << j.dump() << '\n';
    return kExitOk;
  }
  std::cout << fmt::format("pairs: {} ({} genuine, {} impostor scored; {} skipped)\n",
                           pairs.size(), scores.genuine.size(), scores.impostor.size(), skipped)
            << fmt::format("images: {} ({} without a usable face, {} unreadable)\n", cache.size(),
                           readable - usable, unreadable);
  for (const auto& [q, n] : quality_counts)
    std::cout << fmt::format("  {:<14} {}\n", q, n);
  std::cout << fmt::format(
      "quality gates {}: refused {:.2f}% of readable images ({:.2f}% of single faces found)\n",
      ea.no_gates ? "off" : "on", refusal_rate * 100, gate_refusal_rate * 100);
  auto dist = [](const char* name, const face::Distribution& d) {
    return fmt::format(
        "{:<9} n={:<6} min={:.3f} p5={:.3f} median={:.3f} mean={:.3f} "
        "p95={:.3f} max={:.3f}\n",
        name, d.count, d.min, d.p5, d.median, d.mean, d.p95, d.max);
  };
  std::cout << dist("genuine", gen) << dist("impostor", imp) << "single pairs:\n"
            << rates_text(single)
            << fmt::format(
                   "latency per image (decode excluded): mean {:.1f} ms, p50 {:.1f}, p95 {:.1f}, "
                   "p99 {:.1f} ms\n",
                   lat.at("mean").get<double>(), lat.at("p50").get<double>(),
                   lat.at("p95").get<double>(), lat.at("p99").get<double>());
  if (terminal) {
    const auto& cl = term.at("check_latency_ms");
    std::cout << fmt::format(
                     "terminal protocol: enrol from {} images, accept the best of {} probe "
                     "images\n  {} templates ({} enrolments refused), {} genuine checks ({} "
                     "refused), {} impostor checks ({} refused)\n",
                     ea.enrol_k, ea.probe_n, term.at("templates").get<std::size_t>(),
                     term.at("enrol_refused").get<std::size_t>(),
                     term.at("genuine").get<std::size_t>(),
                     term.at("genuine_refused").get<std::size_t>(),
                     term.at("impostor").get<std::size_t>(),
                     term.at("impostor_refused").get<std::size_t>())
              << rates_text(term)
              << fmt::format("latency per check of {} frames: p50 {:.1f} ms, p95 {:.1f}, p99 {:.1f} ms\n",
                             ea.probe_n, cl.at("p50").get<double>(), cl.at("p95").get<double>(),
                             cl.at("p99").get<double>());
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
                                  {"reason_zh", face::describe_zh(e.analysis.quality)},
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

// `face-liveness`: windows of n consecutive images of each identity (sorted by name), each
// checked against a template from the identity's first image, as one check's frames. Every
// window is a real person, so anything but `live` is a false refusal; each rule (passive, blink,
// turn) judges the same frames' cues.
int run_liveness(const std::string& dir, std::size_t n, const FaceArgs& a) {
  auto set = face::list_face_set(dir);
  if (!set) {
    std::cerr << "error: " << set.error().message << '\n';
    return kExitUsage;
  }
  int exit_code = kExitOk;
  auto engine = load_engine(a, exit_code);
  if (!engine) return exit_code;
  const face::LivenessRule base{.model_threshold = engine->options().liveness_threshold,
                                .turn_min_deg = engine->options().turn_min_deg};
  struct Tally {
    std::size_t windows = 0, live = 0, inconclusive = 0, spoof = 0, no_face = 0;
  };
  std::map<face::Challenge, Tally> tally;
  // Which checks each rule passed ("s2 2.pgm-6.pgm"), for --json: finding real sequences that
  // pass a challenge (a test's camera frames) without guessing.
  std::map<face::Challenge, std::vector<std::string>> passed;
  std::vector<double> model_scores, motions, yaw_spans;
  std::size_t identities = 0, unreadable = 0;
  for (const auto& id : *set) {
    if (id.images.size() < n + 1) continue;
    std::vector<face::Image> images;
    for (const auto& name : id.images) {
      auto img = face::load_image(name);  // list_face_set gives each image's path
      if (!img) {
        ++unreadable;
        images.clear();
        break;
      }
      images.push_back(std::move(*img));
    }
    if (images.empty()) continue;
    auto enrolled = engine->enrol(images.front());
    if (!enrolled) continue;  // no usable enrolment image: not a liveness question
    ++identities;
    for (std::size_t w = 1; w + n <= images.size(); ++w) {
      auto v = engine->check(enrolled->templ,
                             std::span<const face::Image>(images).subspan(w, n));
      if (!v) {
        std::cerr << "error: " << id.name << ": " << v.error().message << '\n';
        return kExitFailure;
      }
      for (auto c : {face::Challenge::none, face::Challenge::blink, face::Challenge::turn}) {
        face::LivenessRule rule = base;
        rule.challenge = c;
        const auto r = face::judge_liveness(v->cues, rule);
        auto& t = tally[c];
        ++t.windows;
        if (r.frames == 0) ++t.no_face;
        if (r.outcome == face::Liveness::live) {
          ++t.live;
          const auto file = [&](std::size_t i) {
            return std::filesystem::path(id.images[i]).filename().string();
          };
          passed[c].push_back(id.name + " " + file(w) + "-" + file(w + n - 1));
        }
        if (r.outcome == face::Liveness::inconclusive) ++t.inconclusive;
        if (r.outcome == face::Liveness::spoof) ++t.spoof;
        if (c == face::Challenge::none && r.frames > 0) {
          model_scores.push_back(r.model_score);
          motions.push_back(r.motion);
          yaw_spans.push_back(r.yaw_span_deg);
        }
      }
    }
  }
  nlohmann::json out{{"set", dir},
                     {"frames_per_check", n},
                     {"identities", identities},
                     {"unreadable_images", unreadable},
                     {"liveness_threshold", base.model_threshold},
                     {"turn_min_deg", base.turn_min_deg},
                     {"model_score", to_json(face::describe_scores(model_scores))},
                     {"motion", to_json(face::describe_scores(motions))},
                     {"yaw_span_deg", to_json(face::describe_scores(yaw_spans))}};
  for (const auto& [c, t] : tally) {
    const double refused =
        t.windows == 0 ? 0.0 : static_cast<double>(t.windows - t.live) / static_cast<double>(t.windows);
    out["rules"][std::string(face::to_string(c))] = {
        {"windows", t.windows},   {"live", t.live},       {"inconclusive", t.inconclusive},
        {"spoof", t.spoof},       {"no_face", t.no_face}, {"false_refusal", refused},
        {"passed", passed[c]}};
  }
  if (a.json) {
    std::cout << out.dump() << '\n';
    return kExitOk;
  }
  std::cout << fmt::format(
      "{} identities, checks of {} genuine images (every refusal is a false one)\n"
      "rule      checks  live  inconclusive  spoof  false refusal\n",
      identities, n);
  for (const auto& [name, r] : out["rules"].items()) {
    std::cout << fmt::format("{:<9} {:>6}  {:>4}  {:>12}  {:>5}  {:.1f}%\n", name,
                             r.at("windows").get<std::size_t>(), r.at("live").get<std::size_t>(),
                             r.at("inconclusive").get<std::size_t>(),
                             r.at("spoof").get<std::size_t>(),
                             r.at("false_refusal").get<double>() * 100);
  }
  std::cout << fmt::format("model score median {:.3f} (p5 {:.3f}), motion median {:.4f}, "
                           "yaw span median {:.1f} deg\n",
                           out["model_score"]["median"].get<double>(),
                           out["model_score"]["p5"].get<double>(),
                           out["motion"]["median"].get<double>(),
                           out["yaw_span_deg"]["median"].get<double>());
  return kExitOk;
}

}  // namespace

void add_face_commands(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand(
        "face-eval",
        "Score face pairs (a pairs file or every pair of a set): FAR, FRR, refusals, latency");
    auto args = std::make_shared<FaceArgs>();
    auto ea = std::make_shared<EvalArgs>();
    cmd->add_option("--pairs", ea->pairs_file, "Pairs file, one 'enrolled probe same|diff' a line");
    cmd->add_option("--all-pairs", ea->set_dir,
                    "Face set folder DIR/<identity>/<image>: score every pair of its images");
    cmd->add_option("--scores", ea->scores_file,
                    "Write every pair's score and both images' quality fields to this CSV file");
    cmd->add_option("--protocol", ea->protocol,
                    "single: one image against one; terminal: enrol from k images, accept the "
                    "best of n probe images (needs --all-pairs)")
        ->check(CLI::IsMember({"single", "terminal"}))
        ->capture_default_str();
    cmd->add_option("--enrol-k", ea->enrol_k, "Terminal protocol: images per enrolment")
        ->check(CLI::Range(std::size_t{1}, face::kMaxEnrolImages))
        ->capture_default_str();
    cmd->add_option("--probe-n", ea->probe_n, "Terminal protocol: probe images per check")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10}))
        ->capture_default_str();
    cmd->add_flag("--no-gates", ea->no_gates,
                  "Switch the image-quality gates off (exposure, sharpness, eye distance, pose)");
    cmd->add_option("--target-far", ea->target_far, "False accept rate to find the threshold for")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    add_common(cmd, *args);
    cmd->callback([args, ea, &exit_code] { exit_code = run_eval(*ea, *args); });
  }
  {
    auto* cmd = app.add_subcommand(
        "face-liveness",
        "Liveness on genuine image sequences of a face set: how often each rule (passive, blink, "
        "turn) refuses a real person");
    auto args = std::make_shared<FaceArgs>();
    auto dir = std::make_shared<std::string>();
    auto n = std::make_shared<std::size_t>(5);
    cmd->add_option("--set", *dir, "Face set folder DIR/<identity>/<image>")->required();
    cmd->add_option("--frames", *n, "Images per check (consecutive, sorted by name)")
        ->check(CLI::Range(std::size_t{2}, std::size_t{10}))
        ->capture_default_str();
    add_common(cmd, *args);
    cmd->callback([args, dir, n, &exit_code] { exit_code = run_liveness(*dir, *n, *args); });
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
