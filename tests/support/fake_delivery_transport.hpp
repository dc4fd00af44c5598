#pragma once
// A DeliveryTransport (agent/src/outbox/delivery.hpp) the test drives by hand: every entry
// sent is kept with its `done`, and the test settles it when and how it likes; an entry can
// also be answered before send() returns (one that can never be sent).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "outbox/delivery.hpp"

namespace tta::testing {

class FakeDeliveryTransport final : public agent::DeliveryTransport {
 public:
  struct Sent {
    store::OutboxEntry entry;
    Done done;  ///< empty once settled
  };

  bool is_ready = true;  ///< what ready() says
  int ready_calls = 0;
  /// When set and it returns an outcome, send() calls `done` with it before returning.
  std::function<std::optional<agent::DeliveryOutcome>(const store::OutboxEntry&)> answer_at_once;
  std::vector<Sent> sent;  ///< in the order sent

  bool ready() override {
    ++ready_calls;
    return is_ready;
  }
  void send(const store::OutboxEntry& e, Done done) override {
    if (answer_at_once) {
      if (auto o = answer_at_once(e)) {
        sent.push_back({e, {}});
        done(std::move(*o));
        return;
      }
    }
    sent.push_back({e, std::move(done)});
  }

  /// Settle the `i`-th entry sent (0-based).
  void settle(std::size_t i, agent::DeliveryOutcome o) {
    auto done = std::move(sent.at(i).done);
    sent.at(i).done = nullptr;
    if (done) done(std::move(o));
  }
  /// Settle every entry still open, oldest first.
  void settle_all(const agent::DeliveryOutcome& o) {
    for (std::size_t i = 0; i < sent.size(); ++i) {
      if (sent[i].done) settle(i, o);
    }
  }
  [[nodiscard]] std::size_t open() const {
    std::size_t n = 0;
    for (const auto& s : sent) n += s.done ? 1 : 0;
    return n;
  }
  [[nodiscard]] std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& s : sent) k.push_back(s.entry.key);
    return k;
  }
};

/// Uniform "random" numbers in [0, 1) from a script, the last repeated (jitter in tests).
class ScriptedRandom {
 public:
  explicit ScriptedRandom(std::vector<double> values) : values_(std::move(values)) {}
  double operator()() {
    ++calls;
    if (values_.empty()) return 0.5;
    const double v = values_[next_ < values_.size() ? next_ : values_.size() - 1];
    ++next_;
    return v;
  }
  int calls = 0;

 private:
  std::vector<double> values_;
  std::size_t next_ = 0;
};

}  // namespace tta::testing
