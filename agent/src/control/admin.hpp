#pragma once
/// The administrator's pages (README, "Administrator pages"): people, progress, the outbox
/// with retry, CSV export. They may face the school's LAN, so they have their own listener
/// (`agent.admin_listen`), TLS only, named accounts (admin_accounts.hpp, scrypt), a session
/// cookie `HttpOnly; Secure; SameSite=Strict`, a CSRF token on every change, rate-limited
/// logins, and every action in the event log with who did it.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "control/api.hpp"
#include "control/ui.hpp"
#include "tta/core/result.hpp"

namespace tta::agent::control::admin {

/// Largest request body the administrator's pages read (a photo to enrol, base64).
inline constexpr std::size_t kMaxAdminBodyBytes = 8 * 1024 * 1024;

/// A person to enrol, as the page sent it (fields type-checked, not yet validated).
struct EnrolRequest {
  std::string role;  ///< "coach" or "student"
  std::string number;
  std::string id_card;
  std::string name;
  std::string licence;
  std::string photo;  ///< the image file's bytes (JPEG, PNG, PGM …)
};

/// What the pages ask of the terminal.
class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  /// Check a password; `done(true)` when it is this administrator's. May answer later (the
  /// hash is memory-hard: it runs off the event loop).
  virtual void verify(const std::string& user, const std::string& password,
                      std::function<void(bool)> done) = 0;
  [[nodiscard]] virtual Result<nlohmann::json> people() = 0;
  /// Disable (no check-in from now on) or re-enable the person with this number, by `user`;
  /// Errc::not_found when nobody has it.
  [[nodiscard]] virtual Status set_disabled(const std::string& number, bool disabled,
                                            const std::string& user) = 0;
  /// Enrol (or re-enrol) a person from a photo; the face template is made off the loop, so
  /// the answer may come later: 200 with the person, or the refusal.
  virtual void enrol(const EnrolRequest& request, Respond done) = 0;
  [[nodiscard]] virtual Result<std::string> enrol_photo(const std::string& number) = 0;
  /// One frame from the terminal's camera as a JPEG (enrolment from a camera capture); the
  /// grab runs off the loop, so the answer may come later.
  virtual void capture(std::function<void(Result<std::string>)> done) = 0;
  [[nodiscard]] virtual Result<nlohmann::json> progress(const std::string& student) = 0;
  /// Counts, pending entries (at most `limit`) and refused ones with their reasons.
  [[nodiscard]] virtual Result<nlohmann::json> outbox(int limit) = 0;
  /// Put a refused entry back in the queue.
  [[nodiscard]] virtual Status retry(std::int64_t id) = 0;
  /// Sessions started on local days [from, to] (YYYY-MM-DD), with minutes made and counted,
  /// mileage and the flags of their minutes.
  [[nodiscard]] virtual Result<nlohmann::json> sessions(const std::string& from,
                                                        const std::string& to) = 0;
  /// One session's minutes (at most `limit`) with what the terminal knows of each upload: the
  /// platform's ack, a refusal with its reason, still queued, or unknown. The platform sends
  /// no per-minute verdict (terminal-protocol.md has no such message), so none is shown.
  [[nodiscard]] virtual Result<nlohmann::json> session_minutes(std::int64_t session_id,
                                                               int limit) = 0;
  /// "minutes" or "sessions" of local days [from, to] (YYYY-MM-DD) as CSV.
  [[nodiscard]] virtual Result<std::string> export_csv(const std::string& what,
                                                       const std::string& from,
                                                       const std::string& to) = 0;
  /// Record a final assessment (`passed`, by `assessor`, on local date `date`, YYYY-MM-DD or
  /// empty for today); a pass with every part complete issues the completion certificate.
  [[nodiscard]] virtual Result<nlohmann::json> complete(const std::string& student, bool passed,
                                                        const std::string& assessor,
                                                        const std::string& date) = 0;
  /// What the printable certificate shows: institution, student, programme, parts and hours.
  [[nodiscard]] virtual Result<nlohmann::json> certificate(const std::string& student,
                                                           const std::string& number) = 0;
  /// Write an administrator's action to the event log.
  virtual void audit(const std::string& user, const std::string& action,
                     const std::string& detail) = 0;
};

/// Answer one request under /admin. `done` exactly once (a login possibly later).
void route(AdminBackend& backend, ui::Sessions& sessions, const ui::Request& req,
           ui::Clock::time_point now, const Respond& done);

/// A TLS server context from PEM files; refuses a key file others can read.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> tls_context(
    const std::filesystem::path& cert, const std::filesystem::path& key);

/// The listener: TLS on "host:port" (any address: it may face the LAN). One request per
/// connection, 30 s for the handshake and the request, bodies capped at kMaxBodyBytes.
class Server {
 public:
  Server(boost::asio::io_context& io, AdminBackend& backend,
         std::shared_ptr<boost::asio::ssl::context> tls);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] Status listen(const std::string& host_port);
  void stop();
  [[nodiscard]] std::uint16_t port() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tta::agent::control::admin
