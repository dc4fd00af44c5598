// HTTPS transfers on libcurl: blocking easy handles on worker threads, results posted back.
#include "tta/uplink/http_client.hpp"

#include <curl/curl.h>
#include <openssl/err.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>

namespace tta::uplink {
namespace {

void global_init() {
  // Before any thread uses libcurl; also initialises OpenSSL's threading for it.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// A libcurl failure as an error value. The URL (which carries the signature) is not included.
Error curl_error(CURLcode rc, const char* detail) {
  std::string msg = curl_easy_strerror(rc);
  if (detail != nullptr && detail[0] != '\0') msg += std::string(" (") + detail + ")";
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error(Errc::timeout, msg);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error(Errc::invalid_argument, msg);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_FAILED_INIT:
      return Error(Errc::internal, msg);
    default:
      // Connect/resolve failures, TLS handshake and verification failures, resets, partial
      // bodies, proxy failures: the peer is not reachable right now.
      return Error(Errc::unavailable, msg);
  }
}

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpClientOptions HttpClientOptions::from_config(const config::HttpUplinkConfig& cfg) {
  HttpClientOptions o;
  o.ca_bundle = cfg.ca_bundle;
  o.client_cert = cfg.client_cert;
  o.client_key = cfg.client_key;
  o.proxy = cfg.proxy;
  o.connect_timeout = std::chrono::milliseconds(cfg.connect_timeout_ms);
  o.total_timeout = std::chrono::milliseconds(cfg.total_timeout_ms);
  o.reuse_connections = cfg.reuse_connections;
  o.workers = cfg.workers;
  o.max_response_bytes = cfg.max_response_bytes;
  return o;
}

// ---- HttpConnection --------------------------------------------------------------------------

struct HttpConnection::Impl {
  CURL* easy = nullptr;
  HttpClientOptions options;
  HttpTransferStats stats;
  std::string response;
  bool too_big = false;  // the body passed max_response_bytes: the transfer was aborted
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::atomic<bool>* abort = nullptr;  // set by HttpClient: stop() cancels transfers

  ~Impl() {
    if (easy != nullptr) curl_easy_cleanup(easy);
  }

  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (self->response.size() + size * n > self->options.max_response_bytes) {
      self->too_big = true;
      return 0;  // anything but size * n: libcurl aborts with CURLE_WRITE_ERROR
    }
    self->response.append(data, size * n);
    return size * n;
  }
  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* self = static_cast<Impl*>(user);
    return self->abort != nullptr && self->abort->load() ? 1 : 0;
  }

  Status setup() {
    easy = curl_easy_init();
    if (easy == nullptr) return fail(Errc::internal, "curl_easy_init failed");
    bool good = true;
    auto set = [&](CURLoption opt, auto value) {
      if (curl_easy_setopt(easy, opt, value) != CURLE_OK) good = false;
    };
    set(CURLOPT_ERRORBUFFER, errbuf);
    set(CURLOPT_NOSIGNAL, 1L);
    // TLS is never optional and never unverified.
    set(CURLOPT_PROTOCOLS_STR, "https");
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    set(CURLOPT_FOLLOWLOCATION, 0L);
    if (!options.ca_bundle.empty()) set(CURLOPT_CAINFO, options.ca_bundle.c_str());
    if (!options.client_cert.empty()) {
      set(CURLOPT_SSLCERT, options.client_cert.c_str());
      set(CURLOPT_SSLCERTTYPE, "PEM");
      set(CURLOPT_SSLKEY, options.client_key.c_str());
      set(CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!options.proxy.empty()) set(CURLOPT_PROXY, options.proxy.c_str());
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    set(CURLOPT_TCP_NODELAY, 1L);
    set(CURLOPT_TCP_KEEPALIVE, 1L);
    if (!options.reuse_connections) {
      set(CURLOPT_FORBID_REUSE, 1L);
      set(CURLOPT_FRESH_CONNECT, 1L);
    }
    set(CURLOPT_WRITEFUNCTION, &Impl::on_write);
    set(CURLOPT_WRITEDATA, static_cast<void*>(this));
    set(CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
    set(CURLOPT_XFERINFODATA, static_cast<void*>(this));
    set(CURLOPT_NOPROGRESS, 0L);
    if (!good) return fail(Errc::internal, "libcurl refused an option: " + std::string(errbuf));
    return ok();
  }
};

Result<HttpConnection> HttpConnection::create(const HttpClientOptions& options) {
  global_init();
  namespace fs = std::filesystem;
  for (const auto& [what, p] : {std::pair{"CA bundle", options.ca_bundle},
                                std::pair{"client certificate", options.client_cert},
                                std::pair{"client key", options.client_key}}) {
    std::error_code ec;
    if (!p.empty() && !fs::exists(p, ec)) {
      return fail(Errc::not_found, std::string(what) + " " + p.string() + " does not exist");
    }
  }
  if (options.client_cert.empty() != options.client_key.empty()) {
    return fail(Errc::invalid_argument, "client certificate and key go together");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (auto st = impl->setup(); !st) return fail(st.error());
  return HttpConnection(std::move(impl));
}

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpConnection::HttpConnection(HttpConnection&&) noexcept = default;
HttpConnection& HttpConnection::operator=(HttpConnection&&) noexcept = default;
HttpConnection::~HttpConnection() = default;

const HttpTransferStats& HttpConnection::stats() const { return impl_->stats; }

Result<HttpResponse> HttpConnection::perform(const HttpRequest& request) {
  Impl& d = *impl_;
  CURL* e = d.easy;
  d.response.clear();
  d.too_big = false;
  d.errbuf[0] = '\0';
  ++d.stats.requests;
  std::unique_ptr<curl_slist, SlistFree> headers;
  auto add_header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  bool good = curl_easy_setopt(e, CURLOPT_URL, request.url.c_str()) == CURLE_OK;
  if (request.method == "GET") {
    good = good && curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK;
  } else if (request.method == "POST") {
    good = good && curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                            static_cast<curl_off_t>(request.body.size())) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.data()) == CURLE_OK;
    if (!request.content_type.empty()) add_header("Content-Type: " + request.content_type);
    add_header("Expect:");  // no 100-continue round trip for large bodies
  } else {
    return fail(Errc::invalid_argument, "unsupported HTTP method " + request.method);
  }
  good = good && curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
  if (!good) return fail(Errc::internal, "setting up the transfer failed");

  // libcurl reads OpenSSL's per-thread error queue after a failed TLS call: a stale entry
  // (left by signing on this thread, say) would be reported instead of the real cause, and
  // can even turn a would-block read into an error.
  ERR_clear_error();
  const CURLcode rc = curl_easy_perform(e);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);  // the list dies with this scope
  long connects = 0;
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  d.stats.new_connections += static_cast<std::uint64_t>(connects);
  if (rc != CURLE_OK) {
    ++d.stats.failures;
    if (rc == CURLE_ABORTED_BY_CALLBACK) return fail(Errc::unavailable, "transfer cancelled");
    if (rc == CURLE_WRITE_ERROR && d.too_big) {
      d.response.clear();
      d.response.shrink_to_fit();
      return fail(Errc::unavailable, "response body larger than " +
                                     std::to_string(d.options.max_response_bytes) +
                                     " bytes (uplink.http.max_response_bytes): transfer aborted");
    }
    return fail(curl_error(rc, d.errbuf));
  }
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  HttpResponse r;
  r.status = static_cast<int>(status);
  r.body = std::move(d.response);
  r.reused_connection = connects == 0;
  return r;
}

