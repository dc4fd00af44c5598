#include "outbox/http_forwarder.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

namespace tta::agent {

namespace {

/// The transfers of the real client.
class ClientTransfers final : public HttpTransfers {
 public:
  explicit ClientTransfers(uplink::HttpClient& c) : c_(c) {}
  void submit(uplink::HttpClient::Factory make, uplink::HttpClient::Done done) override {
    c_.submit(std::move(make), std::move(done));
  }

 private:
  uplink::HttpClient& c_;
};

/// How one entry becomes a signed request, and how its reply is judged.
class HttpTransport final : public DeliveryTransport {
 public:
  HttpTransport(store::Store& store, HttpTransfers& transfers,
                std::shared_ptr<const uplink::HttpApi> api,
                std::shared_ptr<const uplink::SigningKey> key, const Clock& clock)
      : store_(store),
        transfers_(transfers),
        api_(std::move(api)),
        key_(std::move(key)),
        clock_(clock) {}

  void send(const store::OutboxEntry& e, Done done) override {
    const auto kind = parse_outbox_kind(e.kind);
    if (!kind) return done(DeliveryOutcome::refuse(kind.error().message));
    const std::string resource(http_resource(*kind));
    if (resource.empty()) {
      return done(DeliveryOutcome::refuse("not an HTTPS outbox kind: " + e.kind));
    }
    if (api_->find(resource) == nullptr) {
      return done(
          DeliveryOutcome::refuse("no HTTPS resource \"" + resource + "\" is configured"));
    }
    ++sent_;
    // Stamped here, signed on a worker: the signature is CPU work the loop should not wait for.
    const auto ts_ms = unix_millis(clock_.wall_now());
    transfers_.submit(
        [api = api_, key = key_, resource, payload = e.payload, ts_ms] {
          return api->build(resource, payload, *key, ts_ms);
        },
        [this, alive = std::weak_ptr<int>(alive_), imageup = *kind == OutboxKind::imageup,
         key = e.key, done = std::move(done)](Result<uplink::HttpResponse> r) {
          if (!alive.lock()) return;
          auto verdict = uplink::judge_http(r);
          switch (verdict.verdict) {
            case uplink::HttpVerdict::accepted:
              if (imageup && verdict.reply) keep_file_id(key, *verdict.reply);
              return done(DeliveryOutcome::ack());
            case uplink::HttpVerdict::refused:
              return done(DeliveryOutcome::refuse(std::move(verdict.reason)));
            case uplink::HttpVerdict::retry:
              return done(DeliveryOutcome::retry(std::move(verdict.reason)));
          }
          done(DeliveryOutcome::retry("unknown verdict"));
        });
  }

  std::uint64_t sent_ = 0;

 private:
  void keep_file_id(const std::string& key, const uplink::PlatformReply& reply) {
    const auto data = nlohmann::json::parse(reply.data_json, nullptr, false);
    if (!data.is_object() || !data.contains("id")) return;
    const auto& v = data["id"];
    const std::string file_id = v.is_string() ? v.get<std::string>() : v.dump();
    if (auto st = store_.set_param("http.fileid." + key, file_id, unix_millis(clock_.wall_now()));
        !st) {
      spdlog::error("http forwarder: keeping the file id of {}: {}", key, st.error().message);
    }
  }

  store::Store& store_;
  HttpTransfers& transfers_;
  std::shared_ptr<const uplink::HttpApi> api_;
  std::shared_ptr<const uplink::SigningKey> key_;
  const Clock& clock_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // results check it
};

DeliveryOptions delivery_options(const HttpForwarderOptions& o) {
  return DeliveryOptions{.channel = OutboxChannel::http,
                         .window = o.window,
                         .pump_interval = o.pump_interval,
                         .retry_min = o.retry_min,
                         .retry_max = o.retry_max,
                         // Acks of one loop turn in one transaction: uploads are few and large.
                         .ack_flush_delay = std::chrono::milliseconds{0},
                         .test_platform = o.test_platform};
}

}  // namespace

HttpForwarderOptions HttpForwarderOptions::from_config(const config::HttpUplinkConfig& cfg) {
  HttpForwarderOptions o;
  o.window = std::max<std::size_t>(2, 4 * std::size_t{cfg.workers});
  o.retry_min = std::chrono::milliseconds(cfg.retry_min_ms);
  o.retry_max = std::chrono::milliseconds(cfg.retry_max_ms);
  o.test_platform = cfg.test_platform;
  return o;
}

struct HttpForwarder::Impl {
  Impl(boost::asio::io_context& io, store::Store& store, std::unique_ptr<HttpTransfers> own,
       HttpTransfers& transfers, std::shared_ptr<const uplink::HttpApi> api,
       std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
       const HttpForwarderOptions& options, std::function<double()> random01)
      : own_transfers(std::move(own)),
        transport(store, transfers, std::move(api), std::move(key), clock),
        core(io, store, transport, clock, delivery_options(options), std::move(random01)) {}

  std::unique_ptr<HttpTransfers> own_transfers;  // set when made over an HttpClient
  HttpTransport transport;
  DeliveryCore core;  // last: destroyed first, it stops before the transport goes
};

HttpForwarder::HttpForwarder(boost::asio::io_context& io, store::Store& store,
                             uplink::HttpClient& client,
                             std::shared_ptr<const uplink::HttpApi> api,
                             std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
                             HttpForwarderOptions options, std::function<double()> random01) {
  auto own = std::make_unique<ClientTransfers>(client);
  auto& ref = *own;
  impl_ = std::make_unique<Impl>(io, store, std::move(own), ref, std::move(api), std::move(key),
                                 clock, options, std::move(random01));
}

HttpForwarder::HttpForwarder(boost::asio::io_context& io, store::Store& store,
                             HttpTransfers& transfers,
                             std::shared_ptr<const uplink::HttpApi> api,
                             std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
                             HttpForwarderOptions options, std::function<double()> random01)
    : impl_(std::make_unique<Impl>(io, store, nullptr, transfers, std::move(api), std::move(key),
                                   clock, options, std::move(random01))) {}

HttpForwarder::~HttpForwarder() = default;

void HttpForwarder::start() { impl_->core.start(); }
void HttpForwarder::stop() { impl_->core.stop(); }
void HttpForwarder::poke() { impl_->core.poke(); }

HttpForwarderStats HttpForwarder::stats() const {
  const auto& c = impl_->core.stats();
  return HttpForwarderStats{.sent = impl_->transport.sent_, .acked = c.acked,
                            .refused = c.refused, .retried = c.retried,
                            .last_ack_ms = c.last_ack_ms, .last_error = c.last_error};
}

std::size_t HttpForwarder::in_flight() const { return impl_->core.in_flight(); }

}  // namespace tta::agent
