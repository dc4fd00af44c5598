#pragma once
/// The outbox: everything waiting for a platform, keyed by its natural idempotency key, with
/// its delivery state. The forwarders take what is due and mark what became of it.
///
/// A part of the store (tta/store/store.hpp): reached as `store.outbox()`, over the store's one
/// connection; valid while the store is. Writes join a transaction the store has open
/// (Store::transaction).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/store/records.hpp"

namespace tta::store {

struct Connection;  // store/src/connection.hpp

class Outbox {
 public:
  /// Queue an entry. Same (kind, key) with the same payload again: returns the existing id.
  /// Same key with a different payload: Errc::already_exists (the platform must never see
  /// two contents under one key).
  [[nodiscard]] Result<std::int64_t> enqueue(const OutboxEntry& e, std::int64_t now_ms);
  /// Entries to send now: queued ones due, and in-flight ones whose lease ran out (a crash
  /// mid-send), oldest first.
  [[nodiscard]] Result<std::vector<OutboxEntry>> due(std::int64_t now_ms, int limit);
  /// The same, only kinds starting with `kind_prefix` (e.g. "http."), so one sender's
  /// backlog never hides another's entries.
  [[nodiscard]] Result<std::vector<OutboxEntry>> due(std::int64_t now_ms, int limit,
                                                     std::string_view kind_prefix);
  /// Being sent: not due again before `lease_until_ms` (a crash mid-send leaves it to lapse).
  [[nodiscard]] Status mark_in_flight(std::int64_t id, std::int64_t now_ms,
                                      std::int64_t lease_until_ms);
  /// The platform acknowledged it.
  [[nodiscard]] Status mark_acked(std::int64_t id, std::int64_t now_ms);
  /// Mark several entries acked in one transaction (the forwarder batches acks).
  [[nodiscard]] Status mark_acked(std::span<const std::int64_t> ids, std::int64_t now_ms);
  /// Back to the queue after a failed attempt (counts the attempt).
  [[nodiscard]] Status mark_retry(std::int64_t id, std::int64_t now_ms,
                                  std::int64_t next_attempt_ms, std::string_view error);
  /// The platform refused this attempt (a non-zero ack result): counts a refusal and an
  /// attempt; below `max_refusals` back to the queue at `next_attempt_ms`, else refused for
  /// good. Returns whether it is now refused. `last_error` says which, with `reason`.
  [[nodiscard]] Result<bool> mark_rejected(std::int64_t id, std::int64_t now_ms,
                                           std::int64_t next_attempt_ms, std::string_view reason,
                                           int max_refusals);
  /// The platform refused it for good (`reason` is kept for the administrator).
  [[nodiscard]] Status mark_refused(std::int64_t id, std::int64_t now_ms, std::string_view reason);
  /// Put a refused entry back in the queue (an administrator's retry), its refusals cleared.
  [[nodiscard]] Status requeue(std::int64_t id, std::int64_t now_ms);
  /// The entry with this id, in whatever state.
  [[nodiscard]] Result<std::optional<OutboxEntry>> entry(std::int64_t id);
  /// The entry of `kind` under `key`, in whatever state.
  [[nodiscard]] Result<std::optional<OutboxEntry>> entry(std::string_view kind,
                                                                std::string_view key);
  /// Refused entries, oldest first, at most `limit`.
  [[nodiscard]] Result<std::vector<OutboxEntry>> refused(int limit = 1000);
  /// Entries per state, from counters kept by trigger (no scan).
  [[nodiscard]] Result<OutboxCounts> counts();
  /// The same for one kind of entry (e.g. "tcp.0203").
  [[nodiscard]] Result<OutboxCounts> counts(std::string_view kind);
  /// Counts per kind and state, kinds in order.
  [[nodiscard]] Result<std::vector<OutboxKindCounts>> counts_by_kind();
  /// Queued and in-flight entries, oldest first, without their payloads (left empty).
  [[nodiscard]] Result<std::vector<OutboxEntry>> pending(int limit);

 private:
  friend class Store;
  explicit Outbox(Connection* c) : c_(c) {}
  Connection* c_;
};

}  // namespace tta::store
