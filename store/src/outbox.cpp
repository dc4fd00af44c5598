#include "tta/store/outbox.hpp"

#include <algorithm>
#include <span>
#include <string>

#include "connection.hpp"

namespace tta::store {

namespace {
std::string outbox_cols(const Connection& c) {
  return std::string("SELECT id, kind, idem_key, payload, state, attempts, next_attempt_ms, "
                     "last_error, created_ms, ") +
         c.marks_col() + ", refusals FROM outbox";
}
}


namespace {
// One state at a time, so that the index outbox_due (state, next_attempt_ms, rowid) gives the
// rows in order and LIMIT stops the scan; `state IN (...) ORDER BY` sorted every queued row
// on every call, which made draining a backlog quadratic.
constexpr std::string_view kDueOf =
    " WHERE state = ?1 AND next_attempt_ms <= ?2 ORDER BY next_attempt_ms, id LIMIT ?3";
constexpr std::string_view kDueOfKind =
    " WHERE state = ?1 AND next_attempt_ms <= ?2 AND substr(kind, 1, ?4) = ?5 "
    "ORDER BY next_attempt_ms, id LIMIT ?3";
}  // namespace



Result<std::int64_t> Outbox::enqueue(const OutboxEntry& e, std::int64_t now_ms) {
  std::int64_t id = 0;
  auto st = c_->transaction([&]() -> Status {
    auto q =
        Stmt::prepare(c_->db, "SELECT id, payload FROM outbox WHERE kind = ? AND idem_key = ?");
    if (!q) return fail(q.error());
    q->bind(1, e.kind).bind(2, e.key);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (*row) {
      if (q->blob(1) != e.payload) {
        return fail(Errc::already_exists,
                    e.kind + " " + e.key + " is already queued with different content");
      }
      id = q->i64(0);
      return ok();
    }
    if (auto r = c_->insert_outbox(e, now_ms); !r) return r;
    id = sqlite3_last_insert_rowid(c_->db.get());
    return ok();
  });
  if (!st) return fail(st.error());
  return id;
}

Result<std::vector<OutboxEntry>> Outbox::due(std::int64_t now_ms, int limit) {
  return due(now_ms, limit, "");
}

Result<std::vector<OutboxEntry>> Outbox::due(std::int64_t now_ms, int limit,
                                            std::string_view kind_prefix) {
  // Queued entries and in-flight ones whose lease ran out, merged by (next_attempt_ms, id).
  std::vector<OutboxEntry> out;
  std::size_t queued = 0;  // out[0, queued) are the queued entries
  for (const std::string_view state : {"queued", "in_flight"}) {
    if (state == "in_flight") queued = out.size();
    auto s = c_->cache.get(outbox_cols(*c_) +
                              std::string(kind_prefix.empty() ? kDueOf : kDueOfKind));
    if (!s) return fail(s.error());
    s->bind(1, state).bind(2, now_ms).bind(3, static_cast<std::int64_t>(limit));
    if (!kind_prefix.empty()) {
      s->bind(4, static_cast<std::int64_t>(kind_prefix.size())).bind(5, kind_prefix);
    }
    if (auto st = s->each([&](const Stmt& r) { out.push_back(Connection::read_outbox(r)); }); !st)
      return fail(st.error());
  }
  const auto mid = out.begin() + static_cast<std::ptrdiff_t>(queued);
  if (mid != out.end()) {
    std::inplace_merge(out.begin(), mid, out.end(), [](const OutboxEntry& a, const OutboxEntry& b) {
      return a.next_attempt_ms != b.next_attempt_ms ? a.next_attempt_ms < b.next_attempt_ms
                                                    : a.id < b.id;
    });
  }
  if (limit >= 0 && out.size() > static_cast<std::size_t>(limit)) {
    out.resize(static_cast<std::size_t>(limit));
  }
  return out;
}

Status Outbox::mark_in_flight(std::int64_t id, std::int64_t now_ms, std::int64_t lease_until_ms) {
  return c_->set_state(id, "state = 'in_flight', next_attempt_ms = ?1", now_ms, lease_until_ms,
                          "");
}

Status Outbox::mark_acked(std::int64_t id, std::int64_t now_ms) {
  return c_->set_state(id, "state = 'acked', last_error = ?2, next_attempt_ms = ?1", now_ms,
                          now_ms, "");
}

Status Outbox::mark_acked(std::span<const std::int64_t> ids, std::int64_t now_ms) {
  return c_->transaction([&]() -> Status {
    for (const auto id : ids) {
      if (auto st = c_->set_state(id, "state = 'acked', last_error = ?2, next_attempt_ms = ?1",
                                     now_ms, now_ms, "");
          !st) {
        return st;
      }
    }
    return ok();
  });
}

Status Outbox::mark_retry(std::int64_t id, std::int64_t now_ms, std::int64_t next_attempt_ms,
                         std::string_view error) {
  return c_->set_state(id,
                          "state = 'queued', attempts = attempts + 1, next_attempt_ms = ?1, "
                          "last_error = ?2",
                          now_ms, next_attempt_ms, error);
}

Result<bool> Outbox::mark_rejected(std::int64_t id, std::int64_t now_ms,
                                   std::int64_t next_attempt_ms, std::string_view reason,
                                   int max_refusals) {
  // One statement: every right-hand side sees the row as it was.
  auto s = Stmt::prepare(
      c_->db,
      "UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, "
      "state = CASE WHEN refusals + 1 >= ?5 THEN 'refused' ELSE 'queued' END, "
      "next_attempt_ms = CASE WHEN refusals + 1 >= ?5 THEN ?3 ELSE ?1 END, "
      "last_error = CASE WHEN refusals + 1 >= ?5 "
      "  THEN 'refused ' || (refusals + 1) || ' times, kept for the administrator: ' || ?2 "
      "  ELSE 'refused (' || (refusals + 1) || ' of ' || ?5 || '), will try again: ' || ?2 END, "
      "updated_ms = ?3 WHERE id = ?4");
  if (!s) return fail(s.error());
  s->bind(1, next_attempt_ms).bind(2, reason).bind(3, now_ms).bind(4, id);
  s->bind(5, static_cast<std::int64_t>(std::max(1, max_refusals)));
  if (auto st = s->run(); !st) return fail(st.error());
  if (sqlite3_changes(c_->db.get()) != 1) {
    return fail(Errc::not_found, "no outbox entry " + std::to_string(id));
  }
  auto e = entry(id);
  if (!e) return fail(e.error());
  return *e && (*e)->state == OutboxState::refused;
}

Status Outbox::mark_refused(std::int64_t id, std::int64_t now_ms, std::string_view reason) {
  return c_->set_state(id, "state = 'refused', next_attempt_ms = ?1, last_error = ?2", now_ms,
                          now_ms, reason);
}

Status Outbox::requeue(std::int64_t id, std::int64_t now_ms) {
  return c_->set_state(id,
                          "state = 'queued', refusals = 0, next_attempt_ms = ?1, "
                          "last_error = ?2 || last_error",
                          now_ms, now_ms, "requeued by administrator; was: ");
}

Result<std::optional<OutboxEntry>> Outbox::entry(std::int64_t id) {
  auto s = Stmt::prepare(c_->db, outbox_cols(*c_) + " WHERE id = ?");
  if (!s) return fail(s.error());
  s->bind(1, id);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<OutboxEntry>();
  return std::optional<OutboxEntry>(Connection::read_outbox(*s));
}

Result<std::optional<OutboxEntry>> Outbox::entry(std::string_view kind,
                                                       std::string_view key) {
  auto s = Stmt::prepare(c_->db, outbox_cols(*c_) + " WHERE kind = ? AND idem_key = ?");
  if (!s) return fail(s.error());
  s->bind(1, kind).bind(2, key);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<OutboxEntry>();
  return std::optional<OutboxEntry>(Connection::read_outbox(*s));
}

Result<std::vector<OutboxEntry>> Outbox::refused(int limit) {
  auto s = Stmt::prepare(c_->db,
                         outbox_cols(*c_) + " WHERE state = 'refused' ORDER BY id LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(Connection::read_outbox(r)); }); !st)
    return fail(st.error());
  return out;
}

namespace {

/// `n` entries in the state spelt `state`, added to the counts (one place for the mapping).
void count_state(OutboxCounts& c, const std::string& state, std::int64_t n) {
  switch (state_from(state)) {
    case OutboxState::queued: c.queued = n; break;
    case OutboxState::in_flight: c.in_flight = n; break;
    case OutboxState::acked: c.acked = n; break;
    case OutboxState::refused: c.refused = n; break;
  }
}

}  // namespace

Result<OutboxCounts> Outbox::counts() {
  // Kept by triggers (schema v5): one row per state, whatever the size of the outbox.
  auto s = Stmt::prepare(c_->db, "SELECT state, n FROM outbox_state_counts");
  if (!s) return fail(s.error());
  OutboxCounts c;
  if (auto st = s->each([&](const Stmt& r) { count_state(c, r.text(0), r.i64(1)); }); !st)
    return fail(st.error());
  return c;
}

Result<OutboxCounts> Outbox::counts(std::string_view kind) {
  if (kind.empty()) return counts();
  auto s = Stmt::prepare(c_->db,
                         "SELECT state, count(*) FROM outbox WHERE kind = ? GROUP BY state");
  if (!s) return fail(s.error());
  s->bind(1, kind);
  OutboxCounts c;
  if (auto st = s->each([&](const Stmt& r) { count_state(c, r.text(0), r.i64(1)); }); !st)
    return fail(st.error());
  return c;
}

Result<std::vector<OutboxKindCounts>> Outbox::counts_by_kind() {
  auto s = Stmt::prepare(c_->db,
                         "SELECT kind, state, count(*) FROM outbox GROUP BY kind, state "
                         "ORDER BY kind");
  if (!s) return fail(s.error());
  std::vector<OutboxKindCounts> out;
  if (auto st = s->each([&](const Stmt& r) {
        const std::string kind = r.text(0);
        if (out.empty() || out.back().kind != kind) out.push_back({.kind = kind, .counts = {}});
        count_state(out.back().counts, r.text(1), r.i64(2));
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::vector<OutboxEntry>> Outbox::pending(int limit) {
  auto s = Stmt::prepare(c_->db, "SELECT id, kind, idem_key, x'', state, attempts, "
                                 "next_attempt_ms, last_error, created_ms, " +
                                     std::string(c_->marks_col()) +
                                     ", refusals FROM outbox WHERE state IN ('queued', "
                                     "'in_flight') ORDER BY id LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(Connection::read_outbox(r)); }); !st)
    return fail(st.error());
  return out;
}

}  // namespace tta::store
