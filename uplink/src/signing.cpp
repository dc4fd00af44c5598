// §2.2 signatures with OpenSSL 3 (terminal-protocol.md §2.2, §1.2 0x0102).
#include "tta/uplink/signing.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <climits>

namespace tta::uplink {
namespace {

// The OpenSSL error queue as one line, then cleared (each call reports its own failure).
std::string ssl_error(std::string_view what) {
  std::string msg(what);
  unsigned long e = 0;
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return msg;
}

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

std::shared_ptr<X509> wrap(X509* x) {
  return {x, X509_free};
}
std::shared_ptr<EVP_PKEY> wrap(EVP_PKEY* k) {
  return {k, EVP_PKEY_free};
}

}  // namespace

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 32> out{};
  SHA256(bytes.data(), bytes.size(), out.data());
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) clean += c;
  }
  if (clean.size() % 4 != 0) {
    return fail(Errc::parse, "Base64 text of " + std::to_string(clean.size()) +
                                 " characters is not a multiple of 4");
  }
  if (clean.size() > static_cast<std::size_t>(INT_MAX)) return fail(Errc::parse, "Base64 too long");
  Bytes out(clean.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return fail(Errc::parse, "invalid Base64 text");
  std::size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// ---- Certificate -----------------------------------------------------------------------------

Result<Certificate> Certificate::from_der(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x == nullptr) return fail(Errc::parse, ssl_error("not a DER certificate"));
  Certificate c;
  c.cert_ = wrap(x);
  return c;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return fail(Errc::internal, ssl_error("BIO_new_mem_buf"));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (x == nullptr) return fail(Errc::parse, ssl_error("not a PEM certificate"));
  Certificate c;
  c.cert_ = wrap(x);
  return c;
}

Bytes Certificate::der() const {
  if (!cert_) return {};
  const int n = i2d_X509(cert_.get(), nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert_.get(), &p);
  return out;
}

std::string Certificate::subject() const {
  if (!cert_) return {};
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert_.get()), buf, sizeof buf);
  return buf;
}

std::string Certificate::serial_hex() const {
  if (!cert_) return {};
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr);
  if (bn == nullptr) return {};
  char* hex = BN_bn2hex(bn);  // upper case, no leading zeros ("0" for zero)
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

Status Certificate::verify(std::span<const std::uint8_t> message,
                           std::span<const std::uint8_t> signature) const {
  const auto digest = sha256(message);
  return verify_digest(digest, signature);
}

Status Certificate::verify_digest(std::span<const std::uint8_t> digest,
                                  std::span<const std::uint8_t> signature) const {
  if (!cert_) return fail(Errc::invalid_argument, "no certificate loaded");
  EVP_PKEY* pub = X509_get0_pubkey(cert_.get());
  if (pub == nullptr) return fail(Errc::parse, ssl_error("certificate has no usable public key"));
  CtxPtr ctx(EVP_PKEY_CTX_new(pub, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) {
    return fail(Errc::internal, ssl_error("setting up RSA verification"));
  }
  // No signature digest is set: OpenSSL compares the recovered bytes with `digest` as is,
  // i.e. PKCS#1 v1.5 type 1 without a DigestInfo (§2.2).
  const int rc =
      EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size());
  if (rc != 1) {
    ERR_clear_error();
    return fail(Errc::refused, "signature does not verify with the certificate of " + subject());
  }
  return ok();
}

// ---- SigningKey ------------------------------------------------------------------------------

Result<SigningKey> SigningKey::from_pkcs12(std::span<const std::uint8_t> der,
                                           std::string_view password) {
  const std::string pass(password);
  auto parse = [&](EVP_PKEY** key, X509** cert) -> bool {
    const unsigned char* p = der.data();
    PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(der.size()));
    if (p12 == nullptr) return false;
    STACK_OF(X509)* ca = nullptr;
    const int ok_parse = PKCS12_parse(p12, pass.c_str(), key, cert, &ca);
    PKCS12_free(p12);
    sk_X509_pop_free(ca, X509_free);
    return ok_parse == 1;
  };
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  if (!parse(&key, &cert)) {
    // Older platforms wrap the key with RC2/3DES, which OpenSSL 3 keeps in its legacy provider.
    const std::string first = ssl_error("cannot open the PKCS#12 (wrong password or damaged?)");
    if (OSSL_PROVIDER_available(nullptr, "legacy") == 1 ||
        OSSL_PROVIDER_try_load(nullptr, "legacy", 1) == nullptr || !parse(&key, &cert)) {
      ERR_clear_error();
      return fail(Errc::wrong_key, first);
    }
  }
  auto k = wrap(key);
  auto c = wrap(cert);
  if (!k || !c) return fail(Errc::parse, "the PKCS#12 lacks a private key or a certificate");
  if (EVP_PKEY_is_a(k.get(), "RSA") != 1 || EVP_PKEY_get_bits(k.get()) != 2048) {
    return fail(Errc::incompatible, "the PKCS#12 key must be RSA-2048 (§2.2), it is " +
                                        std::string(EVP_PKEY_get0_type_name(k.get())) + "-" +
                                        std::to_string(EVP_PKEY_get_bits(k.get())));
  }
  if (X509_check_private_key(c.get(), k.get()) != 1) {
    ERR_clear_error();
    return fail(Errc::corrupt, "the PKCS#12 certificate does not match its private key");
  }
  SigningKey sk;
  sk.key_ = std::move(k);
  sk.cert_.cert_ = std::move(c);
  return sk;
}

Result<SigningKey> SigningKey::from_pkcs12_base64(std::string_view base64,
                                                  std::string_view password) {
  auto der = base64_decode(base64);
  if (!der) return fail(der.error().context("PKCS#12"));
  return from_pkcs12(*der, password);
}

