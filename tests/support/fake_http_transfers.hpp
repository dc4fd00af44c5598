#pragma once
// HttpTransfers (agent/src/outbox/http_forwarder.hpp) without a network or threads: every
// submitted transfer is kept, the test builds its request (the factory, as a worker would) and
// answers it with a response or an error, when it likes.
#include <utility>
#include <vector>

#include "outbox/http_forwarder.hpp"

namespace tta::testing {

class FakeHttpTransfers final : public agent::HttpTransfers {
 public:
  struct Submitted {
    uplink::HttpClient::Factory make;
    uplink::HttpClient::Done done;  ///< empty once answered
  };
  std::vector<Submitted> submitted;

  void submit(uplink::HttpClient::Factory make, uplink::HttpClient::Done done) override {
    submitted.push_back({std::move(make), std::move(done)});
  }

  /// The `i`-th request, built and signed as a worker would.
  Result<uplink::HttpRequest> build(std::size_t i) { return submitted.at(i).make(); }
  void answer(std::size_t i, Result<uplink::HttpResponse> r) {
    auto done = std::move(submitted.at(i).done);
    submitted.at(i).done = nullptr;
    if (done) done(std::move(r));
  }
  /// HTTP 200 with the platform's reply {"errorcode":N,"message":…,"data":…}.
  void reply(std::size_t i, int errorcode, const std::string& data_json = "null",
             const std::string& message = "") {
    answer(i, uplink::HttpResponse{.status = 200,
                                   .body = "{\"errorcode\":" + std::to_string(errorcode) +
                                           ",\"message\":\"" + message + "\",\"data\":" +
                                           data_json + "}"});
  }
  [[nodiscard]] std::size_t open() const {
    std::size_t n = 0;
    for (const auto& s : submitted) n += s.done ? 1 : 0;
    return n;
  }
};

}  // namespace tta::testing
