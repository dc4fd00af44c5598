#pragma once
/// The screens (README, "Screens"): the terminal's touch screen and the classroom kiosk,
/// served under /ui on the control API's listener for the device's own browser.
///
/// A browser cannot send the bearer token on every request, so the token is shown once, at
/// /ui/login (the link the kiosk browser is started with, or a form), and exchanged for a
/// session: a random id in an HttpOnly, SameSite=Strict cookie scoped to /ui, and a CSRF token
/// the page reads from /ui/api/session and sends back in X-CSRF-Token on every change. Failed
/// logins are rate-limited. Pages and assets are compiled in (assets.hpp); live state reaches
/// the page by Server-Sent Events (/ui/api/events, pushed by the server when it changes).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "control/api.hpp"

namespace tta::agent::control::ui {

/// A request under /ui, as the server read it.
struct Request {
  std::string_view method;
  std::string_view target;
  std::string_view body;
  std::string_view cookie;  ///< the Cookie header
  std::string_view csrf;    ///< the X-CSRF-Token header
  std::string_view content_type;
};

using Clock = std::chrono::steady_clock;

/// Logged-in browser sessions, bounded, with the failed-login limit.
class Sessions {
 public:
  static constexpr std::size_t kMaxSessions = 32;
  static constexpr auto kIdle = std::chrono::hours(12);
  static constexpr std::size_t kMaxFailures = 5;  ///< per kFailureWindow, then 429
  static constexpr auto kFailureWindow = std::chrono::minutes(1);

  struct Session {
    std::string csrf;
    Clock::time_point last_used;
    std::string user;  ///< who logged in (administrator pages); empty for the device's screens
  };

  /// Sessions named by the cookie `cookie` ("tta_ui" for the screens, "tta_admin" for the
  /// administrator's pages).
  explicit Sessions(std::string cookie = "tta_ui") : cookie_(std::move(cookie)) {}

  /// A new session; the oldest is dropped when full. Returns its id.
  std::string create(Clock::time_point now, std::string user = {});
  /// The session named by the Cookie header's value of this cookie, touched; null when none
  /// or idle.
  Session* find(std::string_view cookie_header, Clock::time_point now);
  /// The id in the Cookie header (empty when none).
  [[nodiscard]] std::string id_of(std::string_view cookie_header) const;
  [[nodiscard]] const std::string& cookie() const { return cookie_; }
  void remove(const std::string& id) { sessions_.erase(id); }
  [[nodiscard]] std::size_t size() const { return sessions_.size(); }

  /// A failed login at `now`; true while logins are refused for too many failures.
  void failed(Clock::time_point now);
  [[nodiscard]] bool throttled(Clock::time_point now);

  /// Camera preview frames served, all screens together: at most this many a second (429).
  static constexpr std::size_t kMaxPreviewsPerSecond = 10;
  /// A preview frame at `now`; false (and not counted) when over the limit.
  [[nodiscard]] bool preview_allowed(Clock::time_point now);

 private:
  std::string cookie_;
  std::map<std::string, Session, std::less<>> sessions_;
  std::deque<Clock::time_point> failures_;
  std::deque<Clock::time_point> previews_;
};

/// Largest camera preview frame served; a larger one is not sent (503).
inline constexpr std::size_t kMaxPreviewBytes = 256 * 1024;

/// True for the targets this module answers ("/ui", "/ui/…", and "/" which leads there).
[[nodiscard]] bool is_ui_target(std::string_view target);

/// True for the server-sent event stream (the server keeps that connection open itself).
[[nodiscard]] bool is_event_stream(std::string_view target);

/// Answer one /ui request. `token` is the control token (for /ui/login). `done` once.
void route(Backend& backend, Sessions& sessions, const std::string& token, const Request& req,
           Clock::time_point now, const Respond& done);

/// Answers and checks both routers use (the screens' and the administrator's).
[[nodiscard]] bool same_secret(std::string_view a, std::string_view b);  ///< constant time
[[nodiscard]] Response json_error(unsigned status, std::string message);
[[nodiscard]] Response redirect(std::string location);  ///< 303
[[nodiscard]] Response asset(std::string_view path);    ///< a compiled-in file, or 404

/// The security headers every /ui answer carries.
void add_security_headers(Response& r);

}  // namespace tta::agent::control::ui
