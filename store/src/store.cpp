#include "tta/store/store.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <set>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include "schema.hpp"
#include "sqlite.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::store {
namespace fs = std::filesystem;
using sql::Db;
using sql::Stmt;

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

const char* role_name(Role r) {
  return r == Role::coach ? "coach" : "student";
}
Role role_from(std::string_view s) {
  return s == "coach" ? Role::coach : Role::student;
}

OutboxState state_from(std::string_view s) {
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

}  // namespace

struct Store::Impl {
  Db db;
  fs::path path;
  sql::StmtCache cache{db};  // after db: finalized before the connection closes

  std::string deny_table;  // fail_writes_for_test
  int depth = 0;  // transactions open: 0 none, 1 BEGIN, more: savepoints inside it

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
    auto s = cache.get(
        "INSERT INTO outbox (kind, idem_key, payload, state, attempts, "
        "next_attempt_ms, last_error, created_ms, updated_ms) "
        "VALUES (?, ?, ?, 'queued', 0, ?, '', ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, e.kind).bind(2, e.key).bind(3, std::span<const std::uint8_t>(e.payload));
    s->bind(4, e.next_attempt_ms).bind(5, now_ms).bind(6, now_ms);
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
    return e;
  }
};

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
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  impl->path = path;
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
  auto impl = std::make_unique<Impl>();
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

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<int> Store::schema_version() {
  auto v = impl_->scalar("PRAGMA user_version");
  if (!v) return fail(v.error());
  return static_cast<int>(*v);
}

Result<std::string> Store::integrity_check() {
  auto s = Stmt::prepare(impl_->db, "PRAGMA integrity_check");
  if (!s) return fail(s.error());
  std::string out;
  while (true) {
    auto row = s->step();
    if (!row) {
      // SQLCipher reports a page whose HMAC fails as a generic error: during an integrity
      // check any failure to read a page means the file is damaged.
      return fail(Errc::corrupt, "integrity check of " + impl_->path.string() +
                                     " could not read every page (" + row.error().message +
                                     "): the file is damaged. It was left as it is.");
    }
    if (!*row) break;
    if (!out.empty()) out += "; ";
    out += s->text(0);
  }
  return out;
}

Result<std::string> Store::quick_check() {
  auto s = Stmt::prepare(impl_->db, "PRAGMA quick_check");
  if (!s) return fail(s.error());
  std::string out;
  while (true) {
    auto row = s->step();
    if (!row) {
      return fail(Errc::corrupt, "quick check of " + impl_->path.string() +
                                     " could not read every page (" + row.error().message +
                                     "): the file is damaged. It was left as it is.");
    }
    if (!*row) break;
    if (!out.empty()) out += "; ";
    out += s->text(0);
  }
  return out;
}

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

Result<std::int64_t> Store::add_person(const Person& p, std::int64_t now_ms) {
  std::int64_t id = 0;
  auto st = impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db,
                           "INSERT INTO people (role, national_no, id_card, name, licence_class, "
                           "face_template, enrol_photo, created_ms, updated_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, role_name(p.role)).bind(2, p.national_no).bind(3, p.id_card).bind(4, p.name);
    s->bind(5, p.licence_class);
    if (p.face_template.empty()) {
      s->bind_null(6);
    } else {
      s->bind(6, std::span<const std::uint8_t>(p.face_template));
    }
    if (p.enrol_photo_jpeg.empty()) {
      s->bind_null(7);
    } else {
      s->bind(7, std::span<const std::uint8_t>(p.enrol_photo_jpeg));
    }
    s->bind(8, now_ms).bind(9, now_ms);
    if (auto r = s->run(); !r) {
      if (r.error().code == Errc::already_exists) {
        return fail(Errc::already_exists,
                    "a person with national number " + p.national_no + " is already enrolled");
      }
      return r;
    }
    id = sqlite3_last_insert_rowid(impl_->db.get());
    if (!p.face_template.empty()) {
      auto h = Stmt::prepare(impl_->db,
                             "INSERT INTO face_templates (person_id, template, photo, created_ms) "
                             "VALUES (?, ?, ?, ?)");
      if (!h) return fail(h.error());
      h->bind(1, id).bind(2, std::span<const std::uint8_t>(p.face_template));
      h->bind(3, std::span<const std::uint8_t>(p.enrol_photo_jpeg)).bind(4, now_ms);
      return h->run();
    }
    return ok();
  });
  if (!st) return fail(st.error());
  return id;
}

