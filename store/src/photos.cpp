#include "tta/store/photos.hpp"

#include <algorithm>
#include <span>
#include <string>

#include "connection.hpp"

namespace tta::store {

namespace {
constexpr const char* kPhotoColumns =
    "SELECT photo_no, person_no, class_id, event, size_code, taken_ms, confidence, lat_e6, "
    "lon_e6, jpeg FROM photos ";

Photo photo_from(const Stmt& s) {
  Photo p;
  p.photo_no = s.text(0);
  p.person_no = s.text(1);
  p.class_id = static_cast<std::uint32_t>(s.i64(2));
  p.event = static_cast<std::uint8_t>(s.i64(3));
  p.size_code = static_cast<std::uint8_t>(s.i64(4));
  p.taken_ms = s.i64(5);
  p.confidence = narrow<std::uint8_t>(s.opt_i64(6));
  p.lat_e6 = narrow<std::int32_t>(s.opt_i64(7));
  p.lon_e6 = narrow<std::int32_t>(s.opt_i64(8));
  p.jpeg = s.blob(9);
  return p;
}
}  // namespace



Status Photos::add(const Photo& p, const OutboxEntry& out) {
  return c_->transaction([&]() -> Status {
    auto s = Stmt::prepare(
        c_->db, std::string("INSERT INTO photos (photo_no, person_no, class_id, event, size_code, "
                            "taken_ms, confidence, lat_e6, lon_e6, jpeg") +
                    (c_->has_marks ? ", simulated" : "") +
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?" +
                    (c_->has_marks ? (c_->simulated ? ", 1)" : ", 0)") : ")"));
    if (!s) return fail(s.error());
    s->bind(1, p.photo_no).bind(2, p.person_no).bind(3, static_cast<std::int64_t>(p.class_id));
    s->bind(4, static_cast<std::int64_t>(p.event)).bind(5, static_cast<std::int64_t>(p.size_code));
    s->bind(6, p.taken_ms).bind(7, p.confidence).bind(8, p.lat_e6).bind(9, p.lon_e6);
    s->bind(10, std::span<const std::uint8_t>(p.jpeg));
    if (auto r = s->run(); !r) {
      if (r.error().code == Errc::already_exists) {
        return fail(Errc::already_exists, "photo " + p.photo_no + " is already stored");
      }
      return r;
    }
    return c_->insert_outbox(out, p.taken_ms);
  });
}

Result<std::optional<Photo>> Photos::find(std::string_view photo_no) {
  auto s = Stmt::prepare(c_->db, std::string(kPhotoColumns) + "WHERE photo_no = ?");
  if (!s) return fail(s.error());
  s->bind(1, photo_no);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Photo>();
  return std::optional<Photo>(photo_from(*s));
}

Result<std::vector<Photo>> Photos::of_class(std::uint32_t class_id) {
  auto s = Stmt::prepare(c_->db, std::string(kPhotoColumns) +
                                        "WHERE class_id = ? ORDER BY taken_ms, photo_no");
  if (!s) return fail(s.error());
  s->bind(1, static_cast<std::int64_t>(class_id));
  std::vector<Photo> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(photo_from(r)); }); !st) {
    return fail(st.error());
  }
  return out;
}

Result<std::vector<std::string>> Photos::numbers_between(std::int64_t from_ms,
                                                              std::int64_t to_ms, int limit) {
  auto s = Stmt::prepare(c_->db,
                         "SELECT photo_no FROM photos WHERE taken_ms BETWEEN ? AND ? "
                         "ORDER BY taken_ms, photo_no LIMIT ?");
  if (!s) return fail(s.error());
  s->bind(1, from_ms).bind(2, to_ms).bind(3, static_cast<std::int64_t>(std::max(limit, 0)));
  std::vector<std::string> out;
  if (auto st = s->each([&](const Stmt& r) { out.push_back(r.text(0)); }); !st) {
    return fail(st.error());
  }
  return out;
}

Result<std::map<int, std::int64_t>> Photos::counts() {
  auto s = Stmt::prepare(c_->db, "SELECT event, count(*) FROM photos GROUP BY event");
  if (!s) return fail(s.error());
  std::map<int, std::int64_t> out;
  if (auto st = s->each([&](const Stmt& r) { out[static_cast<int>(r.i64(0))] = r.i64(1); }); !st)
    return fail(st.error());
  return out;
}

}  // namespace tta::store
