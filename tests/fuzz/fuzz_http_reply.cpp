// libFuzzer target: what comes back from (or is stored for) the HTTPS uplink — the platform's
// JSON reply, the verdict on it, file payloads and JSON payloads through the request builder —
// takes any bytes without crashing, and what decodes re-encodes to the same.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tta/uplink/http_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tta::uplink;
  const std::span<const std::uint8_t> in(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto r = parse_platform_reply(text)) {
    // A parsed reply's data re-parses (it was re-serialised by us).
    if (!parse_platform_reply("{\"errorcode\":0,\"data\":" + r->data_json + "}")) {
      __builtin_trap();
    }
  }
  for (const int status : {200, 404, 503}) {
    (void)judge_http(tta::Result<HttpResponse>(HttpResponse{status, std::string(text), false}));
  }

  if (auto f = decode_file_payload(in)) {
    const auto again = encode_file_payload(*f);
    auto back = decode_file_payload(again);
    if (!back || !(*back == *f)) __builtin_trap();
  }

  static const auto api = [] {
    tta::config::HttpUplinkConfig cfg;
    cfg.base_url = "https://fuzz.example";
    cfg.continuing_education.base_url = "https://ce.fuzz.example";
    return *HttpApi::create(cfg);
  }();
  for (const char* resource : {"classrecord", "imageup", "stuinfoquery", "ce.record"}) {
    auto b = api.body(resource, in);
    if (b && std::string_view(resource) == "classrecord") {
      // A built JSON body is itself a payload that builds to the same bytes.
      auto again = api.body(resource, b->body);
      if (!again || again->body != b->body) __builtin_trap();
    }
    (void)api.natural_key(resource, in);
  }
  return 0;
}
