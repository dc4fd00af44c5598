#include "tta/store/people.hpp"

#include <span>
#include <string>

#include "connection.hpp"

namespace tta::store {

namespace {
constexpr std::string_view kPersonCols =
    "SELECT id, role, national_no, id_card, name, licence_class, face_template, enrol_photo, "
    "disabled_at_ms, disabled_by FROM people";
Person read_person(const Stmt& s) {
  Person p;
  p.id = s.i64(0);
  p.role = role_from(s.text(1));
  p.national_no = s.text(2);
  p.id_card = s.text(3);
  p.name = s.text(4);
  p.licence_class = s.text(5);
  p.face_template = s.blob(6);
  p.enrol_photo_jpeg = s.blob(7);
  p.disabled_at_ms = s.opt_i64(8);
  if (p.disabled_at_ms) p.disabled_by = s.text(9);
  return p;
}
}  // namespace



Result<std::int64_t> People::add(const Person& p, std::int64_t now_ms) {
  std::int64_t id = 0;
  auto st = c_->transaction([&]() -> Status {
    auto s = Stmt::prepare(c_->db,
                           "INSERT INTO people (role, national_no, id_card, name, licence_class, "
                           "face_template, enrol_photo, created_ms, updated_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return fail(s.error());
    s->bind(1, role_name(p.role)).bind(2, p.national_no).bind(3, p.id_card).bind(4, p.name);
    s->bind(5, p.licence_class);
    if (p.face_template.empty()) {
      s->bind_null(6);
    } else {
      s->bind(6, std::span<const std::uint8_t>(p.face_template));
    }
    if (p.enrol_photo_jpeg.empty()) {
      s->bind_null(7);
    } else {
      s->bind(7, std::span<const std::uint8_t>(p.enrol_photo_jpeg));
    }
    s->bind(8, now_ms).bind(9, now_ms);
    if (auto r = s->run(); !r) {
      if (r.error().code == Errc::already_exists) {
        return fail(Errc::already_exists,
                    "a person with national number " + p.national_no + " is already enrolled");
      }
      return r;
    }
    id = sqlite3_last_insert_rowid(c_->db.get());
    if (!p.face_template.empty()) {
      auto h = Stmt::prepare(c_->db,
                             "INSERT INTO face_templates (person_id, template, photo, created_ms) "
                             "VALUES (?, ?, ?, ?)");
      if (!h) return fail(h.error());
      h->bind(1, id).bind(2, std::span<const std::uint8_t>(p.face_template));
      h->bind(3, std::span<const std::uint8_t>(p.enrol_photo_jpeg)).bind(4, now_ms);
      return h->run();
    }
    return ok();
  });
  if (!st) return fail(st.error());
  return id;
}

Result<std::optional<Person>> People::find(std::string_view national_no) {
  auto s = Stmt::prepare(c_->db, std::string(kPersonCols) + " WHERE national_no = ?");
  if (!s) return fail(s.error());
  s->bind(1, national_no);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Person>();
  return std::optional<Person>(read_person(*s));
}

Result<std::vector<Person>> People::all() {
  auto s = Stmt::prepare(c_->db, std::string(kPersonCols) + " ORDER BY role, national_no");
  if (!s) return fail(s.error());
  std::vector<Person> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(read_person(r)); }); !st)
    return fail(st.error());
  return out;
}

Status People::update_face(std::int64_t person_id, const std::vector<std::uint8_t>& templ,
                          const std::vector<std::uint8_t>& photo_jpeg, std::int64_t now_ms) {
  return c_->transaction([&]() -> Status {
    auto s = Stmt::prepare(c_->db,
                           "UPDATE people SET face_template = ?, enrol_photo = ?, updated_ms = ? "
                           "WHERE id = ?");
    if (!s) return fail(s.error());
    s->bind(1, std::span<const std::uint8_t>(templ))
        .bind(2, std::span<const std::uint8_t>(photo_jpeg))
        .bind(3, now_ms)
        .bind(4, person_id);
    if (auto r = s->run(); !r) return r;
    if (sqlite3_changes(c_->db.get()) != 1) {
      return fail(Errc::not_found, "no person with id " + std::to_string(person_id));
    }
    auto h = Stmt::prepare(c_->db,
                           "INSERT INTO face_templates (person_id, template, photo, created_ms) "
                           "VALUES (?, ?, ?, ?)");
    if (!h) return fail(h.error());
    h->bind(1, person_id).bind(2, std::span<const std::uint8_t>(templ));
    h->bind(3, std::span<const std::uint8_t>(photo_jpeg)).bind(4, now_ms);
    return h->run();
  });
}

Status People::set_disabled(std::string_view national_no, bool disabled, std::string_view by,
                            std::int64_t now_ms) {
  auto s = Stmt::prepare(
      c_->db, disabled ? "UPDATE people SET disabled_at_ms = coalesce(disabled_at_ms, ?), "
                         "disabled_by = coalesce(disabled_by, ?), updated_ms = ? "
                         "WHERE national_no = ?"
                       : "UPDATE people SET disabled_at_ms = NULL, disabled_by = NULL, "
                         "updated_ms = ? WHERE national_no = ?");
  if (!s) return fail(s.error());
  if (disabled) {
    s->bind(1, now_ms).bind(2, by).bind(3, now_ms).bind(4, national_no);
  } else {
    s->bind(1, now_ms).bind(2, national_no);
  }
  if (auto r = s->run(); !r) return r;
  if (sqlite3_changes(c_->db.get()) != 1) {
    return fail(Errc::not_found, "nobody with national number " + std::string(national_no) +
                                     " is enrolled");
  }
  return ok();
}

Result<std::int64_t> People::face_history_count(std::int64_t person_id) {
  auto s = Stmt::prepare(c_->db, "SELECT count(*) FROM face_templates WHERE person_id = ?");
  if (!s) return fail(s.error());
  s->bind(1, person_id);
  auto row = s->step();
  if (!row) return fail(row.error());
  return s->i64(0);
}

}  // namespace tta::store
