// §2.2 signatures checked against the `openssl` command line, run at test time.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/needs.hpp"
#include "test_util.hpp"
#include "tta/uplink/signing.hpp"

namespace tta::uplink {
namespace {
namespace fs = std::filesystem;
using test::hex;

bool have_openssl() {
  return std::system("openssl version > /dev/null 2>&1") == 0;
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& p, std::span<const std::uint8_t> b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Runs a shell command in `dir`; true on exit status 0.
bool sh(const fs::path& dir, const std::string& cmd) {
  const std::string full = "cd '" + dir.string() + "' && " + cmd + " > cmd.log 2>&1";
  return std::system(full.c_str()) == 0;
}

class UplinkOpensslCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_openssl()) return;
    char tmpl[] = "/tmp/tta-uplink-sign-XXXXXX";
    const char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    ASSERT_TRUE(sh(dir_, "openssl genrsa -out key.pem 2048"));
    ASSERT_TRUE(sh(dir_,
                   "openssl req -x509 -new -key key.pem -subj /CN=tta-test -days 30 "
                   "-out cert.pem"));
    ASSERT_TRUE(sh(dir_,
                   "openssl pkcs12 -export -inkey key.pem -in cert.pem "
                   "-passout pass:secret123 -out t.p12"));
    ASSERT_TRUE(sh(dir_, "openssl base64 -in t.p12 -out t.b64"));  // wrapped at 64 columns
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!have_openssl()) TTA_SKIP_OR_FAIL_IN_CI() << "the openssl binary is not on PATH; skipping CLI checks";
  }

  static SigningKey key() {
    const Bytes b64 = read_file(dir_ / "t.b64");
    auto k = SigningKey::from_pkcs12_base64(
        std::string_view(reinterpret_cast<const char*>(b64.data()), b64.size()), "secret123");
    EXPECT_TRUE(k) << (k ? "" : k.error().message);
    return *k;
  }

  // Signature of `message` by the openssl CLI: raw SHA-256 digest, PKCS#1 v1.5, no DigestInfo.
  static Bytes cli_sign(std::span<const std::uint8_t> message) {
    write_file(dir_ / "msg.bin", message);
    EXPECT_TRUE(sh(dir_,
                   "openssl dgst -sha256 -binary msg.bin | openssl pkeyutl -sign -inkey "
                   "key.pem -pkeyopt rsa_padding_mode:pkcs1 -out sig.bin"));
    return read_file(dir_ / "sig.bin");
  }

  static fs::path dir_;
};
fs::path UplinkOpensslCli::dir_;

TEST_F(UplinkOpensslCli, SignatureEqualsCliSignature) {
  const SigningKey k = key();
  const Bytes msg = hex("0203 0022 0001 31323334353637383930313233343536 00000003 010203");
  const Bytes ours = k.sign(msg).value();
  ASSERT_EQ(ours.size(), 256U);
  EXPECT_EQ(to_hex(ours), to_hex(cli_sign(msg)));  // PKCS#1 v1.5 is deterministic
}

TEST_F(UplinkOpensslCli, CliSignatureVerifiesAndTamperingFails) {
  const SigningKey k = key();
  const Bytes msg = hex("0101 0002 0009 41424344");
  Bytes sig = cli_sign(msg);
  EXPECT_TRUE(k.certificate().verify(msg, sig));
  Bytes other = msg;
  other.back() ^= 1;
  auto bad = k.certificate().verify(other, sig);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::refused);
  sig[100] ^= 0x40;
  EXPECT_FALSE(k.certificate().verify(msg, sig));
}

TEST_F(UplinkOpensslCli, CliRecoversOurDigestWithoutDigestInfo) {
  const SigningKey k = key();
  const Bytes msg = hex("00 11 22 33 44");
  write_file(dir_ / "ours.bin", k.sign(msg).value());
  ASSERT_TRUE(sh(dir_,
                 "openssl pkeyutl -verifyrecover -certin -inkey cert.pem -pkeyopt "
                 "rsa_padding_mode:pkcs1 -in ours.bin -out recovered.bin"));
  const auto digest = sha256(msg);
  EXPECT_EQ(read_file(dir_ / "recovered.bin"), Bytes(digest.begin(), digest.end()));
}

TEST_F(UplinkOpensslCli, AuthenticationMatchesCli) {
  const SigningKey k = key();
  auto auth = make_authenticate(k, "1234567890123456", 0x5F5E1000);
  ASSERT_TRUE(auth) << auth.error().message;
  const Bytes signed_bytes = hex("31323334353637383930313233343536 5f5e1000");
  EXPECT_EQ(authentication_bytes("1234567890123456", 0x5F5E1000).value(), signed_bytes);
  EXPECT_EQ(to_hex(auth->signature), to_hex(cli_sign(signed_bytes)));
  EXPECT_TRUE(verify_authenticate(k.certificate(), "1234567890123456", *auth));
  EXPECT_FALSE(verify_authenticate(k.certificate(), "1234567890123457", *auth));
  Authenticate late = *auth;
  late.timestamp_s += 1;
  EXPECT_FALSE(verify_authenticate(k.certificate(), "1234567890123456", late));
}

