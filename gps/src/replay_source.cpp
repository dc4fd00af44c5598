#include <boost/asio/post.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tta/gps/source.hpp"

namespace tta::gps {

namespace {
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::int32_t kDayMs = 86'400'000;
}  // namespace

ReplaySource::ReplaySource(boost::asio::io_context& io, const Clock& clock,
                           std::filesystem::path path, double rate)
    : io_(io), clock_(clock), path_(std::move(path)), rate_(rate), timer_(io),
      alive_(std::make_shared<bool>(true)) {}

ReplaySource::~ReplaySource() {
  *alive_ = false;
  stop();
}

Status ReplaySource::start(FixHandler on_fix) {
  if (running_) return fail(Errc::invalid_argument, "replay source already started");
  if (!(rate_ >= 0)) return fail(Errc::invalid_argument, "replay rate must be >= 0");
  in_.open(path_, std::ios::binary);
  if (!in_) {
    return fail(errno == ENOENT ? Errc::not_found : Errc::io,
                "cannot open " + path_.string() + ": " + std::strerror(errno));
  }
  chunk_.resize(kChunk);
  on_fix_ = std::move(on_fix);
  running_ = true;
  start_mono_ = clock_.mono_now();
  if (rate_ == 0) {
    boost::asio::post(io_, [this, alive = alive_] {
      if (*alive) run_fast();
    });
  } else {
    next_due_ = start_mono_;  // the first fix is due at once
    arm_timer();
  }
  return ok();
}

void ReplaySource::stop() {
  running_ = false;
  timer_.cancel();
}

SourceStats ReplaySource::stats() const {
  SourceStats s;
  s.decode = decoder_.stats();
  s.connected = running_;
  s.connects = in_.is_open() ? 1 : 0;
  s.finished = eof_ && pending_.empty();
  return s;
}

bool ReplaySource::fill() {
  if (eof_) return false;
  const auto push = [this](const Fix& fix) {
    if (last_tod_ms_) {
      std::int32_t delta = fix.time_of_day.ms - *last_tod_ms_;
      if (delta < -kDayMs / 2) delta += kDayMs;  // midnight
      if (delta > 0) virtual_ms_ += delta;        // backwards: no delay, never negative
    }
    last_tod_ms_ = fix.time_of_day.ms;
    pending_.emplace_back(virtual_ms_, fix);
  };
  in_.read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
  const auto n = static_cast<std::size_t>(in_.gcount());
  decoder_.feed(std::span<const char>(chunk_.data(), n), push);
  if (n < chunk_.size()) {
    decoder_.finish(push);
    eof_ = true;
  }
  return true;
}

bool ReplaySource::poll() {
  while (running_) {
    if (pending_.empty() && !fill()) break;
    if (pending_.empty()) continue;
    const auto& [at_ms, fix] = pending_.front();
    if (rate_ > 0) {
      const auto due = start_mono_ + std::chrono::duration_cast<MonoTime::duration>(
                                         std::chrono::duration<double, std::milli>(
                                             static_cast<double>(at_ms) / rate_));
      if (clock_.mono_now() < due) {
        next_due_ = due;
        return true;
      }
    }
    const Fix out = fix;
    pending_.pop_front();
    if (on_fix_) on_fix_(out);
  }
  return !(eof_ && pending_.empty());
}

void ReplaySource::run_fast() {
  if (!running_) return;
  fill();
  while (!pending_.empty() && running_) {
    const Fix out = pending_.front().second;
    pending_.pop_front();
    if (on_fix_) on_fix_(out);
  }
  if (!eof_ && running_) {
    boost::asio::post(io_, [this, alive = alive_] {
      if (*alive) run_fast();
    });
  }
}

void ReplaySource::arm_timer() {
  // Wake at the next fix's due time on the given clock, but at least every 20 ms of real time
  // (a virtual clock moves without telling the timer).
  constexpr std::chrono::milliseconds kMaxTick{20};
  auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(kMaxTick);
  if (next_due_) {
    const auto until = *next_due_ - clock_.mono_now();
    wait = std::clamp(std::chrono::duration_cast<std::chrono::nanoseconds>(until),
                      std::chrono::nanoseconds{0}, wait);
  }
  timer_.expires_after(wait);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || !running_) return;
    if (poll()) arm_timer();
  });
}

}  // namespace tta::gps
