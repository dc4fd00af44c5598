#pragma once
/// Signatures of the driving-training protocol (terminal-protocol.md §2.2) with OpenSSL 3:
/// `sig = RSA private "encrypt", PKCS#1 v1.5 type-1 padding, of the raw 32-byte SHA-256 digest`
/// — no DigestInfo, so this is NOT SHA256withRSA. Used for every signed extended message and
/// for the 0x0102 authentication. The key is the terminal's RSA-2048 PKCS#12 from 0x8100.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tta/core/result.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/frame.hpp"
#include "tta/uplink/messages.hpp"

// Opaque OpenSSL types, so users of this header need no OpenSSL includes.
struct evp_pkey_st;
struct x509_st;

namespace tta::uplink {

/// SHA-256 of `bytes`.
[[nodiscard]] std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes);

/// Base64 (standard alphabet, '=' padding) ↔ bytes. Decoding ignores whitespace and line
/// breaks, as delivered certificates are often wrapped.
[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] Result<Bytes> base64_decode(std::string_view text);

/// An X.509 certificate holding the public key that verifies a terminal's signatures.
class Certificate {
 public:
  /// Parse DER.
  [[nodiscard]] static Result<Certificate> from_der(std::span<const std::uint8_t> der);
  /// Parse PEM ("-----BEGIN CERTIFICATE-----").
  [[nodiscard]] static Result<Certificate> from_pem(std::string_view pem);

  /// DER encoding.
  [[nodiscard]] Bytes der() const;
  /// Subject in one line, e.g. "CN=terminal 1234".
  [[nodiscard]] std::string subject() const;
  /// Serial number as upper-case hex without leading zero bytes, e.g. "5A3F01" — the `user`
  /// of a signed HTTPS request (platform-http.md). Empty when no certificate is loaded.
  [[nodiscard]] std::string serial_hex() const;

  /// Verify a §2.2 signature over `message`: SHA-256(message) must equal the digest
  /// recovered from `signature` with PKCS#1 v1.5 type-1 padding and no DigestInfo.
  [[nodiscard]] Status verify(std::span<const std::uint8_t> message,
                              std::span<const std::uint8_t> signature) const;
  /// Verify a signature over an already computed digest (32 bytes for SHA-256, 20 for SHA-1).
  [[nodiscard]] Status verify_digest(std::span<const std::uint8_t> digest,
                                     std::span<const std::uint8_t> signature) const;

 private:
  friend class SigningKey;
  std::shared_ptr<x509_st> cert_;
};

/// The terminal's private key and certificate, loaded from its PKCS#12.
class SigningKey {
 public:
  /// Load a DER PKCS#12 with its password. The key must be RSA-2048 and match the
  /// certificate. Legacy (RC2/3DES) files are opened by loading OpenSSL's legacy provider
  /// on demand.
  [[nodiscard]] static Result<SigningKey> from_pkcs12(std::span<const std::uint8_t> der,
                                                      std::string_view password);
  /// Load the Base64 text delivered in 0x8100 (whitespace allowed).
  [[nodiscard]] static Result<SigningKey> from_pkcs12_base64(std::string_view base64,
                                                             std::string_view password);

  /// §2.2 signature of `message`: SHA-256 then PKCS#1 v1.5 type 1 without DigestInfo.
  /// 256 bytes. Deterministic, so equal to `openssl pkeyutl -sign -pkeyopt
  /// rsa_padding_mode:pkcs1` over the binary digest.
  [[nodiscard]] Result<Bytes> sign(std::span<const std::uint8_t> message) const;
  /// Sign a digest computed elsewhere (at most 245 bytes).
  [[nodiscard]] Result<Bytes> sign_digest(std::span<const std::uint8_t> digest) const;

  /// The certificate that came with the key.
  [[nodiscard]] const Certificate& certificate() const noexcept { return cert_; }

 private:
  std::shared_ptr<evp_pkey_st> key_;
  Certificate cert_;
};

/// A freshly made PKCS#12, as the platform issues one at registration.
struct Pkcs12Bundle {
  Bytes pkcs12_der;
  std::string pkcs12_base64;  ///< what goes into 0x8100
  Bytes certificate_der;      ///< kept by the platform to verify the terminal
};

/// Make a new RSA-2048 key and a self-signed X.509 certificate (SHA-256, subject CN =
/// `common_name`, valid from now − 1 h for `validity`), packed as PKCS#12 (AES-256, PBKDF2)
/// under `password`. All in memory.
[[nodiscard]] Result<Pkcs12Bundle> make_self_signed_pkcs12(
    std::string_view common_name, std::string_view password,
    std::chrono::seconds validity = std::chrono::hours{24 * 3650});

/// The 20 bytes the 0x0102 authentication signs: terminal no. as 16 ASCII bytes (0x00-padded
/// when shorter) ‖ timestamp as 4 bytes big-endian (§1.2).
[[nodiscard]] Result<Bytes> authentication_bytes(std::string_view terminal_no,
                                                 std::uint32_t timestamp_s);

/// Build a signed 0x0102 authentication.
[[nodiscard]] Result<Authenticate> make_authenticate(const SigningKey& key,
                                                     std::string_view terminal_no,
                                                     std::uint32_t timestamp_s);

/// Check a 0x0102 authentication against the terminal's certificate.
[[nodiscard]] Status verify_authenticate(const Certificate& cert, std::string_view terminal_no,
                                         const Authenticate& auth);

/// Sign an extended message in place: sets the algorithm bits to 2 (SHA-256) and the
/// signature over `signed_bytes()` (which include those bits). Set `resent` before signing.
[[nodiscard]] Status sign_extended(ExtendedMessage& message, const SigningKey& key);

/// Verify an extended message's signature (algorithm 2 SHA-256, or 1 SHA-1). An unsigned
/// message (algorithm 0) fails with Errc::refused.
[[nodiscard]] Status verify_extended(const ExtendedMessage& message, const Certificate& cert);

}  // namespace tta::uplink