Result<Bytes> SigningKey::sign(std::span<const std::uint8_t> message) const {
  const auto digest = sha256(message);
  return sign_digest(digest);
}

Result<Bytes> SigningKey::sign_digest(std::span<const std::uint8_t> digest) const {
  if (!key_) return fail(Errc::invalid_argument, "no key loaded");
  CtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) {
    return fail(Errc::internal, ssl_error("setting up RSA signing"));
  }
  // Deliberately no EVP_PKEY_CTX_set_signature_md: the digest is padded raw (§2.2).
  std::size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) <= 0) {
    return fail(Errc::internal, ssl_error("RSA sign (size)"));
  }
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) <= 0) {
    return fail(Errc::internal, ssl_error("RSA sign"));
  }
  sig.resize(len);
  return sig;
}

// ---- PKCS#12 creation ------------------------------------------------------------------------

Result<Pkcs12Bundle> make_self_signed_pkcs12(std::string_view common_name,
                                             std::string_view password,
                                             std::chrono::seconds validity) {
  auto key = wrap(EVP_RSA_gen(2048));
  if (!key) return fail(Errc::internal, ssl_error("RSA-2048 key generation"));
  auto cert = wrap(X509_new());
  if (!cert) return fail(Errc::internal, ssl_error("X509_new"));
  X509* x = cert.get();
  std::array<unsigned char, 16> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
    return fail(Errc::internal, ssl_error("RAND_bytes"));
  }
  serial[0] &= 0x7F;  // a positive serial
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  const std::string cn(common_name);
  bool good =
      bn != nullptr && X509_set_version(x, 2) == 1 &&
      BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(validity.count())) != nullptr &&
      X509_set_pubkey(x, key.get()) == 1;
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(x);
  good = good &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                    0) == 1 &&
         X509_set_issuer_name(x, name) == 1 && X509_sign(x, key.get(), EVP_sha256()) > 0;
  if (!good) return fail(Errc::internal, ssl_error("building the certificate"));

  const std::string pass(password);
  PKCS12* p12 = PKCS12_create(pass.c_str(), cn.c_str(), key.get(), x, nullptr, 0, 0, 0, 0, 0);
  if (p12 == nullptr) return fail(Errc::internal, ssl_error("PKCS12_create"));
  const int n = i2d_PKCS12(p12, nullptr);
  Pkcs12Bundle out;
  if (n > 0) {
    out.pkcs12_der.resize(static_cast<std::size_t>(n));
    unsigned char* p = out.pkcs12_der.data();
    i2d_PKCS12(p12, &p);
  }
  PKCS12_free(p12);
  if (n <= 0) return fail(Errc::internal, ssl_error("i2d_PKCS12"));
  out.pkcs12_base64 = base64_encode(out.pkcs12_der);
  const int cn_len = i2d_X509(x, nullptr);
  out.certificate_der.resize(static_cast<std::size_t>(std::max(cn_len, 0)));
  unsigned char* cp = out.certificate_der.data();
  i2d_X509(x, &cp);
  return out;
}

// ---- protocol helpers ------------------------------------------------------------------------

Result<Bytes> authentication_bytes(std::string_view terminal_no, std::uint32_t timestamp_s) {
  if (terminal_no.size() > 16) {
    return fail(Errc::invalid_argument, "terminal number longer than 16 characters");
  }
  Bytes out(terminal_no.begin(), terminal_no.end());
  out.resize(16, 0);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(timestamp_s >> shift));
  return out;
}

Result<Authenticate> make_authenticate(const SigningKey& key, std::string_view terminal_no,
                                       std::uint32_t timestamp_s) {
  auto bytes = authentication_bytes(terminal_no, timestamp_s);
  if (!bytes) return fail(bytes.error());
  auto sig = key.sign(*bytes);
  if (!sig) return fail(sig.error());
  if (sig->size() != 256) return fail(Errc::internal, "signature is not 256 bytes");
  Authenticate a;
  a.timestamp_s = timestamp_s;
  std::copy(sig->begin(), sig->end(), a.signature.begin());
  return a;
}

Status verify_authenticate(const Certificate& cert, std::string_view terminal_no,
                           const Authenticate& auth) {
  auto bytes = authentication_bytes(terminal_no, auth.timestamp_s);
  if (!bytes) return fail(bytes.error());
  return cert.verify(*bytes, auth.signature);
}

Status sign_extended(ExtendedMessage& message, const SigningKey& key) {
  message.signature_algorithm = static_cast<std::uint8_t>(SignatureAlgorithm::sha256);
  message.signature.clear();
  auto bytes = message.signed_bytes();
  if (!bytes) return fail(bytes.error());
  auto sig = key.sign(*bytes);
  if (!sig) return fail(sig.error());
  if (sig->size() != kSignatureBytes) return fail(Errc::internal, "signature is not 256 bytes");
  message.signature = std::move(*sig);
  return ok();
}

Status verify_extended(const ExtendedMessage& message, const Certificate& cert) {
  auto bytes = message.signed_bytes();
  if (!bytes) return fail(bytes.error());
  switch (static_cast<SignatureAlgorithm>(message.signature_algorithm)) {
    case SignatureAlgorithm::none:
      return fail(Errc::refused, "the extended message is not signed");
    case SignatureAlgorithm::sha256:
      return cert.verify(*bytes, message.signature);
    case SignatureAlgorithm::sha1: {
      std::array<std::uint8_t, 20> d{};
      SHA1(bytes->data(), bytes->size(), d.data());
      return cert.verify_digest(d, message.signature);
    }
  }
  return fail(Errc::incompatible,
              "unknown signature algorithm " + std::to_string(message.signature_algorithm));
}

}  // namespace tta::uplink
