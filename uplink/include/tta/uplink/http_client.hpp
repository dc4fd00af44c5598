#pragma once
/// HTTPS transfers on libcurl (MAVSDK's curl wrapper, for the supervision platform).
///
/// `HttpConnection` is one blocking libcurl easy handle: TLS always verified (against the
/// configured CA bundle, or the system store), optional client certificate, connect and total
/// timeouts, a proxy, and HTTP keep-alive when reuse is on. `HttpClient` runs transfers on a
/// small pool of worker threads, each with its own connection, and posts every result back to
/// the caller's io_context, so business state stays on the event-loop thread.
///
/// There is deliberately no way to turn certificate verification off: tests trust a CA they
/// make at test time through `ca_bundle`, as production trusts the platform's.

#include <utility>  // before Asio (Boost 1.74 with GCC 12)

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"

namespace tta::uplink {

/// Connection settings (from [uplink.http]).
struct HttpClientOptions {
  std::filesystem::path ca_bundle;    ///< PEM CA bundle; empty = the system store
  std::filesystem::path client_cert;  ///< PEM client certificate (optional, with client_key)
  std::filesystem::path client_key;   ///< PEM client key; its contents are never logged
  std::string proxy;                  ///< e.g. "http://proxy:3128"; empty = none
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  bool reuse_connections = true;      ///< keep-alive; off = a new TCP+TLS connection per request
  std::size_t workers = 2;            ///< HttpClient threads (1-8)
  /// Largest response body kept; past it the transfer is aborted and fails with
  /// Errc::unavailable ("response body larger than … bytes": retried with backoff), so a
  /// broken or hostile server cannot fill the terminal's memory.
  std::size_t max_response_bytes = 4 * 1024 * 1024;

  /// The [uplink.http] section's transport settings.
  static HttpClientOptions from_config(const config::HttpUplinkConfig& cfg);
};

/// One request, complete: nothing is added but Content-Length (and keep-alive headers).
struct HttpRequest {
  std::string method = "POST";  ///< "GET" or "POST"
  std::string url;              ///< absolute https:// URL with its query
  std::string content_type;     ///< for POST, e.g. "application/json;charset=utf-8"
  std::vector<std::uint8_t> body;
};

/// What came back at the HTTP level.
struct HttpResponse {
  int status = 0;    ///< HTTP status code
  std::string body;  ///< response body as received
  bool reused_connection = false;  ///< the transfer ran on a kept-alive connection
};

/// Transfer statistics of one connection or a whole client.
struct HttpTransferStats {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;       ///< no HTTP response (timeout, TLS, reset …)
  std::uint64_t new_connections = 0;
};

/// One blocking libcurl easy handle. Not thread-safe: one per thread.
class HttpConnection {
 public:
  /// Fails with Errc::not_found when a configured CA/cert/key file is missing.
  [[nodiscard]] static Result<HttpConnection> create(const HttpClientOptions& options);
  HttpConnection(HttpConnection&&) noexcept;
  HttpConnection& operator=(HttpConnection&&) noexcept;
  ~HttpConnection();

  /// Run one transfer. An HTTP response of any status is a value; a transfer that produced
  /// none fails: Errc::timeout (connect or total timeout), Errc::unavailable (connection
  /// refused or reset, TLS handshake or verification failure, proxy failure),
  /// Errc::invalid_argument (bad URL), Errc::internal (libcurl misuse).
  [[nodiscard]] Result<HttpResponse> perform(const HttpRequest& request);

  [[nodiscard]] const HttpTransferStats& stats() const;

 private:
  friend class HttpClient;
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A pool of worker threads running transfers; results are posted back to the io_context.
class HttpClient {
 public:
  using Done = std::function<void(Result<HttpResponse>)>;
  /// Builds the request on the worker thread (signing is CPU work: it stays off the loop).
  using Factory = std::function<Result<HttpRequest>()>;

  /// Start the workers. Fails like HttpConnection::create.
  [[nodiscard]] static Result<std::unique_ptr<HttpClient>> create(boost::asio::io_context& io,
                                                                  HttpClientOptions options);
  ~HttpClient();  ///< stops and joins the workers; undelivered results are dropped
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Queue a transfer; `done` runs on the io_context's thread. A factory error is passed to
  /// `done` as is, without a transfer.
  void submit(Factory make, Done done);
  void submit(HttpRequest request, Done done);

  /// Transfers queued or running.
  [[nodiscard]] std::size_t pending() const;
  /// Summed over the workers (read on any thread).
  [[nodiscard]] HttpTransferStats stats() const;

  /// Stop the workers after their current transfer; queued work is dropped without `done`.
  void stop();

 private:
  struct Impl;
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tta::uplink