namespace {
constexpr std::string_view kPersonCols =
    "SELECT id, role, national_no, id_card, name, licence_class, face_template, enrol_photo "
    "FROM people";
Person read_person(const Stmt& s) {
  Person p;
  p.id = s.i64(0);
  p.role = role_from(s.text(1));
  p.national_no = s.text(2);
  p.id_card = s.text(3);
  p.name = s.text(4);
  p.licence_class = s.text(5);
  p.face_template = s.blob(6);
  p.enrol_photo_jpeg = s.blob(7);
  return p;
}
}  // namespace

Result<std::optional<Person>> Store::find_person(std::string_view national_no) {
  auto s = Stmt::prepare(impl_->db, std::string(kPersonCols) + " WHERE national_no = ?");
  if (!s) return fail(s.error());
  s->bind(1, national_no);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Person>();
  return std::optional<Person>(read_person(*s));
}

Result<std::vector<Person>> Store::people() {
  auto s = Stmt::prepare(impl_->db, std::string(kPersonCols) + " ORDER BY role, national_no");
  if (!s) return fail(s.error());
  std::vector<Person> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(read_person(r)); }); !st)
    return fail(st.error());
  return out;
}

Status Store::update_face(std::int64_t person_id, const std::vector<std::uint8_t>& templ,
                          const std::vector<std::uint8_t>& photo_jpeg, std::int64_t now_ms) {
  return impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db,
                           "UPDATE people SET face_template = ?, enrol_photo = ?, updated_ms = ? "
                           "WHERE id = ?");
    if (!s) return fail(s.error());
    s->bind(1, std::span<const std::uint8_t>(templ))
        .bind(2, std::span<const std::uint8_t>(photo_jpeg))
        .bind(3, now_ms)
        .bind(4, person_id);
    if (auto r = s->run(); !r) return r;
    if (sqlite3_changes(impl_->db.get()) != 1) {
      return fail(Errc::not_found, "no person with id " + std::to_string(person_id));
    }
    auto h = Stmt::prepare(impl_->db,
                           "INSERT INTO face_templates (person_id, template, photo, created_ms) "
                           "VALUES (?, ?, ?, ?)");
    if (!h) return fail(h.error());
    h->bind(1, person_id).bind(2, std::span<const std::uint8_t>(templ));
    h->bind(3, std::span<const std::uint8_t>(photo_jpeg)).bind(4, now_ms);
    return h->run();
  });
}

Result<std::int64_t> Store::face_history_count(std::int64_t person_id) {
  auto s = Stmt::prepare(impl_->db, "SELECT count(*) FROM face_templates WHERE person_id = ?");
  if (!s) return fail(s.error());
  s->bind(1, person_id);
  auto row = s->step();
  if (!row) return fail(row.error());
  return s->i64(0);
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
    auto s = impl_->cache.get(
        "INSERT INTO minutes (record_no, session_id, minute_ms, status, max_speed_dkmh, "
        "mileage_hm, lat_e6, lon_e6, gnss_speed_dkmh, sensor_speed_dkmh, heading_deg, "
        "odometer_hm, engine_rpm, gnss_time_ms, flags, counted) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
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

Status Store::add_photo(const Photo& p, const OutboxEntry& out) {
  return impl_->transaction([&]() -> Status {
    auto s = Stmt::prepare(impl_->db,
                           "INSERT INTO photos (photo_no, person_no, class_id, event, size_code, "
                           "taken_ms, confidence, lat_e6, lon_e6, jpeg) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, p.photo_no).bind(2, p.person_no).bind(3, static_cast<std::int64_t>(p.class_id));
    s->bind(4, static_cast<std::int64_t>(p.event)).bind(5, static_cast<std::int64_t>(p.size_code));
    s->bind(6, p.taken_ms).bind(7, p.confidence).bind(8, p.lat_e6).bind(9, p.lon_e6);
    s->bind(10, std::span<const std::uint8_t>(p.jpeg));
    if (auto r = s->run(); !r) {
      if (r.error().code == Errc::already_exists) {
        return fail(Errc::already_exists, "photo " + p.photo_no + " is already stored");
      }
      return r;
    }
    return impl_->insert_outbox(out, p.taken_ms);
  });
}

namespace {
constexpr const char* kPhotoColumns =
    "SELECT photo_no, person_no, class_id, event, size_code, taken_ms, confidence, lat_e6, "
    "lon_e6, jpeg FROM photos ";

Photo photo_from(const Stmt& s) {
  Photo p;
  p.photo_no = s.text(0);
  p.person_no = s.text(1);
  p.class_id = static_cast<std::uint32_t>(s.i64(2));
  p.event = static_cast<std::uint8_t>(s.i64(3));
  p.size_code = static_cast<std::uint8_t>(s.i64(4));
  p.taken_ms = s.i64(5);
  p.confidence = narrow<std::uint8_t>(s.opt_i64(6));
  p.lat_e6 = narrow<std::int32_t>(s.opt_i64(7));
  p.lon_e6 = narrow<std::int32_t>(s.opt_i64(8));
  p.jpeg = s.blob(9);
  return p;
}
}  // namespace

Result<std::optional<Photo>> Store::find_photo(std::string_view photo_no) {
  auto s = Stmt::prepare(impl_->db, std::string(kPhotoColumns) + "WHERE photo_no = ?");
  if (!s) return fail(s.error());
  s->bind(1, photo_no);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Photo>();
  return std::optional<Photo>(photo_from(*s));
}

Result<std::vector<Photo>> Store::class_photos(std::uint32_t class_id) {
  auto s = Stmt::prepare(impl_->db, std::string(kPhotoColumns) +
                                        "WHERE class_id = ? ORDER BY taken_ms, photo_no");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(class_id));
  std::vector<Photo> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(photo_from(r)); }); !st) {
    return fail(st.error());
  }
  return out;
}

