// The HTTPS request builder: bodies, URLs and signatures checked against vectors computed at
// test time by the `openssl` command line (SHA-256 + PKCS#1 v1.5 type 1 without DigestInfo
// over data ‖ ts as 8 bytes big-endian), the config overrides, reply parsing and verdicts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "support/needs.hpp"
#include "test_util.hpp"
#include "tta/config/config.hpp"
#include "tta/uplink/http_api.hpp"
#include "tta/uplink/signing.hpp"

namespace tta::uplink {
namespace {
namespace fs = std::filesystem;

bool have_tools() {
  return std::system("openssl version > /dev/null 2>&1") == 0 &&
         std::system("perl -e 1 > /dev/null 2>&1") == 0;
}

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
std::string read_text(const fs::path& p) {
  const auto b = read_bytes(p);
  return std::string(b.begin(), b.end());
}
void write_bytes(const fs::path& p, std::span<const std::uint8_t> b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

bool sh(const fs::path& dir, const std::string& cmd) {
  const std::string full = "cd '" + dir.string() + "' && (" + cmd + ") > cmd.log 2>&1";
  return std::system(full.c_str()) == 0;
}

/// The query of a URL as a map (values here need no unescaping).
std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> q;
  const auto qpos = url.find('?');
  std::string rest = qpos == std::string::npos ? "" : url.substr(qpos + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto item = rest.substr(0, amp);
    const auto eq = item.find('=');
    q[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (amp == std::string::npos) break;
    rest = rest.substr(amp + 1);
  }
  return q;
}

constexpr std::int64_t kTs = 1'795'786'230'123;  // 2026-11-27, ms

config::HttpUplinkConfig base_config() {
  config::HttpUplinkConfig c;
  c.base_url = "https://supervision.example.cn/api/";
  c.api_version = "1.0.0.e2";
  return c;
}

const char* kClassRecord =
    R"({"recnum":"3201138001380000261127000100","stunum":"3201000000000101","inscode":"3201000000000001",)"
    R"("coachnum":"3201000000000201","subjcode":"1212110000","starttime":"20261127080000",)"
    R"("endtime":"20261127090000","duration":60,"mileage":12.5,"coacmt":"良好"})";

class HttpApiOpenssl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_tools()) return;
    char tmpl[] = "/tmp/tta-http-sign-XXXXXX";
    const char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    ASSERT_TRUE(sh(dir_, "openssl genrsa -out key.pem 2048"));
    ASSERT_TRUE(sh(dir_,
                   "openssl req -x509 -new -key key.pem -subj /CN=tta-http-test -days 30 "
                   "-set_serial 0x0A1B2C3D4E5F6789 -out cert.pem"));
    ASSERT_TRUE(sh(dir_,
                   "openssl pkcs12 -export -inkey key.pem -in cert.pem -passout pass:pw1 "
                   "-out t.p12"));
    ASSERT_TRUE(sh(dir_, "openssl x509 -in cert.pem -noout -serial > serial.txt"));
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!have_tools()) TTA_SKIP_OR_FAIL_IN_CI() << "openssl or perl is not on PATH; skipping CLI vectors";
  }

  static SigningKey key() {
    auto k = SigningKey::from_pkcs12(read_bytes(dir_ / "t.p12"), "pw1");
    EXPECT_TRUE(k) << (k ? "" : k.error().message);
    return *k;
  }

  /// Upper-case hex signature by the openssl CLI over data ‖ ts (8 bytes BE, made by perl).
  static std::string cli_sign_hex(std::span<const std::uint8_t> data, std::int64_t ts) {
    write_bytes(dir_ / "data.bin", data);
    EXPECT_TRUE(sh(dir_, "perl -e 'print pack(\"Q>\", " + std::to_string(ts) +
                             ")' > ts.bin && cat data.bin ts.bin | openssl dgst -sha256 -binary "
                             "| openssl pkeyutl -sign -inkey key.pem -pkeyopt "
                             "rsa_padding_mode:pkcs1 -out sig.bin && "
                             "od -An -v -tx1 sig.bin | tr -d ' \\n' | tr a-f A-F > sig.hex"));
    return read_text(dir_ / "sig.hex");
  }

  static fs::path dir_;
};
fs::path HttpApiOpenssl::dir_;

