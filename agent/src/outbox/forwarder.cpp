#include "outbox/forwarder.hpp"

#include <random>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace tta::agent {

Forwarder::Forwarder(boost::asio::io_context& io, store::Store& store,
                     uplink::TerminalSession& session, const Clock& clock,
                     ForwarderOptions options, std::function<double()> random01)
    : io_(io),
      store_(store),
      session_(session),
      clock_(clock),
      opt_(options),
      random01_(std::move(random01)),
      flush_timer_(io),
      pump_(io, options.pump_interval, [this] { pump(); }) {
  if (!random01_) {
    random01_ = [rng = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

void Forwarder::start() { pump_.start(); }

void Forwarder::stop() {
  pump_.stop();
  flush_acks();
}

void Forwarder::poke() { pump_.poke(); }

void Forwarder::pump() {
  if (!session_.online()) return;
  if (const auto st = session_.stats(); st.authentications != seen_authentications_) {
    seen_authentications_ = st.authentications;
    const auto since = st.online_since ? clock_.mono_now() - *st.online_since : MonoTime::duration{};
    online_since_ms_ = unix_millis(clock_.wall_now()) -
                       std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
  }
  // Only "tcp." kinds: the HTTPS sender's backlog must not fill this window.
  for (const auto& e : next_batch(store_, unix_millis(clock_.wall_now()),
                                  channel_prefix(OutboxChannel::tcp), opt_.window,
                                  in_flight_)) {
    send(e);
  }
}

void Forwarder::send(const store::OutboxEntry& e) {
  const auto now = unix_millis(clock_.wall_now());
  // Re-sent (补传): sent before without an ack, or made before this connection came up (while
  // the platform was out of reach, or before a restart). How late it goes out on a busy link
  // does not matter, so a replay faster than real time flags nothing it sends as it goes.
  const bool resent = e.attempts > 0 || e.created_ms < online_since_ms_;
  const auto kind = parse_outbox_kind(e.kind);
  if (kind && *kind == OutboxKind::photo) {
    send_photo(e, resent);
    return;
  }
  const auto ext_id = kind ? ext_id_of(*kind) : std::nullopt;
  if (!ext_id) {
    (void)store_.mark_refused(e.id, now,
                              kind ? "not a TCP outbox kind: " + e.kind : kind.error().message);
    return;
  }
  uplink::ExtendedMessage m;
  m.ext_id = *ext_id;
  m.data = e.payload;
  m.resent = resent;
  if (m.resent) ++stats_.resent_flagged;
  in_flight_.insert(e.id);
  ++stats_.sent;
  session_.send_extended(std::move(m), [this, id = e.id, attempts = e.attempts + 1](
                                           Result<uplink::Reply> r) {
    if (r && r->reply && on_reply_) on_reply_(*r->reply);
    finish(id, attempts, r);
  });
}

void Forwarder::send_photo(const store::OutboxEntry& e, bool resent) {
  // 0x0305 announces the photo; 0x8305 answers 0 (go ahead) or 255 (refused: drop it);
  // then 0x0306 carries the JPEG, split into sub-packets, and is acked by 0x8001.
  // The key is the photo number, or "<photo no.>#…" for a photo sent again on request.
  const std::string photo_no = e.key.substr(0, e.key.find('#'));
  auto photo = store_.find_photo(photo_no);
  auto init = uplink::PhotoUploadInit::decode(e.payload);
  const auto now = unix_millis(clock_.wall_now());
  if (!photo || !*photo || !init) {
    const std::string why = !photo    ? photo.error().message
                            : !*photo ? "photo " + photo_no + " is not in the store"
                                      : init.error().message;
    (void)store_.mark_refused(e.id, now, "cannot upload: " + why);
    return;
  }
  uplink::PhotoData data{photo_no, (*photo)->jpeg};
  auto data_bytes = data.encode();
  if (!data_bytes) {
    (void)store_.mark_refused(e.id, now, "cannot upload: " + data_bytes.error().message);
    return;
  }
  init->total_packets = session_.packets_for(data_bytes->size());
  auto init_bytes = init->encode();
  if (!init_bytes) {
    (void)store_.mark_refused(e.id, now, "cannot upload: " + init_bytes.error().message);
    return;
  }
  in_flight_.insert(e.id);
  ++stats_.sent;
  if (resent) ++stats_.resent_flagged;
  uplink::ExtendedMessage announce;
  announce.ext_id = uplink::extid::kPhotoUploadInit;
  announce.resent = resent;
  announce.data = std::move(*init_bytes);
  const auto id = e.id;
  const auto attempts = e.attempts + 1;
  session_.send_extended(
      std::move(announce), [this, id, attempts, resent, bytes = std::move(*data_bytes),
                            alive = std::weak_ptr<int>(alive_)](Result<uplink::Reply> r) mutable {
        if (!alive.lock()) return;
        if (!r || !r->reply) {
          // No 0x8305: a timeout, a lost connection or a refusal ack; try again later.
          finish(id, attempts, r ? Result<uplink::Reply>(uplink::Reply{std::max<std::uint8_t>(r->ack_result, 1), std::nullopt}) : r);
          return;
        }
        auto answer = uplink::PhotoUploadInitReply::decode(r->reply->data);
        if (!answer || answer->reply != 0) {
          in_flight_.erase(id);
          schedule_flush();
          (void)store_.mark_refused(id, unix_millis(clock_.wall_now()),
                                    "the platform refused the photo (0x8305 reply " +
                                        std::to_string(answer ? answer->reply : -1) + ")");
          return;
        }
        uplink::ExtendedMessage body;
        body.ext_id = uplink::extid::kPhotoData;
        body.resent = resent;
        body.data = std::move(bytes);
        ++stats_.photos_sent;
        session_.send_extended(std::move(body), [this, id, attempts, alive](Result<uplink::Reply> r2) {
          if (alive.lock()) finish(id, attempts, r2);
        });
      });
}

void Forwarder::schedule_flush() {
  if (acked_.empty() || flush_posted_) return;
  // Every entry still in flight is acked (nothing to wait for), or half the window is.
  const std::size_t batch = std::max<std::size_t>(1, opt_.window / 2);
  if (acked_.size() >= in_flight_.size() || acked_.size() >= batch) {
    flush_posted_ = true;
    // After the current handler: acks read in the same turn of the event loop join this batch.
    boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.lock()) flush_acks();
    });
    return;
  }
  if (flush_timer_armed_) return;
  flush_timer_armed_ = true;
  flush_timer_.expires_after(opt_.ack_flush_delay);
  flush_timer_.async_wait(
      [this, alive = std::weak_ptr<int>(alive_), gen = ++flush_gen_](boost::system::error_code ec) {
        // A wait that already fired when it was cancelled still runs: the generation tells.
        if (ec || !alive.lock() || gen != flush_gen_) return;
        flush_timer_armed_ = false;
        if (!flush_posted_) flush_acks();
      });
}

