#include "tta/store/store.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <set>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include "connection.hpp"
#include "schema.hpp"
#include "sqlite.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::store {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kKeyBytes = 32;
// Cipher parameters are set explicitly so the file stays readable by later SQLCipher
// versions (4.x needs the same values, or cipher_compatibility = 3).
constexpr int kCipherPageSize = 4096;
constexpr std::string_view kCipherPragmas =
    "PRAGMA cipher = 'aes-256-cbc';"
    "PRAGMA kdf_iter = 64000;"
    "PRAGMA fast_kdf_iter = 2;"
    "PRAGMA cipher_page_size = 4096;"
    "PRAGMA cipher_use_hmac = ON;";

/// Wipes a secret on scope exit.
struct Secret {
  std::vector<std::uint8_t> bytes;
  std::string text;
  ~Secret() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

// A short fingerprint of the key, kept beside the database, so that a failed open can tell
// "wrong key" from "damaged file". It is a hash of the key, useless to an attacker.
fs::path keyid_path(const fs::path& db) {
  return fs::path(db.string() + ".keyid");
}

std::string key_fingerprint(const std::vector<std::uint8_t>& key) {
  static constexpr std::string_view kDomain = "tta-store-key-id-v1";
  std::vector<std::uint8_t> buf(kDomain.begin(), kDomain.end());
  buf.insert(buf.end(), key.begin(), key.end());
  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(buf.data(), buf.size(), digest);
  OPENSSL_cleanse(buf.data(), buf.size());
  return to_hex(std::span<const std::uint8_t>(digest, 8));
}

std::optional<std::string> read_keyid(const fs::path& db) {
  std::ifstream in(keyid_path(db));
  std::string s;
  if (in >> s) return s;
  return std::nullopt;
}

Status write_keyid(const fs::path& db, const std::vector<std::uint8_t>& key) {
  const std::string fp = key_fingerprint(key) + "\n";
  auto st = write_secret_file(keyid_path(db), std::vector<std::uint8_t>(fp.begin(), fp.end()));
  if (!st && st.error().code == Errc::already_exists) return ok();
  return st;
}

Result<std::vector<std::uint8_t>> load_key(const fs::path& key_file) {
  auto key = read_secret_file(key_file);
  if (!key) return fail(key.error());
  if (key->size() != kKeyBytes) {
    const auto n = key->size();
    OPENSSL_cleanse(key->data(), key->size());
    return fail(Errc::permission, key_file.string() + " must hold exactly 32 bytes, it holds " +
                                      std::to_string(n) + "; it is not a tta key file");
  }
  return key;
}

}  // namespace

int current_schema_version() {
  return schema::migrations().back().version;
}

namespace {

/// Open a connection on an existing or new file, key it, and prove the key works.
Result<Db> open_keyed(const fs::path& path, const std::vector<std::uint8_t>* key, bool create) {
  const bool existed = fs::exists(path);
  if (existed) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return fail(Errc::io, path.string() + ": " + ec.message());
    if (size == 0) {
      return fail(Errc::corrupt, path.string() +
                                     " is empty (0 bytes): not a tta database. It was left as "
                                     "it is; move it away to start a new one.");
    }
    if (size % kCipherPageSize != 0) {
      return fail(Errc::corrupt,
                  path.string() + " is truncated or damaged: " + std::to_string(size) +
                      " bytes is not a whole number of " + std::to_string(kCipherPageSize) +
                      "-byte pages. It was left as it is.");
    }
  } else if (!create) {
    return fail(Errc::not_found,
                path.string() + " does not exist; run `tta-agent init --config FILE` first");
  }
  sqlite3* h = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &h, flags, nullptr);
  Db db(h);
  if (rc != SQLITE_OK) {
    return fail(sql::error_from(rc, h ? sqlite3_errmsg(h) : "cannot open").context(path.string()));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  if (key != nullptr) {
    Secret raw;
    raw.text = "x'" + to_hex(*key) + "'";
    if (sqlite3_key(db.get(), raw.text.data(), static_cast<int>(raw.text.size())) != SQLITE_OK) {
      return fail(Errc::internal, "sqlite3_key failed: is this SQLCipher?");
    }
    if (auto st = db.exec(kCipherPragmas); !st) return fail(st.error().context("cipher settings"));
  }
  // The first read proves the key: SQLCipher authenticates page 1 with its HMAC.
  if (auto st = db.exec("SELECT count(*) FROM sqlite_master"); !st) {
    if (st.error().code != Errc::wrong_key) return fail(st.error().context(path.string()));
    if (key != nullptr) {
      const auto known = read_keyid(path);
      if (known && *known == key_fingerprint(*key)) {
        return fail(Errc::corrupt, path.string() +
                                       " is damaged: its first page fails authentication with "
                                       "the right key. It was left as it is.");
      }
    }
    return fail(Errc::wrong_key,
                "the key does not match " + path.string() +
                    " (the file was not changed); use the key file it was created with");
  }
  return db;
}

