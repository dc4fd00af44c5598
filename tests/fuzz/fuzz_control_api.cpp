// libFuzzer target: the control API's router as any local client reaches it. The input is a
// raw HTTP request, parsed by Beast as the server parses it (header limit, body cap), and sent
// with or without the right bearer token (first byte, bit 0) to a fake backend; the same bytes
// are also routed directly as "METHOD\nTARGET\nBODY". Every request gets exactly one answer,
// a status the API uses, and a body that serialises as JSON.
#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "control/api.hpp"
#include "support/fake_control_backend.hpp"

namespace {
namespace http = boost::beast::http;
using tta::agent::control::Response;

constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";

void expect_one_good_answer(int answers, const Response& r) {
  static const std::set<unsigned> kStatuses = {200, 400, 401, 404, 405, 409, 413, 500};
  if (answers != 1 || !kStatuses.contains(r.status)) std::abort();
  const std::string text = tta::agent::control::serialise(r.body);
  if (text.empty() || text.back() != '\n') std::abort();
  if (nlohmann::json::parse(text, nullptr, false).is_discarded()) std::abort();
}

void route(tta::testing::FakeControlBackend& backend, std::string_view method,
           std::string_view target, std::string_view body) {
  int answers = 0;
  Response last;
  tta::agent::control::route(backend, method, target, body, [&](Response r) {
    ++answers;
    last = std::move(r);
  });
  expect_one_good_answer(answers, last);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool with_token = (data[0] & 1) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  tta::testing::FakeControlBackend backend;

  // 1. As the server reads it: headers first, the token checked, then a capped body.
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(tta::agent::control::kMaxBodyBytes);
  parser.eager(true);
  std::string raw(input);
  if (with_token) {
    // The token goes in as the first header after the request line.
    const auto eol = raw.find("\r\n");
    if (eol != std::string::npos) raw.insert(eol + 2, "Authorization: Bearer " + std::string(kToken) + "\r\n");
  }
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(raw), ec);
  if (!ec && parser.is_header_done()) {
    const auto& req = parser.get();
    const auto it = req.find(http::field::authorization);
    const std::string_view auth =
        it == req.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
    if (tta::agent::control::authorised(auth, kToken) && parser.is_done()) {
      const auto m = req.method_string();
      const auto t = req.target();
      route(backend, {m.data(), m.size()}, {t.data(), t.size()}, req.body());
    }
  }

  // 2. Straight to the router: METHOD \n TARGET \n BODY.
  const auto a = input.find('\n');
  const auto b = a == std::string_view::npos ? a : input.find('\n', a + 1);
  if (b != std::string_view::npos) {
    route(backend, input.substr(0, a), input.substr(a + 1, b - a - 1), input.substr(b + 1));
  }
  return 0;
}
