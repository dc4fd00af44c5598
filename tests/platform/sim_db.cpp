#include "sim_db.hpp"

#include <sqlite3.h>

namespace tta::sim {
namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

Error db_error(sqlite3* db, const char* what) {
  return Error(Errc::io, std::string(what) + ": " + sqlite3_errmsg(db));
}

std::string col_text(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? reinterpret_cast<const char*>(p) : "";
}
std::vector<std::uint8_t> col_blob(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
  return p ? std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(s, i))
           : std::vector<std::uint8_t>();
}
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void bind_blob(sqlite3_stmt* s, int i, const std::vector<std::uint8_t>& v) {
  sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void bind_opt(sqlite3_stmt* s, int i, const std::optional<std::int64_t>& v) {
  if (v) {
    sqlite3_bind_int64(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}
std::optional<std::int64_t> col_opt(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

}  // namespace

Result<SimDb> SimDb::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    Error e = db_error(db, "opening simulator database");
    sqlite3_close(db);
    return fail(e);
  }
  SimDb sim(db);
  auto st = sim.exec(R"sql(
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    CREATE TABLE IF NOT EXISTS terminals (phone TEXT PRIMARY KEY, terminal_no TEXT NOT NULL,
      certificate BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS minutes (record_no TEXT PRIMARY KEY, terminal_no TEXT,
      student_no TEXT, coach_no TEXT, class_id INTEGER, time_of_day_s INTEGER,
      course_code TEXT, status INTEGER, max_speed INTEGER, mileage INTEGER, resent INTEGER,
      received_ms INTEGER, gnss BLOB);
    CREATE TABLE IF NOT EXISTS photos (photo_no TEXT PRIMARY KEY, terminal_no TEXT,
      person_no TEXT, class_id INTEGER, event INTEGER, confidence INTEGER, jpeg BLOB,
      taken_ms INTEGER);
    CREATE TABLE IF NOT EXISTS sessions (terminal_no TEXT NOT NULL, class_id INTEGER NOT NULL,
      student_no TEXT, coach_no TEXT, course_code TEXT, login_ms INTEGER, logged_out INTEGER,
      logout_ms INTEGER, logout_minutes INTEGER, logout_mileage INTEGER,
      PRIMARY KEY (terminal_no, class_id));
    CREATE TABLE IF NOT EXISTS audit (record_no TEXT PRIMARY KEY, valid INTEGER NOT NULL,
      reasons TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS http_uploads (resource TEXT NOT NULL, idem_key TEXT NOT NULL,
      sha256 TEXT NOT NULL, content BLOB, received_ms INTEGER, PRIMARY KEY (resource, idem_key));
  )sql");
  if (!st) return fail(st.error());
  // A data directory from before photo times were kept: add the column (an error only says
  // it is already there).
  (void)sim.exec("ALTER TABLE photos ADD COLUMN taken_ms INTEGER");
  return sim;
}

SimDb::SimDb(SimDb&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
SimDb::~SimDb() {
  if (db_) sqlite3_close(db_);
}

Status SimDb::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e(Errc::io, msg ? msg : "sqlite error");
    sqlite3_free(msg);
    return fail(e);
  }
  return ok();
}

Status SimDb::save_terminal(const TerminalRow& t) {
  Stmt st;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO terminals VALUES (?, ?, ?)", -1, &st.s, nullptr);
  bind_text(st.s, 1, t.phone);
  bind_text(st.s, 2, t.terminal_no);
  bind_blob(st.s, 3, t.certificate_der);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(db_error(db_, "saving terminal"));
  return ok();
}

Result<std::optional<TerminalRow>> SimDb::terminal_by_phone(const std::string& phone) {
  Stmt st;
  sqlite3_prepare_v2(db_, "SELECT phone, terminal_no, certificate FROM terminals WHERE phone = ?",
                     -1, &st.s, nullptr);
  bind_text(st.s, 1, phone);
  const int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return std::optional<TerminalRow>();
  if (rc != SQLITE_ROW) return fail(db_error(db_, "reading terminal"));
  return std::optional<TerminalRow>(
      TerminalRow{col_text(st.s, 0), col_text(st.s, 1), col_blob(st.s, 2)});
}

Result<bool> SimDb::add_minute(const MinuteRow& m) {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "INSERT OR IGNORE INTO minutes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     -1, &st.s, nullptr);
  bind_text(st.s, 1, m.record_no);
  bind_text(st.s, 2, m.terminal_no);
  bind_text(st.s, 3, m.student_no);
  bind_text(st.s, 4, m.coach_no);
  sqlite3_bind_int64(st.s, 5, m.class_id);
  sqlite3_bind_int64(st.s, 6, m.time_of_day_s);
  bind_text(st.s, 7, m.course_code);
  sqlite3_bind_int64(st.s, 8, m.status);
  sqlite3_bind_int64(st.s, 9, m.max_speed_dkmh);
  sqlite3_bind_int64(st.s, 10, m.mileage_hm);
  sqlite3_bind_int64(st.s, 11, m.resent ? 1 : 0);
  sqlite3_bind_int64(st.s, 12, m.received_ms);
  bind_blob(st.s, 13, m.gnss);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(db_error(db_, "saving minute"));
  return sqlite3_changes(db_) == 1;
}

Result<bool> SimDb::add_photo(const PhotoRow& p) {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "INSERT OR IGNORE INTO photos (photo_no, terminal_no, person_no, class_id, "
                     "event, confidence, jpeg, taken_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     -1, &st.s, nullptr);
  bind_text(st.s, 1, p.photo_no);
  bind_text(st.s, 2, p.terminal_no);
  bind_text(st.s, 3, p.person_no);
  sqlite3_bind_int64(st.s, 4, p.class_id);
  sqlite3_bind_int64(st.s, 5, p.event);
  sqlite3_bind_int64(st.s, 6, p.confidence);
  bind_blob(st.s, 7, p.jpeg);
  bind_opt(st.s, 8, p.taken_ms);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(db_error(db_, "saving photo"));
  return sqlite3_changes(db_) == 1;
}

Result<std::vector<std::string>> SimDb::record_numbers() {
  Stmt st;
  sqlite3_prepare_v2(db_, "SELECT record_no FROM minutes ORDER BY record_no", -1, &st.s, nullptr);
  std::vector<std::string> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out.push_back(col_text(st.s, 0));
  return out;
}

Result<std::vector<MinuteRow>> SimDb::minutes() {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "SELECT record_no, terminal_no, student_no, coach_no, class_id, "
                     "time_of_day_s, course_code, status, max_speed, mileage, resent, "
                     "received_ms, gnss FROM minutes ORDER BY record_no",
                     -1, &st.s, nullptr);
  std::vector<MinuteRow> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    MinuteRow m;
    m.record_no = col_text(st.s, 0);
    m.terminal_no = col_text(st.s, 1);
    m.student_no = col_text(st.s, 2);
    m.coach_no = col_text(st.s, 3);
    m.class_id = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 4));
    m.time_of_day_s = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 5));
    m.course_code = col_text(st.s, 6);
    m.status = static_cast<std::uint8_t>(sqlite3_column_int64(st.s, 7));
    m.max_speed_dkmh = static_cast<std::uint16_t>(sqlite3_column_int64(st.s, 8));
    m.mileage_hm = static_cast<std::uint16_t>(sqlite3_column_int64(st.s, 9));
    m.resent = sqlite3_column_int64(st.s, 10) != 0;
    m.received_ms = sqlite3_column_int64(st.s, 11);
    m.gnss = col_blob(st.s, 12);
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::map<int, std::int64_t>> SimDb::photos_by_event() {
  Stmt st;
  sqlite3_prepare_v2(db_, "SELECT event, count(*) FROM photos GROUP BY event", -1, &st.s, nullptr);
  std::map<int, std::int64_t> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    out[static_cast<int>(sqlite3_column_int64(st.s, 0))] = sqlite3_column_int64(st.s, 1);
  }
  return out;
}

