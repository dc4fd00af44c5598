#pragma once
// The supervision platform's HTTPS interface in the simulator (shared/spec/platform-http.md):
// Beast over asio::ssl on loopback, every `sign` verified against a trusted certificate
// (given with --http-client-cert, or a registered terminal's), uploads deduplicated by their
// natural key in the simulator's database, replies in the platform's JSON shape, and the HTTP
// faults of the fault plan (5xx, slow replies, resets mid-body, refusals).

#include <utility>  // before Asio (Boost 1.74 with GCC 12)

#include <boost/asio.hpp>

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "sim.hpp"
#include "tta/core/result.hpp"

namespace tta::sim {

class SimDb;

/// Make a CA and a server certificate for localhost / 127.0.0.1 signed by it (EC P-256),
/// written as ca.pem, cert.pem and key.pem (0600) into `dir`.
Status make_test_tls_files(const std::filesystem::path& dir);

class HttpsServer {
 public:
  /// Bind `options.https_port` on `addr`; serving starts when the io_context runs.
  static Result<std::unique_ptr<HttpsServer>> create(boost::asio::io_context& io,
                                                     const SimOptions& options, SimDb& db,
                                                     const boost::asio::ip::address& addr);
  ~HttpsServer();

  [[nodiscard]] std::uint16_t port() const;
  /// The CA made at start (empty when the certificate was given).
  [[nodiscard]] std::filesystem::path ca_file() const;
  /// The http_* counts of /sim/summary.
  [[nodiscard]] nlohmann::json summary() const;
  /// Stored uploads: resource, key, sha256, bytes.
  [[nodiscard]] nlohmann::json uploads() const;
  void stop();

  struct Impl;

 private:
  explicit HttpsServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tta::sim
