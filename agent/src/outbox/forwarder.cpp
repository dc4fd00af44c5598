#include "outbox/forwarder.hpp"

#include <algorithm>
#include <string>

namespace tta::agent {

namespace {

/// The link over the real session.
class SessionLink final : public TerminalLink {
 public:
  explicit SessionLink(uplink::TerminalSession& s) : s_(s) {}
  bool online() const override { return s_.online(); }
  uplink::SessionStats stats() const override { return s_.stats(); }
  void send_extended(uplink::ExtendedMessage m, uplink::TerminalSession::Done done) override {
    s_.send_extended(std::move(m), std::move(done));
  }
  std::uint16_t packets_for(std::size_t n) const override { return s_.packets_for(n); }

 private:
  uplink::TerminalSession& s_;
};

/// An 0x8001 ack (or an 0x8900 reply) settles an entry; a non-zero ack result is a refusal
/// (tried again a capped number of times); no answer is tried again later.
DeliveryOutcome judge_ack(const Result<uplink::Reply>& r) {
  if (!r) return DeliveryOutcome::retry(r.error().message);
  if (r->ack_result != 0) {
    return DeliveryOutcome::reject("platform ack result " + std::to_string(r->ack_result));
  }
  return DeliveryOutcome::ack();
}

/// How one entry goes over the JT/T 808 session.
class TcpTransport final : public DeliveryTransport {
 public:
  TcpTransport(store::Store& store, TerminalLink& link, const Clock& clock)
      : store_(store), link_(link), clock_(clock) {}

  bool ready() override {
    if (!link_.online()) return false;
    // Re-sent (补传) means made while the platform was out of reach (terminal-protocol.md
    // §2.1, §2.5): an entry made before the current connection came up. The session counts
    // its authentications and says when the last one was, on the monotonic clock this
    // forwarder's clock shares with it (FixClock carries its base clock's); a new count is a
    // new connection, and its start is placed on this clock's wall time here.
    if (const auto st = link_.stats(); st.authentications != seen_authentications_) {
      seen_authentications_ = st.authentications;
      const auto since =
          st.online_since ? clock_.mono_now() - *st.online_since : MonoTime::duration{};
      online_since_ms_ = unix_millis(clock_.wall_now()) -
                         std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
    }
    return true;
  }

  void send(const store::OutboxEntry& e, Done done) override {
    // Re-sent: sent before without an ack, or made before this connection came up (while the
    // platform was out of reach, or before a restart). How late it goes out on a busy link
    // does not matter, so a replay faster than real time flags nothing it sends as it goes.
    const bool resent = e.attempts > 0 || e.created_ms < online_since_ms_;
    const auto kind = parse_outbox_kind(e.kind);
    if (!kind) return done(DeliveryOutcome::refuse(kind.error().message));
    if (*kind == OutboxKind::photo) return send_photo(e, resent, std::move(done));
    const auto ext_id = ext_id_of(*kind);
    if (!ext_id) return done(DeliveryOutcome::refuse("not a TCP outbox kind: " + e.kind));
    uplink::ExtendedMessage m;
    m.ext_id = *ext_id;
    m.data = e.payload;
    m.resent = resent;
    if (resent) ++stats_.resent_flagged;
    ++stats_.sent;
    link_.send_extended(std::move(m), [this, alive = std::weak_ptr<int>(alive_),
                                       done = std::move(done)](Result<uplink::Reply> r) {
      if (!alive.lock()) return;
      if (r && r->reply && on_reply_) on_reply_(*r->reply);
      done(judge_ack(r));
    });
  }

  std::function<void(const uplink::ExtendedMessage&)> on_reply_;
  ForwarderStats stats_;  // sent, resent_flagged, photos_sent