Status migrate(Db& db, int target) {
  auto s = Stmt::prepare(db, "PRAGMA user_version");
  if (!s) return fail(s.error());
  auto row = s->step();
  if (!row) return fail(row.error());
  const int have = static_cast<int>(s->i64(0));
  const int newest = current_schema_version();
  if (have > newest) {
    return fail(Errc::incompatible,
                "schema version " + std::to_string(have) + " is newer than this tta understands (" +
                    std::to_string(newest) + "); upgrade tta. The file was not changed.");
  }
  for (const auto& m : schema::migrations()) {
    if (m.version <= have || m.version > target) continue;
    std::string sql = "BEGIN IMMEDIATE;";
    sql += m.sql;
    sql += "PRAGMA user_version = " + std::to_string(m.version) + ";COMMIT;";
    if (auto st = db.exec(sql); !st) {
      (void)db.exec("ROLLBACK");
      return fail(st.error().context("migrating to schema " + std::to_string(m.version)));
    }
  }
  return ok();
}

}  // namespace

Result<Store> Store::open(const config::StoreConfig& cfg, OpenOptions opts) {
  const fs::path& path = cfg.database;
  std::vector<std::uint8_t> key_bytes;
  {
    auto key = load_key(cfg.key_file);
    if (!key && key.error().code == Errc::not_found && !opts.create) {
      return fail(Errc::not_found,
                  key.error().message + "; run `tta-agent init --config FILE` to create it");
    }
    if (!key) return fail(key.error());
    key_bytes = std::move(*key);
  }
  Secret guard;
  guard.bytes = key_bytes;
  OPENSSL_cleanse(key_bytes.data(), key_bytes.size());
  const bool existed = fs::exists(path);
  auto db = open_keyed(path, &guard.bytes, opts.create);
  if (!db) return fail(db.error());
  // Only now that the key is proven may anything be written.
  if (auto st = db->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
      !st) {
    return fail(st.error().context(path.string()));
  }
  if (auto st = migrate(*db, opts.migrate_to > 0 ? opts.migrate_to : current_schema_version());
      !st) {
    return fail(st.error().context(path.string()));
  }
  if (!existed || !read_keyid(path)) {
    if (auto st = write_keyid(path, guard.bytes); !st) return fail(st.error());
  }
  auto impl = std::make_unique<Connection>();
  impl->db = std::move(*db);
  impl->path = path;
  impl->simulated = cfg.simulated;
  impl->has_marks = (opts.migrate_to > 0 ? opts.migrate_to : current_schema_version()) >= 5;
  return Store(std::move(impl));
}

Result<Store> Store::open_unencrypted_for_benchmark(const fs::path& database) {
  auto db = open_keyed(database, nullptr, true);
  if (!db) return fail(db.error());
  if (auto st = db->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         "PRAGMA foreign_keys = ON; PRAGMA page_size = 4096;");
      !st) {
    return fail(st.error());
  }
  if (auto st = migrate(*db, current_schema_version()); !st) return fail(st.error());
  auto impl = std::make_unique<Connection>();
  impl->db = std::move(*db);
  impl->path = database;
  return Store(std::move(impl));
}

Status init_store(const config::StoreConfig& cfg) {
  if (!fs::exists(cfg.key_file)) {
    if (fs::exists(cfg.database)) {
      return fail(Errc::wrong_key, cfg.database.string() + " exists but its key file " +
                                       cfg.key_file.string() +
                                       " does not; refusing to make a new key for it");
    }
    std::error_code ec;
    fs::create_directories(cfg.key_file.parent_path(), ec);
    auto key = random_bytes(kKeyBytes);
    if (!key) return fail(key.error());
    Secret guard;
    guard.bytes = std::move(*key);
    if (auto st = write_secret_file(cfg.key_file, guard.bytes); !st) return st;
  }
  std::error_code ec;
  fs::create_directories(cfg.database.parent_path(), ec);
  auto store = Store::open(cfg, OpenOptions{.create = true, .migrate_to = 0});
  if (!store) return fail(store.error());
  return ok();
}

Store::Store(std::unique_ptr<Connection> impl)
    : impl_(std::move(impl)), outbox_(impl_.get()), photos_(impl_.get()), people_(impl_.get()) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<int> Store::schema_version() {
  auto v = impl_->scalar("PRAGMA user_version");
  if (!v) return fail(v.error());
  return static_cast<int>(*v);
}

namespace {

/// PRAGMA integrity_check / quick_check: "ok", or the problems it lists. SQLCipher reports a
/// page whose HMAC fails as a generic error: during a check any failure to read a page means
/// the file is damaged.
Result<std::string> pragma_check(Connection& c, std::string_view pragma, std::string_view what) {
  auto s = Stmt::prepare(c.db, "PRAGMA " + std::string(pragma));
  if (!s) return fail(s.error());
  std::string out;
  while (true) {
    auto row = s->step();
    if (!row) {
      return fail(Errc::corrupt, std::string(what) + " of " + c.path.string() +
                                     " could not read every page (" + row.error().message +
                                     "): the file is damaged. It was left as it is.");
    }
    if (!*row) break;
    if (!out.empty()) out += "; ";
    out += s->text(0);
  }
  return out;
}

}  // namespace

