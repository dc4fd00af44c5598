// The outbox's one vocabulary (agent/src/outbox/kinds.hpp): the stored strings are byte for
// byte those existing databases hold, and any other string is an error value.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "outbox/http_records.hpp"
#include "outbox/kinds.hpp"
#include "support/temp_store.hpp"

namespace tta::agent {
namespace {

TEST(OutboxKinds, StoredStringsAreTheOnesExistingDatabasesHold) {
  // Written out by hand, not derived from the table: changing one breaks every store.
  EXPECT_EQ(to_string(OutboxKind::coach_login), "tcp.0101");
  EXPECT_EQ(to_string(OutboxKind::coach_logout), "tcp.0102");
  EXPECT_EQ(to_string(OutboxKind::student_login), "tcp.0201");
  EXPECT_EQ(to_string(OutboxKind::student_logout), "tcp.0202");
  EXPECT_EQ(to_string(OutboxKind::training_record), "tcp.0203");
  EXPECT_EQ(to_string(OutboxKind::photo), "tcp.photo");
  EXPECT_EQ(to_string(OutboxKind::imageup), "http.imageup");
  EXPECT_EQ(to_string(OutboxKind::trainimginfo), "http.trainimginfo");
  EXPECT_EQ(to_string(OutboxKind::classrecord), "http.classrecord");
  EXPECT_EQ(to_string(OutboxKind::ce_record), "http.ce.record");
  EXPECT_EQ(to_string(OutboxKind::stagetrainningtime), "http.stagetrainningtime");
  EXPECT_EQ(to_string(OutboxKind::graduation), "http.graduation");
  EXPECT_EQ(std::string(kPhotoKind), "tcp.photo");
  EXPECT_EQ(kStageHoursKind, "http.stagetrainningtime");
  EXPECT_EQ(kGraduationKind, "http.graduation");
}

TEST(OutboxKinds, EveryKindRoundTripsAndHasOneString) {
  std::set<std::string_view> seen;
  for (const auto& row : kOutboxKinds) {
    const auto text = to_string(row.kind);
    EXPECT_TRUE(seen.insert(text).second) << "two kinds share " << text;
    auto back = parse_outbox_kind(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, row.kind) << text;
    EXPECT_TRUE(text.starts_with(channel_prefix(channel_of(row.kind)))) << text;
  }
  EXPECT_EQ(seen.size(), 12u);
}

TEST(OutboxKinds, UnknownStringsAreErrorsNotGuesses) {
  for (const std::string& s : std::vector<std::string>{
           "", "tcp.", "tcp.0204", "tcp.020", "tcp.02033", "TCP.0203", "tcp.0203 ", "tcp.PHOTO",
        "http.", "http.foo", "http.ce.other", "ftp.0203", std::string("tcp.0203\0x", 10),
        std::string(1000, 'x')}) {
    auto k = parse_outbox_kind(s);
    ASSERT_FALSE(k) << s;
    EXPECT_EQ(k.error().code, Errc::parse);
    EXPECT_NE(k.error().message.find("unknown outbox kind"), std::string::npos);
    EXPECT_EQ(ext_id_of(s), std::nullopt) << s;
  }
}

TEST(OutboxKinds, ExtendedMessageIdsBothWays) {
  EXPECT_EQ(ext_id_of(OutboxKind::training_record), 0x0203);
  EXPECT_EQ(ext_id_of(OutboxKind::coach_login), 0x0101);
  EXPECT_EQ(ext_id_of(OutboxKind::photo), std::nullopt) << "a photo is three messages";
  EXPECT_EQ(ext_id_of(OutboxKind::classrecord), std::nullopt);
  EXPECT_EQ(kind_of_ext_id(0x0202), OutboxKind::student_logout);
  EXPECT_EQ(kind_of_ext_id(0x0305), std::nullopt);
  EXPECT_EQ(kind_of_ext_id(0), std::nullopt);
  // The string spellings older call sites use.
  EXPECT_EQ(tcp_kind(0x0203), "tcp.0203");
  EXPECT_EQ(tcp_kind(0x0102), "tcp.0102");
  EXPECT_EQ(ext_id_of(std::string("tcp.0201")), 0x0201);
  EXPECT_EQ(ext_id_of(std::string("tcp.photo")), std::nullopt);
  // An ID no kind has keeps its string, which parses to an error (refused, never guessed).
  EXPECT_EQ(tcp_kind(0xABCD), "tcp.abcd");
  EXPECT_FALSE(parse_outbox_kind(tcp_kind(0xABCD)));
}

TEST(OutboxKinds, HttpResourcesBothWays) {
  EXPECT_EQ(http_resource(OutboxKind::ce_record), "ce.record");
  EXPECT_EQ(http_resource(OutboxKind::imageup), "imageup");
  EXPECT_EQ(http_resource(OutboxKind::training_record), "");
  EXPECT_EQ(kind_of_http_resource("classrecord"), OutboxKind::classrecord);
  EXPECT_EQ(kind_of_http_resource(""), std::nullopt);
  EXPECT_EQ(kind_of_http_resource("stuinfoquery"), std::nullopt);
  EXPECT_EQ(http_kind("trainimginfo"), "http.trainimginfo");
  EXPECT_EQ(http_kind("graduation"), to_string(OutboxKind::graduation));
  EXPECT_FALSE(parse_outbox_kind(http_kind("stuinfoquery")));
  for (const auto& row : kOutboxKinds) {
    if (channel_of(row.kind) != OutboxChannel::http) continue;
    EXPECT_EQ(to_string(row.kind), http_kind(http_resource(row.kind)));
  }
}

TEST(OutboxKinds, WithoutAnHttpsPlatformTheTeachingLogsAreNotWaitedFor) {
  EXPECT_TRUE(delivered_here("tcp.0203", false));
  EXPECT_TRUE(delivered_here(kPhotoKind, false));
  EXPECT_FALSE(delivered_here("http.classrecord", false));
  EXPECT_FALSE(delivered_here("http.ce.record", false));
  EXPECT_TRUE(delivered_here("http.classrecord", true));

  testing::TempStore store("kinds");
  ASSERT_TRUE(store.ok());
  auto add = [&](std::string_view kind, const std::string& key) {
    store::OutboxEntry e{.kind = std::string(kind), .key = key, .payload = {1}};
    ASSERT_TRUE(store->outbox().enqueue(e, 1000));
  };
  add(to_string(OutboxKind::training_record), "r1");
  add(to_string(OutboxKind::training_record), "r2");
  add(to_string(OutboxKind::classrecord), "c1");
  add(to_string(OutboxKind::ce_record), "t1");
  auto tcp_only = unsettled_deliveries(store->outbox(), false);
  ASSERT_TRUE(tcp_only) << tcp_only.error().message;
  EXPECT_EQ(*tcp_only, 2);
  auto both = unsettled_deliveries(store->outbox(), true);
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, 4);
}

}  // namespace
}  // namespace tta::agent