void Forwarder::flush_acks() {
  flush_posted_ = false;
  if (flush_timer_armed_) {
    flush_timer_armed_ = false;
    ++flush_gen_;
    flush_timer_.cancel();
  }
  if (acked_.empty()) return;
  const auto now = unix_millis(clock_.wall_now());
  if (auto st = store_.mark_acked(acked_, now); !st) {
    // Not written: the entries stay due and are sent again; the platform deduplicates.
    spdlog::error("forwarder: marking {} entries acked: {}", acked_.size(), st.error().message);
  }
  // Acked entries count as in flight until written, so a pump in between cannot resend them.
  for (const auto id : acked_) in_flight_.erase(id);
  acked_.clear();
  poke();
}

void Forwarder::finish(std::int64_t id, std::int32_t attempts, const Result<uplink::Reply>& r) {
  const auto now = unix_millis(clock_.wall_now());
  if (r && r->ack_result == 0) {
    ++stats_.acked;
    acked_.push_back(id);
  } else {
    in_flight_.erase(id);
    ++stats_.failed;
    const std::string why = r ? "platform ack result " + std::to_string(r->ack_result)
                              : r.error().message;
    const auto delay =
        uplink::TerminalSession::backoff(static_cast<std::size_t>(std::max(0, attempts - 1)),
                                         opt_.retry_min, opt_.retry_max, random01_());
    if (auto st = store_.mark_retry(id, now, now + delay.count(), why); !st) {
      spdlog::error("forwarder: scheduling retry of {}: {}", id, st.error().message);
    }
  }
  schedule_flush();  // also after a failure: the acks left may now be all that is in flight
  if (pump_.running() && in_flight_.size() < opt_.window / 2) poke();
}

}  // namespace tta::agent