Result<std::vector<std::string>> Store::photo_numbers_between(std::int64_t from_ms,
                                                              std::int64_t to_ms, int limit) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT photo_no FROM photos WHERE taken_ms BETWEEN ? AND ? "
                         "ORDER BY taken_ms, photo_no LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, from_ms).bind(2, to_ms).bind(3, static_cast<std::int64_t>(std::max(limit, 0)));
  std::vector<std::string> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(r.text(0)); }); !st) {
    return fail(st.error());
  }
  return out;
}

Result<std::int64_t> Store::enqueue(const OutboxEntry& e, std::int64_t now_ms) {
  std::int64_t id = 0;
  auto st = impl_->transaction([&]() -> Status {
    auto q =
        Stmt::prepare(impl_->db, "SELECT id, payload FROM outbox WHERE kind = ? AND idem_key = ?");
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
    if (auto r = impl_->insert_outbox(e, now_ms); !r) return r;
    id = sqlite3_last_insert_rowid(impl_->db.get());
    return ok();
  });
  if (!st) return fail(st.error());
  return id;
}

namespace {
constexpr std::string_view kOutboxCols =
    "SELECT id, kind, idem_key, payload, state, attempts, next_attempt_ms, last_error, "
    "created_ms FROM outbox";
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

Result<std::vector<OutboxEntry>> Store::due(std::int64_t now_ms, int limit) {
  return due(now_ms, limit, "");
}

Result<std::vector<OutboxEntry>> Store::due(std::int64_t now_ms, int limit,
                                            std::string_view kind_prefix) {
  // Queued entries and in-flight ones whose lease ran out, merged by (next_attempt_ms, id).
  std::vector<OutboxEntry> out;
  std::size_t queued = 0;  // out[0, queued) are the queued entries
  for (const std::string_view state : {"queued", "in_flight"}) {
    if (state == "in_flight") queued = out.size();
    auto s = impl_->cache.get(std::string(kOutboxCols) +
                              std::string(kind_prefix.empty() ? kDueOf : kDueOfKind));
    if (!s) return fail(s.error());
    s->bind(1, state).bind(2, now_ms).bind(3, static_cast<std::int64_t>(limit));
    if (!kind_prefix.empty()) {
      s->bind(4, static_cast<std::int64_t>(kind_prefix.size())).bind(5, kind_prefix);
    }
    if (auto st = s->each([&](const Stmt& r) { out.push_back(Impl::read_outbox(r)); }); !st)
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

Status Store::mark_in_flight(std::int64_t id, std::int64_t now_ms, std::int64_t lease_until_ms) {
  return impl_->set_state(id, "state = 'in_flight', next_attempt_ms = ?1", now_ms, lease_until_ms,
                          "");
}

Status Store::mark_acked(std::int64_t id, std::int64_t now_ms) {
  return impl_->set_state(id, "state = 'acked', last_error = ?2, next_attempt_ms = ?1", now_ms,
                          now_ms, "");
}

Status Store::mark_acked(std::span<const std::int64_t> ids, std::int64_t now_ms) {
  return impl_->transaction([&]() -> Status {
    for (const auto id : ids) {
      if (auto st = impl_->set_state(id, "state = 'acked', last_error = ?2, next_attempt_ms = ?1",
                                     now_ms, now_ms, "");
          !st) {
        return st;
      }
    }
    return ok();
  });
}

Status Store::mark_retry(std::int64_t id, std::int64_t now_ms, std::int64_t next_attempt_ms,
                         std::string_view error) {
  return impl_->set_state(id,
                          "state = 'queued', attempts = attempts + 1, next_attempt_ms = ?1, "
                          "last_error = ?2",
                          now_ms, next_attempt_ms, error);
}

Status Store::mark_refused(std::int64_t id, std::int64_t now_ms, std::string_view reason) {
  return impl_->set_state(id, "state = 'refused', next_attempt_ms = ?1, last_error = ?2", now_ms,
                          now_ms, reason);
}

Status Store::requeue(std::int64_t id, std::int64_t now_ms) {
  return impl_->set_state(id,
                          "state = 'queued', next_attempt_ms = ?1, last_error = ?2 || last_error",
                          now_ms, now_ms, "requeued by administrator; was: ");
}

Result<std::optional<OutboxEntry>> Store::outbox_entry(std::int64_t id) {
  auto s = Stmt::prepare(impl_->db, std::string(kOutboxCols) + " WHERE id = ?");
  if (!s) return fail(s.error());
  s->bind(1, id);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<OutboxEntry>();
  return std::optional<OutboxEntry>(Impl::read_outbox(*s));
}

Result<std::optional<OutboxEntry>> Store::outbox_entry(std::string_view kind,
                                                       std::string_view key) {
  auto s = Stmt::prepare(impl_->db, std::string(kOutboxCols) + " WHERE kind = ? AND idem_key = ?");
  if (!s) return fail(s.error());
  s->bind(1, kind).bind(2, key);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<OutboxEntry>();
  return std::optional<OutboxEntry>(Impl::read_outbox(*s));
}

Result<std::vector<OutboxEntry>> Store::refused_entries() {
  auto s =
      Stmt::prepare(impl_->db, std::string(kOutboxCols) + " WHERE state = 'refused' ORDER BY id");
  if (!s) return fail(s.error());
  std::vector<OutboxEntry> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(Impl::read_outbox(r)); }); !st)
    return fail(st.error());
  return out;
}