TEST_F(HttpApiOpenssl, UserIsTheCertificateSerialAsOpensslPrintsIt) {
  std::string serial = read_text(dir_ / "serial.txt");  // "serial=0A1B2C3D4E5F6789\n"
  ASSERT_TRUE(serial.starts_with("serial="));
  serial = serial.substr(7, serial.find_first_of("\r\n") - 7);
  EXPECT_EQ(key().certificate().serial_hex(), serial);
  EXPECT_EQ(serial, "0A1B2C3D4E5F6789");
}

TEST_F(HttpApiOpenssl, JsonResourceBodyUrlAndSignature) {
  auto api = HttpApi::create(base_config());
  ASSERT_TRUE(api) << api.error().message;
  const auto k = key();
  auto req = api->build("classrecord", bytes_of(kClassRecord), k, kTs);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->content_type, "application/json;charset=utf-8");
  // Fields in the digest's table order, compact, UTF-8 as is.
  const std::string expected_body =
      R"({"inscode":"3201000000000001","stunum":"3201000000000101","coachnum":"3201000000000201",)"
      R"("recnum":"3201138001380000261127000100","subjcode":"1212110000","starttime":"20261127080000",)"
      R"("endtime":"20261127090000","duration":60,"mileage":12.5,"coacmt":"良好"})";
  EXPECT_EQ(std::string(req->body.begin(), req->body.end()), expected_body);
  EXPECT_TRUE(req->url.starts_with("https://supervision.example.cn/api/classrecord?v=1.0.0.e2&ts=" +
                                   std::to_string(kTs) + "&sign="))
      << req->url;
  const auto q = query_of(req->url);
  EXPECT_EQ(q.at("user"), "0A1B2C3D4E5F6789");
  EXPECT_EQ(q.at("sign").size(), 512U);
  EXPECT_EQ(q.at("sign"), cli_sign_hex(req->body, kTs));
  // And the certificate verifies it (what the platform does).
  auto sig = from_hex(q.at("sign"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(k.certificate().verify(http_signed_bytes(req->body, kTs), *sig));
  // Another timestamp, another signature; the body is the same bytes.
  auto again = api->build("classrecord", bytes_of(kClassRecord), k, kTs + 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, req->body);
  EXPECT_NE(query_of(again->url).at("sign"), q.at("sign"));
}

TEST_F(HttpApiOpenssl, ImageUploadSignsTheFileBytesOnly) {
  auto api = HttpApi::create(base_config());
  ASSERT_TRUE(api);
  Bytes jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x0D, 0x0A, 0xFF, 0xD9};
  FileUpload f{"jpg", "0000000123.jpg", "image/jpeg", jpeg};
  auto req = api->build("imageup", encode_file_payload(f), key(), kTs);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_TRUE(req->url.starts_with("https://supervision.example.cn/api/imageup/jpg?v=1.0.0.e2&"));
  ASSERT_TRUE(req->content_type.starts_with("multipart/form-data; boundary="));
  const std::string boundary = req->content_type.substr(req->content_type.find('=') + 1);
  const std::string expected =
      "--" + boundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"0000000123.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n" +
      std::string(jpeg.begin(), jpeg.end()) + "\r\n--" + boundary + "--\r\n";
  EXPECT_EQ(std::string(req->body.begin(), req->body.end()), expected);
  EXPECT_EQ(query_of(req->url).at("sign"), cli_sign_hex(jpeg, kTs));
  // Same file, same bytes (the boundary comes from the content).
  auto again = api->build("imageup", encode_file_payload(f), key(), kTs + 5);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, req->body);

  FileUpload pdf{"pdf", "graduation-1.pdf", "application/pdf", bytes_of("%PDF-1.4\n%%EOF\n")};
  auto preq = api->build("imageup", encode_file_payload(pdf), key(), kTs);
  ASSERT_TRUE(preq);
  EXPECT_NE(preq->url.find("/imageup/pdf?"), std::string::npos);
  EXPECT_EQ(query_of(preq->url).at("sign"), cli_sign_hex(pdf.bytes, kTs));
}

