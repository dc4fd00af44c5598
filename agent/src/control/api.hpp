#pragma once
/// The control API (README, "The control API"): the HTTP/1.1 server on loopback TCP or a 0600
/// Unix socket, the bearer-token check, request routing and the validation of every field.
/// It owns no training state: what it answers comes from a `Backend` (the daemon; a fake in
/// tests and in the fuzz target).
///
/// Nothing a client sends can stop it: the token is checked on the headers before the body is
/// read, bodies are capped at kMaxBodyBytes, every field is type-checked (400 naming the
/// field), replies are serialised with invalid UTF-8 replaced, and a guard around every
/// handler turns an unexpected exception into a 500 and a log line.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tta/core/result.hpp"

namespace tta::agent::control {

/// Largest request body read; a larger one is answered 413 unread.
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

/// A check-in or check-out as the client asked for it (fields already type-checked).
struct CheckRequest {
  bool in = true;
  std::string role;                   ///< "coach" or "student"
  std::optional<std::string> number;  ///< national number, when given
  std::optional<std::string> course;  ///< course code, when given
};

struct Response {
  unsigned status = 200;
  nlohmann::json body = nlohmann::json::object();
  std::string allow;  ///< the Allow header of a 405
  /// A body that is not JSON (a page, a stylesheet, a photo): `text` sent as it is, with this
  /// Content-Type. Empty: `body` is sent as JSON.
  std::string content_type;
  std::string text;
  std::vector<std::pair<std::string, std::string>> headers;  ///< more headers (Set-Cookie, …)
};
using Respond = std::function<void(Response)>;

/// What the API asks of the terminal.
class Backend {
 public:
  virtual ~Backend() = default;
  [[nodiscard]] virtual nlohmann::json status() = 0;
  /// Run the check; answer through `done`, now or later (face checks run on a worker).
  virtual void check(const CheckRequest& request, Respond done) = 0;
  [[nodiscard]] virtual Result<nlohmann::json> messages(bool unread_only) = 0;
  /// Mark messages read: these ids, or every message when `ids` is empty.
  [[nodiscard]] virtual Result<std::int64_t> ack_messages(const std::vector<std::int64_t>& ids) = 0;
  [[nodiscard]] virtual Result<nlohmann::json> progress(const std::string& student) = 0;
  /// The JPEG a person was enrolled with (the screens show who is on board).
  [[nodiscard]] virtual Result<std::string> enrol_photo(const std::string& number) = 0;
  /// The camera's newest frame, a small JPEG, for the screen's live preview during a check
  /// (ui.hpp, /ui/api/camera.jpg). Never grabs a frame itself. Errc::not_found when there is
  /// no frame, or none recent enough to be of the person in front of the camera now.
  [[nodiscard]] virtual Result<std::string> camera_preview() = 0;
};

/// "Bearer TOKEN", compared in constant time.
[[nodiscard]] bool authorised(std::string_view authorization, std::string_view token);

/// Answer one request that passed the token check. `done` is called exactly once (for a
/// check, possibly later); nothing throws.
void route(Backend& backend, std::string_view method, std::string_view target,
           std::string_view body, const Respond& done);

/// The reply body as sent: JSON, invalid UTF-8 replaced (never throws).
[[nodiscard]] std::string serialise(const nlohmann::json& body);

/// The listener: `listen` is "host:port" (loopback) or "unix:/path" (socket file made 0600,
/// a stale one replaced). One request per connection, 30 s to send it; the screens' event
/// stream (ui.hpp) stays open, at most kMaxEventStreams at once, and gets the status each
/// time it changes (looked at every second while anyone listens).
class Server {
 public:
  static constexpr std::size_t kMaxEventStreams = 8;

  Server(boost::asio::io_context& io, Backend& backend, std::string token);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] Status listen(const std::string& listen);
  void stop();
  /// The bound TCP port (0 for a Unix socket).
  [[nodiscard]] std::uint16_t port() const;
  /// Look at the status now (after a check-in, say) instead of at the next second.
  void status_changed();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tta::agent::control
