#include "outbox/retention.hpp"

#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

namespace tta::agent {

namespace {
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMiB = 1024 * 1024;

std::int64_t cutoff_ms(WallTime now, std::uint32_t days) {
  return days == 0 ? 0 : unix_millis(now) - static_cast<std::int64_t>(days) * kDayMs;
}

std::string mib(std::int64_t bytes) {
  return std::to_string((bytes + kMiB / 2) / kMiB) + " MiB";
}
}  // namespace

Retention::Retention(store::Store& store, const config::StoreConfig& store_cfg,
                     const config::RetentionConfig& cfg, FreeSpace free_space)
    : store_(store), store_cfg_(store_cfg), cfg_(cfg), free_space_(std::move(free_space)) {
  if (!free_space_) {
    auto folder = store_cfg_.database.parent_path();
    if (folder.empty()) folder = ".";
    free_space_ = [folder]() -> std::optional<std::int64_t> {
      std::error_code ec;
      const auto info = std::filesystem::space(folder, ec);
      if (ec) return std::nullopt;
      return static_cast<std::int64_t>(info.available);
    };
  }
  status_.budget_bytes = static_cast<std::int64_t>(store_cfg_.budget_mb) * kMiB;
}

Retention::~Retention() { stop(); }

Result<bool> Retention::run_once(WallTime now) {
  std::string error;
  bool more = false;
  auto pruned = store_.prune({.minutes_before_ms = cutoff_ms(now, cfg_.minutes_days),
                              .photos_before_ms = cutoff_ms(now, cfg_.photos_days),
                              .events_before_ms = cutoff_ms(now, cfg_.events_days),
                              .batch = static_cast<int>(cfg_.batch)});
  if (pruned) {
    status_.pruned_minutes += pruned->minutes;
    status_.pruned_photos += pruned->photos;
    status_.pruned_sessions += pruned->sessions;
    status_.pruned_events += pruned->events;
    more = pruned->more;
    if (pruned->minutes + pruned->photos + pruned->sessions + pruned->events > 0) {
      spdlog::info("retention: pruned {} minutes, {} photos, {} sessions, {} events, {} outbox "
                   "entries (all acknowledged)",
                   pruned->minutes, pruned->photos, pruned->sessions, pruned->events,
                   pruned->outbox);
    }
  } else {
    error = "prune: " + pruned.error().message;
  }

  const bool was = status_.nearly_full;
  std::string reason;
  if (auto use = store_.storage_use()) {
    status_.used_bytes = use->used_bytes;
    status_.file_bytes = use->file_bytes;
    const std::int64_t budget = status_.budget_bytes;
    if (budget > 0 &&
        use->used_bytes * 100 >= budget * static_cast<std::int64_t>(store_cfg_.nearly_full_percent)) {
      reason = "the database uses " + mib(use->used_bytes) + " of its " + mib(budget) + " budget";
    }
  } else {
    error += (error.empty() ? "" : "; ") + std::string("measuring: ") + use.error().message;
  }
  status_.fs_free_bytes = free_space_();
  if (status_.fs_free_bytes &&
      *status_.fs_free_bytes < static_cast<std::int64_t>(store_cfg_.min_free_mb) * kMiB) {
    reason += (reason.empty() ? "" : "; ") + std::string("only ") + mib(*status_.fs_free_bytes) +
              " free on the file system";
  }
  status_.nearly_full = !reason.empty();
  status_.reason = reason;
  status_.last_error = error;
  if (status_.nearly_full != was) {
    if (status_.nearly_full) {
      spdlog::warn("storage nearly full ({}): timed photos stop, minutes go on", reason);
    } else {
      spdlog::info("storage has room again: timed photos go on");
    }
    if (on_nearly_full_) on_nearly_full_(status_.nearly_full);
  }
  if (!error.empty()) {
    spdlog::error("retention: {}", error);
    return fail(Errc::io, error);
  }
  return more;
}

void Retention::start(Scheduler& timers, std::function<WallTime()> now) {
  now_ = std::move(now);
  timer_ = std::make_unique<Timer>(timers);
  arm(std::chrono::seconds(0));
}

void Retention::arm(std::chrono::seconds after) {
  if (!timer_) return;
  timer_->after(after, [this] {
    auto more = run_once(now_());
    arm(more && *more ? std::chrono::seconds(1) : std::chrono::seconds(cfg_.interval_s));
  });
}

void Retention::stop() {
  if (timer_) timer_->cancel();
}

nlohmann::json Retention::status_json() const {
  const StorageStatus& s = status_;
  return {{"used_bytes", s.used_bytes},
          {"file_bytes", s.file_bytes},
          {"budget_bytes", s.budget_bytes > 0 ? nlohmann::json(s.budget_bytes) : nlohmann::json(nullptr)},
          {"fs_free_bytes", s.fs_free_bytes ? nlohmann::json(*s.fs_free_bytes) : nlohmann::json(nullptr)},
          {"nearly_full", s.nearly_full},
          {"timed_photos", s.nearly_full ? "stopped" : "on"},
          {"reason", s.reason},
          {"pruned", {{"minutes", s.pruned_minutes}, {"photos", s.pruned_photos},
                      {"sessions", s.pruned_sessions}, {"events", s.pruned_events}}},
          {"last_error", s.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_error)}};
}

}  // namespace tta::agent
