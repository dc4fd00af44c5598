#pragma once
// Thin RAII over the SQLCipher C API, private to the store. Every failing call becomes an
// Error whose kind follows the SQLite result code.

#define SQLITE_HAS_CODEC 1
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tta/core/result.hpp"

namespace tta::store::sql {

/// Map a SQLite result code and message to an Error.
Error error_from(int rc, std::string_view message);

class Db {
 public:
  Db() = default;
  explicit Db(sqlite3* h) : h_(h) {}
  Db(Db&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Db& operator=(Db&& o) noexcept {
    if (this != &o) {
      close();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { close(); }

  [[nodiscard]] sqlite3* get() const { return h_; }
  void close();
  /// Run SQL with no results (may hold several statements).
  [[nodiscard]] Status exec(std::string_view sql);
  /// The last error of this connection as an Error.
  [[nodiscard]] Error last_error(int rc) const;

 private:
  sqlite3* h_ = nullptr;
};

class StmtCache;

class Stmt {
 public:
  static Result<Stmt> prepare(const Db& db, std::string_view sql);
  Stmt(Stmt&& o) noexcept
      : s_(std::exchange(o.s_, nullptr)), db_(o.db_), in_use_(std::exchange(o.in_use_, nullptr)) {}
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, std::span<const std::uint8_t> v);
  Stmt& bind_null(int i);
  template <typename T>
  Stmt& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, static_cast<std::int64_t>(*v));
    return bind_null(i);
  }

  /// Step once: true when a row is ready, false when done.
  [[nodiscard]] Result<bool> step();
  /// Step to completion, expecting no rows.
  [[nodiscard]] Status run();
  /// Step through every row, calling `fn(const Stmt&)` for each.
  template <typename F>
  [[nodiscard]] Status each(F&& fn) {
    while (true) {
      auto row = step();
      if (!row) return fail(row.error());
      if (!*row) return ok();
      fn(static_cast<const Stmt&>(*this));
    }
  }

  [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  [[nodiscard]] std::optional<std::int64_t> opt_i64(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] std::vector<std::uint8_t> blob(int col) const;

 private:
  friend class StmtCache;
  Stmt(sqlite3_stmt* s, sqlite3* db, bool* in_use = nullptr) : s_(s), db_(db), in_use_(in_use) {}
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
  bool* in_use_ = nullptr;  // set when the statement belongs to a StmtCache
};

/// Prepared statements kept for the life of a connection, so that the queries run for every
/// outbox entry are parsed once. A Stmt from `get` is reset and its bindings cleared when it
/// goes out of scope; asking for a statement that is still in use prepares a private one.
/// Only for SQL from a fixed set of strings (the cache never shrinks). Destroy the cache
/// before the Db.
class StmtCache {
 public:
  explicit StmtCache(const Db& db) : db_(&db) {}
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  ~StmtCache();

  [[nodiscard]] Result<Stmt> get(std::string_view sql);

 private:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  const Db* db_;
  std::unordered_map<std::string, Entry> entries_;  // node-based: &Entry::in_use is stable
};

}  // namespace tta::store::sql
