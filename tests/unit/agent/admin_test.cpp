// The administrator's pages (agent/src/control/admin.*, agent/src/daemon/admin_accounts.*): scrypt
// password hashes, login and its limit, the Secure session cookie, CSRF on every change, the
// audit trail with who did what, logout, and the TLS listener.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include "daemon/admin_accounts.hpp"
#include "control/assets.hpp"
#include "training/engine.hpp"
#include "tta/face/engine.hpp"
#include "control/admin.hpp"
#include "support/fake_admin_backend.hpp"
#include "support/needs.hpp"

namespace tta::agent {
namespace {
namespace fs = std::filesystem;
using control::Response;
using control::admin::route;
using tta::testing::FakeAdminBackend;
namespace ui = control::ui;

constexpr ScryptCost kCheap{1u << 10, 8, 1};  // the tests' hashes: same code, less memory

TEST(AdminAccounts, ScryptHashesVerifyAndRefuse) {
  auto h = hash_password("correct horse battery", kCheap);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->starts_with("scrypt$1024$8$1$")) << *h;
  EXPECT_TRUE(password_matches("correct horse battery", *h));
  EXPECT_FALSE(password_matches("correct horse batterY", *h));
  EXPECT_FALSE(password_matches("", *h));
  // A fresh salt each time: the same password never gives the same stored value.
  EXPECT_NE(*h, *hash_password("correct horse battery", kCheap));
  // Malformed or hostile stored values are a refusal, never a crash or a huge allocation.
  for (const char* bad : {"", "scrypt", "scrypt$1024$8$1$zz$00", "bcrypt$1024$8$1$00$00",
                          "scrypt$1000$8$1$00$00", "scrypt$4194304$32$16$00$00",
                          "scrypt$1024$8$1$$0000000000000000000000000000000000000000000000000000000000000000"}) {
    EXPECT_FALSE(password_matches("x", bad)) << bad;
  }
  // The default cost is the memory-hard one (32 MiB).
  auto d = hash_password("another password");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->starts_with("scrypt$32768$8$1$")) << *d;
  EXPECT_TRUE(password_matches("another password", *d));
}

TEST(AdminAccounts, NamesAndPasswordsAreChecked) {
  EXPECT_TRUE(valid_admin_name("ada.l-1_x"));
  EXPECT_FALSE(valid_admin_name(""));
  EXPECT_FALSE(valid_admin_name("Ada"));
  EXPECT_FALSE(valid_admin_name("a,b"));
  EXPECT_FALSE(valid_admin_name(std::string(33, 'a')));
}

class AdminRoutes : public ::testing::Test {
 protected:
  Response call(std::string_view method, std::string_view target, std::string_view body = "",
                std::string_view cookie = "", std::string_view csrf = "") {
    int answers = 0;
    Response out;
    route(backend_, sessions_,
          ui::Request{.method = method, .target = target, .body = body, .cookie = cookie, .csrf = csrf},
          now_, [&](Response r) {
            ++answers;
            out = std::move(r);
          });
    EXPECT_EQ(answers, 1) << method << ' ' << target;
    return out;
  }
  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  std::pair<std::string, std::string> login() {
    auto r = call("POST", "/admin/login", "user=ada&password=correct+horse+battery");
    EXPECT_EQ(header(r, "Location"), "/admin/");
    const std::string set = header(r, "Set-Cookie");
    EXPECT_NE(set.find("Secure"), std::string::npos) << set;
    EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
    EXPECT_NE(set.find("SameSite=Strict"), std::string::npos) << set;
    EXPECT_NE(set.find("Path=/admin"), std::string::npos) << set;
    const std::string cookie = set.substr(0, set.find(';'));
    auto s = call("GET", "/admin/api/session", "", cookie);
    EXPECT_EQ(s.body.value("user", ""), "ada");
    return {cookie, s.body.value("csrf", "")};
  }
  FakeAdminBackend backend_;
  ui::Sessions sessions_{"tta_admin"};
  ui::Clock::time_point now_ = ui::Clock::time_point{} + std::chrono::hours(1000);
};

