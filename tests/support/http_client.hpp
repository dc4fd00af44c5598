#pragma once
// One blocking HTTP/1.1 request to a local server (the agent's control API, the simulator's
// admin API), for tests and benches that drive those as separate processes.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

namespace tta::testing {

struct HttpReply {
  int status = 0;       ///< HTTP status; 0 when the request failed (no connection, timeout)
  nlohmann::json body;  ///< the parsed body: discarded when not JSON, null when it failed
};

/// `verb target` to 127.0.0.1:`port`, with `Authorization: Bearer token` unless `token` is
/// empty. Gives up after 60 s.
inline HttpReply http_request(int port, boost::beast::http::verb verb, const std::string& target,
                              const std::string& token, const std::string& body = "") {
  namespace http = boost::beast::http;
  try {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                  static_cast<std::uint16_t>(port)));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return {static_cast<int>(res.result_int()), nlohmann::json::parse(res.body(), nullptr, false)};
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace tta::testing
