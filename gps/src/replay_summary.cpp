#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include "tta/gps/replay_summary.hpp"

namespace tta::gps {

SummaryBuilder::SummaryBuilder(const config::GpsConfig& cfg)
    : odometer_(odometer_config(cfg)), plausibility_(plausibility_config(cfg)) {
  if (!cfg.fences.empty()) {
    fences_.emplace(cfg.fences);
    s_.outside_fence_s = 0.0;
  }
}

void SummaryBuilder::on_fix(const Fix& fix) {
  const OdometerStep step = odometer_.update(fix);
  switch (step.result) {
    case StepResult::poor_hdop:
    case StepResult::few_satellites: ++s_.poor_quality; break;
    case StepResult::stationary: ++s_.stationary_steps; break;
    case StepResult::jump: ++s_.jumps; break;
    default: break;
  }
  const PlausibilityReport p = plausibility_.on_fix(fix, MonoTime{});
  if (p.has(kSignalPositionJump)) ++s_.position_jumps;
  if (p.has(kSignalFrozenFix)) ++s_.frozen_fixes;
  if (p.has(kSignalTimeBackwards)) ++s_.time_backwards;
  if (minutes_.add(fix, step)) ++s_.minutes;
  if (!step.good_fix()) return;
  ++s_.good_fixes;
  if (fix.has(kFieldSpeed)) {
    s_.max_speed_kmh = std::max(s_.max_speed_kmh.value_or(fix.speed_kmh), fix.speed_kmh);
  }
  const auto t = fix.utc();
  if (t) {
    if (!s_.first_fix_utc) s_.first_fix_utc = t;
    s_.last_fix_utc = t;
  }
  if (fences_) {
    fences_->update(fix.lat_deg, fix.lon_deg);
    if (prev_good_ && prev_outside_) {
      const auto t0 = prev_good_->utc();
      if (t0 && t) {
        const double dt = std::chrono::duration<double>(*t - *t0).count();
        if (dt > 0 && dt <= kMaxFenceGapS) *s_.outside_fence_s += dt;
      }
    }
    prev_outside_ = !fences_->inside_any().value_or(false);
  }
  prev_good_ = fix;
}

ReplaySummary SummaryBuilder::finish(const DecodeStats& decode) {
  if (minutes_.flush()) ++s_.minutes;
  s_.decode = decode;
  s_.distance_m = odometer_.total_m();
  return s_;
}

ReplaySummary summarize_nmea(std::string_view bytes, const config::GpsConfig& cfg) {
  NmeaDecoder decoder(true);
  SummaryBuilder b(cfg);
  const auto on_fix = [&b](const Fix& f) { b.on_fix(f); };
  decoder.feed(std::span<const char>(bytes.data(), bytes.size()), on_fix);
  decoder.finish(on_fix);
  return b.finish(decoder.stats());
}

Result<ReplaySummary> summarize_nmea_file(const std::filesystem::path& path,
                                          const config::GpsConfig& cfg) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? Errc::not_found : Errc::io,
                "cannot open " + path.string() + ": " + std::strerror(err));
  }
  NmeaDecoder decoder(true);
  SummaryBuilder b(cfg);
  const auto on_fix = [&b](const Fix& f) { b.on_fix(f); };
  std::vector<char> buf(256 * 1024);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(Errc::io, "reading " + path.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    decoder.feed(std::span<const char>(buf.data(), static_cast<std::size_t>(n)), on_fix);
  }
  ::close(fd);
  decoder.finish(on_fix);
  return b.finish(decoder.stats());
}

}  // namespace tta::gps
