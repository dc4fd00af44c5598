#include "control/admin.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <limits>

#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <spdlog/spdlog.h>

#include "control/assets.hpp"
#include "control/control_target.hpp"

namespace tta::agent::control::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using nlohmann::json;

using ui::asset;
using ui::json_error;
using ui::redirect;
using ui::same_secret;

namespace {

unsigned status_of(const Error& e) {
  switch (e.code) {
    case Errc::not_found: return 404;
    case Errc::invalid_argument: return 400;
    case Errc::refused:
    case Errc::already_exists: return 409;
    default: return 500;
  }
}

std::string cookie_line(const ui::Sessions& sessions, const std::string& id, bool clear) {
  const auto age = clear ? 0 : std::chrono::duration_cast<std::chrono::seconds>(ui::Sessions::kIdle).count();
  return sessions.cookie() + "=" + (clear ? std::string() : id) +
         "; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=" + std::to_string(age);
}

void login(AdminBackend& backend, ui::Sessions& sessions, const ui::Request& req,
           ui::Clock::time_point now, const Respond& done) {
  const auto form = parse_control_target("?" + std::string(req.body)).query;
  const auto u = form.find("user");
  const auto p = form.find("password");
  const std::string user = u == form.end() ? "" : u->second;
  const std::string password = p == form.end() ? "" : p->second;
  if (sessions.throttled(now)) {
    backend.audit(user, "admin.login_throttled", "");
    return done(redirect("/admin/login?failed=throttled"));
  }
  if (user.empty() || password.empty() || user.size() > 64 || password.size() > 1024) {
    sessions.failed(now);
    return done(redirect("/admin/login?failed=password"));
  }
  backend.verify(user, password, [&backend, &sessions, user, now, done](bool ok) {
    if (!ok) {
      sessions.failed(now);
      backend.audit(user, "admin.login_failed", "wrong name or password");
      return done(redirect("/admin/login?failed=password"));
    }
    const std::string id = sessions.create(now, user);
    if (id.empty()) return done(json_error(500, "no random bytes for a session"));
    backend.audit(user, "admin.login", "");
    Response r = redirect("/admin/");
    r.headers.emplace_back("Set-Cookie", cookie_line(sessions, id, false));
    done(std::move(r));
  });
}

/// Standard base64 (RFC 4648, padding required, no line breaks); nullopt when malformed.
std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string to_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::optional<std::int64_t> to_int(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return std::nullopt;
}

void route_checked(AdminBackend& backend, ui::Sessions& sessions, const ui::Request& req,
                   ui::Clock::time_point now, const Respond& done) {
  const ControlTarget t = parse_control_target(req.target);
  const std::string& path = t.path;
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";

  if (path == "/admin/login") {
    if (post) return login(backend, sessions, req, now, done);
    if (get) return done(asset("/admin_login.html"));
    return done(json_error(405, "/admin/login takes GET or POST"));
  }
  if (path.starts_with("/admin/static/") && get) return done(asset(std::string_view(path).substr(13)));

  ui::Sessions::Session* session = sessions.find(req.cookie, now);
  const bool api = path.starts_with("/admin/api/");
  if (!session) {
    if (api) return done(json_error(401, "log in first: open /admin/login"));
    return done(redirect("/admin/login"));
  }
  if (!get && !same_secret(req.csrf, session->csrf)) {
    return done(json_error(403, "the X-CSRF-Token header is missing or wrong; reload the page"));
  }
  const std::string user = session->user;

  if ((path == "/admin" || path == "/admin/") && get) return done(asset("/admin.html"));
  if (path == "/admin/logout" && post) {
    const std::string id = sessions.id_of(req.cookie);
    sessions.remove(id);
    backend.audit(user, "admin.logout", "");
    Response r = redirect("/admin/login");
    r.headers.emplace_back("Set-Cookie", cookie_line(sessions, "", true));
    return done(std::move(r));
  }
  if (path == "/admin/api/session" && get) return done({200, {{"csrf", session->csrf}, {"user", user}}, {}});
  if (path == "/admin/api/people" && get) {
    auto p = backend.people();
    if (!p) return done(json_error(status_of(p.error()), p.error().message));
    return done({200, std::move(*p), {}});
  }
  if (path == "/admin/api/people/disable" && post) {
    const auto body = json::parse(req.body, nullptr, false);
    const auto number = body.is_object() ? body.find("number") : body.end();
    const auto disabled = body.is_object() ? body.find("disabled") : body.end();
    if (!body.is_object() || number == body.end() || !number->is_string() ||
        number->get<std::string>().empty() || number->get<std::string>().size() > 32 ||
        disabled == body.end() || !disabled->is_boolean()) {
      return done(json_error(400, "expected {\"number\": \"NUMBER\", \"disabled\": true|false}"));
    }
    const std::string no = number->get<std::string>();
    const bool off = disabled->get<bool>();
    if (auto st = backend.set_disabled(no, off, user); !st) {
      return done(json_error(status_of(st.error()), st.error().message));
    }
    backend.audit(user, off ? "admin.person_disabled" : "admin.person_enabled", no);
    return done({200, {{"ok", true}, {"number", no}, {"disabled", off}}, {}});
  }
  if (path == "/admin/api/capture" && post) {
    // A frame from the terminal's camera, for the page to show and then enrol from (through
    // /admin/api/enrol, the same quality gates as an upload).
    return backend.capture([&backend, user, done](Result<std::string> jpeg) {
      if (!jpeg) {
        return done(json_error(jpeg.error().code == Errc::not_found ? 404 : 503,
                               "no picture from the camera: " + jpeg.error().message));
      }
      if (jpeg->size() > kMaxAdminBodyBytes / 2) {
        return done(json_error(503, "the camera's picture is too large to enrol from"));
      }
      backend.audit(user, "admin.camera_capture", std::to_string(jpeg->size()) + " bytes");
      done({200, {{"photo_base64", to_base64(*jpeg)}, {"bytes", jpeg->size()}}, {}});
    });
  }
  if (path == "/admin/api/photo" && get) {
    const auto it = t.query.find("number");
    if (it == t.query.end() || it->second.empty()) return done(json_error(400, "expected ?number=NUMBER"));
    auto jpeg = backend.enrol_photo(it->second);
    if (!jpeg) return done(json_error(status_of(jpeg.error()), jpeg.error().message));
    Response r{200, {}, {}};
    r.content_type = "image/jpeg";
    r.text = std::move(*jpeg);
    return done(std::move(r));
  }
  if (path == "/admin/api/progress" && get) {
    const auto it = t.query.find("student");
    if (it == t.query.end() || it->second.empty()) return done(json_error(400, "expected ?student=NUMBER"));
    auto p = backend.progress(it->second);
    if (!p) return done(json_error(status_of(p.error()), p.error().message));
    return done({200, std::move(*p), {}});
  }
  if (path == "/admin/api/outbox" && get) {
    auto o = backend.outbox(200);
    if (!o) return done(json_error(status_of(o.error()), o.error().message));
    return done({200, std::move(*o), {}});
  }
  if (path == "/admin/api/outbox/retry" && post) {
    const auto body = json::parse(req.body, nullptr, false);
    const auto id = body.is_object() && body.contains("id") ? to_int(body["id"]) : std::nullopt;
    if (!id) return done(json_error(400, "expected {\"id\": N} (an integer)"));
    if (auto st = backend.retry(*id); !st) {
      return done(json_error(status_of(st.error()), st.error().message));
    }
    backend.audit(user, "admin.outbox_retry", "entry " + std::to_string(*id));
    return done({200, {{"ok", true}, {"id", *id}}, {}});
  }
  if (path == "/admin/api/enrol" && post) {
    const auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return done(json_error(400, "the request body must be a JSON object"));
    EnrolRequest e;
    for (auto [key, out] : {std::pair{"role", &e.role}, std::pair{"number", &e.number},
                            std::pair{"id_card", &e.id_card}, std::pair{"name", &e.name},
                            std::pair{"licence", &e.licence}}) {
      const auto it = body.find(key);
      if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
        return done(json_error(400, std::string("field \"") + key + "\" must be a non-empty string"));
      }
      *out = it->get<std::string>();
    }
    if (e.role != "coach" && e.role != "student") {
      return done(json_error(400, "field \"role\" must be \"coach\" or \"student\""));
    }
    if (e.name.size() > 64) return done(json_error(400, "field \"name\" is longer than 64 bytes"));
    const auto photo = body.find("photo_base64");
    if (photo == body.end() || !photo->is_string()) {
      return done(json_error(400, "field \"photo_base64\" must hold the photo, base64-encoded"));
    }
    auto bytes = from_base64(photo->get<std::string>());
    if (!bytes || bytes->empty()) return done(json_error(400, "field \"photo_base64\" is not base64"));
    e.photo = std::move(*bytes);
    const std::string what = e.role + " " + e.number;
    return backend.enrol(e, [&backend, user, what, done](Response r) {
      if (r.status == 200) backend.audit(user, "admin.enrol", what);
      done(std::move(r));
    });
  }
  if (path == "/admin/certificate" && get) return done(asset("/certificate.html"));
  if (path == "/admin/api/certificate" && get) {
    const auto st = t.query.find("student");
    const auto no = t.query.find("number");
    if (st == t.query.end() || no == t.query.end() || st->second.empty() || no->second.empty()) {
      return done(json_error(400, "expected ?student=NUMBER&number=CERTIFICATE"));
    }
    auto c = backend.certificate(st->second, no->second);
    if (!c) return done(json_error(status_of(c.error()), c.error().message));
    return done({200, std::move(*c), {}});
  }
  if (path == "/admin/api/complete" && post) {
    const auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return done(json_error(400, "the request body must be a JSON object"));
    auto str = [&](const char* k) -> std::optional<std::string> {
      const auto it = body.find(k);
      if (it == body.end() || it->is_null()) return std::string();
      if (!it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    const auto student = str("student");
    const auto result = str("result");
    const auto assessor = str("assessor");
    const auto date = str("date");
    if (!student || student->empty()) return done(json_error(400, "field \"student\" must be a student's number"));
    if (!result || (*result != "pass" && *result != "fail")) {
      return done(json_error(400, "field \"result\" must be \"pass\" or \"fail\""));
    }
    if (!assessor || assessor->empty() || assessor->size() > 64) {
      return done(json_error(400, "field \"assessor\" must name who assessed (1-64 characters)"));
    }
    if (!date) return done(json_error(400, "field \"date\" must be YYYY-MM-DD"));
    auto r = backend.complete(*student, *result == "pass", *assessor, *date);
    if (!r) return done(json_error(status_of(r.error()), r.error().message));
    backend.audit(user, "admin.assessment", *student + " " + *result + " by " + *assessor);
    return done({200, std::move(*r), {}});
  }
  if (path == "/admin/api/sessions" && get) {
    const auto f = t.query.find("from");
    const auto to = t.query.find("to");
    if (f == t.query.end() || to == t.query.end()) return done(json_error(400, "expected ?from=YYYY-MM-DD&to=YYYY-MM-DD"));
    auto list = backend.sessions(f->second, to->second);
    if (!list) return done(json_error(status_of(list.error()), list.error().message));
    return done({200, std::move(*list), {}});
  }
  if (path == "/admin/api/minutes" && get) {
    const auto it = t.query.find("session");
    std::int64_t id = 0;
    const std::string v = it == t.query.end() ? "" : it->second;
    const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), id);
    if (v.empty() || err != std::errc{} || end != v.data() + v.size() || id <= 0) {
      return done(json_error(400, "expected ?session=ID (a positive integer)"));
    }
    auto list = backend.session_minutes(id, 1000);
    if (!list) return done(json_error(status_of(list.error()), list.error().message));
    return done({200, std::move(*list), {}});
  }
  if (path == "/admin/api/export.csv" && get) {
    const auto q = [&](const char* k) {
      const auto it = t.query.find(k);
      return it == t.query.end() ? std::string() : it->second;
    };
    const std::string what = q("what").empty() ? "minutes" : q("what");
    if (what != "minutes" && what != "sessions") {
      return done(json_error(400, "what must be minutes or sessions"));
    }
    auto csv = backend.export_csv(what, q("from"), q("to"));
    if (!csv) return done(json_error(status_of(csv.error()), csv.error().message));
    backend.audit(user, "admin.export", what + " " + q("from") + ".." + q("to"));
    Response r{200, {}, {}};
    r.content_type = "text/csv; charset=utf-8";
    r.text = std::move(*csv);
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"tta-" + what + ".csv\"");
    return done(std::move(r));
  }
  done(json_error(404, "no such page: " + path));
}

}  // namespace

