#pragma once
/// Evidence photos (JPEG) with what travels with them in 0x0305.
///
/// A part of the store (tta/store/store.hpp): reached as `store.photos()`, over the store's one
/// connection; valid while the store is. Writes join a transaction the store has open
/// (Store::transaction).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/store/records.hpp"

namespace tta::store {

struct Connection;  // store/src/connection.hpp

class Photos {
 public:
  /// Store a photo and its outbox entry (0x0305) in one transaction: both or neither.
  /// Errc::already_exists when the photo number is taken.
  [[nodiscard]] Status add(const Photo& p, const OutboxEntry& out);
  /// The photo with this number, if stored.
  [[nodiscard]] Result<std::optional<Photo>> find(std::string_view photo_no);
  /// The photos of one class ID (a student session), oldest first .
  [[nodiscard]] Result<std::vector<Photo>> of_class(std::uint32_t class_id);
  /// Numbers of the photos taken in [from_ms, to_ms], oldest first, at most `limit` (0x8302).
  [[nodiscard]] Result<std::vector<std::string>> numbers_between(std::int64_t from_ms,
                                                                       std::int64_t to_ms,
                                                                       int limit);

  /// Stored photos per event code.
  [[nodiscard]] Result<std::map<int, std::int64_t>> counts();

 private:
  friend class Store;
  explicit Photos(Connection* c) : c_(c) {}
  Connection* c_;
};

}  // namespace tta::store
