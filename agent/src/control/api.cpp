#include "control/api.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <charconv>
#include <limits>
#include <map>

#include <sys/stat.h>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "control/ui.hpp"
#include "control/control_target.hpp"

namespace tta::agent::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using asio::ip::tcp;
using unix_socket = asio::local::stream_protocol;
using nlohmann::json;

bool authorised(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (token.empty() || authorization.size() != kBearer.size() + token.size()) return false;
  if (authorization.substr(0, kBearer.size()) != kBearer) return false;
  return CRYPTO_memcmp(authorization.data() + kBearer.size(), token.data(), token.size()) == 0;
}

std::string serialise(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {

Response error(unsigned status, std::string message) {
  return {status, {{"error", std::move(message)}}, {}};
}

/// A field that must be a string when present: the value, nullopt when absent, or the 400.
struct Field {
  std::optional<std::string> value;
  std::optional<Response> bad;
};

Field string_field(const json& body, const char* name, const char* hint) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string()) {
    return {std::nullopt, error(400, std::string("field \"") + name + "\" must be a string" + hint)};
  }
  return {it->get<std::string>(), std::nullopt};
}

/// The request body as a JSON object, or the 400.
std::optional<json> object_body(std::string_view text, Response& bad) {
  auto body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    bad = error(400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

void check(Backend& backend, bool in, std::string_view body_text, const Respond& done) {
  Response bad;
  auto body = object_body(body_text, bad);
  if (!body) return done(std::move(bad));
  auto role = string_field(*body, "role", "");
  if (role.bad) return done(std::move(*role.bad));
  if (role.value != "coach" && role.value != "student") {
    return done(error(400, "field \"role\" must be \"coach\" or \"student\""));
  }
  auto number = string_field(*body, "number", " of digits, in quotes");
  if (number.bad) return done(std::move(*number.bad));
  auto course = string_field(*body, "course", " of 10 digits, in quotes");
  if (course.bad) return done(std::move(*course.bad));
  backend.check({in, *role.value, std::move(number.value), std::move(course.value)}, done);
}

void ack(Backend& backend, std::string_view body_text, const Respond& done) {
  Response bad;
  auto body = object_body(body_text, bad);
  if (!body) return done(std::move(bad));
  std::vector<std::int64_t> ids;
  bool all = false;
  if (const auto it = body->find("all"); it != body->end()) {
    if (!it->is_boolean()) return done(error(400, "field \"all\" must be true or false"));
    all = it->get<bool>();
  }
  if (!all) {
    const auto it = body->find("ids");
    if (it == body->end() || !it->is_array() || it->empty()) {
      return done(error(400, "expected {\"ids\": [1, 2, …]} or {\"all\": true}"));
    }
    for (const auto& v : *it) {
      if (!v.is_number_integer()) return done(error(400, "field \"ids\" must hold integers"));
      ids.push_back(v.get<std::int64_t>());
    }
  }
  auto n = backend.ack_messages(ids);
  if (!n) return done(error(n.error().code == Errc::not_found ? 404 : 500, n.error().message));
  done({200, {{"ok", true}, {"marked_read", *n}}, {}});
}

void route_checked(Backend& backend, std::string_view method, std::string_view target,
                   std::string_view body, const Respond& done) {
  const ControlTarget t = parse_control_target(target);
  static const std::map<std::string, std::string_view, std::less<>> kEndpoints = {
      {"/status", "GET"},   {"/checkin", "POST"},      {"/checkout", "POST"},
      {"/messages", "GET"}, {"/messages/ack", "POST"}, {"/progress", "GET"}};
  const auto ep = kEndpoints.find(t.path);
  if (ep == kEndpoints.end()) return done(error(404, "unknown endpoint " + t.path));
  if (method != ep->second) {
    Response r = error(405, t.path + " takes " + std::string(ep->second));
    r.allow = std::string(ep->second);
    return done(std::move(r));
  }
  if (t.path == "/status") return done({200, backend.status(), {}});
  if (t.path == "/checkin" || t.path == "/checkout") {
    return check(backend, t.path == "/checkin", body, done);
  }
  if (t.path == "/messages/ack") return ack(backend, body, done);
  if (t.path == "/messages") {
    const auto u = t.query.find("unread");
    auto m = backend.messages(u != t.query.end() && u->second != "0");
    if (!m) return done(error(500, m.error().message));
    return done({200, std::move(*m), {}});
  }
  const auto it = t.query.find("student");
  if (it == t.query.end() || it->second.empty()) {
    return done(error(400, "expected /progress?student=NUMBER"));
  }
  auto p = backend.progress(it->second);
  if (!p) return done(error(p.error().code == Errc::not_found ? 404 : 500, p.error().message));
  done({200, std::move(*p), {}});
}

}  // namespace

void route(Backend& backend, std::string_view method, std::string_view target,
           std::string_view body, const Respond& done) {
  // `done` once: a handler that throws after answering must not answer twice.
  auto answered = std::make_shared<bool>(false);
  Respond once = [answered, done](Response r) {
    if (*answered) return;
    *answered = true;
    done(std::move(r));
  };
  try {
    route_checked(backend, method, target, body, once);
  } catch (const std::exception& e) {
    spdlog::error("control API: {} {}: {}", method, target, e.what());
    once(error(500, "internal error; the agent keeps running"));
  }
}

// ---- the server ------------------------------------------------------------------------------

/// A connection that stays open for the screens' event stream.
class EventSink {
 public:
  virtual ~EventSink() = default;
  /// Queue one event; a slow reader gets the latest only (nothing piles up).
  virtual void push(std::shared_ptr<const std::string> event) = 0;
  [[nodiscard]] virtual bool open() const = 0;
  virtual void close() = 0;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& ctx, Backend& b, std::string t)
      : io(ctx), backend(b), token(std::move(t)), tcp_acceptor(ctx), unix_acceptor(ctx),
        tick(ctx) {}

  asio::io_context& io;
  Backend& backend;
  std::string token;
  tcp::acceptor tcp_acceptor;
  unix_socket::acceptor unix_acceptor;
  fs::path unix_path;
  bool stopped = false;
  ui::Sessions ui_sessions;

  // The event stream: the status, sent when it changed, looked at every second while anyone
  // listens (and at once on status_changed()); a comment every 15 s keeps proxies awake.
  std::vector<std::weak_ptr<EventSink>> streams;
  asio::steady_timer tick;
  bool ticking = false;
  std::string last_status;
  std::chrono::steady_clock::time_point last_push{};

  template <class Acceptor>
  void accept(Acceptor& acceptor);

  /// A new listener: it gets the status at once. False when there are too many.
  bool add_stream(const std::shared_ptr<EventSink>& sink) {
    prune();
    if (streams.size() >= Server::kMaxEventStreams) return false;
    streams.push_back(sink);
    if (!last_status.empty() && streams.size() > 1) {
      sink->push(std::make_shared<const std::string>(event_of(last_status)));
    } else {
      last_status.clear();  // the first listener: look now
      look();
    }
    if (!ticking) schedule();
    return true;
  }

  void prune() {
    std::erase_if(streams, [](const std::weak_ptr<EventSink>& w) {
      auto s = w.lock();
      return !s || !s->open();
    });
  }

  static std::string event_of(const std::string& status_json) {
    std::string data = status_json;
    while (!data.empty() && data.back() == '\n') data.pop_back();
    return "event: status\ndata: " + data + "\n\n";
  }

  void look() {
    prune();
    if (streams.empty() || stopped) return;
    std::string now_status;
    try {
      now_status = serialise(backend.status());
    } catch (const std::exception& e) {
      spdlog::error("control API: status for the screens: {}", e.what());
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    std::shared_ptr<const std::string> ev;
    if (now_status != last_status) {
      last_status = std::move(now_status);
      ev = std::make_shared<const std::string>(event_of(last_status));
    } else if (now - last_push >= std::chrono::seconds(15)) {
      ev = std::make_shared<const std::string>(": still here\n\n");
    }
    if (!ev) return;
    last_push = now;
    for (auto& w : streams) {
      if (auto s = w.lock()) s->push(ev);
    }
  }

  void schedule() {
    ticking = true;
    tick.expires_after(std::chrono::seconds(1));
    tick.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      self->ticking = false;
      if (ec || self->stopped) return;
      self->look();
      if (!self->streams.empty()) self->schedule();
    });
  }
};