TEST_F(AdminRoutes, ABadPasswordSetsNoCookieIsLoggedAndFiveLockLogins) {
  EXPECT_EQ(call("GET", "/admin/api/people").status, 401u);
  EXPECT_EQ(header(call("GET", "/admin/"), "Location"), "/admin/login");
  auto bad = call("POST", "/admin/login", "user=ada&password=wrong");
  EXPECT_EQ(header(bad, "Location"), "/admin/login?failed=password");
  EXPECT_EQ(header(bad, "Set-Cookie"), "");
  ASSERT_FALSE(backend_.log.empty());
  EXPECT_EQ(backend_.log.back(), "ada admin.login_failed wrong name or password");
  for (int i = 0; i < 4; ++i) (void)call("POST", "/admin/login", "user=eve&password=guess");
  auto locked = call("POST", "/admin/login", "user=ada&password=correct+horse+battery");
  EXPECT_EQ(header(locked, "Location"), "/admin/login?failed=throttled");
  now_ += ui::Sessions::kFailureWindow + std::chrono::seconds(1);
  (void)login();
  EXPECT_EQ(backend_.log.back(), "ada admin.login");
  // Every answer says: TLS only, from now on.
  EXPECT_EQ(header(bad, "Strict-Transport-Security"), "max-age=31536000");
}

