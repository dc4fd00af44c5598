#pragma once
/// The HTTPS forwarder: store → outbox → supervision platform (the TCP forwarder's pattern, for
/// outbox kinds "http.<resource>": "http.classrecord", "http.imageup", "http.ce.record" …).
///
/// The delivery core (delivery.hpp) picks, batches, backs off and marks; this file is how one
/// entry becomes a signed request and how its reply is judged.
/// Each upload is an outbox entry keyed by its natural key (record number, photo number,
/// class ID, certificate number) whose payload is what the request builder turns into the
/// body — the same bytes on every attempt. Due entries are built and signed on the HTTP
/// client's workers and sent; the result comes back to the loop thread and decides:
///   errorcode 0                       → acked (acks of one loop turn in one transaction)
///   errorcode ≠ 0, HTTP 4xx, bad data → refused with the reason (refused_entries(); an
///                                        administrator requeues), never retried by itself
///   5xx, timeout, TLS, reset          → retried after a full-jitter exponential backoff
/// The file id an accepted `imageup` returns (`data.id`) is kept as the store parameter
/// "http.fileid.<outbox key>", for the records that reference the photo or PDF.
/// What is in flight lives only in memory: after a kill every unacked entry is due again and
/// is sent again with the same key and content, which the platform deduplicates.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tta/core/clock.hpp"
#include "outbox/kinds.hpp"
#include "outbox/delivery.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"

namespace tta::agent {

/// What the HTTPS forwarder needs of uplink::HttpClient: run a transfer off the loop thread and
/// bring its result back to it. Tests pass a fake (tests/support/fake_http_transfers.hpp).
class HttpTransfers {
 public:
  virtual ~HttpTransfers() = default;
  /// As HttpClient::submit: `make` builds (and signs) the request on a worker; `done` runs on
  /// the loop thread with the response, or with `make`'s error.
  virtual void submit(uplink::HttpClient::Factory make, uplink::HttpClient::Done done) = 0;
};

struct HttpForwarderOptions {
  std::size_t window = 8;                         ///< uploads in flight at once
  std::chrono::milliseconds pump_interval{1000};  ///< how often due entries are looked for
  std::chrono::milliseconds retry_min{1000};      ///< backoff after a failure …
  std::chrono::milliseconds retry_max{300'000};   ///< … doubling up to this
  /// uplink.http.test_platform: SIMULATED entries are sent (delivery.hpp).
  bool test_platform = false;

  /// window/retry values and test_platform from [uplink.http].
  static HttpForwarderOptions from_config(const config::HttpUplinkConfig& cfg);
};

struct HttpForwarderStats {
  std::uint64_t sent = 0;     ///< requests submitted
  std::uint64_t acked = 0;
  std::uint64_t refused = 0;  ///< by the platform, or never sendable (unknown kind, resource)
  std::uint64_t retried = 0;
  std::int64_t last_ack_ms = 0;  ///< wall time of the last ack (0: none yet)
  std::string last_error;        ///< the last refusal's or failed attempt's reason
};

/// The HTTPS channel over the delivery core (delivery.hpp).
class HttpForwarder {
 public:
  /// `key` signs every request (the terminal's or institution's PKCS#12). `random01` gives
  /// uniform numbers in [0, 1) for the jitter. Store, client and clock must outlive this.
  HttpForwarder(boost::asio::io_context& io, store::Store& store, uplink::HttpClient& client,
                std::shared_ptr<const uplink::HttpApi> api,
                std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
                HttpForwarderOptions options = {}, std::function<double()> random01 = {});
  /// The same over any transfers (tests pass a fake).
  HttpForwarder(boost::asio::io_context& io, store::Store& store, HttpTransfers& transfers,
                std::shared_ptr<const uplink::HttpApi> api,
                std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
                HttpForwarderOptions options = {}, std::function<double()> random01 = {});
  ~HttpForwarder();
  HttpForwarder(const HttpForwarder&) = delete;
  HttpForwarder& operator=(const HttpForwarder&) = delete;

  /// Start pumping; `poke()` after enqueuing sends without waiting for the next pump.
  void start();
  /// Stop pumping and write pending acks; results still arriving are recorded (an accepted
  /// upload acked at once). Once the forwarder is gone they are ignored, and their entries
  /// stay due and go out again after a restart.
  void stop();
  void poke();

  [[nodiscard]] HttpForwarderStats stats() const;
  [[nodiscard]] std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tta::agent
