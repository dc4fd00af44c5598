// The control API on its own (agent/src/control/): routing, field types, the token and body
// limits, and that nothing a client sends stops it. A fake backend stands for the terminal.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <future>
#include <thread>

#include "control/api.hpp"
#include "support/fake_control_backend.hpp"
#include "support/http_client.hpp"

namespace tta::agent::control {
namespace {
namespace http = boost::beast::http;
using tta::testing::FakeControlBackend;

Response call(Backend& b, std::string_view method, std::string_view target,
              std::string_view body = "") {
  int answers = 0;
  Response out;
  route(b, method, target, body, [&](Response r) {
    ++answers;
    out = std::move(r);
  });
  EXPECT_EQ(answers, 1) << method << ' ' << target;
  return out;
}

std::string error_of(const Response& r) { return r.body.value("error", ""); }

TEST(ControlApi, UnquotedNumberIsA400NamingTheField) {
  // As a new user sent it: this killed `tta-agent run` before (nlohmann type_error).
  FakeControlBackend b;
  auto r = call(b, "POST", "/checkin", R"({"role":"student","number":3201000000000101})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(error_of(r).find("\"number\""), std::string::npos) << error_of(r);
  EXPECT_NE(error_of(r).find("in quotes"), std::string::npos) << error_of(r);
  EXPECT_TRUE(b.checks.empty());
}

TEST(ControlApi, EveryEndpointRefusesWronglyTypedFields) {
  FakeControlBackend b;
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    const char* field;
  };
  for (const Case& c : {
           Case{"POST", "/checkin", R"({"role":1})", "role"},
           Case{"POST", "/checkin", R"({"role":["coach"]})", "role"},
           Case{"POST", "/checkin", R"({"role":"pilot"})", "role"},
           Case{"POST", "/checkin", R"({"role":"coach","number":{"a":1}})", "number"},
           Case{"POST", "/checkin", R"({"role":"student","number":"1","course":1212110000})",
                "course"},
           Case{"POST", "/checkout", R"({"role":true})", "role"},
           Case{"POST", "/checkout", R"({"role":"student","number":[1]})", "number"},
           Case{"POST", "/messages/ack", R"({"all":"yes"})", "all"},
           Case{"POST", "/messages/ack", R"({"ids":["1"]})", "ids"},
           Case{"POST", "/messages/ack", R"({"ids":[1.5]})", "ids"},
       }) {
    auto r = call(b, c.method, c.target, c.body);
    EXPECT_EQ(r.status, 400u) << c.target << ' ' << c.body;
    EXPECT_NE(error_of(r).find(c.field), std::string::npos) << c.body << " → " << error_of(r);
  }
  for (const char* body : {"", "[]", "\"x\"", "{", "null", "1"}) {
    EXPECT_EQ(call(b, "POST", "/checkin", body).status, 400u) << body;
    EXPECT_EQ(call(b, "POST", "/messages/ack", body).status, 400u) << body;
  }
  EXPECT_TRUE(b.checks.empty());
}

TEST(ControlApi, WellTypedRequestsReachTheBackend) {
  FakeControlBackend b;
  EXPECT_EQ(call(b, "GET", "/status").status, 200u);
  auto in = call(b, "POST", "/checkin",
                 R"({"role":"student","number":"3201000000000101","course":"1212110000"})");
  EXPECT_EQ(in.status, 200u);
  ASSERT_EQ(b.checks.size(), 1u);
  EXPECT_TRUE(b.checks[0].in);
  EXPECT_EQ(b.checks[0].number, "3201000000000101");
  EXPECT_EQ(b.checks[0].course, "1212110000");
  auto out = call(b, "POST", "/checkout", R"({"role":"coach","number":null})");
  EXPECT_EQ(out.status, 200u);
  EXPECT_FALSE(b.checks[1].in);
  EXPECT_FALSE(b.checks[1].number.has_value()) << "null counts as absent";
  EXPECT_EQ(call(b, "POST", "/messages/ack", R"({"ids":[1,2]})").body["marked_read"], 2);
  EXPECT_EQ(call(b, "POST", "/messages/ack", R"({"all":true})").status, 200u);
  EXPECT_EQ(call(b, "POST", "/messages/ack", R"({"ids":[404]})").status, 404u);
  EXPECT_EQ(call(b, "GET", "/progress?student=3201000000000101").body["student"],
            "3201000000000101");
  EXPECT_EQ(call(b, "GET", "/progress?student=0").status, 404u);
  EXPECT_EQ(call(b, "GET", "/progress").status, 400u);
}