Result<std::vector<PhotoRow>> SimDb::photos_without_jpeg() {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "SELECT photo_no, terminal_no, person_no, class_id, event, confidence, "
                     "taken_ms FROM photos ORDER BY photo_no",
                     -1, &st.s, nullptr);
  std::vector<PhotoRow> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    PhotoRow p;
    p.photo_no = col_text(st.s, 0);
    p.terminal_no = col_text(st.s, 1);
    p.person_no = col_text(st.s, 2);
    p.class_id = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 3));
    p.event = static_cast<std::uint8_t>(sqlite3_column_int64(st.s, 4));
    p.confidence = static_cast<std::uint8_t>(sqlite3_column_int64(st.s, 5));
    p.taken_ms = col_opt(st.s, 6);
    out.push_back(std::move(p));
  }
  return out;
}

Status SimDb::add_login(const SessionRow& s) {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "INSERT OR IGNORE INTO sessions (terminal_no, class_id, student_no, "
                     "coach_no, course_code, login_ms, logged_out, logout_ms, logout_minutes, "
                     "logout_mileage) VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 0, 0)",
                     -1, &st.s, nullptr);
  bind_text(st.s, 1, s.terminal_no);
  sqlite3_bind_int64(st.s, 2, s.class_id);
  bind_text(st.s, 3, s.student_no);
  bind_text(st.s, 4, s.coach_no);
  bind_text(st.s, 5, s.course_code);
  bind_opt(st.s, 6, s.login_ms);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(db_error(db_, "saving login"));
  return ok();
}

