#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <system_error>

#include "tta/face/eval.hpp"

namespace tta::face {

Result<std::vector<Pair>> parse_pairs(std::string_view text) {
  std::vector<Pair> pairs;
  std::uint32_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t')
        ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (fields.empty() || fields.front().front() == '#') continue;
    const std::string where = "pairs line " + std::to_string(line_no);
    if (fields.size() != 3) {
      return fail(Errc::parse, where + ": expected 'enrolled probe same|diff', got " +
                                   std::to_string(fields.size()) + " field(s)");
    }
    for (char c : line) {
      if (c == '\0') return fail(Errc::parse, where + ": NUL byte");
    }
    Pair p;
    p.enrolled = std::string(fields[0]);
    p.probe = std::string(fields[1]);
    p.line = line_no;
    if (fields[2] == "same") {
      p.same = true;
    } else if (fields[2] == "diff") {
      p.same = false;
    } else {
      return fail(Errc::parse, where + ": third field must be 'same' or 'diff'");
    }
    pairs.push_back(std::move(p));
  }
  return pairs;
}

Rates rates_at(const ScoreSet& s, double threshold) {
  Rates r;
  r.threshold = threshold;
  const auto accepted =
      std::count_if(s.impostor.begin(), s.impostor.end(), [&](double x) { return x >= threshold; });
  const auto rejected =
      std::count_if(s.genuine.begin(), s.genuine.end(), [&](double x) { return x < threshold; });
  if (!s.impostor.empty())
    r.far = static_cast<double>(accepted) / static_cast<double>(s.impostor.size());
  if (!s.genuine.empty())
    r.frr = static_cast<double>(rejected) / static_cast<double>(s.genuine.size());
  return r;
}

Rates threshold_for_far(const ScoreSet& s, double target_far) {
  if (s.impostor.empty()) return rates_at(s, -1.0);
  std::vector<double> imp = s.impostor;
  std::sort(imp.begin(), imp.end(), std::greater<>());
  // Accepting k impostors is allowed when k / n <= target: the threshold sits just above the
  // (k+1)-th highest impostor score.
  const auto n = imp.size();
  const auto k = static_cast<std::size_t>(std::floor(target_far * static_cast<double>(n) + 1e-9));
  if (k >= n) return rates_at(s, -1.0);
  const double t = std::nextafter(imp[k], 2.0);
  return rates_at(s, t);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(v.size()));
  const auto idx = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
  return v[std::min(idx, v.size() - 1)];
}

Distribution describe_scores(std::vector<double> v) {
  Distribution d;
  d.count = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  d.min = v.front();
  d.max = v.back();
  d.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  d.p5 = percentile(v, 5);
  d.median = percentile(v, 50);
  d.p95 = percentile(v, 95);
  return d;
}

std::size_t impostors_needed(double target_far) noexcept {
  if (!(target_far > 0)) return 0;
  return static_cast<std::size_t>(std::ceil(3.0 / target_far - 1e-9));
}

namespace {
bool is_image_name(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".pgm" || ext == ".ppm";
}
}  // namespace

Result<std::vector<Identity>> list_face_set(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(Errc::not_found, dir.string() + ": not a folder");
  std::vector<Identity> set;
  fs::directory_iterator top(dir, ec);
  if (ec) return fail(Errc::io, dir.string() + ": " + ec.message());
  for (const auto& sub : top) {
    if (!sub.is_directory(ec)) continue;
    Identity id;
    id.name = sub.path().filename().string();
    fs::directory_iterator files(sub.path(), ec);
    if (ec) return fail(Errc::io, sub.path().string() + ": " + ec.message());
    for (const auto& f : files) {
      if (f.is_regular_file(ec) && is_image_name(f.path())) id.images.push_back(f.path().string());
    }
    if (id.images.empty()) continue;
    std::sort(id.images.begin(), id.images.end());
    set.push_back(std::move(id));
  }
  if (set.empty()) {
    return fail(Errc::invalid_argument,
                dir.string() + ": no images in per-identity folders (expected DIR/<name>/<image>)");
  }
  std::sort(set.begin(), set.end(),
            [](const Identity& a, const Identity& b) { return a.name < b.name; });
  return set;
}

