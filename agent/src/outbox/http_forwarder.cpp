#include "outbox/http_forwarder.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/post.hpp>

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "tta/uplink/session.hpp"

namespace tta::agent {

HttpForwarderOptions HttpForwarderOptions::from_config(const config::HttpUplinkConfig& cfg) {
  HttpForwarderOptions o;
  o.window = std::max<std::size_t>(2, 4 * std::size_t{cfg.workers});
  o.retry_min = std::chrono::milliseconds(cfg.retry_min_ms);
  o.retry_max = std::chrono::milliseconds(cfg.retry_max_ms);
  return o;
}

HttpForwarder::HttpForwarder(boost::asio::io_context& io, store::Store& store,
                             uplink::HttpClient& client,
                             std::shared_ptr<const uplink::HttpApi> api,
                             std::shared_ptr<const uplink::SigningKey> key, const Clock& clock,
                             HttpForwarderOptions options, std::function<double()> random01)
    : io_(io),
      store_(store),
      client_(client),
      api_(std::move(api)),
      key_(std::move(key)),
      clock_(clock),
      opt_(options),
      random01_(std::move(random01)),
      pump_(io, options.pump_interval, [this] { pump(); }) {
  if (!random01_) {
    random01_ = [rng = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

HttpForwarder::~HttpForwarder() { stop(); }

void HttpForwarder::start() { pump_.start(); }

void HttpForwarder::stop() {
  pump_.stop();
  flush_acks();
}

void HttpForwarder::poke() { pump_.poke(); }

void HttpForwarder::pump() {
  for (const auto& e : next_batch(store_, unix_millis(clock_.wall_now()),
                                  channel_prefix(OutboxChannel::http),
                                  opt_.window, in_flight_)) {
    send(e);
  }
}

void HttpForwarder::send(const store::OutboxEntry& e) {
  const auto kind = parse_outbox_kind(e.kind);
  const std::string resource(kind ? http_resource(*kind) : std::string_view{});
  if (!kind || resource.empty() || api_->find(resource) == nullptr) {
    const auto now = unix_millis(clock_.wall_now());
    ++stats_.refused;
    const std::string why = !kind ? kind.error().message
                            : resource.empty()
                                ? "not an HTTPS outbox kind: " + e.kind
                                : "no HTTPS resource \"" + resource + "\" is configured";
    spdlog::warn("http forwarder: {} {} refused: {}", e.kind, e.key, why);
    if (auto st = store_.mark_refused(e.id, now, why); !st) {
      spdlog::error("http forwarder: marking {} refused: {}", e.id, st.error().message);
    }
    return;
  }
  in_flight_.insert(e.id);
  ++stats_.sent;
  // Stamped here, signed on a worker: the signature is CPU work the loop should not wait for.
  const auto ts_ms = unix_millis(clock_.wall_now());
  client_.submit(
      [api = api_, key = key_, resource, payload = e.payload, ts_ms] {
        return api->build(resource, payload, *key, ts_ms);
      },
      [this, alive = std::weak_ptr<int>(alive_),
       entry = store::OutboxEntry{.id = e.id, .kind = e.kind, .key = e.key,
                                  .attempts = e.attempts + 1}](Result<uplink::HttpResponse> r) {
        if (alive.lock()) finish(entry, r);
      });
}

void HttpForwarder::keep_file_id(const std::string& key, const uplink::PlatformReply& reply,
                                 std::int64_t now_ms) {
  const auto data = nlohmann::json::parse(reply.data_json, nullptr, false);
  if (!data.is_object() || !data.contains("id")) return;
  const auto& v = data["id"];
  const std::string file_id = v.is_string() ? v.get<std::string>() : v.dump();
  if (auto st = store_.set_param("http.fileid." + key, file_id, now_ms); !st) {
    spdlog::error("http forwarder: keeping the file id of {}: {}", key, st.error().message);
  }
}

void HttpForwarder::flush_acks() {
  flush_posted_ = false;
  if (acked_.empty()) return;
  const auto now = unix_millis(clock_.wall_now());
  if (auto st = store_.mark_acked(acked_, now); !st) {
    // Not written: the entries stay due and are sent again; the platform deduplicates.
    spdlog::error("http forwarder: marking {} entries acked: {}", acked_.size(),
                  st.error().message);
  }
  // Acked entries count as in flight until written, so a pump in between cannot resend them.
  for (const auto id : acked_) in_flight_.erase(id);
  acked_.clear();
  poke();
}

void HttpForwarder::finish(const store::OutboxEntry& e, const Result<uplink::HttpResponse>& r) {
  const auto id = e.id;
  const auto attempts = e.attempts;
  if (!pump_.running()) {
    in_flight_.erase(id);  // stays due in the store; a restart sends it again
    return;
  }
  const auto now = unix_millis(clock_.wall_now());
  const auto verdict = uplink::judge_http(r);
  switch (verdict.verdict) {
    case uplink::HttpVerdict::accepted:
      if (e.kind == to_string(OutboxKind::imageup) && verdict.reply) keep_file_id(e.key, *verdict.reply, now);
      ++stats_.acked;
      acked_.push_back(id);
      if (!flush_posted_) {
        flush_posted_ = true;
        boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
          if (alive.lock()) flush_acks();
        });
      }
      break;
    case uplink::HttpVerdict::refused:
      in_flight_.erase(id);
      ++stats_.refused;
      spdlog::warn("http forwarder: outbox entry {} refused: {}", id, verdict.reason);
      if (auto st = store_.mark_refused(id, now, verdict.reason); !st) {
        spdlog::error("http forwarder: marking {} refused: {}", id, st.error().message);
      }
      break;
    case uplink::HttpVerdict::retry: {
      in_flight_.erase(id);
      ++stats_.retried;
      const auto delay = uplink::TerminalSession::backoff(
          static_cast<std::size_t>(std::max(0, attempts - 1)), opt_.retry_min, opt_.retry_max,
          random01_());
      spdlog::debug("http forwarder: entry {} retry in {} ms: {}", id, delay.count(),
                    verdict.reason);
      if (auto st = store_.mark_retry(id, now, now + delay.count(), verdict.reason); !st) {
        spdlog::error("http forwarder: scheduling retry of {}: {}", id, st.error().message);
      }
      break;
    }
  }
  if (pump_.running() && in_flight_.size() < opt_.window / 2 + 1) poke();
}

}  // namespace tta::agent