TEST_F(HttpApiOpenssl, GetSignsThePathKey) {
  auto api = HttpApi::create(base_config());
  ASSERT_TRUE(api);
  auto req = api->build("stuinfoquery", bytes_of("3201000000000101"), key(), kTs);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "GET");
  EXPECT_TRUE(req->body.empty());
  EXPECT_TRUE(req->url.starts_with(
      "https://supervision.example.cn/api/stuinfoquery-3201000000000101?v=1.0.0.e2&"));
  EXPECT_EQ(query_of(req->url).at("sign"),
            cli_sign_hex(bytes_of("stuinfoquery-3201000000000101"), kTs));
}

TEST_F(HttpApiOpenssl, ConfiguredPathVersionAndFieldNames) {
  auto cfg = base_config();
  cfg.resources["graduation"] = {"v2/graduation", "2.0", {{"stunum", "stuNum"}}};
  cfg.continuing_education.base_url = "https://ce.example.cn/";
  cfg.continuing_education.api_version = "3.1";
  cfg.continuing_education.resources["record"] = {"jxjy/record", "", {{"idcard", "sfzh"}}};
  auto api = HttpApi::create(cfg);
  ASSERT_TRUE(api) << api.error().message;
  auto req = api->build("graduation",
                        bytes_of(R"({"gracertnum":"C1-0001","stunum":"3201000000000101"})"),
                        key(), kTs);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_TRUE(req->url.starts_with("https://supervision.example.cn/api/v2/graduation?v=2.0&"));
  EXPECT_EQ(std::string(req->body.begin(), req->body.end()),
            R"({"stuNum":"3201000000000101","gracertnum":"C1-0001"})");
  EXPECT_EQ(query_of(req->url).at("sign"), cli_sign_hex(req->body, kTs));

  auto ce = api->build("ce.record", bytes_of(R"({"idcard":"320102199001011234","hours":8})"),
                       key(), kTs);
  ASSERT_TRUE(ce) << ce.error().message;
  EXPECT_TRUE(ce->url.starts_with("https://ce.example.cn/jxjy/record?v=3.1&")) << ce->url;
  EXPECT_EQ(std::string(ce->body.begin(), ce->body.end()),
            R"({"sfzh":"320102199001011234","hours":8})");
  EXPECT_EQ(query_of(ce->url).at("sign"), cli_sign_hex(ce->body, kTs));
}

// ---- without openssl -------------------------------------------------------------------------

