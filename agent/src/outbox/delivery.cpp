#include "outbox/delivery.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include "tta/uplink/session.hpp"

namespace tta::agent {

DeliveryCore::DeliveryCore(boost::asio::io_context& io, store::Store& store,
                           DeliveryTransport& transport, const Clock& clock,
                           DeliveryOptions options, std::function<double()> random01)
    : io_(io),
      store_(store),
      transport_(transport),
      clock_(clock),
      opt_(options),
      random01_(std::move(random01)),
      name_(std::string(channel_prefix(options.channel)) + " outbox"),
      flush_timer_(io),
      pump_(io, options.pump_interval, [this] { pump(); }) {
  opt_.window = std::max<std::size_t>(1, opt_.window);
  if (!random01_) {
    random01_ = [rng = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

DeliveryCore::~DeliveryCore() { stop(); }

void DeliveryCore::start() { pump_.start(); }

void DeliveryCore::stop() {
  pump_.stop();
  flush_acks();
}

void DeliveryCore::poke() { pump_.poke(); }

void DeliveryCore::pump() {
  if (!transport_.ready()) return;
  // Only this channel's kinds: the other sender's backlog must not fill this window.
  for (const auto& e : next_batch(store_, now_ms(), channel_prefix(opt_.channel), opt_.window,
                                  in_flight_)) {
    send(e);
  }
}

void DeliveryCore::send(const store::OutboxEntry& e) {
  in_flight_.insert(e.id);
  if (e.simulated && !opt_.test_platform) {
    // Made on SIMULATED inputs: never handed to a production platform as real.
    finish(e.id, e.attempts, DeliveryOutcome::refuse(std::string(kSimulatedRefusal)));
    return;
  }
  ++stats_.started;
  transport_.send(e, [this, alive = std::weak_ptr<int>(alive_), id = e.id,
                      attempts = e.attempts + 1](DeliveryOutcome outcome) {
    if (alive.lock()) finish(id, attempts, outcome);
  });
}

void DeliveryCore::finish(std::int64_t id, std::int32_t attempts,
                          const DeliveryOutcome& outcome) {
  if (!in_flight_.contains(id)) return;  // a second outcome for one send: the first counts
  const auto now = now_ms();
  switch (outcome.verdict) {
    case DeliveryOutcome::Verdict::acked:
      ++stats_.acked;
      stats_.last_ack_ms = now;
      // Acked entries count as in flight until written, so a pump in between cannot resend them.
      acked_.push_back(id);
      break;
    case DeliveryOutcome::Verdict::refused:
      in_flight_.erase(id);
      ++stats_.refused;
      stats_.last_error = outcome.reason;
      stats_.last_error_ms = now;
      spdlog::warn("{}: entry {} refused: {}", name_, id, outcome.reason);
      if (auto st = store_.outbox().mark_refused(id, now, outcome.reason); !st) {
        spdlog::error("{}: marking {} refused: {}", name_, id, st.error().message);
      }
      break;
    case DeliveryOutcome::Verdict::rejected: {
      in_flight_.erase(id);
      const auto delay = uplink::TerminalSession::backoff(
          static_cast<std::size_t>(std::max(0, attempts - 1)), opt_.retry_min, opt_.retry_max,
          random01_());
      auto for_good = store_.outbox().mark_rejected(id, now, now + delay.count(), outcome.reason,
                                                    opt_.max_refusals);
      if (!for_good) {
        spdlog::error("{}: marking {} refused: {}", name_, id, for_good.error().message);
      } else if (*for_good) {
        ++stats_.refused;
        spdlog::warn("{}: entry {} refused {} times, kept refused for the administrator: {}",
                     name_, id, opt_.max_refusals, outcome.reason);
      } else {
        ++stats_.rejected;
        spdlog::info("{}: entry {} refused, tried again in {} ms: {}", name_, id, delay.count(),
                     outcome.reason);
      }
      break;
    }
    case DeliveryOutcome::Verdict::retry: {
      in_flight_.erase(id);
      ++stats_.retried;
      stats_.last_error = outcome.reason;
      stats_.last_error_ms = now;
      const auto delay = uplink::TerminalSession::backoff(
          static_cast<std::size_t>(std::max(0, attempts - 1)), opt_.retry_min, opt_.retry_max,
          random01_());
      spdlog::debug("{}: entry {} retry in {} ms: {}", name_, id, delay.count(), outcome.reason);
      if (auto st = store_.outbox().mark_retry(id, now, now + delay.count(), outcome.reason); !st) {
        spdlog::error("{}: scheduling retry of {}: {}", name_, id, st.error().message);
      }
      break;
    }
  }
  if (!pump_.running()) {
    flush_acks();  // stopped: nothing else will write it
    return;
  }
  schedule_flush();  // also after a failure: the acks left may now be all that is in flight
  if (in_flight_.size() <= opt_.window / 2) poke();
}

void DeliveryCore::schedule_flush() {
  if (acked_.empty() || flush_posted_) return;
  // Every entry still in flight is acked (nothing to wait for), or half the window is.
  const std::size_t batch = std::max<std::size_t>(1, opt_.window / 2);
  if (acked_.size() >= in_flight_.size() || acked_.size() >= batch ||
      opt_.ack_flush_delay.count() <= 0) {
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

void DeliveryCore::flush_acks() {
  flush_posted_ = false;
  if (flush_timer_armed_) {
    flush_timer_armed_ = false;
    ++flush_gen_;
    flush_timer_.cancel();
  }
  if (acked_.empty()) return;
  ++stats_.ack_commits;
  if (auto st = store_.outbox().mark_acked(acked_, now_ms()); !st) {
    // Not written: the entries stay due and are sent again; the platform deduplicates.
    spdlog::error("{}: marking {} entries acked: {}", name_, acked_.size(), st.error().message);
  }
  for (const auto id : acked_) in_flight_.erase(id);
  acked_.clear();
  poke();
}

}  // namespace tta::agent
