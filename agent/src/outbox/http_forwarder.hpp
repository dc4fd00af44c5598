#pragma once
/// The HTTPS forwarder: store → outbox → supervision platform (the TCP forwarder's pattern, for
/// outbox kinds "http.<resource>": "http.classrecord", "http.imageup", "http.ce.record" …).
///
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
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/clock.hpp"
#include "outbox/kinds.hpp"
#include "outbox/pump.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"

namespace tta::agent {

struct HttpForwarderOptions {
  std::size_t window = 8;                         ///< uploads in flight at once
  std::chrono::milliseconds pump_interval{1000};  ///< how often due entries are looked for
  std::chrono::milliseconds retry_min{1000};      ///< backoff after a failure …
  std::chrono::milliseconds retry_max{300'000};   ///< … doubling up to this

  /// window/retry values from [uplink.http].
  static HttpForwarderOptions from_config(const config::HttpUplinkConfig& cfg);
};

struct HttpForwarderStats {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t refused = 0;
  std::uint64_t retried = 0;
};

class HttpForwarder {
 public:
  /// `key` signs every request (the terminal's or institution's PKCS#12). `random01` gives
  /// uniform numbers in [0, 1) for the jitter. Store, client and clock must outlive this.
  HttpForwarder(boost::asio::io_context& io, store::Store& store, uplink::HttpClient& client,
                std::shared_ptr<const uplink::HttpApi> api,
                std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
                HttpForwarderOptions options = {}, std::function<double()> random01 = {});
  ~HttpForwarder();
  HttpForwarder(const HttpForwarder&) = delete;
  HttpForwarder& operator=(const HttpForwarder&) = delete;

  /// Start pumping; `poke()` after enqueuing sends without waiting for the next pump.
  void start();
  /// Stop pumping and write pending acks; results still arriving are ignored (their entries
  /// stay due and go out again after a restart).
  void stop();
  void poke();

  [[nodiscard]] const HttpForwarderStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.size(); }

 private:
  void pump();
  void send(const store::OutboxEntry& e);
  void finish(const store::OutboxEntry& e, const Result<uplink::HttpResponse>& r);
  void flush_acks();
  void keep_file_id(const std::string& key, const uplink::PlatformReply& reply,
                    std::int64_t now_ms);

  boost::asio::io_context& io_;
  store::Store& store_;
  uplink::HttpClient& client_;
  std::shared_ptr<const uplink::HttpApi> api_;
  std::shared_ptr<const uplink::SigningKey> key_;
  const Clock& clock_;
  HttpForwarderOptions opt_;
  std::function<double()> random01_;
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> acked_;  // acked, not yet written
  bool flush_posted_ = false;
  HttpForwarderStats stats_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it
  Pump pump_;  // last: its handlers call pump()
};

}  // namespace tta::agent