// ---- HttpClient ------------------------------------------------------------------------------

struct HttpClient::Impl {
  boost::asio::io_context& io;
  std::mutex mu;
  std::condition_variable cv;
  struct Job {
    Factory make;
    Done done;
  };
  std::deque<Job> queue;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> pending{0};
  std::atomic<std::uint64_t> requests{0}, failures{0}, new_connections{0};

  explicit Impl(boost::asio::io_context& ctx) : io(ctx) {}

  void work(HttpConnection conn) {
    while (true) {
      Job job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping.load() || !queue.empty(); });
        if (stopping.load()) return;
        job = std::move(queue.front());
        queue.pop_front();
      }
      Result<HttpResponse> result = [&]() -> Result<HttpResponse> {
        auto req = job.make();
        if (!req) return fail(req.error());
        const auto before = conn.stats();
        auto r = conn.perform(*req);
        const auto& after = conn.stats();
        requests += after.requests - before.requests;
        failures += after.failures - before.failures;
        new_connections += after.new_connections - before.new_connections;
        return r;
      }();
      if (stopping.load()) return;
      --pending;
      boost::asio::post(io, [done = std::move(job.done), r = std::move(result)]() mutable {
        done(std::move(r));
      });
    }
  }
};

Result<std::unique_ptr<HttpClient>> HttpClient::create(boost::asio::io_context& io,
                                                       HttpClientOptions options) {
  const std::size_t n = std::clamp<std::size_t>(options.workers, 1, 8);
  std::vector<HttpConnection> conns;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = HttpConnection::create(options);
    if (!c) return fail(c.error());
    conns.push_back(std::move(*c));
  }
  auto impl = std::make_shared<Impl>(io);
  for (auto& c : conns) {
    c.impl_->abort = &impl->stopping;
    impl->threads.emplace_back([raw = impl.get(), conn = std::move(c)]() mutable {
      raw->work(std::move(conn));
    });
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() { stop(); }

void HttpClient::submit(Factory make, Done done) {
  ++impl_->pending;
  {
    std::lock_guard lock(impl_->mu);
    impl_->queue.push_back({std::move(make), std::move(done)});
  }
  impl_->cv.notify_one();
}

void HttpClient::submit(HttpRequest request, Done done) {
  submit([r = std::move(request)]() -> Result<HttpRequest> { return r; }, std::move(done));
}

std::size_t HttpClient::pending() const { return impl_->pending.load(); }

HttpTransferStats HttpClient::stats() const {
  return {impl_->requests.load(), impl_->failures.load(), impl_->new_connections.load()};
}

void HttpClient::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->queue.clear();
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace tta::uplink