Result<OutboxCounts> Store::outbox_counts() {
  return outbox_counts("");
}

Result<OutboxCounts> Store::outbox_counts(std::string_view kind) {
  auto s =
      Stmt::prepare(impl_->db, kind.empty() ? "SELECT state, count(*) FROM outbox GROUP BY state"
                                            : "SELECT state, count(*) FROM outbox WHERE kind = ? "
                                              "GROUP BY state");
  if (!s) return fail(s.error());
  if (!kind.empty()) s->bind(1, kind);
  OutboxCounts c;
  while (true) {
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    const auto n = s->i64(1);
    switch (state_from(s->text(0))) {
      case OutboxState::queued:
        c.queued = n;
        break;
      case OutboxState::in_flight:
        c.in_flight = n;
        break;
      case OutboxState::acked:
        c.acked = n;
        break;
      case OutboxState::refused:
        c.refused = n;
        break;
    }
  }
  return c;
}

Result<std::vector<OutboxKindCounts>> Store::outbox_counts_by_kind() {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT kind, state, count(*) FROM outbox GROUP BY kind, state "
                         "ORDER BY kind");
  if (!s) return fail(s.error());
  std::vector<OutboxKindCounts> out;
  if (auto st = s->each([&](const Stmt& r) {
        const std::string kind = r.text(0);
        if (out.empty() || out.back().kind != kind) out.push_back({.kind = kind, .counts = {}});
        auto& c = out.back().counts;
        const auto n = r.i64(2);
        switch (state_from(r.text(1))) {
          case OutboxState::queued: c.queued = n; break;
          case OutboxState::in_flight: c.in_flight = n; break;
          case OutboxState::acked: c.acked = n; break;
          case OutboxState::refused: c.refused = n; break;
        }
      });
      !st)
    return fail(st.error());
  return out;
}

Result<std::vector<OutboxEntry>> Store::pending_entries(int limit) {
  auto s = Stmt::prepare(impl_->db,
                         "SELECT id, kind, idem_key, x'', state, attempts, next_attempt_ms, "
                         "last_error, created_ms FROM outbox WHERE state IN ('queued', "
                         "'in_flight') ORDER BY id LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(Impl::read_outbox(r)); }); !st)
    return fail(st.error());
  return out;
}

Result<std::map<int, std::int64_t>> Store::photo_counts() {
  auto s = Stmt::prepare(impl_->db, "SELECT event, count(*) FROM photos GROUP BY event");
  if (!s) return fail(s.error());
  std::map<int, std::int64_t> out;
  if (auto st = s->each([&](const Stmt& r) { out[static_cast<int>(r.i64(0))] = r.i64(1); }); !st)
    return fail(st.error());
  return out;
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
