// Wrong keys, damaged, truncated, old- and new-schema files: a clear error, and the file is
// never changed by a failed open.
#include "store_fixture.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::store::testing {
namespace {

class DamageTest : public StoreTest {
 protected:
  /// A closed store holding `n` minutes (several pages), checkpointed into the main file.
  void make_populated(int n) {
    Store s = open_store();
    auto sid = s.begin_session(make_session(1));
    ASSERT_TRUE(sid);
    for (int i = 0; i < n; ++i) {
      const MinuteRecord m = make_minute(*sid, i);
      ASSERT_TRUE(s.add_minute(m, outbox_for(m)));
    }
  }
  void replace_key() {
    fs::remove(cfg_.key_file);
    auto other = random_bytes(32);
    ASSERT_TRUE(other);
    ASSERT_TRUE(write_secret_file(cfg_.key_file, *other));
  }
};

TEST_F(DamageTest, WrongKeyIsNamedAndTheFileIsUntouched) {
  make_populated(5);
  replace_key();
  const auto before = read_bytes(cfg_.database);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::wrong_key);
  EXPECT_NE(s.error().message.find("key does not match"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(cfg_.database.string()), std::string::npos);
  EXPECT_EQ(read_bytes(cfg_.database), before);
  EXPECT_FALSE(fs::exists(cfg_.database.string() + "-wal"));
}

TEST_F(DamageTest, WrongKeyWithoutFingerprintIsStillWrongKey) {
  make_populated(2);
  fs::remove(cfg_.database.string() + ".keyid");
  replace_key();
  const auto before = read_bytes(cfg_.database);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::wrong_key);
  EXPECT_EQ(read_bytes(cfg_.database), before);
}

TEST_F(DamageTest, TruncatedFileIsReportedAndKept) {
  make_populated(50);
  auto bytes = read_bytes(cfg_.database);
  ASSERT_GT(bytes.size(), 3 * 4096u);
  bytes.resize(bytes.size() - 1000);
  write_bytes(cfg_.database, bytes);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::corrupt);
  EXPECT_NE(s.error().message.find("truncated"), std::string::npos) << s.error().message;
  EXPECT_EQ(read_bytes(cfg_.database), bytes);
}

TEST_F(DamageTest, PageAlignedTruncationIsCaughtByTheIntegrityCheck) {
  make_populated(200);
  auto bytes = read_bytes(cfg_.database);
  bytes.resize(bytes.size() / 2 / 4096 * 4096);
  write_bytes(cfg_.database, bytes);
  auto s = Store::open(cfg_);
  if (!s) {
    EXPECT_EQ(s.error().code, Errc::corrupt) << s.error().message;
  } else {
    auto ic = s->integrity_check();
    EXPECT_TRUE(!ic || *ic != "ok") << "a half-missing database must not pass";
  }
  EXPECT_EQ(read_bytes(cfg_.database), bytes);
}

TEST_F(DamageTest, EmptyFileIsNotOverwritten) {
  ASSERT_TRUE(init_store(cfg_));
  write_bytes(cfg_.database, {});
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::corrupt);
  EXPECT_NE(s.error().message.find("empty"), std::string::npos);
  EXPECT_FALSE(init_store(cfg_));
  EXPECT_TRUE(read_bytes(cfg_.database).empty());
}

TEST_F(DamageTest, DamagedFirstPageWithTheRightKeyIsCorruptNotWrongKey) {
  make_populated(5);
  auto bytes = read_bytes(cfg_.database);
  for (std::size_t i = 100; i < 140; ++i) bytes[i] ^= 0xA5;
  write_bytes(cfg_.database, bytes);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::corrupt) << s.error().message;
  EXPECT_EQ(read_bytes(cfg_.database), bytes);
}

TEST_F(DamageTest, DamagedInnerPageFailsTheIntegrityCheck) {
  make_populated(300);
  auto bytes = read_bytes(cfg_.database);
  ASSERT_GT(bytes.size(), 8 * 4096u);
  const std::size_t at = 4 * 4096 + 200;
  for (std::size_t i = at; i < at + 64; ++i) bytes[i] ^= 0x5A;
  write_bytes(cfg_.database, bytes);
  auto s = Store::open(cfg_);
  ASSERT_TRUE(s) << "page 1 is intact: " << s.error().message;
  auto ic = s->integrity_check();
  if (ic) {
    EXPECT_NE(*ic, "ok");
  } else {
    EXPECT_EQ(ic.error().code, Errc::corrupt) << ic.error().message;
  }
  EXPECT_EQ(read_bytes(cfg_.database), bytes);
}

TEST_F(DamageTest, NewerSchemaIsRefusedUnchanged) {
  make_populated(1);
  ASSERT_EQ(raw_exec(cfg_, "PRAGMA user_version = 99"), 0);
  const auto before = read_bytes(cfg_.database);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::incompatible);
  EXPECT_NE(s.error().message.find("99"), std::string::npos) << s.error().message;
  EXPECT_EQ(read_bytes(cfg_.database), before);
}

TEST_F(DamageTest, OldSchemaIsMigratedKeepingData) {
  ASSERT_TRUE(init_store(cfg_));
  fs::remove(cfg_.database);
  fs::remove(cfg_.database.string() + ".keyid");
  {
    auto v1 = Store::open(cfg_, OpenOptions{.create = true, .migrate_to = 1});
    ASSERT_TRUE(v1) << v1.error().message;
    EXPECT_EQ(*v1->schema_version(), 1);
    // Version 1 has no enrolment history table; add a person with a template directly.
    auto id = v1->people().add({.role = Role::coach, .national_no = "3201000000000201",
                              .id_card = "320106199003071234", .name = "王",
                              .licence_class = "C1"},
                             1);
    ASSERT_TRUE(id);
    ASSERT_TRUE(v1->log_event("old", "before migration", 1));
  }
  ASSERT_EQ(raw_exec(cfg_, "UPDATE people SET face_template = x'0102'"), 0);
  auto s = Store::open(cfg_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s->schema_version(), current_schema_version());
  auto p = s->people().find("3201000000000201");
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->face_template, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(*s->people().face_history_count((*p)->id), 1) << "v2 migrates templates into history";
  EXPECT_EQ(s->events_since(0, 10)->size(), 1u);
  EXPECT_EQ(*s->integrity_check(), "ok");
}

}  // namespace
}  // namespace tta::store::testing