TEST(HttpApi, SignedBytesAreDataThenBigEndianMilliseconds) {
  const auto b = http_signed_bytes(bytes_of("ab"), 0x0102030405060708);
  EXPECT_EQ(b, (Bytes{'a', 'b', 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(HttpApi, PayloadsThatCanNeverBeSentAreErrors) {
  auto api = HttpApi::create(base_config());
  ASSERT_TRUE(api);
  struct Case {
    const char* resource;
    std::string payload;
    Errc code;
  };
  const Case cases[] = {
      {"classrecord", "not json", Errc::parse},
      {"classrecord", "[1,2]", Errc::parse},
      {"classrecord", R"({"recnum":"1","bogus":2})", Errc::invalid_argument},
      {"classrecord", R"({"recnum":"1")", Errc::parse},  // truncated
      {"imageup", R"({"recnum":"1"})", Errc::parse},
      {"imageup", "TTAFILE1\n{\"type\":\"jpg\"}\n..", Errc::parse},
      {"imageup", "TTAFILE1\n{\"type\":\"a/b\",\"filename\":\"x\",\"content_type\":\"\"}\nx",
       Errc::invalid_argument},
      {"stuinfoquery", "", Errc::invalid_argument},
      {"stuinfoquery", "a/b", Errc::invalid_argument},
      {"nosuch", "{}", Errc::invalid_argument},
      {"ce.record", "{}", Errc::invalid_argument},  // no CE target configured
  };
  for (const auto& c : cases) {
    auto b = api->body(c.resource, bytes_of(c.payload));
    ASSERT_FALSE(b) << c.resource << " " << c.payload;
    EXPECT_EQ(b.error().code, c.code) << c.resource << " " << c.payload << ": "
                                      << b.error().message;
  }
}

TEST(HttpApi, RenamingAFieldTheResourceLacksIsAConfigError) {
  auto cfg = base_config();
  cfg.resources["classrecord"].fields["nosuchfield"] = "x";
  auto api = HttpApi::create(cfg);
  ASSERT_FALSE(api);
  EXPECT_NE(api.error().message.find("uplink.http.resources.classrecord.fields.nosuchfield"),
            std::string::npos);
}

TEST(HttpApi, NaturalKeys) {
  auto api = HttpApi::create(base_config());
  ASSERT_TRUE(api);
  EXPECT_EQ(*api->natural_key("classrecord", bytes_of(kClassRecord)),
            "3201138001380000261127000100");
  EXPECT_EQ(*api->natural_key("stagetrainningtime",
                              bytes_of(R"({"stunum":"3201000000000101","subject":2})")),
            "3201000000000101/2");
  EXPECT_EQ(*api->natural_key("graduation", bytes_of(R"({"gracertnum":"G-77"})")), "G-77");
  EXPECT_FALSE(api->natural_key("graduation", bytes_of(R"({"stunum":"1"})")));
  EXPECT_FALSE(api->natural_key("imageup", bytes_of("{}")));
}

TEST(HttpApi, FilePayloadRoundTrip) {
  FileUpload f{"jpg", "1.jpg", "image/jpeg", {0, 1, 2, '\n', 0xFF}};
  auto back = decode_file_payload(encode_file_payload(f));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, f);
  const auto enc = encode_file_payload(f);
  for (std::size_t n = 0; n < 20; ++n) {  // truncated headers
    EXPECT_FALSE(decode_file_payload(std::span(enc).first(n))) << n;
  }
}

TEST(HttpApi, PlatformReplies) {
  struct Case {
    std::string body;
    bool good;
    std::int64_t code;
    std::string message;
    std::string data;
  };
  const Case cases[] = {
      {R"({"errorcode":0,"message":"","data":{"id":"F1"}})", true, 0, "", R"({"id":"F1"})"},
      {R"({"errorcode":12,"message":"学员不存在"})", true, 12, "学员不存在", "null"},
      {R"({"errorcode":"7","message":null,"data":[]})", true, 7, "", "[]"},
      {R"({"errorcode":-1,"message":{"x":1}})", true, -1, R"({"x":1})", "null"},
      {R"({"message":"no code"})", false, 0, "", ""},
      {R"({"errorcode":1.5})", false, 0, "", ""},
      {R"({"errorcode":"1x"})", false, 0, "", ""},
      {R"({"errorcode":18446744073709551615})", false, 0, "", ""},
      {R"([0])", false, 0, "", ""},
      {R"({"errorcode":0,"message":")", false, 0, "", ""},
      {"<html>502 Bad Gateway</html>", false, 0, "", ""},
      {"", false, 0, "", ""},
  };
  for (const auto& c : cases) {
    auto r = parse_platform_reply(c.body);
    ASSERT_EQ(r.has_value(), c.good) << c.body;
    if (!r) continue;
    EXPECT_EQ(r->errorcode, c.code) << c.body;
    EXPECT_EQ(r->message, c.message) << c.body;
    EXPECT_EQ(r->data_json, c.data) << c.body;
  }
}

TEST(HttpApi, Verdicts) {
  auto resp = [](int status, std::string body) -> Result<HttpResponse> {
    return HttpResponse{status, std::move(body), false};
  };
  struct Case {
    Result<HttpResponse> outcome;
    HttpVerdict verdict;
    std::string reason_has;
  };
  const Case cases[] = {
      {resp(200, R"({"errorcode":0,"message":"","data":{}})"), HttpVerdict::accepted, ""},
      {resp(200, R"({"errorcode":5,"message":"duplicate student"})"), HttpVerdict::refused,
       "errorcode 5: duplicate student"},
      {resp(400, R"({"errorcode":400,"message":"bad ts"})"), HttpVerdict::refused, "HTTP 400"},
      {resp(403, "forbidden"), HttpVerdict::refused, "HTTP 403: forbidden"},
      {resp(404, ""), HttpVerdict::refused, "HTTP 404"},
      {resp(301, ""), HttpVerdict::refused, "HTTP 301"},
      {resp(500, ""), HttpVerdict::retry, "HTTP 500"},
      {resp(503, R"({"errorcode":503})"), HttpVerdict::retry, "HTTP 503"},
      {resp(429, ""), HttpVerdict::retry, "HTTP 429"},
      {resp(200, "<html>"), HttpVerdict::retry, "unreadable"},
      {fail(Errc::timeout, "Timeout was reached"), HttpVerdict::retry, "Timeout"},
      {fail(Errc::unavailable, "SSL peer certificate"), HttpVerdict::retry, "SSL"},
      {fail(Errc::parse, "payload is not a JSON object"), HttpVerdict::refused,
       "cannot make the request"},
  };
  for (const auto& c : cases) {
    const auto j = judge_http(c.outcome);
    EXPECT_EQ(j.verdict, c.verdict) << j.reason;
    EXPECT_NE(j.reason.find(c.reason_has), std::string::npos) << j.reason;
  }
}

// ---- config ----------------------------------------------------------------------------------

std::string example_toml() {
  return read_text(fs::path(TTA_SOURCE_DIR) / "config" / "agent.example.toml");
}

TEST(HttpConfig, ExampleParsesWithDigestDefaults) {
  auto cfg = config::parse_config(example_toml(), fs::path(TTA_SOURCE_DIR) / "config" / "x.toml");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_TRUE(cfg->uplink.http.reuse_connections);
  EXPECT_EQ(cfg->uplink.http.workers, 2U);
  EXPECT_TRUE(cfg->uplink.http.continuing_education.base_url.empty());
  auto api = HttpApi::create(cfg->uplink.http);
  ASSERT_TRUE(api);
  EXPECT_EQ(api->find("classrecord")->path, "classrecord");
  EXPECT_EQ(api->find("classrecord")->version, "1.0.0.e2");
}

TEST(HttpConfig, OverridesAndTypos) {
  const std::string good = example_toml() +
                           "\n[uplink.http.resources.classrecord]\npath = \"v2/classrecord\"\n"
                           "fields = { stunum = \"stuNum\" }\n"
                           "[uplink.http.continuing_education.resources.record]\n"
                           "path = \"jxjy/upload\"\nversion = \"9\"\n";
  auto cfg = config::parse_config(good, "x.toml");
  ASSERT_TRUE(cfg) << cfg.error().front().to_string();
  EXPECT_EQ(cfg->uplink.http.resources.at("classrecord").path, "v2/classrecord");
  EXPECT_EQ(cfg->uplink.http.resources.at("classrecord").fields.at("stunum"), "stuNum");
  EXPECT_EQ(cfg->uplink.http.continuing_education.resources.at("record").version, "9");

  const std::pair<std::string, std::string> bad[] = {
      {"\n[uplink.http.resources.classrecords]\npath = \"x\"\n",
       "uplink.http.resources.classrecords"},
      {"\n[uplink.http.resources.graduation]\npaht = \"x\"\n",
       "uplink.http.resources.graduation.paht"},
      {"\n[uplink.http.resources.graduation]\npath = \"/abs\"\n",
       "uplink.http.resources.graduation.path"},
      {"\n[uplink.http.resources.graduation]\nfields = { stunum = 3 }\n",
       "uplink.http.resources.graduation.fields.stunum"},
  };
  for (const auto& [extra, key] : bad) {
    auto c = config::parse_config(example_toml() + extra, "x.toml");
    ASSERT_FALSE(c) << extra;
    bool found = false;
    for (const auto& d : c.error()) found = found || d.key_path == key;
    EXPECT_TRUE(found) << extra << " → " << c.error().front().to_string();
  }
  auto c = config::parse_config(example_toml() + "\n[uplink.http.continuing_education]\n",
                                "x.toml");
  EXPECT_FALSE(c);  // the table is defined twice: a TOML error
}

}  // namespace
}  // namespace tta::uplink
