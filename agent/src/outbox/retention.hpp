#pragma once
/// Disk for years (issue #14): the retention policy and the storage budget.
///
/// A pass prunes, in small batches, what the platform acknowledged and [retention] no longer
/// keeps (Store::prune: never anything unacknowledged, nor what an open session or a queued
/// teaching log needs), then measures the database against [store] budget_mb and the file
/// system's free space. Nearly full (nearly_full_percent of the budget, or under min_free_mb
/// free): the engines stop asking for timed photos and go on making minutes, and the log and
/// /status say so. Runs on the event loop; `run_once` is the whole pass, for tests.

#include <utility>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/core/scheduler.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

/// What /status shows under "storage".
struct StorageStatus {
  std::int64_t used_bytes = 0;    ///< database pages in use
  std::int64_t file_bytes = 0;    ///< database file (without the WAL)
  std::int64_t budget_bytes = 0;  ///< 0 = no budget
  std::optional<std::int64_t> fs_free_bytes;  ///< free space where the database lives
  bool nearly_full = false;
  std::string reason;  ///< why nearly full, in words; empty when not
  std::int64_t pruned_minutes = 0;  ///< since start
  std::int64_t pruned_photos = 0;
  std::int64_t pruned_sessions = 0;
  std::int64_t pruned_events = 0;
  std::string last_error;  ///< of the last pass; empty when it went through
};

class Retention {
 public:
  /// Free bytes on the database's file system; nullopt when it cannot be told.
  using FreeSpace = std::function<std::optional<std::int64_t>()>;

  /// `free_space` defaults to std::filesystem::space of the database's folder.
  Retention(store::Store& store, const config::StoreConfig& store_cfg,
            const config::RetentionConfig& cfg, FreeSpace free_space = {});
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;
  ~Retention();

  /// Called with true when the store becomes nearly full, false when it has room again.
  void on_nearly_full(std::function<void(bool)> fn) { on_nearly_full_ = std::move(fn); }

  /// One pass at `now`: one batch per kind, then measure. The error of a failed prune or
  /// measurement is returned and kept in status().last_error; the callbacks still run on what
  /// could be measured. Returns whether a kind filled its batch (another pass has work).
  [[nodiscard]] Result<bool> run_once(WallTime now);

  /// Pass every [retention] interval_s on `io`, the first right away; a pass that filled a
  /// batch is followed by the next one a second later, so a backlog drains in short steps.
  void start(Scheduler& timers, std::function<WallTime()> now);
  void stop();

  [[nodiscard]] const StorageStatus& status() const { return status_; }
  /// status() as JSON for /status (the daemon puts it under "storage").
  [[nodiscard]] nlohmann::json status_json() const;

 private:
  void arm(std::chrono::seconds after);

  store::Store& store_;
  config::StoreConfig store_cfg_;
  config::RetentionConfig cfg_;
  FreeSpace free_space_;
  std::function<void(bool)> on_nearly_full_;
  StorageStatus status_;
  std::unique_ptr<Timer> timer_;
  std::function<WallTime()> now_;
};

}  // namespace tta::agent