 private:
  void send_photo(const store::OutboxEntry& e, bool resent, Done done) {
    // 0x0305 announces the photo; 0x8305 answers 0 (go ahead) or 255 (refused: drop it);
    // then 0x0306 carries the JPEG, split into sub-packets, and is acked by 0x8001.
    // The key is the photo number, or "<photo no.>#…" for a photo sent again on request.
    const std::string photo_no = e.key.substr(0, e.key.find('#'));
    auto photo = store_.photos().find(photo_no);
    auto init = uplink::PhotoUploadInit::decode(e.payload);
    if (!photo || !*photo || !init) {
      const std::string why = !photo    ? photo.error().message
                              : !*photo ? "photo " + photo_no + " is not in the store"
                                        : init.error().message;
      return done(DeliveryOutcome::refuse("cannot upload: " + why));
    }
    uplink::PhotoData data{photo_no, (*photo)->jpeg};
    auto data_bytes = data.encode();
    if (!data_bytes) {
      return done(DeliveryOutcome::refuse("cannot upload: " + data_bytes.error().message));
    }
    init->total_packets = link_.packets_for(data_bytes->size());
    auto init_bytes = init->encode();
    if (!init_bytes) {
      return done(DeliveryOutcome::refuse("cannot upload: " + init_bytes.error().message));
    }
    ++stats_.sent;
    if (resent) ++stats_.resent_flagged;
    uplink::ExtendedMessage announce;
    announce.ext_id = uplink::extid::kPhotoUploadInit;
    announce.resent = resent;
    announce.data = std::move(*init_bytes);
    link_.send_extended(
        std::move(announce),
        [this, resent, bytes = std::move(*data_bytes), alive = std::weak_ptr<int>(alive_),
         done = std::move(done)](Result<uplink::Reply> r) mutable {
          if (!alive.lock()) return;
          if (!r) return done(DeliveryOutcome::retry(r.error().message));
          if (!r->reply) {
            // An 0x8001 instead of the 0x8305: even a result of 0 is no go-ahead.
            return done(DeliveryOutcome::retry(
                "platform ack result " + std::to_string(std::max<int>(r->ack_result, 1))));
          }
          auto answer = uplink::PhotoUploadInitReply::decode(r->reply->data);
          if (!answer || answer->reply != 0) {
            return done(DeliveryOutcome::refuse(
                "the platform refused the photo (0x8305 reply " +
                std::to_string(answer ? answer->reply : -1) + ")"));
          }
          uplink::ExtendedMessage body;
          body.ext_id = uplink::extid::kPhotoData;
          body.resent = resent;
          body.data = std::move(bytes);
          ++stats_.photos_sent;
          link_.send_extended(std::move(body), [alive, done = std::move(done)](
                                                   Result<uplink::Reply> r2) {
            if (alive.lock()) done(judge_ack(r2));
          });
        });
  }

  store::Store& store_;
  TerminalLink& link_;
  const Clock& clock_;
  std::uint64_t seen_authentications_ = 0;
  std::int64_t online_since_ms_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // the link's callbacks check it
};

DeliveryOptions delivery_options(const ForwarderOptions& o) {
  return DeliveryOptions{.channel = OutboxChannel::tcp,
                         .window = o.window,
                         .pump_interval = o.pump_interval,
                         .retry_min = o.retry_min,
                         .retry_max = o.retry_max,
                         .ack_flush_delay = o.ack_flush_delay,
                         .test_platform = o.test_platform,
                         .max_refusals = o.max_refusals};
}

}  // namespace

struct Forwarder::Impl {
  Impl(boost::asio::io_context& io, store::Store& store, std::unique_ptr<TerminalLink> own,
       TerminalLink& link, const Clock& clock, const ForwarderOptions& options,
       std::function<double()> random01)
      : own_link(std::move(own)),
        transport(store, link, clock),
        core(io, store, transport, clock, delivery_options(options), std::move(random01)) {}

  std::unique_ptr<TerminalLink> own_link;  // set when made over a TerminalSession
  TcpTransport transport;
  DeliveryCore core;  // last: destroyed first, it stops before the transport goes
};

Forwarder::Forwarder(boost::asio::io_context& io, store::Store& store,
                     uplink::TerminalSession& session, const Clock& clock,
                     ForwarderOptions options, std::function<double()> random01) {
  auto link = std::make_unique<SessionLink>(session);
  auto& ref = *link;
  impl_ = std::make_unique<Impl>(io, store, std::move(link), ref, clock, options,
                                 std::move(random01));
}

Forwarder::Forwarder(boost::asio::io_context& io, store::Store& store, TerminalLink& link,
                     const Clock& clock, ForwarderOptions options,
                     std::function<double()> random01)
    : impl_(std::make_unique<Impl>(io, store, nullptr, link, clock, options,
                                   std::move(random01))) {}

Forwarder::~Forwarder() = default;

void Forwarder::start() { impl_->core.start(); }
void Forwarder::stop() { impl_->core.stop(); }
void Forwarder::poke() { impl_->core.poke(); }

void Forwarder::on_reply(std::function<void(const uplink::ExtendedMessage&)> fn) {
  impl_->transport.on_reply_ = std::move(fn);
}

ForwarderStats Forwarder::stats() const {
  ForwarderStats s = impl_->transport.stats_;
  s.acked = impl_->core.stats().acked;
  s.failed = impl_->core.stats().retried + impl_->core.stats().rejected;
  s.last_ack_ms = impl_->core.stats().last_ack_ms;
  s.last_error = impl_->core.stats().last_error;
  return s;
}

std::size_t Forwarder::in_flight() const { return impl_->core.in_flight(); }

}  // namespace tta::agent
