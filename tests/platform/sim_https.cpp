#include "sim_https.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <sys/stat.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "sim_db.hpp"
#include "tta/core/hex.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/signing.hpp"

namespace tta::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using asio::ip::tcp;

// ---- certificates made at start -------------------------------------------------------------

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool good = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return good;
}

X509Ptr make_cert(const std::string& cn, EVP_PKEY* pub, X509* issuer, EVP_PKEY* issuer_key,
                  bool ca) {
  X509Ptr x(X509_new(), X509_free);
  if (!x) return x;
  std::array<unsigned char, 12> serial{};
  RAND_bytes(serial.data(), static_cast<int>(serial.size()));
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  bool good = bn != nullptr && X509_set_version(x.get(), 2) == 1 &&
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get())) != nullptr &&
              X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr &&
              X509_gmtime_adj(X509_getm_notAfter(x.get()), 30L * 24 * 3600) != nullptr &&
              X509_set_pubkey(x.get(), pub) == 1;
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(x.get());
  good = good && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                            reinterpret_cast<const unsigned char*>(cn.c_str()),
                                            -1, -1, 0) == 1;
  X509* iss = issuer != nullptr ? issuer : x.get();
  good = good && X509_set_issuer_name(x.get(), X509_get_subject_name(iss)) == 1;
  if (ca) {
    good = good && add_ext(x.get(), iss, NID_basic_constraints, "critical,CA:TRUE") &&
           add_ext(x.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
           add_ext(x.get(), iss, NID_subject_key_identifier, "hash");
  } else {
    good = good && add_ext(x.get(), iss, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(x.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
           add_ext(x.get(), iss, NID_ext_key_usage, "serverAuth") &&
           add_ext(x.get(), iss, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  good = good && X509_sign(x.get(), issuer_key, EVP_sha256()) > 0;
  if (!good) x.reset();
  return x;
}

bool write_pem(const fs::path& p, const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new_file(p.c_str(), "w");
  if (bio == nullptr) return false;
  const bool good = write(bio) == 1;
  BIO_free(bio);
  return good;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string url_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto b = from_hex(s.substr(i + 1, 2));
      if (b && b->size() == 1) {
        out += static_cast<char>((*b)[0]);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto item = q.substr(0, amp);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos) {
      out[url_unescape(item.substr(0, eq))] = url_unescape(item.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

/// The bytes of the multipart part named `field`; nullopt when there is none.
std::optional<std::string_view> multipart_file(std::string_view content_type,
                                               std::string_view body, std::string_view field) {
  const auto b = content_type.find("boundary=");
  if (b == std::string_view::npos) return std::nullopt;
  std::string boundary(content_type.substr(b + 9));
  if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delim = "--" + boundary;
  std::size_t pos = body.find(delim);
  while (pos != std::string_view::npos) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) break;
    const auto head = body.substr(pos, head_end - pos);
    const auto next = body.find("\r\n" + delim, head_end + 4);
    if (next == std::string_view::npos) break;
    if (head.find("name=\"" + std::string(field) + "\"") != std::string_view::npos) {
      return body.substr(head_end + 4, next - head_end - 4);
    }
    pos = next + 2;
  }
  return std::nullopt;
}

std::string hex_sha256(std::span<const std::uint8_t> bytes) {
  return to_hex(uplink::sha256(bytes));
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

Status make_test_tls_files(const fs::path& dir) {
  PkeyPtr ca_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  PkeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!ca_key || !key) return fail(Errc::internal, "EC key generation failed");
  // A name of its own per CA: two simulators' CAs must not be mistaken for each other.
  std::array<std::uint8_t, 4> tag{};
  RAND_bytes(tag.data(), static_cast<int>(tag.size()));
  auto ca = make_cert("tta-platform-sim test CA " + to_hex(tag), ca_key.get(), nullptr,
                      ca_key.get(), true);
  if (!ca) return fail(Errc::internal, "making the CA certificate failed");
  auto cert = make_cert("localhost", key.get(), ca.get(), ca_key.get(), false);
  if (!cert) return fail(Errc::internal, "making the server certificate failed");
  std::error_code ec;
  fs::create_directories(dir, ec);
  const bool good =
      write_pem(dir / "ca.pem", [&](BIO* b) { return PEM_write_bio_X509(b, ca.get()); }) &&
      write_pem(dir / "cert.pem", [&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }) &&
      write_pem(dir / "key.pem", [&](BIO* b) {
        ::chmod((dir / "key.pem").c_str(), 0600);
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      });
  if (!good) return fail(Errc::io, "writing TLS files into " + dir.string());
  return ok();
}

// ---- the server -----------------------------------------------------------------------------

namespace {

struct HttpCounters {
  std::int64_t connections = 0;
  std::int64_t requests = 0;
  std::int64_t unique = 0;
  std::int64_t duplicates = 0;
  std::int64_t conflicts = 0;
  std::int64_t signature_failures = 0;
  std::int64_t bad_requests = 0;
  std::int64_t queries = 0;
  std::int64_t fault_5xx = 0;
  std::int64_t fault_refused = 0;
  std::int64_t fault_resets = 0;
  std::int64_t fault_delayed = 0;
};

/// What to answer one request with.
struct Answer {
  http::status status = http::status::ok;
  nlohmann::ordered_json body;  // the platform's key order: errorcode, message, data
  bool reset = false;  // send half of it, then reset the connection
};

class HttpsSession;

}  // namespace

struct HttpsServer::Impl {
  asio::io_context& io;
  SimOptions options;
  SimDb& db;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor;
  fs::path ca;
  HttpCounters counts;
  std::map<std::string, uplink::Certificate> trusted;  // by serial hex
  std::set<std::shared_ptr<HttpsSession>> live;
  bool stopped = false;

  Impl(asio::io_context& ctx, SimOptions opts, SimDb& database)
      : io(ctx), options(std::move(opts)), db(database), acceptor(ctx) {}

  void accept();
  Answer handle(const http::request<http::string_body>& req);
  const uplink::Certificate* certificate(const std::string& serial);
};

namespace {

class HttpsSession : public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(HttpsServer::Impl& srv, tcp::socket s)
      : srv_(srv), stream_(std::move(s), srv.tls), delay_(srv.io) {}

  void start() {
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) return self->finish();
                              self->read();
                            });
  }

  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(64U * 1024 * 1024);
    http::async_read(stream_, buf_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->finish();
                       self->on_request();
                     });
  }

  void on_request() {
    req_ = parser_->release();
    Answer a = srv_.handle(req_);
    res_ = {};
    res_.version(req_.version());
    res_.result(a.status);
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::content_type, "application/json;charset=utf-8");
    res_.body() = a.body.dump();
    res_.prepare_payload();
    reset_ = a.reset;
    const auto delay = srv_.options.faults.http_delay;
    if (delay.count() > 0) {
      ++srv_.counts.fault_delayed;
      delay_.expires_after(delay);
      delay_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->finish();
        self->write();
      });
      return;
    }
    write();
  }

  void write() {
    if (reset_) {
      // Headers and half the body, then a TCP reset: the upload is stored but the client
      // never sees the reply, so it must send again (and the key makes that harmless).
      std::ostringstream os;
      os << res_;
      wire_ = os.str();
      wire_.resize(wire_.size() - res_.body().size() / 2);
      asio::async_write(stream_, asio::buffer(wire_),
                        [self = shared_from_this()](beast::error_code, std::size_t) {
                          auto& sock = beast::get_lowest_layer(self->stream_).socket();
                          beast::error_code ec;
                          sock.set_option(asio::socket_base::linger(true, 0), ec);
                          sock.close(ec);
                          self->finish();
                        });
      return;
    }
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive() || self->srv_.stopped) return self->finish();
      self->read();
    });
  }

  void finish() {
    close();
    srv_.live.erase(shared_from_this());
  }

  HttpsServer::Impl& srv_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  asio::steady_timer delay_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  bool reset_ = false;
  std::string wire_;
};