namespace {

/// One request per connection: headers (token or session checked), then a capped body, then
/// the answer; or, for the screens' event stream, an open connection the server pushes to.
template <class Protocol>
class Session : public std::enable_shared_from_this<Session<Protocol>>, public EventSink {
 public:
  Session(std::shared_ptr<Server::Impl> server, typename Protocol::socket s)
      : server_(std::move(server)), stream_(std::move(s)) {}

  void start() {
    stream_.expires_after(std::chrono::seconds(30));
    parser_.header_limit(8 * 1024);
    // No body limit while the headers are read (Beast would refuse a large Content-Length
    // there, before the token is looked at): the cap is set once the token passed.
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::async_read_header(stream_, buf_, parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void push(std::shared_ptr<const std::string> event) override {
    if (!streaming_ || closed_) return;
    if (writing_) {
      next_ = std::move(event);  // the latest wins; a slow reader skips what it missed
      return;
    }
    write_event(std::move(event));
  }
  [[nodiscard]] bool open() const override { return streaming_ && !closed_; }
  void close() override {
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(Protocol::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  static std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }
  std::string_view header(http::field f) const {
    const auto& req = parser_.get();
    const auto it = req.find(f);
    return it == req.end() ? std::string_view{} : view(it->value());
  }

  void on_header(beast::error_code ec) {
    if (ec) return reply_error_for(ec);
    const auto& req = parser_.get();
    ui_ = ui::is_ui_target(view(req.target()));
    if (!ui_ && !authorised(header(http::field::authorization), server_->token)) {
      return reply({401, {{"error", "a valid bearer token is required"}}, {}});
    }
    if (ui_) {
      // The screens: a session (cookie), checked before any body is read, except to log in.
      const auto target = view(req.target());
      const bool login = target.substr(0, target.find('?')) == "/ui/login";
      const bool asset = target.starts_with("/ui/static/");
      if (!login && !asset &&
          !server_->ui_sessions.find(header(http::field::cookie), std::chrono::steady_clock::now())) {
        return route_ui("");  // answers 401 or the way to the login page, body unread
      }
      if (ui::is_event_stream(target) && req.method() == http::verb::get) return start_events();
    }
    if (const auto length = parser_.content_length(); length && *length > kMaxBodyBytes) {
      return reply_error_for(http::error::body_limit);
    }
    parser_.body_limit(kMaxBodyBytes);  // chunked bodies are counted as they come
    if (req[http::field::expect] == "100-continue") {
      // Not supported: answer without reading a body the client has not sent.
      return reply({417, {{"error", "Expect: 100-continue is not supported"}}, {}});
    }
    http::async_read(stream_, buf_, parser_,
                     [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                       self->on_body(e);
                     });
  }

  void on_body(beast::error_code ec) {
    if (ec) return reply_error_for(ec);
    const auto& req = parser_.get();
    if (ui_) return route_ui(req.body());
    route(server_->backend, view(req.method_string()), view(req.target()), req.body(),
          [self = this->shared_from_this()](Response r) {
            // A check answers later, from the face worker's result: back on the loop anyway.
            self->reply(std::move(r));
          });
  }

  void route_ui(std::string_view body) {
    const auto& req = parser_.get();
    const ui::Request r{.method = view(req.method_string()),
                        .target = view(req.target()),
                        .body = body,
                        .cookie = header(http::field::cookie),
                        .csrf = [&] {
                          const auto it = req.find("X-CSRF-Token");
                          return it == req.end() ? std::string_view{} : view(it->value());
                        }(),
                        .content_type = header(http::field::content_type)};
    const bool change = req.method() == http::verb::post;
    ui::route(server_->backend, server_->ui_sessions, server_->token, r,
              std::chrono::steady_clock::now(),
              [self = this->shared_from_this(), change](Response res) {
                const bool ok = res.status == 200;
                self->reply(std::move(res));
                // A check-in or -out changes what the screens show: tell them now.
                if (ok && change) self->server_->look();
              });
  }

  /// The event stream: headers now, then whatever the server pushes; nothing is read from the
  /// browser but the end of the connection.
  void start_events() {
    if (!server_->ui_sessions.find(header(http::field::cookie), std::chrono::steady_clock::now())) {
      return reply({401, {{"error", "log in first: open /ui/login"}}, {}});
    }
    stream_.expires_never();
    streaming_ = true;
    Response head{200, {}, {}};
    ui::add_security_headers(head);
    std::string text =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        "Connection: keep-alive\r\n";
    for (const auto& [k, v] : head.headers) text += k + ": " + v + "\r\n";
    text += "\r\n";
    writing_ = true;  // what add_stream pushes waits in next_, behind the headers
    if (!server_->add_stream(this->shared_from_this())) {
      streaming_ = false;
      writing_ = false;
      return reply({503, {{"error", "too many screens are listening; close one"}}, {}});
    }
    auto first = std::move(next_);
    next_.reset();
    write_event(std::make_shared<const std::string>(std::move(text)));
    next_ = std::move(first);
    watch_close();
  }

  void write_event(std::shared_ptr<const std::string> event) {
    writing_ = true;
    current_ = std::move(event);
    asio::async_write(stream_, asio::buffer(*current_),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->close();
                        if (self->next_) {
                          auto n = std::move(self->next_);
                          self->next_.reset();
                          self->write_event(std::move(n));
                        }
                      });
  }

  void watch_close() {
    stream_.async_read_some(asio::buffer(sink_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->watch_close();  // a browser sends nothing; drop whatever comes
                            });
  }

  void reply_error_for(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return reply({413, {{"error", "the request body is larger than " +
                                        std::to_string(kMaxBodyBytes) + " bytes"}}, {}});
    }
    if (ec == http::error::header_limit) {
      return reply({431, {{"error", "the request headers are too large"}}, {}});
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
        ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return;  // nothing to answer
    }
    reply({400, {{"error", "not an HTTP/1.1 request: " + ec.message()}}, {}});
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
    if (!r.allow.empty()) res_.set(http::field::allow, r.allow);
    for (const auto& [k, v] : r.headers) res_.insert(k, v);
    res_.prepare_payload();
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(Protocol::socket::shutdown_send, ignored);
                      });
  }