Result<std::string> Store::integrity_check() {
  return pragma_check(*impl_, "integrity_check", "integrity check");
}

Result<std::string> Store::quick_check() { return pragma_check(*impl_, "quick_check", "quick check"); }

Status Store::transaction(const std::function<Status()>& body) {
  return impl_->transaction([&]() -> Status { return body(); });
}

Result<std::string> Store::cipher_summary() {
  auto s = Stmt::prepare(impl_->db, "PRAGMA cipher_version");
  if (!s) return fail(s.error());
  auto row = s->step();
  if (!row) return fail(row.error());
  const std::string version = *row ? s->text(0) : "unknown";
  return "SQLCipher " + version + ", aes-256-cbc, HMAC-SHA1 per page, " +
         std::to_string(kCipherPageSize) + "-byte pages, raw 256-bit key";
}

Result<std::int64_t> Store::begin_session(const TrainingSession& t) {
  std::int64_t id = 0;
  auto st = impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db,
                           "INSERT INTO training_sessions (class_id, mode, student_no, coach_no, "
                           "course_code, started_ms, ended_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, static_cast<std::int64_t>(t.class_id)).bind(2, t.mode).bind(3, t.student_no);
    if (t.coach_no.empty()) {
      s->bind_null(4);
    } else {
      s->bind(4, t.coach_no);
    }
    s->bind(5, t.course_code).bind(6, t.started_ms).bind(7, t.ended_ms);
    if (auto r = s->run(); !r) return r;
    id = sqlite3_last_insert_rowid(impl_->db.get());
    return ok();
  });
  if (!st) return fail(st.error());
  return id;
}

Status Store::end_session(std::int64_t session_id, std::int64_t ended_ms) {
  return impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db, "UPDATE training_sessions SET ended_ms = ? WHERE id = ?");
    if (!s) return fail(s.error());
    s->bind(1, ended_ms).bind(2, session_id);
    if (auto r = s->run(); !r) return r;
    if (sqlite3_changes(impl_->db.get()) != 1) {
      return fail(Errc::not_found, "no training session " + std::to_string(session_id));
    }
    return ok();
  });
}

Result<std::optional<TrainingSession>> Store::find_session(std::int64_t session_id) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT id, class_id, mode, student_no, coalesce(coach_no, ''), "
                         "course_code, started_ms, ended_ms FROM training_sessions WHERE id = ?");
  if (!s) return fail(s.error());
  s->bind(1, session_id);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<TrainingSession>();
  TrainingSession t;
  t.id = s->i64(0);
  t.class_id = static_cast<std::uint32_t>(s->i64(1));
  t.mode = s->text(2);
  t.student_no = s->text(3);
  t.coach_no = s->text(4);
  t.course_code = s->text(5);
  t.started_ms = s->i64(6);
  t.ended_ms = s->opt_i64(7);
  return std::optional<TrainingSession>(std::move(t));
}

Result<std::vector<TrainingSession>> Store::open_sessions(std::string_view mode) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT id, class_id, mode, student_no, coalesce(coach_no, ''), "
                         "course_code, started_ms FROM training_sessions "
                         "WHERE ended_ms IS NULL AND mode = ? ORDER BY id");
  if (!s) return fail(s.error());
  s->bind(1, mode);
  std::vector<TrainingSession> out;
  if (auto st = s->each([&](const Stmt& r) {
        out.push_back(TrainingSession{.id = r.i64(0),
                                      .class_id = static_cast<std::uint32_t>(r.i64(1)),
                                      .mode = r.text(2), .student_no = r.text(3),
                                      .coach_no = r.text(4), .course_code = r.text(5),
                                      .started_ms = r.i64(6), .ended_ms = std::nullopt});
      });
      !st)
    return fail(st.error());
  return out;
}