std::vector<Pair> all_pairs(const std::vector<Identity>& set) {
  struct Img {
    std::size_t id;
    const std::string* path;
  };
  std::vector<Img> flat;
  for (std::size_t i = 0; i < set.size(); ++i) {
    for (const auto& p : set[i].images)
      flat.push_back({i, &p});
  }
  std::vector<Pair> pairs;
  for (std::size_t a = 0; a < flat.size(); ++a) {
    for (std::size_t b = a + 1; b < flat.size(); ++b) {
      pairs.push_back(Pair{*flat[a].path, *flat[b].path, flat[a].id == flat[b].id, 0});
    }
  }
  return pairs;
}

std::vector<std::vector<std::size_t>> probe_windows(std::size_t m, std::size_t n) {
  std::vector<std::vector<std::size_t>> out;
  if (n == 0 || m < n) return out;
  for (std::size_t start = 0; start < m; ++start) {
    std::vector<std::size_t> w;
    for (std::size_t j = 0; j < n; ++j)
      w.push_back((start + j) % m);
    out.push_back(std::move(w));
  }
  return out;
}

Result<TerminalResult> run_terminal_protocol(
    const std::vector<std::vector<MaybeEmbedding>>& emb, const TerminalProtocol& p) {
  if (p.enrol_k == 0 || p.probe_n == 0) {
    return fail(Errc::invalid_argument, "the terminal protocol needs k >= 1 and n >= 1");
  }
  std::size_t dim = 0;
  for (const auto& id : emb) {
    for (const auto& e : id) {
      if (!e) continue;
      if (e->empty()) return fail(Errc::invalid_argument, "empty embedding");
      if (dim == 0) dim = e->size();
      if (e->size() != dim) return fail(Errc::invalid_argument, "embeddings differ in size");
    }
  }
  constexpr double kRefused = -2.0;
  auto dot = [](const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
      s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
    return s;
  };
  // Best score of a window against a template, or kRefused when no image of it is usable.
  auto best_of = [&](const std::vector<float>& templ, const std::vector<MaybeEmbedding>& imgs,
                     const std::vector<std::size_t>& window) -> std::optional<double> {
    std::optional<double> best;
    for (std::size_t j : window) {
      if (!imgs[j]) continue;
      const double s = dot(templ, *imgs[j]);
      if (!best || s > *best) best = s;
    }
    return best;
  };
  TerminalResult r;
  const std::size_t k = p.enrol_k, n = p.probe_n;
  for (std::size_t i = 0; i < emb.size(); ++i) {
    const auto& imgs = emb[i];
    const std::size_t m = imgs.size();
    if (m < k + n) continue;
    for (std::size_t rot = 0; rot < m; ++rot) {
      // Enrolment: the production rule of FaceEngine::enrol.
      std::vector<double> sum(dim, 0.0);
      std::size_t usable = 0;
      for (std::size_t j = 0; j < k; ++j) {
        const auto& e = imgs[(rot + j) % m];
        if (!e) continue;
        for (std::size_t d = 0; d < dim; ++d)
          sum[d] += static_cast<double>((*e)[d]);
        ++usable;
      }
      if (usable == 0 || usable * 2 < k) {
        ++r.enrol_refused;
        continue;
      }
      double norm = 0;
      for (double x : sum)
        norm += x * x;
      norm = std::sqrt(norm);
      if (!(norm > 0)) {
        ++r.enrol_refused;
        continue;
      }
      std::vector<float> templ(dim);
      for (std::size_t d = 0; d < dim; ++d)
        templ[d] = static_cast<float>(sum[d] / norm);
      ++r.templates;
      // Genuine checks: windows after the enrolment images that do not wrap into them.
      for (std::size_t off = k; off + n <= m; ++off) {
        std::vector<std::size_t> w;
        for (std::size_t j = 0; j < n; ++j)
          w.push_back((rot + off + j) % m);
        const auto s = best_of(templ, imgs, w);
        if (!s) ++r.genuine_refused;
        r.scores.genuine.push_back(s.value_or(kRefused));
      }
      // Impostor checks: every window of every other identity.
      for (std::size_t t = 0; t < emb.size(); ++t) {
        if (t == i) continue;
        for (const auto& w : probe_windows(emb[t].size(), n)) {
          const auto s = best_of(templ, emb[t], w);
          if (!s) ++r.impostor_refused;
          r.scores.impostor.push_back(s.value_or(kRefused));
        }
      }
    }
  }
  return r;
}

}  // namespace tta::face
