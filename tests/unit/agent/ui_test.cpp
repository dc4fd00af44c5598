// The screens' routes (agent/src/control/ui.*): login and its limit, the session cookie, the
// CSRF token on every change, logout, the compiled-in pages, and the server's event stream.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <future>
#include <regex>

#include "control/api.hpp"
#include "control/assets.hpp"
#include "control/ui.hpp"
#include "support/fake_control_backend.hpp"

namespace tta::agent::control::ui {
namespace {
using tta::testing::FakeControlBackend;
constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

class UiRoutes : public ::testing::Test {
 protected:
  Response call(std::string_view method, std::string_view target, std::string_view body = "",
                std::string_view cookie = "", std::string_view csrf = "") {
    int answers = 0;
    Response out;
    route(backend_, sessions_, kToken,
          Request{.method = method, .target = target, .body = body, .cookie = cookie, .csrf = csrf},
          now_, [&](Response r) {
            ++answers;
            out = std::move(r);
          });
    EXPECT_EQ(answers, 1) << method << ' ' << target;
    return out;
  }
  /// Log in with the token; returns "tta_ui=ID" and the CSRF token.
  std::pair<std::string, std::string> login() {
    auto r = call("GET", std::string("/ui/login?token=") + kToken);
    EXPECT_EQ(r.status, 303u);
    const std::string set = header(r, "Set-Cookie");
    EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
    EXPECT_NE(set.find("SameSite=Strict"), std::string::npos) << set;
    const std::string cookie = set.substr(0, set.find(';'));
    auto s = call("GET", "/ui/api/session", "", cookie);
    EXPECT_EQ(s.status, 200u);
    return {cookie, s.body.value("csrf", "")};
  }
  FakeControlBackend backend_;
  Sessions sessions_;
  Clock::time_point now_ = Clock::time_point{} + std::chrono::hours(1000);
};

TEST_F(UiRoutes, EverythingButLoginAndStaticFilesNeedsASession) {
  EXPECT_EQ(call("GET", "/ui/terminal").status, 303u);
  EXPECT_EQ(header(call("GET", "/ui/terminal"), "Location"), "/ui/login");
  EXPECT_EQ(call("GET", "/ui/api/status").status, 401u);
  EXPECT_EQ(call("POST", "/ui/api/checkin", R"({"role":"coach","number":"1"})").status, 401u);
  EXPECT_TRUE(backend_.checks.empty());
  EXPECT_EQ(call("GET", "/ui/api/status", "", "tta_ui=forged").status, 401u);
  // The login page and its files are served without one.
  auto page = call("GET", "/ui/login");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.text.find("<form"), std::string::npos);
  EXPECT_EQ(call("GET", "/ui/static/app.css").status, 200u);
  EXPECT_EQ(call("GET", "/ui/static/nope.css").status, 404u);
  // Every answer carries the security headers.
  EXPECT_NE(header(page, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(header(page, "X-Content-Type-Options"), "nosniff");
}

TEST_F(UiRoutes, AWrongTokenSetsNoCookieAndFiveFailuresLockLoginsForAMinute) {
  auto bad = call("POST", "/ui/login", "token=wrong");
  EXPECT_EQ(bad.status, 303u);
  EXPECT_EQ(header(bad, "Location"), "/ui/login?failed=token");
  EXPECT_EQ(header(bad, "Set-Cookie"), "");
  for (int i = 0; i < 4; ++i) (void)call("GET", "/ui/login?token=wrong");
  // Now even the right token is refused until the window passes.
  auto locked = call("GET", std::string("/ui/login?token=") + kToken);
  EXPECT_EQ(header(locked, "Location"), "/ui/login?failed=throttled");
  EXPECT_EQ(header(locked, "Set-Cookie"), "");
  now_ += Sessions::kFailureWindow + std::chrono::seconds(1);
  auto good = call("POST", "/ui/login", std::string("token=") + kToken);
  EXPECT_EQ(header(good, "Location"), "/ui/");
  EXPECT_NE(header(good, "Set-Cookie").find("tta_ui="), std::string::npos);
}

TEST_F(UiRoutes, ChangesNeedTheCsrfTokenAndLogoutEndsTheSession) {
  const auto [cookie, csrf] = login();
  ASSERT_EQ(csrf.size(), 64u);
  EXPECT_EQ(call("GET", "/ui/api/status", "", cookie).status, 200u);
  EXPECT_EQ(header(call("GET", "/ui/", "", cookie), "Location"), "/ui/terminal");
  auto page = call("GET", "/ui/terminal", "", cookie);
  EXPECT_EQ(page.status, 200u);
  EXPECT_NE(page.text.find("terminal.js"), std::string::npos);

  const std::string body = R"({"role":"coach","number":"7"})";
  EXPECT_EQ(call("POST", "/ui/api/checkin", body, cookie).status, 403u);
  std::string wrong = csrf;  // one character changed (a fixed "0" prefix matched 1 time in 16)
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  EXPECT_EQ(call("POST", "/ui/api/checkin", body, cookie, wrong).status, 403u);
  EXPECT_TRUE(backend_.checks.empty());
  auto ok = call("POST", "/ui/api/checkin", body, cookie, csrf);
  EXPECT_EQ(ok.status, 200u) << ok.body.dump();
  ASSERT_EQ(backend_.checks.size(), 1u);
  EXPECT_EQ(backend_.checks[0].number, "7");
  // The API's own validation applies behind the screens too.
  EXPECT_EQ(call("POST", "/ui/api/checkin", R"({"role":"pilot"})", cookie, csrf).status, 400u);
  EXPECT_EQ(call("GET", "/ui/api/nothing", "", cookie).status, 404u);

  // Enrolled photos: a JPEG, or 404.
  auto photo = call("GET", "/ui/api/photo?number=1", "", cookie);
  EXPECT_EQ(photo.status, 200u);
  EXPECT_EQ(photo.content_type, "image/jpeg");
  EXPECT_EQ(call("GET", "/ui/api/photo?number=2", "", cookie).status, 404u);

  // Logout needs the CSRF token too; afterwards the same cookie opens nothing.
  EXPECT_EQ(call("POST", "/ui/logout", "", cookie).status, 403u);
  auto out = call("POST", "/ui/logout", "", cookie, csrf);
  EXPECT_EQ(out.status, 303u);
  EXPECT_NE(header(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(call("GET", "/ui/api/status", "", cookie).status, 401u);
  EXPECT_EQ(call("POST", "/ui/api/checkin", body, cookie, csrf).status, 401u);
  EXPECT_EQ(backend_.checks.size(), 1u);
}

// The camera preview: behind the session, the newest frame as image/jpeg, nothing when there
// is none, at most ten frames a second for all screens together.
TEST_F(UiRoutes, TheCameraPreviewNeedsASessionAndIsRateLimited) {
  EXPECT_EQ(call("GET", "/ui/api/camera.jpg").status, 401u);
  EXPECT_EQ(call("GET", "/ui/api/camera.jpg", "", "tta_ui=forged").status, 401u);
  EXPECT_EQ(backend_.previews, 0);
  const auto [cookie, csrf] = login();
  EXPECT_EQ(call("GET", "/ui/api/camera.jpg", "", cookie).status, 404u);
  backend_.preview = std::string("\xFF\xD8\xFF\xD9", 4);
  auto frame = call("GET", "/ui/api/camera.jpg?n=1", "", cookie);
  EXPECT_EQ(frame.status, 200u);
  EXPECT_EQ(frame.content_type, "image/jpeg");
  EXPECT_EQ(frame.text, backend_.preview);
  EXPECT_EQ(header(frame, "Cache-Control"), "no-store");
  EXPECT_EQ(call("POST", "/ui/api/camera.jpg", "", cookie, csrf).status, 404u);
  // Two answered so far in this second; eight more, then 429 without asking the camera.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(call("GET", "/ui/api/camera.jpg", "", cookie).status, 200u);
  const int asked = backend_.previews;
  auto limited = call("GET", "/ui/api/camera.jpg", "", cookie);
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(header(limited, "Retry-After"), "1");
  EXPECT_EQ(backend_.previews, asked);
  now_ += std::chrono::seconds(1);
  EXPECT_EQ(call("GET", "/ui/api/camera.jpg", "", cookie).status, 200u);
  // A frame larger than the cap is not sent.
  backend_.preview = std::string(kMaxPreviewBytes + 1, 'x');
  EXPECT_EQ(call("GET", "/ui/api/camera.jpg", "", cookie).status, 503u);
}

TEST_F(UiRoutes, IdleSessionsExpireAndTheirNumberIsBounded) {
  const auto [cookie, csrf] = login();
  now_ += Sessions::kIdle + std::chrono::seconds(1);
  EXPECT_EQ(call("GET", "/ui/api/status", "", cookie).status, 401u);
  for (std::size_t i = 0; i < Sessions::kMaxSessions + 5; ++i) {
    now_ += std::chrono::seconds(1);
    (void)login();
  }
  EXPECT_EQ(sessions_.size(), Sessions::kMaxSessions);
}

TEST(UiAssets, EveryPageScriptAndCatalogueIsCompiledInAndTheCataloguesAgree) {
  for (const char* path : {"/terminal.html", "/kiosk.html", "/login.html", "/app.css", "/app.js",
                           "/terminal.js", "/kiosk.js", "/i18n/zh-CN.json", "/i18n/en.json"}) {
    const Asset* a = find_asset(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_GT(a->data.size(), 100u) << path;
  }
  const auto zh = nlohmann::json::parse(find_asset("/i18n/zh-CN.json")->data);
  const auto en = nlohmann::json::parse(find_asset("/i18n/en.json")->data);
  for (const auto& [k, v] : zh.items()) EXPECT_TRUE(en.contains(k)) << "en lacks " << k;
  for (const auto& [k, v] : en.items()) EXPECT_TRUE(zh.contains(k)) << "zh-CN lacks " << k;
  // Every data-i18n key used by a page exists in the catalogue.
  const std::regex key("data-i18n(?:-title)?=\"([^\"]+)\"");
  for (const char* page : {"/terminal.html", "/kiosk.html", "/login.html", "/admin.html",
                           "/admin_login.html", "/certificate.html"}) {
    const std::string text(find_asset(page)->data);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), key); it != std::sregex_iterator(); ++it) {
      EXPECT_TRUE(zh.contains((*it)[1].str())) << page << " uses " << (*it)[1].str();
    }
  }
}

// The event stream over a real socket: the status at once, then each change.
class UiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(io_, backend_, kToken);
    ASSERT_TRUE(server_->listen("127.0.0.1:0"));
    port_ = server_->port();
  }
  template <class F>
  auto client(F f) {
    auto fut = std::async(std::launch::async, f);
    while (fut.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      io_.run_for(std::chrono::milliseconds(10));
    }
    return fut.get();
  }
  /// One raw request; reads until `until` appears in the reply or the peer closes.
  std::string raw(const std::string& request, const std::string& until = "") {
    return client([&] {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
      boost::asio::write(s, boost::asio::buffer(request));
      std::string reply;
      std::array<char, 4096> buf{};
      boost::system::error_code ec;
      while (until.empty() || reply.find(until) == std::string::npos) {
        const auto n = s.read_some(boost::asio::buffer(buf), ec);
        if (ec) break;
        reply.append(buf.data(), n);
      }
      return reply;
    });
  }
  std::string login_cookie() {
    const std::string r = raw(std::string("GET /ui/login?token=") + kToken + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r, m, std::regex("Set-Cookie: (tta_ui=[0-9a-f]+)"))) << r;
    return m[1].str();
  }
  boost::asio::io_context io_;
  FakeControlBackend backend_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(UiServer, TheEventStreamSendsTheStatusAndEachChange) {
  const std::string cookie = login_cookie();
  // Without the cookie: 401, not a stream.
  EXPECT_NE(raw("GET /ui/api/events HTTP/1.1\r\nHost: x\r\n\r\n").find("401"), std::string::npos);
  const std::string stream =
      raw("GET /ui/api/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n",
          "\"minutes_made\":0");
  EXPECT_NE(stream.find("Content-Type: text/event-stream"), std::string::npos) << stream;
  EXPECT_NE(stream.find("event: status\ndata: {"), std::string::npos) << stream;

  // A change reaches a listener without it asking again.
  auto fut = std::async(std::launch::async, [&] {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    boost::asio::write(s, boost::asio::buffer("GET /ui/api/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n"));
    std::string reply;
    std::array<char, 4096> buf{};
    boost::system::error_code ec;
    while (reply.find("\"minutes_made\":5") == std::string::npos) {
      const auto n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      reply.append(buf.data(), n);
    }
    return reply;
  });
  while (fut.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    io_.run_for(std::chrono::milliseconds(10));
    if (backend_.minutes_made == 0) {
      backend_.minutes_made = 5;
      server_->status_changed();
    }
  }
  EXPECT_NE(fut.get().find("\"minutes_made\":5"), std::string::npos);
}

TEST_F(UiServer, AtMostEightListenersAndTheRestAreTold) {
  const std::string cookie = login_cookie();
  boost::asio::io_context cio;  // before the sockets: they must go first
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> open;
  for (std::size_t i = 0; i < Server::kMaxEventStreams; ++i) {
    auto s = std::make_unique<boost::asio::ip::tcp::socket>(cio);
    s->connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    boost::asio::write(*s, boost::asio::buffer("GET /ui/api/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n"));
    open.push_back(std::move(s));
    io_.run_for(std::chrono::milliseconds(50));
  }
  const std::string ninth =
      raw("GET /ui/api/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n");
  EXPECT_NE(ninth.find("503"), std::string::npos) << ninth;
  // One goes away: its place is free again.
  open.front()->close();
  open.erase(open.begin());
  io_.run_for(std::chrono::milliseconds(200));  // the server reads the close
  const std::string again =
      raw("GET /ui/api/events HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n", "event: status");
  EXPECT_NE(again.find("event: status"), std::string::npos) << again;
}

}  // namespace
}  // namespace tta::agent::control::ui