TEST_F(UplinkOpensslCli, ExtendedMessageSignedLikeCli) {
  const SigningKey k = key();
  ExtendedMessage m;
  m.ext_id = 0x0203;
  m.ack_required = true;
  m.resent = true;
  m.packet_no = 5;
  m.terminal_no = "1234567890123456";
  m.data = hex("0102030405");
  ASSERT_TRUE(sign_extended(m, k));
  EXPECT_EQ(m.attributes(), 0x0023);
  const Bytes covered = hex("0203 0023 0005 31323334353637383930313233343536 00000005 0102030405");
  EXPECT_EQ(m.signed_bytes().value(), covered);
  EXPECT_EQ(to_hex(m.signature), to_hex(cli_sign(covered)));
  EXPECT_TRUE(verify_extended(m, k.certificate()));
  // Through the wire and back.
  auto back = ExtendedMessage::decode(m.encode().value()).value();
  EXPECT_TRUE(verify_extended(back, k.certificate()));
  // The re-send flag is inside the signed bytes.
  back.resent = false;
  EXPECT_FALSE(verify_extended(back, k.certificate()));
}

TEST_F(UplinkOpensslCli, CertificateFromPem) {
  const Bytes pem = read_file(dir_ / "cert.pem");
  auto c = Certificate::from_pem({reinterpret_cast<const char*>(pem.data()), pem.size()});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NE(c->subject().find("tta-test"), std::string::npos);
  auto again = Certificate::from_der(c->der());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->der(), c->der());
}

TEST_F(UplinkOpensslCli, WrongPasswordAndGarbageFail) {
  const Bytes p12 = read_file(dir_ / "t.p12");
  auto wrong = SigningKey::from_pkcs12(p12, "nope");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::wrong_key);
  EXPECT_FALSE(SigningKey::from_pkcs12(Bytes{1, 2, 3}, "x"));
  EXPECT_FALSE(SigningKey::from_pkcs12_base64("not base64!", "x"));
}

TEST_F(UplinkOpensslCli, LegacyPkcs12Opens) {
  if (!sh(dir_,
          "openssl pkcs12 -export -legacy -inkey key.pem -in cert.pem "
          "-passout pass:old -out legacy.p12")) {
    GTEST_SKIP() << "this openssl cannot write legacy PKCS#12";
  }
  auto k = SigningKey::from_pkcs12(read_file(dir_ / "legacy.p12"), "old");
  ASSERT_TRUE(k) << k.error().message;
  const Bytes msg = hex("abcdef");
  EXPECT_EQ(to_hex(k->sign(msg).value()), to_hex(cli_sign(msg)));
}

TEST_F(UplinkOpensslCli, SelfSignedPkcs12IsReadableByCli) {
  auto made = make_self_signed_pkcs12("terminal 1234567890123456", "pw12345");
  ASSERT_TRUE(made) << made.error().message;
  write_file(dir_ / "made.p12", made->pkcs12_der);
  ASSERT_TRUE(sh(dir_, "openssl pkcs12 -in made.p12 -passin pass:pw12345 -nodes -out made.pem"));
  ASSERT_TRUE(sh(dir_, "openssl rsa -in made.pem -check -noout"));
  // A signature made by the CLI with the extracted key verifies with the bundle's certificate.
  const Bytes msg = hex("0102 0304");
  write_file(dir_ / "msg.bin", msg);
  ASSERT_TRUE(sh(dir_,
                 "openssl dgst -sha256 -binary msg.bin | openssl pkeyutl -sign -inkey "
                 "made.pem -pkeyopt rsa_padding_mode:pkcs1 -out made.sig"));
  auto cert = Certificate::from_der(made->certificate_der);
  ASSERT_TRUE(cert);
  EXPECT_TRUE(cert->verify(msg, read_file(dir_ / "made.sig")));
}

// These need no openssl binary.
TEST(UplinkPkcs12, MadeInMemoryLoadsAndSigns) {
  auto made = make_self_signed_pkcs12("sim terminal", "secret");
  ASSERT_TRUE(made) << made.error().message;
  auto k = SigningKey::from_pkcs12_base64(made->pkcs12_base64, "secret");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->certificate().der(), made->certificate_der);
  EXPECT_NE(k->certificate().subject().find("sim terminal"), std::string::npos);
  const Bytes msg = hex("1122");
  auto sig = k->sign(msg);
  ASSERT_TRUE(sig);
  EXPECT_TRUE(k->certificate().verify(msg, *sig));
  // Another key's certificate must not verify it.
  auto other = make_self_signed_pkcs12("other", "secret").value();
  EXPECT_FALSE(Certificate::from_der(other.certificate_der)->verify(msg, *sig));
}

TEST(UplinkBase64, RoundTripAndWhitespace) {
  const Bytes b = hex("00 ff 10 7e 7d");
  const std::string t = base64_encode(b);
  EXPECT_EQ(t, "AP8Qfn0=");
  EXPECT_EQ(base64_decode("AP8Q\nfn0=").value(), b);
  EXPECT_EQ(base64_decode("TUlJQg==").value(), (Bytes{'M', 'I', 'I', 'B'}));
  EXPECT_FALSE(base64_decode("abc"));
}

TEST(UplinkSha256, KnownVector) {
  const std::string abc = "abc";
  const auto d = sha256({reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()});
  EXPECT_EQ(to_hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tta::uplink