TEST(ControlApi, UnknownPathsAndMethods) {
  FakeControlBackend b;
  auto r = call(b, "GET", "/nope");
  EXPECT_EQ(r.status, 404u);
  auto m = call(b, "DELETE", "/status");
  EXPECT_EQ(m.status, 405u);
  EXPECT_EQ(m.allow, "GET");
  // A path that is not UTF-8 is echoed in the error: the reply must still serialise.
  auto bad = call(b, "GET", "/%FF%FE");
  EXPECT_EQ(bad.status, 404u);
  const std::string text = serialise(bad.body);
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << text;
}

class ThrowingBackend final : public Backend {
 public:
  nlohmann::json status() override { throw std::runtime_error("status exploded"); }
  void check(const CheckRequest&, Respond done) override {
    done({200, {{"ok", true}}, {}});
    throw std::logic_error("after answering");
  }
  Result<nlohmann::json> messages(bool) override { return nlohmann::json::object(); }
  Result<std::int64_t> ack_messages(const std::vector<std::int64_t>&) override { return 0; }
  Result<nlohmann::json> progress(const std::string&) override { return nlohmann::json::object(); }
  Result<std::string> enrol_photo(const std::string&) override { throw std::runtime_error("photo"); }
  Result<std::string> camera_preview() override { throw std::runtime_error("camera"); }
};

TEST(ControlApi, AnExceptionInAHandlerIsOne500) {
  ThrowingBackend b;
  EXPECT_EQ(call(b, "GET", "/status").status, 500u);
  // Answered once even when the handler throws after answering.
  EXPECT_EQ(call(b, "POST", "/checkin", R"({"role":"coach","number":"1"})").status, 200u);
}

TEST(ControlApi, Token) {
  EXPECT_TRUE(authorised("Bearer abcdefabcdefabcdef", "abcdefabcdefabcdef"));
  EXPECT_FALSE(authorised("Bearer abcdefabcdefabcdeX", "abcdefabcdefabcdef"));
  EXPECT_FALSE(authorised("Bearer abcdefabcdefabcde", "abcdefabcdefabcdef"));
  EXPECT_FALSE(authorised("bearer abcdefabcdefabcdef", "abcdefabcdefabcdef"));
  EXPECT_FALSE(authorised("", "abcdefabcdefabcdef"));
  EXPECT_FALSE(authorised("Bearer ", ""));
}

// The server on a loopback port, with a client on another thread.
class ControlServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(io_, backend_, kToken);
    ASSERT_TRUE(server_->listen("127.0.0.1:0"));
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }
  /// Run the server's loop until the client call returns.
  template <class F>
  auto client(F f) {
    auto fut = std::async(std::launch::async, f);
    while (fut.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      io_.run_for(std::chrono::milliseconds(10));
    }
    return fut.get();
  }
  static constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
  boost::asio::io_context io_;
  FakeControlBackend backend_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ControlServer, TokenFirstThenCappedBody) {
  const std::string big(kMaxBodyBytes + 1, 'x');
  auto no_token = client([&] {
    return tta::testing::http_request(port_, http::verb::post, "/checkin", "", big);
  });
  EXPECT_EQ(no_token.status, 401);
  auto too_big = client([&] {
    return tta::testing::http_request(port_, http::verb::post, "/checkin", kToken, big);
  });
  EXPECT_EQ(too_big.status, 413);
  auto crash = client([&] {
    return tta::testing::http_request(port_, http::verb::post, "/checkin", kToken,
                                      R"({"role":"student","number":3201000000000101})");
  });
  EXPECT_EQ(crash.status, 400);
  // Still serving.
  auto status = client([&] {
    return tta::testing::http_request(port_, http::verb::get, "/status", kToken);
  });
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body["mode"], "vehicle");
}

TEST_F(ControlServer, GarbageIsA400AndTheServerGoesOn) {
  auto garbage = client([&] {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    boost::asio::write(s, boost::asio::buffer(std::string("\x01\x02 not http\r\n\r\n")));
    std::string reply;
    boost::system::error_code ec;
    std::array<char, 512> buf{};
    for (;;) {
      const auto n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      reply.append(buf.data(), n);
    }
    return reply;
  });
  EXPECT_NE(garbage.find("400"), std::string::npos) << garbage;
  EXPECT_EQ(client([&] {
              return tta::testing::http_request(port_, http::verb::get, "/status", kToken);
            }).status,
            200);
}

TEST(ControlServerListen, RefusesBadListenSpecs) {
  boost::asio::io_context io;
  FakeControlBackend b;
  for (const char* spec : {"127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000", "10.1.2.3:80",
                           "localhost:80", "127.0.0.1:-1"}) {
    Server s(io, b, "0123456789abcdef");
    EXPECT_FALSE(s.listen(spec)) << spec;
  }
}

}  // namespace
}  // namespace tta::agent::control