Status Store::add_minute(const MinuteRecord& m, const OutboxEntry& out) {
  return impl_->transaction([&]() -> Status {
    // The mark is a constant in the statement (0 before schema v5, which has no column).
    auto s = impl_->cache.get(
        std::string("INSERT INTO minutes (record_no, session_id, minute_ms, status, "
                    "max_speed_dkmh, mileage_hm, lat_e6, lon_e6, gnss_speed_dkmh, "
                    "sensor_speed_dkmh, heading_deg, odometer_hm, engine_rpm, gnss_time_ms, flags, "
                    "counted") +
        (impl_->has_marks ? ", simulated" : "") +
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" +
        (impl_->has_marks ? (impl_->simulated ? ", 1)" : ", 0)") : ")"));
    if (!s) return fail(s.error());
    s->bind(1, m.record_no).bind(2, m.session_id).bind(3, m.minute_ms);
    s->bind(4, static_cast<std::int64_t>(m.status)).bind(5, m.max_speed_dkmh);
    s->bind(6, m.mileage_hm).bind(7, m.lat_e6).bind(8, m.lon_e6).bind(9, m.gnss_speed_dkmh);
    s->bind(10, m.sensor_speed_dkmh).bind(11, m.heading_deg).bind(12, m.odometer_hm);
    s->bind(13, m.engine_rpm).bind(14, m.gnss_time_ms).bind(15, m.flags);
    s->bind(16, static_cast<std::int64_t>(m.counted ? 1 : 0));
    if (auto r = s->run(); !r) {
      if (r.error().code == Errc::already_exists) {
        return fail(Errc::already_exists, "minute " + m.record_no + " is already stored");
      }
      return r;
    }
    // Made when the minute was complete (its end), which the caller names; the re-send
    // flag compares it with the time of sending.
    return impl_->insert_outbox(out, out.created_ms != 0 ? out.created_ms : m.minute_ms);
  });
}

Result<std::vector<std::string>> Store::minute_record_numbers() {
  auto s = Stmt::prepare(impl_->db, "SELECT record_no FROM minutes ORDER BY record_no");
  if (!s) return fail(s.error());
  std::vector<std::string> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(r.text(0)); }); !st)
    return fail(st.error());
  return out;
}

Result<Store::SimulatedCounts> Store::simulated_counts() {
  if (!impl_->has_marks) return SimulatedCounts{};  // before v5 nothing was marked
  auto s = Stmt::prepare(impl_->db,
                         "SELECT (SELECT count(*) FROM minutes WHERE simulated = 1), "
                         "(SELECT count(*) FROM photos WHERE simulated = 1), "
                         "(SELECT count(*) FROM outbox WHERE simulated = 1)");
  if (!s) return fail(s.error());
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::internal, "counting simulated rows gave no row");
  return SimulatedCounts{.minutes = s->i64(0), .photos = s->i64(1), .outbox = s->i64(2)};
}

Result<std::int64_t> Store::counted_minutes(std::string_view student_no, std::string_view mode,
                                            std::int64_t from_ms, std::int64_t to_ms) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT count(*) FROM minutes m JOIN training_sessions t "
                         "ON m.session_id = t.id WHERE t.student_no = ? AND t.mode = ? "
                         "AND m.counted = 1 AND m.minute_ms >= ? AND m.minute_ms < ?");
  if (!s) return fail(s.error());
  s->bind(1, student_no).bind(2, mode).bind(3, from_ms).bind(4, to_ms);
  auto row = s->step();
  if (!row) return fail(row.error());
  return s->i64(0);
}

namespace {

/// Distinct comma-separated flags out of several comma-separated lists, sorted.
std::string distinct_flags(std::string_view joined) {
  std::set<std::string, std::less<>> seen;
  std::size_t at = 0;
  while (at <= joined.size()) {
    const auto comma = joined.find(',', at);
    const auto end = comma == std::string_view::npos ? joined.size() : comma;
    if (end > at) seen.emplace(joined.substr(at, end - at));
    at = end + 1;
  }
  std::string out;
  for (const auto& f : seen) out += (out.empty() ? "" : ",") + f;
  return out;
}

constexpr std::string_view kMinuteCols =
    "SELECT record_no, session_id, minute_ms, status, max_speed_dkmh, mileage_hm, lat_e6, "
    "lon_e6, gnss_speed_dkmh, sensor_speed_dkmh, heading_deg, odometer_hm, engine_rpm, "
    "gnss_time_ms, flags, counted FROM minutes";

MinuteRecord read_minute(const Stmt& s) {
  MinuteRecord m;
  m.record_no = s.text(0);
  m.session_id = s.i64(1);
  m.minute_ms = s.i64(2);
  m.status = static_cast<std::uint8_t>(s.i64(3));
  m.max_speed_dkmh = narrow<std::uint16_t>(s.opt_i64(4));
  m.mileage_hm = narrow<std::uint16_t>(s.opt_i64(5));
  m.lat_e6 = narrow<std::int32_t>(s.opt_i64(6));
  m.lon_e6 = narrow<std::int32_t>(s.opt_i64(7));
  m.gnss_speed_dkmh = narrow<std::uint16_t>(s.opt_i64(8));
  m.sensor_speed_dkmh = narrow<std::uint16_t>(s.opt_i64(9));
  m.heading_deg = narrow<std::uint16_t>(s.opt_i64(10));
  m.odometer_hm = narrow<std::uint32_t>(s.opt_i64(11));
  m.engine_rpm = narrow<std::uint16_t>(s.opt_i64(12));
  m.gnss_time_ms = s.opt_i64(13);
  m.flags = s.text(14);
  m.counted = s.i64(15) != 0;
  return m;
}

}  // namespace

