#pragma once
/// Enrolled coaches and students, and the history of their face templates.
///
/// A part of the store (tta/store/store.hpp): reached as `store.people()`, over the store's one
/// connection; valid while the store is. Writes join a transaction the store has open
/// (Store::transaction).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tta/core/result.hpp"
#include "tta/store/records.hpp"

namespace tta::store {

struct Connection;  // store/src/connection.hpp

class People {
 public:
  /// Enrol someone; Errc::already_exists when the national number is taken.
  [[nodiscard]] Result<std::int64_t> add(const Person& p, std::int64_t now_ms);
  /// The person with this national number, if enrolled.
  [[nodiscard]] Result<std::optional<Person>> find(std::string_view national_no);
  /// Everyone enrolled, coaches first, by national number.
  [[nodiscard]] Result<std::vector<Person>> all();
  /// Replace a person's face template; the old one stays in the enrolment history.
  [[nodiscard]] Status update_face(std::int64_t person_id, const std::vector<std::uint8_t>& templ,
                                   const std::vector<std::uint8_t>& photo_jpeg,
                                   std::int64_t now_ms);
  /// Disable (`disabled`, by `by`, at `now_ms`) or re-enable the person with this national
  /// number; Errc::not_found when nobody has it. Disabling a disabled person keeps the first
  /// time and who.
  [[nodiscard]] Status set_disabled(std::string_view national_no, bool disabled,
                                    std::string_view by, std::int64_t now_ms);
  /// How many face templates the person has had (the enrolment history).
  [[nodiscard]] Result<std::int64_t> face_history_count(std::int64_t person_id);

 private:
  friend class Store;
  explicit People(Connection* c) : c_(c) {}
  Connection* c_;
};

}  // namespace tta::store
