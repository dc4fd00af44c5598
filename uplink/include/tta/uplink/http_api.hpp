#pragma once
/// The supervision platform's HTTPS interface (shared/spec/platform-http.md) as a table-driven
/// request builder: each resource's path, `v` version and field names come from the config
/// with the digest's values as defaults. Requests are signed as the digest says:
///
///   {base}/{path}?v={version}&ts={ms}&sign={HEX}&user={certificate serial}
///   sign = RSA PKCS#1 v1.5 type 1, no DigestInfo, of SHA-256(data ‖ ts as 8 bytes BE)
///
/// where data is the UTF-8 JSON body, the raw file bytes of an image upload, or the path key
/// of a GET. Bodies are a pure function of the outbox payload and the config, so a re-send
/// after a crash carries identical bytes under the same key; only `ts` and `sign` change.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"
#include "tta/uplink/http_client.hpp"
#include "tta/uplink/signing.hpp"

namespace tta::uplink {

/// How a resource's request carries its data.
enum class HttpBody {
  json,       ///< POST, a JSON object
  multipart,  ///< POST, multipart/form-data with one file part (imageup/{type})
  none,       ///< GET {path}-{key}
};

/// One row of the resource table.
struct HttpResource {
  std::string name;     ///< outbox kind suffix: "classrecord", "imageup", "ce.record" …
  std::string base_url; ///< the target's base, without a trailing '/'
  std::string path;     ///< URL path after the base ("imageup" gets "/{type}" appended)
  std::string version;  ///< the `v` query value
  HttpBody body = HttpBody::json;
  /// Canonical field names in wire order; empty = any fields, passed through in order.
  std::vector<std::string> fields;
  /// Canonical field → wire name, where they differ.
  std::map<std::string, std::string> renames;
  /// Fields whose values, joined with '/', are the natural idempotency key.
  std::vector<std::string> key_fields;
  std::string file_field = "file";  ///< multipart field name
};

/// The digest's table for the supervision platform (base_url and version left empty).
[[nodiscard]] const std::vector<HttpResource>& default_http_resources();

/// A file for `imageup/{type}`, as kept in an outbox payload.
struct FileUpload {
  std::string type;          ///< the {type} path segment, e.g. "jpg" or "pdf"
  std::string filename;      ///< e.g. "0000000123.jpg"
  std::string content_type;  ///< "image/jpeg" or "application/pdf"
  std::vector<std::uint8_t> bytes;

  friend bool operator==(const FileUpload&, const FileUpload&) = default;
};

/// Outbox payload of a file upload ("TTAFILE1\n" + a JSON header line + the raw bytes).
[[nodiscard]] std::vector<std::uint8_t> encode_file_payload(const FileUpload& f);
/// Inverse of encode_file_payload; Errc::parse on anything else.
[[nodiscard]] Result<FileUpload> decode_file_payload(std::span<const std::uint8_t> payload);

/// `{"errorcode":0,"message":"","data":{…}}`.
struct PlatformReply {
  std::int64_t errorcode = 0;
  std::string message;
  std::string data_json = "null";  ///< `data` re-serialised (compact), "null" when absent
};

/// Parse a platform reply body. Errc::parse unless it is an object whose errorcode is an
/// integer (or a string of digits, which some platforms send); message defaults to "".
[[nodiscard]] Result<PlatformReply> parse_platform_reply(std::string_view body);

/// What the outbox should do with an upload after one attempt.
enum class HttpVerdict {
  accepted,  ///< errorcode 0: acked
  refused,   ///< errorcode ≠ 0, HTTP 4xx, or a payload that can never be sent: kept with reason
  retry,     ///< 5xx, 408/429, timeouts, TLS and connection failures, unreadable replies
};

struct HttpJudgement {
  HttpVerdict verdict = HttpVerdict::retry;
  std::string reason;  ///< for the outbox's last_error and the administrator
  std::optional<PlatformReply> reply;
};

/// Classify one attempt's outcome (an error from building the request is a refusal unless it
/// is transient: timeout, unavailable, internal).
[[nodiscard]] HttpJudgement judge_http(const Result<HttpResponse>& outcome);

/// The bytes signed for a request: data ‖ ts_ms as 8 bytes big-endian.
[[nodiscard]] std::vector<std::uint8_t> http_signed_bytes(std::span<const std::uint8_t> data,
                                                          std::int64_t ts_ms);

/// A built request body, before signing.
struct HttpBodyBytes {
  std::string path;          ///< URL path after the base (type or key appended)
  std::string content_type;  ///< empty for GET
  std::vector<std::uint8_t> body;
  std::vector<std::uint8_t> signed_data;  ///< body, file bytes or path key (without ts)
};

/// The resource table from the config, ready to build requests.
class HttpApi {
 public:
  /// Apply [uplink.http] overrides to the defaults. Errors name the config key, e.g. a
  /// rename of a field the resource does not have.
  [[nodiscard]] static Result<HttpApi> create(const config::HttpUplinkConfig& cfg);

  /// The resource named `name` ("classrecord", "ce.record" …), or null.
  [[nodiscard]] const HttpResource* find(std::string_view name) const;
  [[nodiscard]] const std::vector<HttpResource>& resources() const { return resources_; }

  /// The natural key of a JSON payload (values of key_fields joined by '/').
  [[nodiscard]] Result<std::string> natural_key(std::string_view resource,
                                                std::span<const std::uint8_t> payload) const;

  /// The deterministic part: path, body and the data to sign, from an outbox payload (a JSON
  /// object with canonical field names, a file payload, or for GET the key as text).
  /// Errc::invalid_argument / Errc::parse when the payload can never make a request.
  [[nodiscard]] Result<HttpBodyBytes> body(std::string_view resource,
                                           std::span<const std::uint8_t> payload) const;

  /// The complete signed request at `ts_ms` (Unix milliseconds).
  [[nodiscard]] Result<HttpRequest> build(std::string_view resource,
                                          std::span<const std::uint8_t> payload,
                                          const SigningKey& key, std::int64_t ts_ms) const;

 private:
  std::vector<HttpResource> resources_;
};

}  // namespace tta::uplink
