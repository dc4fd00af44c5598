#pragma once
/// Errors as values across module edges: every fallible call returns `Result<T>`.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace tta {

/// What kind of failure; callers branch on this, people read `Error::message`.
enum class Errc {
  invalid_argument,  ///< the caller passed something malformed
  parse,             ///< input text or bytes could not be parsed
  not_found,         ///< a file, row or item does not exist
  already_exists,    ///< a unique thing exists already
  io,                ///< an operating-system I/O failure
  permission,        ///< permissions are wrong (e.g. a key file readable by others)
  wrong_key,         ///< the encryption key does not open the database
  corrupt,           ///< stored data fails its integrity check
  disk_full,         ///< the write did not fit on the disk; nothing half-written remains
  incompatible,      ///< a newer schema or an unsupported format version
  timeout,           ///< an operation did not finish in time
  unavailable,       ///< a device or peer is not there right now
  refused,           ///< the peer said no, with a reason
  internal,          ///< a broken invariant or an unexpected library failure
};

/// Short stable name of an error kind, e.g. "wrong_key".
std::string_view to_string(Errc code) noexcept;

/// An error value: a kind to branch on and a message for people (never holds secrets).
struct Error {
  Errc code = Errc::internal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string msg) : code(c), message(std::move(msg)) {}

  /// Prefix the message with context ("opening /var/lib/tta/tta.db: ...").
  [[nodiscard]] Error context(std::string_view what) const {
    return Error(code, std::string(what) + ": " + message);
  }
};

template <typename T>
using Result = tl::expected<T, Error>;

/// `Result<void>` for operations with nothing to return.
using Status = Result<void>;

/// Build an unexpected error value: `return fail(Errc::io, "…");`
inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

/// The success value of a `Status`.
inline Status ok() { return {}; }

}  // namespace tta
