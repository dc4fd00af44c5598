#pragma once
// What the platform simulator received, in a plain SQLite file under --data-dir (it plays the
// platform, so nothing here is encrypted). Deduplicates minutes by record number and photos
// by photo number, as a real platform must.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tta/core/result.hpp"

struct sqlite3;

namespace tta::sim {

struct TerminalRow {
  std::string phone;
  std::string terminal_no;
  std::vector<std::uint8_t> certificate_der;
};

struct MinuteRow {
  std::string record_no;
  std::string terminal_no;
  std::string student_no;
  std::string coach_no;
  std::uint32_t class_id = 0;
  std::uint32_t time_of_day_s = 0;
  std::string course_code;
  std::uint8_t status = 0;
  std::uint16_t max_speed_dkmh = 0;
  std::uint16_t mileage_hm = 0;
  bool resent = false;
  std::int64_t received_ms = 0;
  std::vector<std::uint8_t> gnss;  ///< the 38-byte attached block as received
};

struct PhotoRow {
  std::string photo_no;
  std::string terminal_no;
  std::string person_no;
  std::uint32_t class_id = 0;
  std::uint8_t event = 0;
  std::uint8_t confidence = 0;
  std::optional<std::int64_t> taken_ms;  ///< the GNSS time of its 0x0305, when it had one
  std::vector<std::uint8_t> jpeg;
};

/// A student's training session as the platform saw it: the 0x0201 login and the 0x0202
/// logout, keyed by terminal and class ID.
struct SessionRow {
  std::string terminal_no;
  std::uint32_t class_id = 0;
  std::string student_no;
  std::string coach_no;
  std::string course_code;
  std::optional<std::int64_t> login_ms;   ///< the login's GNSS time; nullopt: none received
  bool logged_out = false;
  std::optional<std::int64_t> logout_ms;
  std::uint16_t logout_minutes = 0;       ///< the total the logout carried
  std::uint16_t logout_mileage_hm = 0;
};

/// The platform's audit verdict on one stored minute (sim_audit.hpp).
struct AuditRow {
  std::string record_no;
  bool valid = false;
  std::string reasons;  ///< comma-separated, empty when valid
};

struct HttpUploadRow {
  std::string resource;  ///< "classrecord", "imageup", "ce.record" …
  std::string key;       ///< natural key (record number, file hash, certificate number …)
  std::string sha256;    ///< of the content (JSON body or file bytes), hex
  std::vector<std::uint8_t> content;
  std::int64_t received_ms = 0;
};

class SimDb {
 public:
  static Result<SimDb> open(const std::filesystem::path& file);
  SimDb(SimDb&& o) noexcept;
  SimDb& operator=(SimDb&&) = delete;
  SimDb(const SimDb&) = delete;
  ~SimDb();

  Status save_terminal(const TerminalRow& t);
  Result<std::optional<TerminalRow>> terminal_by_phone(const std::string& phone);
  /// Insert a minute; false when its record number was already there (a duplicate).
  Result<bool> add_minute(const MinuteRow& m);
  /// Insert a photo; false when its photo number was already there.
  Result<bool> add_photo(const PhotoRow& p);
  Result<std::vector<std::string>> record_numbers();
  Result<std::vector<MinuteRow>> minutes();
  Result<std::map<int, std::int64_t>> photos_by_event();
  Result<std::vector<PhotoRow>> photos_without_jpeg();
  /// A 0x0201: inserted once per (terminal, class ID); a repeat changes nothing.
  Status add_login(const SessionRow& s);
  /// A 0x0202: closes the session (made when its login never arrived).
  Status add_logout(const SessionRow& s);
  Result<std::vector<SessionRow>> sessions();
  /// Replace every stored verdict with these (one transaction).
  Status save_audit(const std::vector<AuditRow>& rows);
  Result<std::map<std::string, AuditRow>> audit();
  Result<std::optional<PhotoRow>> photo(const std::string& photo_no);

  /// An HTTPS upload, deduplicated by (resource, key).
  enum class HttpAdd { fresh, duplicate, conflict };
  Result<HttpAdd> add_http(const HttpUploadRow& u);
  Result<std::vector<HttpUploadRow>> http_uploads();
  Result<std::map<std::string, std::int64_t>> http_by_resource();
  /// Certificates of every registered terminal (to verify HTTPS signatures).
  Result<std::vector<std::vector<std::uint8_t>>> terminal_certificates();

 private:
  explicit SimDb(sqlite3* db) : db_(db) {}
  Status exec(const std::string& sql);
  sqlite3* db_ = nullptr;
};

}  // namespace tta::sim
