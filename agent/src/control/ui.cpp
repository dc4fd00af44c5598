#include "control/ui.hpp"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "control/assets.hpp"
#include "control/control_target.hpp"

namespace tta::agent::control::ui {

namespace {

constexpr std::string_view kCookie = "tta_ui";

std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 32> buf{};
  bytes = std::min(bytes, buf.size());
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += kHex[buf[i] >> 4];
    out += kHex[buf[i] & 15];
  }
  return out;
}

std::string session_cookie(const std::string& id) {
  // Not Secure: this listener is plain HTTP on loopback (or a Unix socket) for the device's
  // own browser; nothing else can reach it.
  return std::string(kCookie) + "=" + id + "; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Sessions::kIdle).count());
}

/// The token from a login (query ?token= or a form body token=).
void login(Sessions& sessions, const std::string& token, const std::string& given,
           Clock::time_point now, const Respond& done) {
  if (sessions.throttled(now)) return done(redirect("/ui/login?failed=throttled"));
  if (!same_secret(given, token)) {
    sessions.failed(now);
    return done(redirect("/ui/login?failed=token"));
  }
  const std::string id = sessions.create(now);
  if (id.empty()) return done(json_error(500, "no random bytes for a session"));
  Response r = redirect("/ui/");
  r.headers.emplace_back("Set-Cookie", session_cookie(id));
  done(std::move(r));
}

/// The control API's endpoints the screens may call, by the part after /ui/api.
bool is_api_endpoint(std::string_view p) {
  return p == "/status" || p == "/checkin" || p == "/checkout" || p == "/messages" ||
         p == "/messages/ack" || p == "/progress";
}

void route_checked(Backend& backend, Sessions& sessions, const std::string& token,
                   const Request& req, Clock::time_point now, const Respond& done) {
  const ControlTarget t = parse_control_target(req.target);
  const std::string& path = t.path;
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";

  if (path == "/ui/login") {
    if (post) {
      const auto form = parse_control_target("?" + std::string(req.body)).query;
      const auto it = form.find("token");
      return login(sessions, token, it == form.end() ? "" : it->second, now, done);
    }
    if (!get) return done(json_error(405, "/ui/login takes GET or POST"));
    if (const auto it = t.query.find("token"); it != t.query.end()) {
      return login(sessions, token, it->second, now, done);
    }
    return done(asset("/login.html"));
  }
  if (path.starts_with("/ui/static/") && get) {
    // Stylesheets, scripts and catalogues hold no data: served before the session check so
    // the login page can use them.
    return done(asset(std::string_view(path).substr(10)));
  }

  Sessions::Session* session = sessions.find(req.cookie, now);
  const bool api = path.starts_with("/ui/api/");
  if (!session) {
    if (api) return done(json_error(401, "log in first: open /ui/login"));
    return done(redirect("/ui/login"));
  }
  // Every change carries the session's CSRF token (a page of another origin cannot read it).
  if (!get && !same_secret(req.csrf, session->csrf)) {
    return done(json_error(403, "the X-CSRF-Token header is missing or wrong; reload the page"));
  }

  if (path == "/" || path == "/ui" || path == "/ui/") {
    const auto status = backend.status();
    const bool classroom = status.is_object() && status.value("mode", "") == "classroom";
    return done(redirect(classroom ? "/ui/kiosk" : "/ui/terminal"));
  }
  if (path == "/ui/logout" && post) {
    sessions.remove(sessions.id_of(req.cookie));
    Response r = redirect("/ui/login");
    r.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    return done(std::move(r));
  }
  if ((path == "/ui/terminal" || path == "/ui/kiosk") && get) {
    return done(asset(std::string_view(path).substr(3) == "/terminal" ? "/terminal.html" : "/kiosk.html"));
  }
  if (path == "/ui/api/session" && get) {
    const auto status = backend.status();
    return done({200, {{"csrf", session->csrf},
                       {"mode", status.is_object() ? status.value("mode", "vehicle") : "vehicle"}},
                 {}});
  }
  if (path == "/ui/api/photo" && get) {
    const auto it = t.query.find("number");
    if (it == t.query.end() || it->second.empty()) return done(json_error(400, "expected ?number=NUMBER"));
    auto jpeg = backend.enrol_photo(it->second);
    if (!jpeg) {
      return done(json_error(jpeg.error().code == Errc::not_found ? 404 : 500, jpeg.error().message));
    }
    Response r{200, {}, {}};
    r.content_type = "image/jpeg";
    r.text = std::move(*jpeg);
    return done(std::move(r));
  }
  if (path == "/ui/api/camera.jpg" && get) {
    if (!sessions.preview_allowed(now)) {
      Response r = json_error(429, "too many camera frames: at most 10 a second");
      r.headers.emplace_back("Retry-After", "1");
      return done(std::move(r));
    }
    auto jpeg = backend.camera_preview();
    if (!jpeg) {
      return done(json_error(jpeg.error().code == Errc::not_found ? 404 : 503, jpeg.error().message));
    }
    if (jpeg->size() > kMaxPreviewBytes) return done(json_error(503, "the camera frame is too large to preview"));
    Response r{200, {}, {}};
    r.content_type = "image/jpeg";
    r.text = std::move(*jpeg);
    return done(std::move(r));
  }
  if (api) {
    const std::string_view rest = std::string_view(req.target).substr(7);  // keeps the query
    const std::string_view rest_path = std::string_view(path).substr(7);
    if (is_api_endpoint(rest_path)) return route(backend, req.method, rest, req.body, done);
    return done(json_error(404, "unknown endpoint " + path));
  }
  done(json_error(404, "no such page: " + path));
}

}  // namespace

