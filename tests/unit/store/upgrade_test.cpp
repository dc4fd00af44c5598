// Upgrades keep data: the store of the previous release (schema v3, tests/data/store/v3/, made
// by make-v3-fixture.sh with that release's own code) opens with this build, is migrated to the
// current schema, and every value written then reads back the same. A store newer than this
// build is refused (completion_store_test.cpp and the CLI's exit 6).
#include <gtest/gtest.h>

#include <filesystem>

#include "store_fixture.hpp"
#include "tta/store/store.hpp"

namespace tta::store::testing {
namespace {

constexpr std::int64_t kT0 = 1764560400000;  // as in make_v3_fixture.cpp

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

class UpgradeTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    const fs::path fixture = fs::path(TTA_SOURCE_DIR) / "tests/data/store/v3";
    ASSERT_TRUE(fs::exists(fixture / "tta.db")) << fixture;
    fs::copy_file(fixture / "tta.db", cfg_.database, fs::copy_options::overwrite_existing);
    fs::copy_file(fixture / "store.key", cfg_.key_file, fs::copy_options::overwrite_existing);
    // git keeps no 0600; the store refuses a key others can read, as it should.
    fs::permissions(cfg_.key_file, fs::perms::owner_read | fs::perms::owner_write);
  }
};

TEST_F(UpgradeTest, ThePreviousReleasesStoreMigratesAndKeepsEveryValue) {
  auto opened = Store::open(cfg_);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& s = *opened;
  auto version = s.schema_version();
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, current_schema_version());
  EXPECT_GT(*version, 3);
  auto integrity = s.integrity_check();
  ASSERT_TRUE(integrity);
  EXPECT_EQ(*integrity, "ok");

  auto people = s.people().all();
  ASSERT_TRUE(people);
  ASSERT_EQ(people->size(), 2u);
  auto student = s.people().find("3201000000000101");
  ASSERT_TRUE(student && *student);
  EXPECT_EQ((**student).name, "李学员 (fixture)");
  EXPECT_EQ((**student).id_card, "11010519491231002X");
  EXPECT_EQ((**student).role, Role::student);
  EXPECT_EQ((**student).face_template, pattern(512, 2));
  EXPECT_EQ((**student).enrol_photo_jpeg, (std::vector<std::uint8_t>{0xFF, 0xD8, 0xFF, 0xD9}));
  EXPECT_FALSE((**student).disabled_at_ms);  // v6: everyone of the old store stays enabled
  auto coach = s.people().find("3201000000000201");
  ASSERT_TRUE(coach && *coach);
  EXPECT_EQ((**coach).role, Role::coach);
  EXPECT_EQ((**coach).face_template, pattern(512, 1));

  auto m1 = s.find_minute("00000010000001251201000001");
  ASSERT_TRUE(m1 && *m1);
  EXPECT_EQ((**m1).minute_ms, kT0);
  EXPECT_EQ((**m1).max_speed_dkmh, 312);
  EXPECT_EQ((**m1).mileage_hm, 4);
  EXPECT_EQ((**m1).lat_e6, 32044000);
  EXPECT_EQ((**m1).lon_e6, 118785000);
  EXPECT_EQ((**m1).gnss_speed_dkmh, 298);
  EXPECT_EQ((**m1).sensor_speed_dkmh, 301);
  EXPECT_EQ((**m1).heading_deg, 90);
  EXPECT_EQ((**m1).odometer_hm, 123456u);
  EXPECT_EQ((**m1).engine_rpm, 1800);
  EXPECT_EQ((**m1).gnss_time_ms, kT0 + 59000);
  EXPECT_TRUE((**m1).counted);
  EXPECT_EQ((**m1).flags, "");

  auto m2 = s.find_minute("00000010000001251201000002");
  ASSERT_TRUE(m2 && *m2);
  EXPECT_EQ((**m2).status, 1);
  EXPECT_EQ((**m2).mileage_hm, 0);  // known to be zero: not the same as missing
  EXPECT_FALSE((**m2).sensor_speed_dkmh);
  EXPECT_FALSE((**m2).heading_deg);
  EXPECT_FALSE((**m2).odometer_hm);
  EXPECT_FALSE((**m2).engine_rpm);
  EXPECT_EQ((**m2).flags, "stationary,engine_speed_missing");
  EXPECT_FALSE((**m2).counted);

  auto m3 = s.find_minute("00000010000001251201000003");
  ASSERT_TRUE(m3 && *m3);
  EXPECT_FALSE((**m3).lat_e6);
  EXPECT_FALSE((**m3).mileage_hm);
  EXPECT_FALSE((**m3).gnss_time_ms);
  EXPECT_EQ((**m3).flags, "no_gnss");

  // The outbox keeps each entry's state: acknowledged, refused with the platform's reason, and
  // still to send.
  auto e1 = s.outbox().entry("tcp.0203", "00000010000001251201000001");
  auto e2 = s.outbox().entry("tcp.0203", "00000010000001251201000002");
  auto e3 = s.outbox().entry("tcp.0203", "00000010000001251201000003");
  ASSERT_TRUE(e1 && *e1 && e2 && *e2 && e3 && *e3);
  EXPECT_EQ((**e1).state, OutboxState::acked);
  EXPECT_EQ((**e2).state, OutboxState::refused);
  EXPECT_EQ((**e2).last_error, "platform result 2: stationary minute");
  EXPECT_EQ((**e3).state, OutboxState::queued);
  EXPECT_EQ((**e3).payload, pattern(64, 12));
  EXPECT_EQ((**e3).created_ms, kT0 + 180000);

  auto photo = s.photos().find("0000000042");
  ASSERT_TRUE(photo && *photo);
  EXPECT_EQ((**photo).class_id, 7001u);
  EXPECT_EQ((**photo).event, 17);
  EXPECT_EQ((**photo).confidence, 87);
  EXPECT_EQ((**photo).taken_ms, kT0 + 30000);

  auto certs = s.certificates("3201000000000101");
  ASSERT_TRUE(certs);
  ASSERT_EQ(certs->size(), 1u);
  EXPECT_EQ(certs->front().number, "3201000000000001-2025-0001");
  EXPECT_EQ(certs->front().practical_min, 1);
  EXPECT_EQ(certs->front().mileage_hm, 4);
  auto assessments = s.assessments("3201000000000101");
  ASSERT_TRUE(assessments);
  ASSERT_EQ(assessments->size(), 1u);
  EXPECT_TRUE(assessments->front().passed);
  auto upload = s.outbox().entry("http.graduation", "3201000000000001-2025-0001");
  ASSERT_TRUE(upload && *upload);
  EXPECT_EQ((**upload).state, OutboxState::queued);

  auto made_by = s.param("fixture.made_by");
  ASSERT_TRUE(made_by && *made_by);
  EXPECT_EQ(**made_by, "tta schema v3");
}

TEST_F(UpgradeTest, TheMigratedStoreOpensAgainUnchanged) {
  {
    auto first = Store::open(cfg_);
    ASSERT_TRUE(first) << first.error().message;
  }
  auto again = Store::open(cfg_);
  ASSERT_TRUE(again) << again.error().message;
  auto version = again->schema_version();
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, current_schema_version());
  auto counts = again->outbox().counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->acked, 1);
  EXPECT_EQ(counts->refused, 1);
  EXPECT_EQ(counts->queued, 3);  // minute 3, the photo, the graduation upload
}

TEST_F(UpgradeTest, AWrongKeyLeavesThePreviousReleasesStoreUntouched) {
  const auto before = read_bytes(cfg_.database);
  write_bytes(cfg_.key_file, std::vector<std::uint8_t>(32, 0x42));
  fs::permissions(cfg_.key_file, fs::perms::owner_read | fs::perms::owner_write);
  auto s = Store::open(cfg_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::wrong_key);
  EXPECT_EQ(read_bytes(cfg_.database), before);
}

}  // namespace
}  // namespace tta::store::testing
