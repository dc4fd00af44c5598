#pragma once
// The store's one connection, shared by Store and its parts (Outbox, Photos, People). Private
// to the store.

#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sqlite.hpp"
#include "tta/core/result.hpp"
#include "tta/store/records.hpp"

namespace tta::store {

using sql::Db;
using sql::Stmt;

inline const char* role_name(Role r) {
  return r == Role::coach ? "coach" : "student";
}
inline Role role_from(std::string_view s) {
  return s == "coach" ? Role::coach : Role::student;
}

inline OutboxState state_from(std::string_view s) {
  if (s == "in_flight") return OutboxState::in_flight;
  if (s == "acked") return OutboxState::acked;
  if (s == "refused") return OutboxState::refused;
  return OutboxState::queued;
}

template <typename T>
std::optional<T> narrow(std::optional<std::int64_t> v) {
  if (!v) return std::nullopt;
  return static_cast<T>(*v);
}

/// The store's one open database and what every part of it shares.
struct Connection {
  Db db;
  std::filesystem::path path;
  sql::StmtCache cache{db};  // after db: finalized before the connection closes

  std::string deny_table;  // fail_writes_for_test
  int depth = 0;  // transactions open: 0 none, 1 BEGIN, more: savepoints inside it
  /// StoreConfig::simulated: every minute, photo and outbox entry written is SIMULATED.
  bool simulated = false;
  /// The schema has the `simulated` columns (v5+; a test may hold the store at an older one).
  bool has_marks = true;
  /// `simulated` as a column to write or read: the column, or a constant 0 before v5.
  [[nodiscard]] const char* marks_col() const { return has_marks ? "simulated" : "0"; }

  /// Run `body` inside BEGIN IMMEDIATE … COMMIT; roll back on any failure. Inside another
  /// transaction it is a savepoint of it, so that Store::transaction can join several writes.
  template <typename F>
  Status transaction(F&& body) {
    const bool outer = depth == 0;
    const std::string sp = "tta_sp" + std::to_string(depth);
    if (!outer && sqlite3_get_autocommit(db.get()) != 0) {
      // SQLite rolled the whole transaction back on an earlier error (disk full, I/O): a
      // write now would commit on its own, outside the transaction it belongs to.
      return fail(Errc::io, "the transaction was rolled back by an earlier error");
    }
    if (auto st = db.exec(outer ? std::string("BEGIN IMMEDIATE") : "SAVEPOINT " + sp); !st) {
      return st;
    }
    ++depth;
    Status st = ok();
    try {
      st = body();
    } catch (const std::exception& e) {
      st = fail(Errc::internal, std::string("exception in a store transaction: ") + e.what());
    } catch (...) {
      st = fail(Errc::internal, "unknown exception in a store transaction");
    }
    --depth;
    if (st) st = db.exec(outer ? std::string("COMMIT") : "RELEASE " + sp);
    if (!st) {
      // A failed statement (disk full) may already have rolled the whole transaction back;
      // ROLLBACK is then not possible and not needed.
      if (sqlite3_get_autocommit(db.get()) == 0) {
        if (outer) {
          (void)db.exec("ROLLBACK");
        } else {
          (void)db.exec("ROLLBACK TO " + sp + "; RELEASE " + sp);
        }
      }
      return st;
    }
    return ok();
  }

  Result<std::int64_t> scalar(std::string_view q) {
    auto s = Stmt::prepare(db, q);
    if (!s) return fail(s.error());
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) return fail(Errc::internal, "no row for: " + std::string(q));
    return s->i64(0);
  }

  Status insert_outbox(const OutboxEntry& e, std::int64_t now_ms) {
    auto s = cache.get(has_marks ? "INSERT INTO outbox (kind, idem_key, payload, state, attempts, "
                                   "next_attempt_ms, last_error, created_ms, updated_ms, simulated) "
                                   "VALUES (?, ?, ?, 'queued', 0, ?, '', ?, ?, ?)"
                                 : "INSERT INTO outbox (kind, idem_key, payload, state, attempts, "
                                   "next_attempt_ms, last_error, created_ms, updated_ms) "
                                   "VALUES (?, ?, ?, 'queued', 0, ?, '', ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, e.kind).bind(2, e.key).bind(3, std::span<const std::uint8_t>(e.payload));
    s->bind(4, e.next_attempt_ms).bind(5, now_ms).bind(6, now_ms);
    if (has_marks) s->bind(7, static_cast<std::int64_t>(e.simulated || simulated ? 1 : 0));
    if (auto st = s->run(); !st) {
      if (st.error().code == Errc::already_exists) {
        return fail(Errc::already_exists, "outbox already holds " + e.kind + " with key " + e.key);
      }
      return st;
    }
    return ok();
  }

  Status set_state(std::int64_t id, std::string_view sql_set, std::int64_t now_ms, std::int64_t a,
                   std::string_view text) {
    auto s = cache.get(std::string("UPDATE outbox SET ") + std::string(sql_set) +
                       ", updated_ms = ?3 WHERE id = ?4");
    if (!s) return fail(s.error());
    s->bind(1, a).bind(2, text).bind(3, now_ms).bind(4, id);
    if (auto st = s->run(); !st) return st;
    if (sqlite3_changes(db.get()) != 1) {
      return fail(Errc::not_found, "no outbox entry " + std::to_string(id));
    }
    return ok();
  }

  static OutboxEntry read_outbox(const Stmt& s) {
    OutboxEntry e;
    e.id = s.i64(0);
    e.kind = s.text(1);
    e.key = s.text(2);
    e.payload = s.blob(3);
    e.state = state_from(s.text(4));
    e.attempts = static_cast<std::int32_t>(s.i64(5));
    e.next_attempt_ms = s.i64(6);
    e.last_error = s.text(7);
    e.created_ms = s.i64(8);
    e.simulated = s.i64(9) != 0;
    e.refusals = static_cast<std::int32_t>(s.i64(10));
    return e;
  }
};

}  // namespace tta::store