nlohmann::ordered_json reply(std::int64_t errorcode, const std::string& message,
                             nlohmann::json data = nlohmann::json::object()) {
  return {{"errorcode", errorcode}, {"message", message}, {"data", std::move(data)}};
}

}  // namespace

void HttpsServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
    if (ec || stopped) return;
    ++counts.connections;
    s.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<HttpsSession>(*this, std::move(s));
    live.insert(session);
    session->start();
    accept();
  });
}

const uplink::Certificate* HttpsServer::Impl::certificate(const std::string& serial) {
  if (auto it = trusted.find(serial); it != trusted.end()) return &it->second;
  // Terminals may have registered since: look again.
  if (auto certs = db.terminal_certificates()) {
    for (const auto& der : *certs) {
      if (auto c = uplink::Certificate::from_der(der)) trusted.emplace(c->serial_hex(), *c);
    }
  }
  auto it = trusted.find(serial);
  return it == trusted.end() ? nullptr : &it->second;
}

Answer HttpsServer::Impl::handle(const http::request<http::string_body>& req) {
  const auto n = static_cast<std::uint32_t>(++counts.requests);
  const auto& f = options.faults;
  const std::string target(req.target());
  const auto qpos = target.find('?');
  std::string path = target.substr(0, qpos);
  if (path.starts_with("/")) path.erase(0, 1);
  const auto query = parse_query(qpos == std::string::npos ? "" : target.substr(qpos + 1));

  auto bad = [&](http::status st, std::int64_t code, const std::string& why) {
    ++counts.bad_requests;
    return Answer{st, reply(code, why), false};
  };
  // Which resource, which bytes were signed, what is stored under which key.
  enum class Kind { json, file, get, ce } kind = Kind::json;
  std::string resource = path;
  if (path.starts_with("imageup/") && path.size() > 8) {
    kind = Kind::file;
    resource = "imageup";
  } else if (path.starts_with("ce/") && path.size() > 3) {
    kind = Kind::ce;
    resource = "ce." + path.substr(3);
  } else if (path.starts_with("stuinfoquery-") || path.starts_with("traininfo-")) {
    kind = Kind::get;
    resource = path.substr(0, path.find('-'));
  }
  const uplink::HttpResource* spec = nullptr;
  for (const auto& r : uplink::default_http_resources()) {
    if (r.name == resource) spec = &r;
  }
  if (kind != Kind::ce && spec == nullptr) {
    return bad(http::status::not_found, 404, "no such resource: " + path);
  }
  if ((kind == Kind::get) != (req.method() == http::verb::get) ||
      (req.method() != http::verb::get && req.method() != http::verb::post)) {
    return bad(http::status::method_not_allowed, 405, "wrong method for " + path);
  }
  if (f.http_5xx_every != 0 && n % f.http_5xx_every == 0) {
    ++counts.fault_5xx;
    return Answer{http::status::service_unavailable,
                  reply(503, "fault plan: service unavailable"), false};
  }
  for (const char* p : {"v", "ts", "sign", "user"}) {
    if (!query.contains(p) || query.at(p).empty()) {
      return bad(http::status::bad_request, 400, std::string("missing query parameter ") + p);
    }
  }
  const std::string& ts_text = query.at("ts");
  if (!std::all_of(ts_text.begin(), ts_text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      ts_text.size() > 15) {
    return bad(http::status::bad_request, 400, "ts is not Unix milliseconds");
  }
  const auto ts = std::stoll(ts_text);
  std::string_view signed_view;
  std::string_view content;
  const std::string_view body = req.body();
  if (kind == Kind::get) {
    signed_view = path;
  } else if (kind == Kind::file) {
    auto file = multipart_file(std::string(req[http::field::content_type]), body, spec->file_field);
    if (!file) return bad(http::status::bad_request, 400, "no multipart part named file");
    signed_view = content = *file;
  } else {
    signed_view = content = body;
  }
  auto sig = from_hex(query.at("sign"));
  const uplink::Certificate* cert = certificate(query.at("user"));
  if (!sig || cert == nullptr ||
      !cert->verify(uplink::http_signed_bytes(as_bytes(signed_view), ts), *sig)) {
    ++counts.signature_failures;
    return Answer{http::status::forbidden,
                  reply(403, cert == nullptr ? "unknown user (certificate serial)"
                                             : "sign does not verify"),
                  false};
  }
  if (kind == Kind::get) {
    ++counts.queries;
    return Answer{http::status::ok,
                  reply(0, "", {{"stunum", path.substr(path.find('-') + 1)}}), false};
  }
  if (f.http_refuse_every != 0 && n % f.http_refuse_every == 0) {
    ++counts.fault_refused;
    return Answer{http::status::ok, reply(9, "fault plan: refused"), false};
  }
  HttpUploadRow row;
  row.resource = resource;
  row.content.assign(content.begin(), content.end());
  row.sha256 = hex_sha256(row.content);
  row.received_ms = now_ms();
  nlohmann::json data = nlohmann::json::object();
  if (kind == Kind::file) {
    row.key = row.sha256.substr(0, 32);  // same file, same id
    data["id"] = row.key;
  } else if (kind == Kind::ce) {
    row.key = row.sha256;
  } else {
    const auto j = nlohmann::json::parse(content, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Answer{http::status::ok, reply(2, "body is not a JSON object"), false};
    }
    for (const auto& k : spec->key_fields) {
      const auto it = j.find(k);
      if (it == j.end() || it->is_null()) {
        return Answer{http::status::ok, reply(3, "missing key field " + k), false};
      }
      row.key += (row.key.empty() ? "" : "/") + (it->is_string() ? it->get<std::string>()
                                                                  : it->dump());
    }
  }
  auto added = db.add_http(row);
  if (!added) return Answer{http::status::internal_server_error, reply(500, added.error().message)};
  switch (*added) {
    case SimDb::HttpAdd::fresh: ++counts.unique; break;
    case SimDb::HttpAdd::duplicate: ++counts.duplicates; break;
    case SimDb::HttpAdd::conflict:
      ++counts.conflicts;
      std::cerr << "sim: HTTPS " << resource << " " << row.key
                << " sent again with different content\n";
      break;
  }
  Answer a{http::status::ok, reply(0, "", data), false};
  if (f.http_reset_every != 0 && n % f.http_reset_every == 0) {
    ++counts.fault_resets;
    a.reset = true;
  }
  return a;
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::create(asio::io_context& io,
                                                         const SimOptions& options, SimDb& db,
                                                         const asio::ip::address& addr) {
  auto impl = std::make_shared<Impl>(io, options, db);
  fs::path cert = options.tls_cert_file;
  fs::path key = options.tls_key_file;
  if (cert.empty() || key.empty()) {
    const fs::path dir = options.data_dir / "https";
    if (auto st = make_test_tls_files(dir); !st) return fail(st.error());
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    impl->ca = options.data_dir / "https-ca.pem";
    std::error_code fec;
    fs::copy_file(dir / "ca.pem", impl->ca, fs::copy_options::overwrite_existing, fec);
    if (fec) return fail(Errc::io, "writing " + impl->ca.string() + ": " + fec.message());
  }
  beast::error_code ec;
  impl->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                        ssl::context::no_tlsv1_1);
  impl->tls.use_certificate_chain_file(cert.string(), ec);
  if (!ec) impl->tls.use_private_key_file(key.string(), ssl::context::pem, ec);
  if (ec) return fail(Errc::invalid_argument, "HTTPS certificate or key: " + ec.message());
  for (const auto& p : options.http_client_certs) {
    std::ifstream in(p);
    std::stringstream text;
    text << in.rdbuf();
    auto c = uplink::Certificate::from_pem(text.str());
    if (!c) return fail(c.error().context(p.string()));
    impl->trusted.emplace(c->serial_hex(), *c);
  }
  tcp::endpoint ep(addr, options.https_port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(Errc::unavailable, "cannot listen on HTTPS port " +
                                       std::to_string(options.https_port) + ": " + ec.message());
  }
  impl->accept();
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

HttpsServer::HttpsServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsServer::~HttpsServer() { stop(); }

std::uint16_t HttpsServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}
fs::path HttpsServer::ca_file() const { return impl_->ca; }

nlohmann::json HttpsServer::summary() const {
  nlohmann::json by = nlohmann::json::object();
  if (auto m = impl_->db.http_by_resource()) {
    for (const auto& [r, c] : *m) by[r] = c;
  }
  const auto& c = impl_->counts;
  return {{"http_connections", c.connections},
          {"http_requests", c.requests},
          {"http_unique", c.unique},
          {"http_duplicates", c.duplicates},
          {"http_conflicts", c.conflicts},
          {"http_signature_failures", c.signature_failures},
          {"http_bad_requests", c.bad_requests},
          {"http_queries", c.queries},
          {"http_5xx_by_fault", c.fault_5xx},
          {"http_refused_by_fault", c.fault_refused},
          {"http_resets_by_fault", c.fault_resets},
          {"http_delayed_by_fault", c.fault_delayed},
          {"http_by_resource", by}};
}

nlohmann::json HttpsServer::uploads() const {
  nlohmann::json list = nlohmann::json::array();
  if (auto rows = impl_->db.http_uploads()) {
    for (const auto& u : *rows) {
      list.push_back({{"resource", u.resource},
                      {"key", u.key},
                      {"sha256", u.sha256},
                      {"bytes", u.content.size()}});
    }
  }
  return list;
}

void HttpsServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (const auto& s : std::set<std::shared_ptr<HttpsSession>>(impl_->live)) s->close();
}

}  // namespace tta::sim
