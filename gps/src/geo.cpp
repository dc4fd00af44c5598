#include <algorithm>
#include <cmath>
#include <numbers>

#include "tta/gps/geo.hpp"

namespace tta::gps {

double haversine_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) noexcept {
  constexpr double kRad = std::numbers::pi / 180.0;
  const double dlat = (lat2_deg - lat1_deg) * kRad;
  const double dlon = (lon2_deg - lon1_deg) * kRad;
  const double s1 = std::sin(dlat / 2);
  const double s2 = std::sin(dlon / 2);
  const double a = s1 * s1 + std::cos(lat1_deg * kRad) * std::cos(lat2_deg * kRad) * s2 * s2;
  return 2.0 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

bool point_in_polygon(double lat_deg, double lon_deg, std::span<const config::Fence::Point> polygon,
                      double edge_tolerance_deg) noexcept {
  const std::size_t n = polygon.size();
  if (n < 3) return false;
  const double x = lon_deg, y = lat_deg;
  bool inside = false;
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const double xi = polygon[i].lon_deg, yi = polygon[i].lat_deg;
    const double xj = polygon[j].lon_deg, yj = polygon[j].lat_deg;
    // On the edge (j, i)? Distance from the segment within tolerance.
    const double dx = xi - xj, dy = yi - yj;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((x - xj) * dx + (y - yj) * dy) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const double px = xj + t * dx - x, py = yj + t * dy - y;
    if (px * px + py * py <= edge_tolerance_deg * edge_tolerance_deg) return true;
    // Crossing number with the half-open rule, so a ray through a vertex counts once.
    if ((yi > y) != (yj > y)) {
      const double x_cross = xj + (y - yj) * dx / dy;
      if (x < x_cross) inside = !inside;
    }
  }
  return inside;
}

FenceMonitor::FenceMonitor(std::vector<config::Fence> fences)
    : fences_(std::move(fences)), state_(fences_.size()) {}

std::vector<FenceEvent> FenceMonitor::update(double lat_deg, double lon_deg) {
  std::vector<FenceEvent> events;
  for (std::size_t i = 0; i < fences_.size(); ++i) {
    const bool now = point_in_polygon(lat_deg, lon_deg, fences_[i].points);
    if (!state_[i] || *state_[i] != now) {
      events.push_back({i, now ? FenceEvent::Kind::entered : FenceEvent::Kind::left, !state_[i]});
    }
    state_[i] = now;
  }
  return events;
}

std::optional<bool> FenceMonitor::inside_any() const {
  if (state_.empty() || !state_.front()) return std::nullopt;
  return std::any_of(state_.begin(), state_.end(), [](const auto& s) { return s && *s; });
}

std::optional<bool> FenceMonitor::inside(std::size_t i) const {
  return i < state_.size() ? state_[i] : std::nullopt;
}

}  // namespace tta::gps
