#pragma once
/// Geodesy and teaching-area fences.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tta/config/config.hpp"

namespace tta::gps {

/// Mean Earth radius (IUGG), metres.
inline constexpr double kEarthRadiusM = 6'371'008.8;

/// Great-circle distance between two WGS-84 points (haversine on the mean sphere; the
/// error against the ellipsoid is under 0.5 %, far below the GNSS noise over a minute).
[[nodiscard]] double haversine_m(double lat1_deg, double lon1_deg, double lat2_deg,
                                 double lon2_deg) noexcept;

/// Is the point inside the polygon? Points ON an edge or a vertex count as INSIDE (within
/// `edge_tolerance_deg`, default 1e-9° ≈ 0.1 mm). The polygon is treated as planar in
/// (lon, lat): right for teaching areas of a few km anywhere in China (no antimeridian, no pole).
/// Fewer than 3 points: never inside.
[[nodiscard]] bool point_in_polygon(double lat_deg, double lon_deg,
                                    std::span<const config::Fence::Point> polygon,
                                    double edge_tolerance_deg = 1e-9) noexcept;

/// A fence crossing.
struct FenceEvent {
  enum class Kind : std::uint8_t { entered, left };
  std::size_t fence = 0;  ///< index into the fences given to FenceMonitor
  Kind kind = Kind::entered;
  bool initial = false;   ///< first determination after start (no previous state)
};

/// Tracks which fences a vehicle is in, from good fixes, and reports entering/leaving.
class FenceMonitor {
 public:
  explicit FenceMonitor(std::vector<config::Fence> fences);
  /// Update with a position; returns the fence events it causes (usually none).
  std::vector<FenceEvent> update(double lat_deg, double lon_deg);
  /// Inside at least one fence at the last update; nullopt before the first.
  [[nodiscard]] std::optional<bool> inside_any() const;
  /// Inside fence `i` at the last update.
  [[nodiscard]] std::optional<bool> inside(std::size_t i) const;
  [[nodiscard]] const std::vector<config::Fence>& fences() const { return fences_; }

 private:
  std::vector<config::Fence> fences_;
  std::vector<std::optional<bool>> state_;
};

}  // namespace tta::gps
