#include "store_fixture.hpp"

#define SQLITE_HAS_CODEC 1
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include <unistd.h>

#include "tta/core/hex.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::store::testing {

void StoreTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = fs::temp_directory_path() /
         ("tta-store-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" +
          info->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  cfg_.database = dir_ / "tta.db";
  cfg_.key_file = dir_ / "store.key";
}

void StoreTest::TearDown() { fs::remove_all(dir_); }

Store StoreTest::open_store() {
  if (!fs::exists(cfg_.database)) {
    auto st = init_store(cfg_);
    EXPECT_TRUE(st) << st.error().message;
  }
  auto s = Store::open(cfg_);
  if (!s) {
    ADD_FAILURE() << s.error().message;
    std::abort();
  }
  return std::move(*s);
}

MinuteRecord make_minute(std::int64_t session_id, int seq) {
  MinuteRecord m;
  char num[8];
  std::snprintf(num, sizeof num, "%04d", seq % 10000);
  m.record_no = std::string("3201000000000001") + "261127" + num;
  m.session_id = session_id;
  m.minute_ms = 1'795'786'200'000 + std::int64_t{seq} * 60'000;
  m.status = 0;
  m.max_speed_dkmh = static_cast<std::uint16_t>(300 + seq % 100);
  m.mileage_hm = 5;
  m.lat_e6 = 32'044'000 + seq;
  m.lon_e6 = 118'785'000 + seq;
  m.gnss_speed_dkmh = 280;
  m.sensor_speed_dkmh = std::nullopt;  // no speed sensor: missing, not zero
  m.heading_deg = 90;
  m.odometer_hm = 12'345;
  m.engine_rpm = 1800;
  m.gnss_time_ms = m.minute_ms + 30'000;
  m.flags = "";
  m.counted = true;
  return m;
}

OutboxEntry outbox_for(const MinuteRecord& m) {
  OutboxEntry e;
  e.kind = "tcp.0203";
  e.key = m.record_no;
  e.payload.assign(m.record_no.begin(), m.record_no.end());
  e.next_attempt_ms = m.minute_ms;
  return e;
}

TrainingSession make_session(std::uint32_t class_id) {
  TrainingSession s;
  s.class_id = class_id;
  s.student_no = "3201000000000101";
  s.coach_no = "3201000000000201";
  s.course_code = "1212110000";
  s.started_ms = 1'795'786'200'000;
  return s;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

int raw_exec(const config::StoreConfig& cfg, const std::string& sql) {
  auto key = read_secret_file(cfg.key_file);
  if (!key) {
    ADD_FAILURE() << key.error().message;
    return SQLITE_ERROR;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(cfg.database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << cfg.database;
    return SQLITE_ERROR;
  }
  const std::string k = "x'" + to_hex(*key) + "'";
  sqlite3_key(db, k.data(), static_cast<int>(k.size()));
  char* err = nullptr;
  const std::string all = "PRAGMA cipher_page_size = 4096;" + sql;
  const int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  sqlite3_close(db);
  return rc;
}

}  // namespace tta::store::testing
