#include <algorithm>
#include <cmath>
#include <numeric>

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

}  // namespace tta::face