  std::shared_ptr<Server::Impl> server_;
  beast::basic_stream<Protocol> stream_;
  beast::flat_buffer buf_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> res_;
  bool replied_ = false;
  bool ui_ = false;
  // The event stream.
  bool streaming_ = false;
  bool closed_ = false;
  bool writing_ = false;
  std::shared_ptr<const std::string> current_;
  std::shared_ptr<const std::string> next_;
  std::array<char, 512> sink_{};
};

}  // namespace

template <class Acceptor>
void Server::Impl::accept(Acceptor& acceptor) {
  using Protocol = typename Acceptor::protocol_type;
  acceptor.async_accept([self = shared_from_this(), &acceptor](boost::system::error_code ec,
                                                              typename Protocol::socket s) {
    if (self->stopped) return;
    if (!ec) {
      std::make_shared<Session<Protocol>>(self, std::move(s))->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    } else {
      // Out of descriptors and the like: log, and keep accepting (the next may work).
      spdlog::warn("control API: accept: {}", ec.message());
    }
    self->accept(acceptor);
  });
}

Server::Server(asio::io_context& io, Backend& backend, std::string token)
    : impl_(std::make_shared<Impl>(io, backend, std::move(token))) {}

Server::~Server() { stop(); }

Status Server::listen(const std::string& listen) {
  auto& d = *impl_;
  if (listen.starts_with("unix:")) {
    const fs::path path = listen.substr(5);
    std::error_code fec;
    const auto st = fs::symlink_status(path, fec);
    if (fs::exists(st)) {
      if (!fs::is_socket(st)) {
        return fail(Errc::already_exists, "control_listen: " + path.string() +
                                              " exists and is not a socket (left as it is)");
      }
      // A socket file: served by a running agent, or left behind by one that died.
      unix_socket::socket probe(d.io);
      boost::system::error_code ec;
      probe.connect(unix_socket::endpoint(path.string()), ec);
      if (!ec) {
        return fail(Errc::already_exists, "control_listen: another process serves " + path.string());
      }
      spdlog::info("control API: replacing the stale socket {}", path.string());
      fs::remove(path, fec);
    }
    boost::system::error_code ec;
    d.unix_acceptor.open(unix_socket(), ec);
    if (!ec) d.unix_acceptor.bind(unix_socket::endpoint(path.string()), ec);
    if (ec) return fail(Errc::unavailable, "control API on unix:" + path.string() + ": " + ec.message());
    d.unix_path = path;
    // Owner only, before listen(): nobody can connect to a socket that is not listening yet.
    if (::chmod(path.c_str(), 0600) != 0) {
      return fail(Errc::permission, "control API: chmod 600 " + path.string() + " failed");
    }
    d.unix_acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(Errc::unavailable, "control API on unix:" + path.string() + ": " + ec.message());
    d.accept(d.unix_acceptor);
    return ok();
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return fail(Errc::invalid_argument, "control_listen: expected host:port or unix:/path, got " + listen);
  }
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(listen.substr(0, colon), ec);
  if (ec) return fail(Errc::invalid_argument, "control_listen: bad address " + listen);
  if (!addr.is_loopback()) {
    return fail(Errc::invalid_argument, "control_listen must be a loopback address");
  }
  unsigned port = 0;
  const std::string port_text = listen.substr(colon + 1);
  const auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (perr != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return fail(Errc::invalid_argument, "control_listen: bad port in " + listen);
  }
  tcp::endpoint ep(addr, static_cast<std::uint16_t>(port));
  d.tcp_acceptor.open(ep.protocol(), ec);
  if (!ec) d.tcp_acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) d.tcp_acceptor.bind(ep, ec);
  if (!ec) d.tcp_acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::unavailable, "control API on " + listen + ": " + ec.message());
  d.accept(d.tcp_acceptor);
  return ok();
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  auto& d = *impl_;
  d.stopped = true;
  d.tick.cancel();
  for (auto& w : d.streams) {
    if (auto sink = w.lock()) sink->close();
  }
  d.streams.clear();
  boost::system::error_code ec;
  d.tcp_acceptor.close(ec);
  if (d.unix_acceptor.is_open()) {
    d.unix_acceptor.close(ec);
    std::error_code fec;
    if (!d.unix_path.empty()) fs::remove(d.unix_path, fec);
    d.unix_path.clear();
  }
}

void Server::status_changed() {
  asio::post(impl_->io, [d = impl_] { d->look(); });
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  const auto ep = impl_->tcp_acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace tta::agent::control