Status SimDb::add_logout(const SessionRow& s) {
  // SQLite 3.15: no UPSERT. Make the row when the login never came, then close it.
  Stmt ins;
  sqlite3_prepare_v2(db_,
                     "INSERT OR IGNORE INTO sessions (terminal_no, class_id, student_no, "
                     "coach_no, course_code, login_ms, logged_out, logout_ms, logout_minutes, "
                     "logout_mileage) VALUES (?, ?, ?, '', '', NULL, 0, NULL, 0, 0)",
                     -1, &ins.s, nullptr);
  bind_text(ins.s, 1, s.terminal_no);
  sqlite3_bind_int64(ins.s, 2, s.class_id);
  bind_text(ins.s, 3, s.student_no);
  if (sqlite3_step(ins.s) != SQLITE_DONE) return fail(db_error(db_, "saving logout"));
  Stmt up;
  sqlite3_prepare_v2(db_,
                     "UPDATE sessions SET logged_out = 1, logout_ms = ?, logout_minutes = ?, "
                     "logout_mileage = ? WHERE terminal_no = ? AND class_id = ?",
                     -1, &up.s, nullptr);
  bind_opt(up.s, 1, s.logout_ms);
  sqlite3_bind_int64(up.s, 2, s.logout_minutes);
  sqlite3_bind_int64(up.s, 3, s.logout_mileage_hm);
  bind_text(up.s, 4, s.terminal_no);
  sqlite3_bind_int64(up.s, 5, s.class_id);
  if (sqlite3_step(up.s) != SQLITE_DONE) return fail(db_error(db_, "saving logout"));
  return ok();
}

Result<std::vector<SessionRow>> SimDb::sessions() {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "SELECT terminal_no, class_id, student_no, coach_no, course_code, login_ms, "
                     "logged_out, logout_ms, logout_minutes, logout_mileage FROM sessions "
                     "ORDER BY terminal_no, class_id",
                     -1, &st.s, nullptr);
  std::vector<SessionRow> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    SessionRow s;
    s.terminal_no = col_text(st.s, 0);
    s.class_id = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 1));
    s.student_no = col_text(st.s, 2);
    s.coach_no = col_text(st.s, 3);
    s.course_code = col_text(st.s, 4);
    s.login_ms = col_opt(st.s, 5);
    s.logged_out = sqlite3_column_int64(st.s, 6) != 0;
    s.logout_ms = col_opt(st.s, 7);
    s.logout_minutes = static_cast<std::uint16_t>(sqlite3_column_int64(st.s, 8));
    s.logout_mileage_hm = static_cast<std::uint16_t>(sqlite3_column_int64(st.s, 9));
    out.push_back(std::move(s));
  }
  return out;
}

Status SimDb::save_audit(const std::vector<AuditRow>& rows) {
  if (auto st = exec("BEGIN; DELETE FROM audit;"); !st) return st;
  Stmt st;
  sqlite3_prepare_v2(db_, "INSERT INTO audit VALUES (?, ?, ?)", -1, &st.s, nullptr);
  for (const auto& r : rows) {
    sqlite3_reset(st.s);
    bind_text(st.s, 1, r.record_no);
    sqlite3_bind_int64(st.s, 2, r.valid ? 1 : 0);
    bind_text(st.s, 3, r.reasons);
    if (sqlite3_step(st.s) != SQLITE_DONE) {
      Error e = db_error(db_, "saving audit");
      (void)exec("ROLLBACK");
      return fail(e);
    }
  }
  return exec("COMMIT");
}