Result<std::optional<MinuteRecord>> Store::find_minute(std::string_view record_no) {
  auto s = Stmt::prepare(impl_->db, std::string(kMinuteCols) + " WHERE record_no = ?");
  if (!s) return fail(s.error());
  s->bind(1, record_no);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<MinuteRecord>();
  return std::optional<MinuteRecord>(read_minute(*s));
}

Result<std::vector<SessionSummary>> Store::session_summaries(std::string_view student_no,
                                                             std::int64_t from_ms,
                                                             std::int64_t to_ms) {
  // group_concat of the non-empty flag lists; split and deduplicated below.
  auto s = Stmt::prepare(
      impl_->db,
      "SELECT t.id, t.class_id, t.mode, t.student_no, coalesce(t.coach_no, ''), t.course_code, "
      "t.started_ms, t.ended_ms, count(m.record_no), coalesce(sum(m.counted), 0), "
      "sum(m.mileage_hm), coalesce(group_concat(nullif(m.flags, ''), ','), '') "
      "FROM training_sessions t LEFT JOIN minutes m ON m.session_id = t.id "
      "WHERE t.started_ms >= ?1 AND t.started_ms < ?2 AND (?3 = '' OR t.student_no = ?3) "
      "GROUP BY t.id ORDER BY t.started_ms, t.id");
  if (!s) return fail(s.error());
  s->bind(1, from_ms).bind(2, to_ms).bind(3, student_no);
  std::vector<SessionSummary> out;
  if (auto st = s->each([&](const Stmt& r) {
        SessionSummary x;
        x.session.id = r.i64(0);
        x.session.class_id = static_cast<std::uint32_t>(r.i64(1));
        x.session.mode = r.text(2);
        x.session.student_no = r.text(3);
        x.session.coach_no = r.text(4);
        x.session.course_code = r.text(5);
        x.session.started_ms = r.i64(6);
        x.session.ended_ms = r.opt_i64(7);
        x.minutes = r.i64(8);
        x.counted_minutes = r.i64(9);
        x.mileage_hm = r.opt_i64(10);  // sum() over no non-NULL value is NULL
        x.flags = distinct_flags(r.text(11));
        out.push_back(std::move(x));
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::vector<MinuteUpload>> Store::minute_uploads(std::int64_t session_id,
                                                         std::string_view kind, int limit) {
  auto s = Stmt::prepare(
      impl_->db,
      "SELECT m.record_no, m.session_id, m.minute_ms, m.status, m.max_speed_dkmh, m.mileage_hm, "
      "m.lat_e6, m.lon_e6, m.gnss_speed_dkmh, m.sensor_speed_dkmh, m.heading_deg, m.odometer_hm, "
      "m.engine_rpm, m.gnss_time_ms, m.flags, m.counted, o.state, coalesce(o.last_error, ''), "
      "coalesce(o.attempts, 0) FROM minutes m "
      "LEFT JOIN outbox o ON o.kind = ?2 AND o.idem_key = m.record_no "
      "WHERE m.session_id = ?1 ORDER BY m.minute_ms, m.record_no LIMIT ?3");
  if (!s) return fail(s.error());
  s->bind(1, session_id).bind(2, kind).bind(3, static_cast<std::int64_t>(limit));
  std::vector<MinuteUpload> out;
  if (auto st = s->each([&](const Stmt& r) {
        MinuteUpload u{.minute = read_minute(r)};
        const std::string state = r.text(16);
        if (!state.empty()) u.state = state_from(state);
        u.last_error = r.text(17);
        u.attempts = r.i64(18);
        out.push_back(std::move(u));
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::vector<MinuteRecord>> Store::minutes_between(std::int64_t from_ms, std::int64_t to_ms) {
  auto s = Stmt::prepare(impl_->db, std::string(kMinuteCols) +
                                        " WHERE minute_ms >= ? AND minute_ms < ? "
                                        "ORDER BY minute_ms, record_no");
  if (!s) return fail(s.error());
  s->bind(1, from_ms).bind(2, to_ms);
  std::vector<MinuteRecord> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(read_minute(r)); }); !st)
    return fail(st.error());
  return out;
}

// (daemon helper: the teaching log and 0x8205)
Result<std::vector<MinuteRecord>> Store::session_minutes(std::int64_t session_id) {
  auto s = Stmt::prepare(impl_->db, std::string(kMinuteCols) +
                                        " WHERE session_id = ? ORDER BY minute_ms, record_no");
  if (!s) return fail(s.error());
  s->bind(1, session_id);
  std::vector<MinuteRecord> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(read_minute(r)); }); !st)
    return fail(st.error());
  return out;
}

Result<std::vector<MinuteRecord>> Store::latest_minutes(int limit) {
  auto s = Stmt::prepare(impl_->db, std::string(kMinuteCols) +
                                        " ORDER BY minute_ms DESC, record_no DESC LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(limit));
  std::vector<MinuteRecord> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(read_minute(r)); }); !st)
    return fail(st.error());
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<CourseTotals>> Store::counted_by_course(std::string_view student_no,
                                                           std::int64_t from_ms,
                                                           std::int64_t to_ms) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT t.course_code, t.mode, count(*), coalesce(sum(m.mileage_hm), 0), "
                         "sum(m.mileage_hm IS NULL) FROM minutes m JOIN training_sessions t "
                         "ON m.session_id = t.id WHERE t.student_no = ? AND m.counted = 1 "
                         "AND m.minute_ms >= ? AND m.minute_ms < ? "
                         "GROUP BY t.course_code, t.mode ORDER BY t.course_code, t.mode");
  if (!s) return fail(s.error());
  s->bind(1, student_no).bind(2, from_ms).bind(3, to_ms);
  std::vector<CourseTotals> out;
  if (auto st = s->each([&](const Stmt& r) {
        out.push_back(CourseTotals{.course_code = r.text(0), .mode = r.text(1),
                                   .counted_minutes = r.i64(2), .mileage_hm = r.i64(3),
                                   .minutes_without_mileage = r.i64(4)});
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::int64_t> Store::record_assessment(const Assessment& a,
                                              const std::optional<Certificate>& cert,
                                              std::span<const OutboxEntry> uploads,
                                              std::int64_t now_ms) {
  std::int64_t id = 0;
  auto st = impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db,
                           "INSERT INTO assessments (student_no, programme, result, assessor, "
                           "assessed_on, created_ms) VALUES (?, ?, ?, ?, ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, a.student_no).bind(2, a.programme).bind(3, a.passed ? "pass" : "fail");
    s->bind(4, a.assessor).bind(5, a.assessed_on).bind(6, now_ms);
    if (auto r = s->run(); !r) return r;
    id = sqlite3_last_insert_rowid(impl_->db.get());
    if (!cert) return ok();
    auto c = Stmt::prepare(impl_->db,
                           "INSERT INTO certificates (number, student_no, programme, kind, "
                           "assessment_id, institution_code, granted_on, classroom_min, "
                           "practical_min, mileage_hm, created_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!c) return fail(c.error());
    c->bind(1, cert->number).bind(2, cert->student_no).bind(3, cert->programme);
    c->bind(4, cert->kind).bind(5, id).bind(6, cert->institution_code).bind(7, cert->granted_on);
    c->bind(8, cert->classroom_min).bind(9, cert->practical_min).bind(10, cert->mileage_hm);
    c->bind(11, now_ms);
    if (auto r = c->run(); !r) {
      if (r.error().code == Errc::already_exists) {
        return fail(Errc::already_exists, "student " + cert->student_no +
                                              " already holds a certificate for " +
                                              cert->programme + " (or number " + cert->number +
                                              " is taken)");
      }
      return r;
    }
    for (const auto& e : uploads) {
      if (auto r = impl_->insert_outbox(e, now_ms); !r) return r;
    }
    return ok();
  });
  if (!st) return fail(st.error());
  return id;
}

Result<std::vector<Assessment>> Store::assessments(std::string_view student_no) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT id, student_no, programme, result, assessor, assessed_on, "
                         "created_ms FROM assessments WHERE student_no = ? ORDER BY id");
  if (!s) return fail(s.error());
  s->bind(1, student_no);
  std::vector<Assessment> out;
  if (auto st = s->each([&](const Stmt& r) {
        out.push_back(Assessment{.id = r.i64(0), .student_no = r.text(1), .programme = r.text(2),
                                 .passed = r.text(3) == "pass", .assessor = r.text(4),
                                 .assessed_on = r.text(5), .created_ms = r.i64(6)});
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::vector<Certificate>> Store::certificates(std::string_view student_no) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT number, student_no, programme, kind, assessment_id, "
                         "institution_code, granted_on, classroom_min, practical_min, mileage_hm, "
                         "created_ms FROM certificates WHERE student_no = ? ORDER BY created_ms, "
                         "number");
  if (!s) return fail(s.error());
  s->bind(1, student_no);
  std::vector<Certificate> out;
  if (auto st = s->each([&](const Stmt& r) {
        out.push_back(Certificate{.number = r.text(0), .student_no = r.text(1),
                                  .programme = r.text(2), .kind = r.text(3),
                                  .assessment_id = r.i64(4), .institution_code = r.text(5),
                                  .granted_on = r.text(6), .classroom_min = r.i64(7),
                                  .practical_min = r.i64(8), .mileage_hm = r.opt_i64(9),
                                  .created_ms = r.i64(10)});
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::int64_t> Store::count_certificates(std::string_view prefix) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT count(*) FROM certificates WHERE substr(number, 1, ?) = ?");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(prefix.size())).bind(2, prefix);
  auto row = s->step();
  if (!row) return fail(row.error());
  return s->i64(0);
}

Status Store::set_param(std::string_view name, std::string_view value, std::int64_t now_ms) {
  return impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db,
                           "INSERT OR REPLACE INTO platform_params (name, value, updated_ms) "
                           "VALUES (?, ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, name).bind(2, value).bind(3, now_ms);
    return s->run();
  });
}

Result<std::optional<std::string>> Store::param(std::string_view name) {
  auto s = Stmt::prepare(impl_->db, "SELECT value FROM platform_params WHERE name = ?");
  if (!s) return fail(s.error());
  s->bind(1, name);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(s->text(0));
}

Status Store::log_event(std::string_view kind, std::string_view detail, std::int64_t at_ms) {
  auto s = Stmt::prepare(impl_->db, "INSERT INTO event_log (at_ms, kind, detail) VALUES (?, ?, ?)");
  if (!s) return fail(s.error());
  s->bind(1, at_ms).bind(2, kind).bind(3, detail);
  return s->run();
}

Result<std::vector<LoggedEvent>> Store::events_since(std::int64_t seq, int limit) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT seq, at_ms, kind, detail FROM event_log WHERE seq > ? "
                         "ORDER BY seq LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, seq).bind(2, static_cast<std::int64_t>(limit));
  std::vector<LoggedEvent> out;
  if (auto st = s->each([&](const Stmt& r) {
        out.push_back(LoggedEvent{r.i64(0), r.i64(1), r.text(2), r.text(3)});
      });
      !st)
    return fail(st.error());
  return out;
}

namespace {
// Outbox entries that belong to a record numbered `K`: key K itself, or K#… (a photo sent
// again on request). The range form lets the index outbox_key answer it.
constexpr std::string_view kKeyOf =
    "(o.idem_key = {K} OR (o.idem_key > {K} || '#' AND o.idem_key < {K} || '$'))";

std::string with_key(std::string_view tmpl, std::string_view k) {
  std::string key_of(kKeyOf);
  for (auto at = key_of.find("{K}"); at != std::string::npos; at = key_of.find("{K}", at)) {
    key_of.replace(at, 3, k);
    at += k.size();
  }
  std::string out(tmpl);
  const auto at = out.find("{KEY_OF}");
  if (at != std::string::npos) out.replace(at, 8, key_of);
  return out;
}

// Acknowledged: an acked entry exists and none is queued, in flight or refused.
constexpr std::string_view kMinutesPrunable =
    "SELECT m.record_no FROM minutes m JOIN training_sessions s ON s.id = m.session_id "
    "WHERE m.minute_ms < ?1 AND s.ended_ms IS NOT NULL "
    "AND EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key = m.record_no AND o.state = 'acked') "
    "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE {KEY_OF} AND o.state <> 'acked') "
    "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key = CAST(s.class_id AS TEXT) "
    "AND o.state <> 'acked') "
    "ORDER BY m.minute_ms LIMIT ?2";
constexpr std::string_view kPhotosPrunable =
    "SELECT p.photo_no FROM photos p WHERE p.taken_ms < ?1 "
    "AND EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key = p.photo_no AND o.state = 'acked') "
    "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE {KEY_OF} AND o.state <> 'acked') "
    "AND NOT EXISTS (SELECT 1 FROM training_sessions s WHERE s.class_id = p.class_id "
    "AND s.ended_ms IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE p.class_id <> 0 "
    "AND o.idem_key = CAST(p.class_id AS TEXT) AND o.state <> 'acked') "
    "ORDER BY p.taken_ms LIMIT ?2";
constexpr std::string_view kSessionsPrunable =
    "SELECT s.id, s.class_id FROM training_sessions s "
    "WHERE s.ended_ms IS NOT NULL AND s.ended_ms < ?1 "
    "AND NOT EXISTS (SELECT 1 FROM minutes m WHERE m.session_id = s.id) "
    "AND NOT EXISTS (SELECT 1 FROM photos p WHERE p.class_id = s.class_id) "
    "AND NOT EXISTS (SELECT 1 FROM training_sessions t WHERE t.class_id = s.class_id "
    "AND t.id <> s.id) "
    "AND EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key = CAST(s.class_id AS TEXT) "
    "AND o.state = 'acked') "
    "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idem_key = CAST(s.class_id AS TEXT) "
    "AND o.state <> 'acked') "
    "ORDER BY s.id LIMIT ?2";
}  // namespace

Result<PruneCounts> Store::prune(const PruneLimits& limits) {
  PruneCounts n;
  const auto batch = static_cast<std::int64_t>(std::max(limits.batch, 1));
  auto& db = impl_->db;
  // Select and delete in one transaction, so what was checked is what goes.
  auto numbered = [&](std::string_view select, std::string_view table, std::string_view column,
                      std::int64_t before_ms, std::int64_t& count) -> Status {
    if (before_ms <= 0) return ok();
    return impl_->transaction([&]() -> Status {
      auto q = Stmt::prepare(db, select);
      if (!q) return fail(q.error());
      q->bind(1, before_ms).bind(2, batch);
      std::vector<std::string> keys;
      if (auto st = q->each([&](const Stmt& r) { keys.push_back(r.text(0)); }); !st) return st;
      if (static_cast<std::int64_t>(keys.size()) >= batch) n.more = true;
      for (const auto& k : keys) {
        // Every entry of the record is acked (checked above): they go with it.
        auto o = Stmt::prepare(db, "DELETE FROM outbox WHERE idem_key = ?1 OR "
                                   "(idem_key > ?1 || '#' AND idem_key < ?1 || '$')");
        if (!o) return fail(o.error());
        o->bind(1, k);
        if (auto st = o->run(); !st) return st;
        n.outbox += sqlite3_changes(db.get());
        auto d = Stmt::prepare(db, "DELETE FROM " + std::string(table) + " WHERE " +
                                       std::string(column) + " = ?");
        if (!d) return fail(d.error());
        d->bind(1, k);
        if (auto st = d->run(); !st) return st;
        count += sqlite3_changes(db.get());
      }
      return ok();
    });
  };
  const std::string minutes_q = with_key(kMinutesPrunable, "m.record_no");
  const std::string photos_q = with_key(kPhotosPrunable, "p.photo_no");
  if (auto st = numbered(minutes_q, "minutes", "record_no", limits.minutes_before_ms, n.minutes);
      !st)
    return fail(st.error());
  if (auto st = numbered(photos_q, "photos", "photo_no", limits.photos_before_ms, n.photos); !st)
    return fail(st.error());
  if (limits.minutes_before_ms > 0) {
    auto st = impl_->transaction([&]() -> Status {
      auto q = Stmt::prepare(db, kSessionsPrunable);
      if (!q) return fail(q.error());
      q->bind(1, limits.minutes_before_ms).bind(2, batch);
      std::vector<std::pair<std::int64_t, std::int64_t>> rows;
      if (auto e = q->each([&](const Stmt& r) { rows.emplace_back(r.i64(0), r.i64(1)); }); !e)
        return e;
      if (static_cast<std::int64_t>(rows.size()) >= batch) n.more = true;
      for (const auto& [id, class_id] : rows) {
        auto o = Stmt::prepare(db, "DELETE FROM outbox WHERE idem_key = ?");
        if (!o) return fail(o.error());
        o->bind(1, std::to_string(class_id));
        if (auto e = o->run(); !e) return e;
        n.outbox += sqlite3_changes(db.get());
        auto d = Stmt::prepare(db, "DELETE FROM training_sessions WHERE id = ?");
        if (!d) return fail(d.error());
        d->bind(1, id);
        if (auto e = d->run(); !e) return e;
        n.sessions += sqlite3_changes(db.get());
      }
      return ok();
    });
    if (!st) return fail(st.error());
  }
  if (limits.events_before_ms > 0) {
    auto st = impl_->transaction([&]() -> Status {
      if (auto e = db.exec("UPDATE retention_gate SET open = 1 WHERE id = 1"); !e) return e;
      auto d = Stmt::prepare(db,
                             "DELETE FROM event_log WHERE seq IN (SELECT seq FROM event_log "
                             "WHERE at_ms < ? ORDER BY seq LIMIT ?)");
      if (!d) return fail(d.error());
      d->bind(1, limits.events_before_ms).bind(2, batch);
      if (auto e = d->run(); !e) return e;
      n.events = sqlite3_changes(db.get());
      if (n.events >= batch) n.more = true;
      return db.exec("UPDATE retention_gate SET open = 0 WHERE id = 1");
    });
    if (!st) return fail(st.error());
  }
  return n;
}

Result<StorageUse> Store::storage_use() {
  auto pages = impl_->scalar("PRAGMA page_count");
  if (!pages) return fail(pages.error());
  auto free_pages = impl_->scalar("PRAGMA freelist_count");
  if (!free_pages) return fail(free_pages.error());
  return StorageUse{.file_bytes = *pages * kCipherPageSize,
                    .used_bytes = (*pages - *free_pages) * kCipherPageSize};
}

namespace {
int deny_writes_to(void* table, int action, const char* arg1, const char*, const char*,
                   const char*) {
  const bool write = action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE;
  return write && arg1 != nullptr && *static_cast<const std::string*>(table) == arg1 ? SQLITE_DENY
                                                                                      : SQLITE_OK;
}
}  // namespace

Status Store::fail_writes_for_test(std::string table) {
  impl_->deny_table = std::move(table);
  // Setting an authorizer expires every prepared statement: cached ones are prepared again.
  const int rc = impl_->deny_table.empty()
                     ? sqlite3_set_authorizer(impl_->db.get(), nullptr, nullptr)
                     : sqlite3_set_authorizer(impl_->db.get(), deny_writes_to, &impl_->deny_table);
  if (rc != SQLITE_OK) return fail(impl_->db.last_error(rc));
  return ok();
}

Status Store::limit_pages_for_test(std::int64_t pages) {
  return impl_->db.exec("PRAGMA max_page_count = " + std::to_string(pages));
}

}  // namespace tta::store