bool same_secret(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Response json_error(unsigned status, std::string message) {
  return {status, {{"error", std::move(message)}}, {}};
}

Response redirect(std::string location) {
  Response r{303, {}, {}};
  r.content_type = "text/plain; charset=utf-8";
  r.text = "See " + location + "\n";
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

Response asset(std::string_view path) {
  const Asset* a = find_asset(path);
  if (!a) return json_error(404, "no such file: " + std::string(path));
  Response r{200, {}, {}};
  r.content_type = std::string(a->type);
  r.text = std::string(a->data);
  return r;
}

std::string Sessions::create(Clock::time_point now, std::string user) {
  std::string id = random_hex(32);
  std::string csrf = random_hex(32);
  if (id.empty() || csrf.empty()) return {};
  while (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    sessions_.erase(oldest);
  }
  sessions_[id] = Session{std::move(csrf), now, std::move(user)};
  return id;
}

std::string Sessions::id_of(std::string_view cookie_header) const {
  const std::string_view name = cookie_;
  while (!cookie_header.empty()) {
    const auto semi = cookie_header.find(';');
    std::string_view item = cookie_header.substr(0, semi);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.substr(0, name.size()) == name &&
        item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    cookie_header.remove_prefix(semi + 1);
  }
  return {};
}

Sessions::Session* Sessions::find(std::string_view cookie_header, Clock::time_point now) {
  const std::string id = id_of(cookie_header);
  if (id.empty()) return nullptr;
  // Constant-time compare against each id: no timing tells how much of a guess was right.
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (!same_secret(id, it->first)) continue;
    if (now - it->second.last_used > kIdle) {
      sessions_.erase(it);
      return nullptr;
    }
    it->second.last_used = now;
    return &it->second;
  }
  return nullptr;
}

void Sessions::failed(Clock::time_point now) {
  failures_.push_back(now);
  while (failures_.size() > kMaxFailures) failures_.pop_front();
}

bool Sessions::throttled(Clock::time_point now) {
  while (!failures_.empty() && now - failures_.front() > kFailureWindow) failures_.pop_front();
  return failures_.size() >= kMaxFailures;
}

bool Sessions::preview_allowed(Clock::time_point now) {
  while (!previews_.empty() && now - previews_.front() >= std::chrono::seconds(1)) previews_.pop_front();
  if (previews_.size() >= kMaxPreviewsPerSecond) return false;
  previews_.push_back(now);
  return true;
}

bool is_ui_target(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path == "/" || path == "/ui" || path.starts_with("/ui/");
}

bool is_event_stream(std::string_view target) {
  return target.substr(0, target.find('?')) == "/ui/api/events";
}

void add_security_headers(Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                         "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                         "form-action 'self'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
}

void route(Backend& backend, Sessions& sessions, const std::string& token, const Request& req,
           Clock::time_point now, const Respond& done) {
  auto answered = std::make_shared<bool>(false);
  Respond once = [answered, done](Response r) {
    if (*answered) return;
    *answered = true;
    add_security_headers(r);
    done(std::move(r));
  };
  try {
    route_checked(backend, sessions, token, req, now, once);
  } catch (const std::exception& e) {
    once(json_error(500, std::string("internal error; the agent keeps running: ") + e.what()));
  }
}

}  // namespace tta::agent::control::ui
