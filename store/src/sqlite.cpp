#include "sqlite.hpp"

namespace tta::store::sql {

Error error_from(int rc, std::string_view message) {
  Errc code = Errc::internal;
  switch (rc & 0xFF) {
    case SQLITE_FULL: code = Errc::disk_full; break;
    case SQLITE_NOTADB: code = Errc::wrong_key; break;  // refined by the caller
    case SQLITE_CORRUPT: code = Errc::corrupt; break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: code = Errc::io; break;
    case SQLITE_PERM:
    case SQLITE_AUTH: code = Errc::permission; break;
    case SQLITE_CONSTRAINT: code = Errc::already_exists; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = Errc::unavailable; break;
    default: break;
  }
  return Error(code, std::string(message) + " (sqlite " + std::to_string(rc) + ")");
}

void Db::close() {
  if (h_ != nullptr) {
    sqlite3_close_v2(h_);
    h_ = nullptr;
  }
}

Error Db::last_error(int rc) const { return error_from(rc, sqlite3_errmsg(h_)); }

Status Db::exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(h_, s.c_str(), nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    Error e = error_from(rc, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return fail(std::move(e));
  }
  return ok();
}

Result<Stmt> Stmt::prepare(const Db& db, std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return fail(db.last_error(rc));
  return Stmt(s, db.get());
}

Stmt::~Stmt() {
  if (s_ == nullptr) return;
  if (in_use_ != nullptr) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(s_);
  }
}

StmtCache::~StmtCache() {
  for (auto& [sql, e] : entries_) {
    sqlite3_finalize(e.stmt);
  }
}

Result<Stmt> StmtCache::get(std::string_view sql) {
  auto it = entries_.find(std::string(sql));
  if (it != entries_.end() && it->second.in_use) return Stmt::prepare(*db_, sql);
  if (it == entries_.end()) {
    auto fresh = Stmt::prepare(*db_, sql);
    if (!fresh) return fail(fresh.error());
    it = entries_.emplace(std::string(sql), Entry{std::exchange(fresh->s_, nullptr), false}).first;
  }
  it->second.in_use = true;
  return Stmt(it->second.stmt, db_->get(), &it->second.in_use);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, std::span<const std::uint8_t> v) {
  sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(error_from(rc, sqlite3_errmsg(db_)));
}

Status Stmt::run() {
  auto r = step();
  if (!r) return fail(r.error());
  return ok();
}

std::optional<std::int64_t> Stmt::opt_i64(int col) const {
  if (sqlite3_column_type(s_, col) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s_, col);
}

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

std::vector<std::uint8_t> Stmt::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
  const int n = sqlite3_column_bytes(s_, col);
  return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

}  // namespace tta::store::sql