void route(AdminBackend& backend, ui::Sessions& sessions, const ui::Request& req,
           ui::Clock::time_point now, const Respond& done) {
  auto answered = std::make_shared<bool>(false);
  Respond once = [answered, done](Response r) {
    if (*answered) return;
    *answered = true;
    ui::add_security_headers(r);
    r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
    done(std::move(r));
  };
  try {
    route_checked(backend, sessions, req, now, once);
  } catch (const std::exception& e) {
    spdlog::error("admin pages: {} {}: {}", req.method, req.target, e.what());
    once(json_error(500, "internal error; the agent keeps running"));
  }
}

Result<std::shared_ptr<ssl::context>> tls_context(const std::filesystem::path& cert,
                                                  const std::filesystem::path& key) {
  struct stat st{};
  if (::stat(key.c_str(), &st) != 0) {
    return fail(Errc::not_found, "admin_tls_key: cannot read " + key.string());
  }
  if ((st.st_mode & 077) != 0) {
    return fail(Errc::permission, "admin_tls_key: " + key.string() +
                                      " is readable by others; chmod 600 it");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (!ec) ctx->use_certificate_chain_file(cert.string(), ec);
  if (ec) return fail(Errc::invalid_argument, "admin_tls_cert: " + cert.string() + ": " + ec.message());
  ctx->use_private_key_file(key.string(), ssl::context::pem, ec);
  if (ec) return fail(Errc::invalid_argument, "admin_tls_key: " + key.string() + ": " + ec.message());
  return ctx;
}

// ---- the TLS server -------------------------------------------------------------------------

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& ctx, AdminBackend& b, std::shared_ptr<ssl::context> t)
      : io(ctx), backend(b), tls(std::move(t)), acceptor(ctx) {}
  asio::io_context& io;
  AdminBackend& backend;
  std::shared_ptr<ssl::context> tls;
  tcp::acceptor acceptor;
  ui::Sessions sessions{"tta_admin"};
  bool stopped = false;
  void accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Server::Impl> server, tcp::socket s)
      : server_(std::move(server)), stream_(std::move(s), *server_->tls) {}

  void start() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) return;  // not TLS, or gone: nothing to answer
                              self->read();
                            });
  }

 private:
  static std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

  void read() {
    parser_.header_limit(8 * 1024);
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::async_read_header(stream_, buf_, parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_error(ec);
    if (const auto n = parser_.content_length(); n && *n > kMaxAdminBodyBytes) {
      return reply(json_error(413, "the request body is too large"));
    }
    parser_.body_limit(kMaxAdminBodyBytes);
    http::async_read(stream_, buf_, parser_, [self = shared_from_this()](beast::error_code e, std::size_t) {
      if (e) return self->on_error(e);
      self->on_request();
    });
  }

  void on_error(beast::error_code ec) {
    if (ec == http::error::body_limit) return reply(json_error(413, "the request body is too large"));
    if (ec == http::error::header_limit) return reply(json_error(431, "the request headers are too large"));
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return;
    }
    reply(json_error(400, "not an HTTP/1.1 request: " + ec.message()));
  }

  std::string_view header(http::field f) const {
    const auto& req = parser_.get();
    const auto it = req.find(f);
    return it == req.end() ? std::string_view{} : view(it->value());
  }

  void on_request() {
    const auto& req = parser_.get();
    const auto csrf = req.find("X-CSRF-Token");
    const ui::Request r{.method = view(req.method_string()),
                        .target = view(req.target()),
                        .body = req.body(),
                        .cookie = header(http::field::cookie),
                        .csrf = csrf == req.end() ? std::string_view{} : view(csrf->value()),
                        .content_type = header(http::field::content_type)};
    route(server_->backend, server_->sessions, r, std::chrono::steady_clock::now(),
          [self = shared_from_this()](Response res) { self->reply(std::move(res)); });
  }

  void reply(Response r) {
    if (replied_) return;
    replied_ = true;
    res_.version(11);
    res_.keep_alive(false);
    res_.result(static_cast<http::status>(r.status));
    if (r.content_type.empty()) {
      res_.set(http::field::content_type, "application/json; charset=utf-8");
      res_.body() = serialise(r.body);
    } else {
      res_.set(http::field::content_type, r.content_type);
      res_.body() = std::move(r.text);
    }
    for (const auto& [k, v] : r.headers) res_.insert(k, v);
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->stream_.async_shutdown([self](beast::error_code) {});
    });
  }

  std::shared_ptr<Server::Impl> server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buf_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> res_;
  bool replied_ = false;
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
    if (self->stopped) return;
    if (!ec) {
      std::make_shared<Session>(self, std::move(s))->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    } else {
      spdlog::warn("admin pages: accept: {}", ec.message());
    }
    self->accept();
  });
}

Server::Server(asio::io_context& io, AdminBackend& backend, std::shared_ptr<ssl::context> tls)
    : impl_(std::make_shared<Impl>(io, backend, std::move(tls))) {}

Server::~Server() { stop(); }

Status Server::listen(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) return fail(Errc::invalid_argument, "admin_listen: expected host:port");
  boost::system::error_code ec;
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return fail(Errc::invalid_argument, "admin_listen: bad address " + host_port);
  unsigned port = 0;
  const std::string p = host_port.substr(colon + 1);
  const auto [end, perr] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (perr != std::errc{} || end != p.data() + p.size() || port > 65535) {
    return fail(Errc::invalid_argument, "admin_listen: bad port in " + host_port);
  }
  auto& d = *impl_;
  const tcp::endpoint ep(addr, static_cast<std::uint16_t>(port));
  d.acceptor.open(ep.protocol(), ec);
  if (!ec) d.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(ep, ec);
  if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::unavailable, "admin pages on " + host_port + ": " + ec.message());
  d.accept();
  return ok();
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace tta::agent::control::admin