Result<std::map<std::string, AuditRow>> SimDb::audit() {
  Stmt st;
  sqlite3_prepare_v2(db_, "SELECT record_no, valid, reasons FROM audit", -1, &st.s, nullptr);
  std::map<std::string, AuditRow> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    AuditRow r{col_text(st.s, 0), sqlite3_column_int64(st.s, 1) != 0, col_text(st.s, 2)};
    out.emplace(r.record_no, std::move(r));
  }
  return out;
}

Result<std::optional<PhotoRow>> SimDb::photo(const std::string& photo_no) {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "SELECT photo_no, terminal_no, person_no, class_id, event, confidence, jpeg, "
                     "taken_ms FROM photos WHERE photo_no = ?",
                     -1, &st.s, nullptr);
  bind_text(st.s, 1, photo_no);
  if (sqlite3_step(st.s) != SQLITE_ROW) return std::optional<PhotoRow>();
  PhotoRow p;
  p.photo_no = col_text(st.s, 0);
  p.terminal_no = col_text(st.s, 1);
  p.person_no = col_text(st.s, 2);
  p.class_id = static_cast<std::uint32_t>(sqlite3_column_int64(st.s, 3));
  p.event = static_cast<std::uint8_t>(sqlite3_column_int64(st.s, 4));
  p.confidence = static_cast<std::uint8_t>(sqlite3_column_int64(st.s, 5));
  p.jpeg = col_blob(st.s, 6);
  p.taken_ms = col_opt(st.s, 7);
  return std::optional<PhotoRow>(std::move(p));
}

Result<SimDb::HttpAdd> SimDb::add_http(const HttpUploadRow& u) {
  Stmt st;
  sqlite3_prepare_v2(db_, "INSERT OR IGNORE INTO http_uploads VALUES (?, ?, ?, ?, ?)", -1, &st.s,
                     nullptr);
  bind_text(st.s, 1, u.resource);
  bind_text(st.s, 2, u.key);
  bind_text(st.s, 3, u.sha256);
  bind_blob(st.s, 4, u.content);
  sqlite3_bind_int64(st.s, 5, u.received_ms);
  if (sqlite3_step(st.s) != SQLITE_DONE) return fail(db_error(db_, "saving HTTPS upload"));
  if (sqlite3_changes(db_) == 1) return HttpAdd::fresh;
  Stmt q;
  sqlite3_prepare_v2(db_, "SELECT sha256 FROM http_uploads WHERE resource = ? AND idem_key = ?",
                     -1, &q.s, nullptr);
  bind_text(q.s, 1, u.resource);
  bind_text(q.s, 2, u.key);
  if (sqlite3_step(q.s) != SQLITE_ROW) return fail(db_error(db_, "reading HTTPS upload"));
  return col_text(q.s, 0) == u.sha256 ? HttpAdd::duplicate : HttpAdd::conflict;
}

Result<std::vector<HttpUploadRow>> SimDb::http_uploads() {
  Stmt st;
  sqlite3_prepare_v2(db_,
                     "SELECT resource, idem_key, sha256, content, received_ms FROM http_uploads "
                     "ORDER BY resource, idem_key",
                     -1, &st.s, nullptr);
  std::vector<HttpUploadRow> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    out.push_back({col_text(st.s, 0), col_text(st.s, 1), col_text(st.s, 2), col_blob(st.s, 3),
                   sqlite3_column_int64(st.s, 4)});
  }
  return out;
}

Result<std::map<std::string, std::int64_t>> SimDb::http_by_resource() {
  Stmt st;
  sqlite3_prepare_v2(db_, "SELECT resource, count(*) FROM http_uploads GROUP BY resource", -1,
                     &st.s, nullptr);
  std::map<std::string, std::int64_t> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out[col_text(st.s, 0)] = sqlite3_column_int64(st.s, 1);
  return out;
}

Result<std::vector<std::vector<std::uint8_t>>> SimDb::terminal_certificates() {
  Stmt st;
  sqlite3_prepare_v2(db_, "SELECT certificate FROM terminals", -1, &st.s, nullptr);
  std::vector<std::vector<std::uint8_t>> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out.push_back(col_blob(st.s, 0));
  return out;
}

}  // namespace tta::sim