TEST_F(AdminRoutes, ChangesNeedTheCsrfTokenAndEveryActionNamesWhoDidIt) {
  const auto [cookie, csrf] = login();
  EXPECT_EQ(call("GET", "/admin/api/people", "", cookie).status, 200u);
  EXPECT_EQ(call("GET", "/admin/api/photo?number=3201000000000101", "", cookie).content_type, "image/jpeg");
  EXPECT_EQ(call("GET", "/admin/api/progress?student=1", "", cookie).status, 404u);
  EXPECT_EQ(call("POST", "/admin/api/outbox/retry", R"({"id":7})", cookie).status, 403u);
  EXPECT_TRUE(backend_.refused);
  EXPECT_EQ(call("POST", "/admin/api/outbox/retry", R"({"id":"7"})", cookie, csrf).status, 400u);
  auto r = call("POST", "/admin/api/outbox/retry", R"({"id":7})", cookie, csrf);
  EXPECT_EQ(r.status, 200u) << r.body.dump();
  EXPECT_FALSE(backend_.refused);
  EXPECT_EQ(backend_.log.back(), "ada admin.outbox_retry entry 7");
  EXPECT_EQ(call("POST", "/admin/api/outbox/retry", R"({"id":7})", cookie, csrf).status, 404u);

  EXPECT_EQ(call("GET", "/admin/api/sessions?from=2026-11-01&to=2026-11-30", "", cookie).status, 200u);
  EXPECT_EQ(call("GET", "/admin/api/sessions?from=2026-11-01", "", cookie).status, 400u);
  EXPECT_EQ(call("GET", "/admin/api/sessions?from=11-01&to=x", "", cookie).status, 400u);
  EXPECT_EQ(call("GET", "/admin/api/minutes?session=1", "", cookie).status, 200u);
  EXPECT_EQ(call("GET", "/admin/api/minutes?session=2", "", cookie).status, 404u);
  for (const char* bad : {"", "?session=", "?session=x", "?session=-1", "?session=1x", "?session=0"}) {
    EXPECT_EQ(call("GET", std::string("/admin/api/minutes") + bad, "", cookie).status, 400u) << bad;
  }
  auto csv = call("GET", "/admin/api/export.csv?what=sessions&from=2026-11-01&to=2026-11-30", "", cookie);
  EXPECT_EQ(csv.status, 200u);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(header(csv, "Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(backend_.log.back(), "ada admin.export sessions 2026-11-01..2026-11-30");
  EXPECT_EQ(call("GET", "/admin/api/export.csv?what=photos&from=2026-11-01&to=2026-11-30", "", cookie).status, 400u);
  EXPECT_EQ(call("GET", "/admin/api/export.csv?from=1&to=2", "", cookie).status, 400u);

  // Enrolment from an uploaded photo: typed fields, base64, the refusal said, the audit.
  const std::string person = R"("role":"student","number":"3201000000000104","id_card":"110105194912310054","name":"赵","licence":"C1")";
  EXPECT_EQ(call("POST", "/admin/api/enrol", "{" + person + R"(,"photo_base64":"/9j/2Q=="})", cookie).status, 403u);
  EXPECT_EQ(call("POST", "/admin/api/enrol", "{" + person + R"(,"photo_base64":"not base64!"})", cookie, csrf).status, 400u);
  EXPECT_EQ(call("POST", "/admin/api/enrol", R"({"role":"pilot","number":"1","id_card":"1","name":"x","licence":"C1","photo_base64":"/9j/2Q=="})", cookie, csrf).status, 400u);
  EXPECT_EQ(call("POST", "/admin/api/enrol", "{" + person + R"(,"photo_base64":7})", cookie, csrf).status, 400u);
  EXPECT_TRUE(backend_.enrolled.empty());
  auto noface = call("POST", "/admin/api/enrol", "{" + person + R"(,"photo_base64":"aGVsbG8="})", cookie, csrf);
  EXPECT_EQ(noface.status, 409u);
  ASSERT_EQ(backend_.enrolled.size(), 1u);
  EXPECT_EQ(backend_.enrolled[0].photo, "hello");
  auto enrolled = call("POST", "/admin/api/enrol", "{" + person + R"(,"photo_base64":"/9j/2Q=="})", cookie, csrf);
  EXPECT_EQ(enrolled.status, 200u) << enrolled.body.dump();
  EXPECT_EQ(backend_.enrolled.back().photo, std::string("\xFF\xD8\xFF\xD9", 4));
  EXPECT_EQ(backend_.log.back(), "ada admin.enrol student 3201000000000104");

  // Disabling a person: CSRF, typed fields, nobody unknown, who did it in the log; re-enabling.
  const std::string off = R"({"number":"3201000000000101","disabled":true})";
  EXPECT_EQ(call("POST", "/admin/api/people/disable", off, cookie).status, 403u);
  EXPECT_TRUE(backend_.disabled.empty());
  EXPECT_EQ(call("POST", "/admin/api/people/disable", R"({"number":"3201000000000101","disabled":"yes"})", cookie, csrf).status, 400u);
  EXPECT_EQ(call("POST", "/admin/api/people/disable", R"({"disabled":true})", cookie, csrf).status, 400u);
  EXPECT_EQ(call("POST", "/admin/api/people/disable", R"({"number":"9","disabled":true})", cookie, csrf).status, 404u);
  EXPECT_EQ(call("GET", "/admin/api/people/disable", "", cookie).status, 404u);
  auto disabled = call("POST", "/admin/api/people/disable", off, cookie, csrf);
  EXPECT_EQ(disabled.status, 200u) << disabled.body.dump();
  EXPECT_EQ(backend_.disabled["3201000000000101"], "ada");
  EXPECT_EQ(backend_.log.back(), "ada admin.person_disabled 3201000000000101");
  EXPECT_EQ(call("POST", "/admin/api/people/disable", R"({"number":"3201000000000101","disabled":false})", cookie, csrf).status, 200u);
  EXPECT_EQ(backend_.disabled["3201000000000101"], "");
  EXPECT_EQ(backend_.log.back(), "ada admin.person_enabled 3201000000000101");

  // Enrolment from a camera capture: CSRF, no camera said in words, the picture as base64.
  EXPECT_EQ(call("POST", "/admin/api/capture", "", cookie).status, 403u);
  auto nocam = call("POST", "/admin/api/capture", "", cookie, csrf);
  EXPECT_EQ(nocam.status, 503u);
  EXPECT_NE(nocam.body.value("error", "").find("no picture from the camera"), std::string::npos);
  backend_.camera_jpeg = std::string("\xFF\xD8\xFF\xD9", 4);
  auto shot = call("POST", "/admin/api/capture", "", cookie, csrf);
  EXPECT_EQ(shot.status, 200u) << shot.body.dump();
  EXPECT_EQ(shot.body.value("photo_base64", ""), "/9j/2Q==");
  EXPECT_EQ(backend_.log.back(), "ada admin.camera_capture 4 bytes");
  EXPECT_EQ(call("GET", "/admin/api/capture", "", cookie).status, 404u);

  // The final assessment: typed fields, a refusal with the reason, the pass, the certificate.
  const std::string pass = R"({"student":"3201000000000101","result":"pass","assessor":"张考官"})";
  EXPECT_EQ(call("POST", "/admin/api/complete", pass, cookie).status, 403u);
  EXPECT_EQ(call("POST", "/admin/api/complete", R"({"student":"3201000000000101","result":"ok","assessor":"x"})", cookie, csrf).status, 400u);
  EXPECT_EQ(call("POST", "/admin/api/complete", R"({"student":"3201000000000101","result":"pass","assessor":7})", cookie, csrf).status, 400u);
  auto short_hours = call("POST", "/admin/api/complete", pass, cookie, csrf);
  EXPECT_EQ(short_hours.status, 409u);
  EXPECT_NE(short_hours.body.value("error", "").find("practical minutes"), std::string::npos);
  backend_.hours_complete = true;
  auto passed = call("POST", "/admin/api/complete", pass, cookie, csrf);
  EXPECT_EQ(passed.status, 200u) << passed.body.dump();
  EXPECT_EQ(backend_.log.back(), "ada admin.assessment 3201000000000101 pass by 张考官");
  EXPECT_EQ(call("GET", "/admin/api/certificate?student=3201000000000101&number=C-1", "", cookie).status, 200u);
  EXPECT_EQ(call("GET", "/admin/api/certificate?student=3201000000000101&number=C-2", "", cookie).status, 404u);
  EXPECT_EQ(call("GET", "/admin/certificate?student=3201000000000101&number=C-1", "", cookie).content_type,
            "text/html; charset=utf-8");

  EXPECT_EQ(call("POST", "/admin/logout", "", cookie).status, 403u);
  EXPECT_EQ(call("POST", "/admin/logout", "", cookie, csrf).status, 303u);
  EXPECT_EQ(backend_.log.back(), "ada admin.logout");
  // The cookie replayed after logout opens nothing.
  EXPECT_EQ(call("GET", "/admin/api/people", "", cookie).status, 401u);
  EXPECT_EQ(call("POST", "/admin/api/outbox/retry", R"({"id":7})", cookie, csrf).status, 401u);
}

TEST_F(AdminRoutes, PagesAreCompiledInAndTheScreensCookieOpensNothingHere) {
  EXPECT_EQ(call("GET", "/admin/login").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(call("GET", "/admin/static/admin.js").status, 200u);
  const auto [cookie, csrf] = login();
  EXPECT_NE(call("GET", "/admin/", "", cookie).text.find("admin.js"), std::string::npos);
  // The device screens' session is another cookie: it is no administrator's.
  const std::string screens = "tta_ui=" + cookie.substr(cookie.find('=') + 1);
  EXPECT_EQ(call("GET", "/admin/api/people", "", screens).status, 401u);
}

// Every refusal the face check can give is said in words on the screens, in both languages.
TEST(ScreensCatalogue, EveryFaceQualityRefusalHasWords) {
  for (const char* lang : {"/i18n/zh-CN.json", "/i18n/en.json"}) {
    const auto cat = nlohmann::json::parse(control::ui::find_asset(lang)->data);
    int refusals = 0;
    for (int i = 1; i < 32; ++i) {
      const auto q = static_cast<face::Quality>(i);
      const std::string words(face::describe(q));
      if (words == "unknown") break;
      ++refusals;
      EXPECT_TRUE(cat.contains("face." + words)) << lang << " lacks face." << words;
    }
    EXPECT_GE(refusals, 5);
  }
}

// Every minute flag the engines write has words on the administrator's pages, and every one
// that can hold against an open minute has a warning on the terminal screen.
TEST(ScreensCatalogue, EveryMinuteFlagHasWords) {
  for (const char* lang : {"/i18n/zh-CN.json", "/i18n/en.json"}) {
    const auto cat = nlohmann::json::parse(control::ui::find_asset(lang)->data);
    for (const char* f : {flag::kOutsideFence, flag::kNoGnss, flag::kEngineSpeedMissing,
                          flag::kEngineSpeedZero, flag::kStationary, flag::kOutOfHours,
                          flag::kOverDailyCap, flag::kRecheckFailed, flag::kPositionJump,
                          flag::kFrozenFix, flag::kTimeBackwards, flag::kSpeedMismatch,
                          flag::kMissingPhoto}) {
      EXPECT_TRUE(cat.contains(std::string("flag.") + f)) << lang << " lacks flag." << f;
      EXPECT_TRUE(cat.contains(std::string("warn.") + f)) << lang << " lacks warn." << f;
    }
  }
}

// The TLS listener: a real handshake, a refused plain-HTTP client, a key others can read.
TEST(AdminServer, ServesOverTlsOnlyAndRefusesAReadableKey) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    TTA_SKIP_OR_FAIL_IN_CI() << "the openssl command is absent";
  }
  const fs::path dir = fs::temp_directory_path() / ("tta-admin-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                          "-subj /CN=127.0.0.1 -keyout " + (dir / "key.pem").string() + " -out " +
                          (dir / "cert.pem").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  fs::permissions(dir / "key.pem", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto readable = control::admin::tls_context(dir / "cert.pem", dir / "key.pem");
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().code, Errc::permission);
  fs::permissions(dir / "key.pem", fs::perms::owner_read | fs::perms::owner_write);
  auto tls = control::admin::tls_context(dir / "cert.pem", dir / "key.pem");
  ASSERT_TRUE(tls) << tls.error().message;

  boost::asio::io_context io;
  FakeAdminBackend backend;
  control::admin::Server server(io, backend, *tls);
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  const auto port = server.port();
  auto run_until = [&](auto fut) {
    while (fut.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      io.run_for(std::chrono::milliseconds(10));
    }
    return fut.get();
  };
  namespace http = boost::beast::http;
  // Over TLS (the client does not verify this throw-away certificate).
  const int status = run_until(std::async(std::launch::async, [port] {
    boost::asio::io_context cio;
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
    boost::beast::ssl_stream<boost::beast::tcp_stream> s(cio, ctx);
    boost::beast::get_lowest_layer(s).connect({boost::asio::ip::make_address("127.0.0.1"), port});
    s.handshake(boost::asio::ssl::stream_base::client);
    http::request<http::string_body> req{http::verb::get, "/admin/login", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return static_cast<int>(res.result_int());
  }));
  EXPECT_EQ(status, 200);
  // Plain HTTP gets no page.
  const std::string plain = run_until(std::async(std::launch::async, [port] {
    boost::asio::io_context cio;
    boost::asio::ip::tcp::socket s(cio);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(s, boost::asio::buffer(std::string("GET /admin/login HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string reply;
    std::array<char, 512> buf{};
    boost::system::error_code ec;
    for (;;) {
      const auto n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      reply.append(buf.data(), n);
    }
    return reply;
  }));
  EXPECT_EQ(plain.find("200 OK"), std::string::npos) << plain;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tta::agent
