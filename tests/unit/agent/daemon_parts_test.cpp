// The daemon's store-side parts: the teaching log queued in two steps at session end, the
// application parameters of 0x8501/0x8503, stored minutes rebuilt for 0x8205, the platform's
// messages for the screen, and the control API's target parser.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include <unistd.h>

#include "control/control_target.hpp"
#include "daemon/parts.hpp"
#include "support/needs.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/image.hpp"
#include "training/fix_clock.hpp"
#include "outbox/forwarder.hpp"
#include "outbox/http_forwarder.hpp"
#include "daemon/platform_commands.hpp"
#include "training/teaching_log.hpp"
#include "tta/uplink/http_api.hpp"

namespace tta::agent {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTerminal = "3201138001380000";
constexpr std::int64_t kT0 = 1'795'000'000'000;  // 2026-11-18, Unix ms

class DaemonPartsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tta-dparts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::StoreConfig sc{dir_ / "tta.db", dir_ / "store.key"};
    ASSERT_TRUE(store::init_store(sc));
    auto s = store::Store::open(sc);
    ASSERT_TRUE(s);
    store_.emplace(std::move(*s));
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// A session of `minutes` minutes (every other one counted, 0.5 km each) with photos 17, 19
  /// and 18, ended unless `open`.
  std::int64_t session(std::uint32_t class_id, int minutes, bool open = false) {
    const std::int64_t start = kT0 + std::int64_t{class_id} * 1000;
    auto sid = store_->begin_session({.class_id = class_id, .student_no = "3201000000000101",
                                      .coach_no = "3201000000000201",
                                      .course_code = "1212110000", .started_ms = start});
    EXPECT_TRUE(sid);
    for (int i = 0; i < minutes; ++i) {
      const std::string no = std::string(kTerminal) + std::to_string(class_id) + "m" + std::to_string(i);
      store::MinuteRecord m{.record_no = no, .session_id = *sid,
                            .minute_ms = start + (i + 1) * 60'000, .status = 0};
      m.mileage_hm = 5;
      m.counted = i % 2 == 0;
      EXPECT_TRUE(store_->add_minute(m, {.kind = "tcp.0203", .key = no, .payload = {1}}));
    }
    for (const std::uint8_t event : {std::uint8_t{17}, std::uint8_t{19}, std::uint8_t{18}}) {
      const std::string no = std::to_string(class_id * 10 + event);
      store::Photo p{.photo_no = no, .person_no = "3201000000000101", .class_id = class_id,
                     .event = event, .taken_ms = start + event, .jpeg = {0xFF, 0xD8, event}};
      EXPECT_TRUE(store_->photos().add(p, {.kind = kPhotoKind, .key = no, .payload = {2}}));
    }
    if (!open) {
      EXPECT_TRUE(store_->end_session(*sid, start + (minutes + 1) * 60'000));
    }
    return *sid;
  }

  std::vector<store::OutboxEntry> due(const std::string& kind) {
    auto d = store_->outbox().due(kT0 + 86'400'000LL * 365, 1000, kind);
    EXPECT_TRUE(d);
    return *d;
  }

  TeachingLogIdentity id_{.institution_code = "3201000000000001", .terminal_no = kTerminal,
                          .platform_no = "A0001", .car_no = "苏A12345学"};
  fs::path dir_;
  std::optional<store::Store> store_;
};

TEST_F(DaemonPartsTest, AnUnfinishedSessionNeverWedgesTheScan) {
  // 150 sessions, the 5th left open: every ended one gets its photos queued within a few
  // scans of at most 64 sessions each (issue #14: the scan used to stop 64 past the open one).
  std::int64_t open_sid = 0;
  for (std::uint32_t i = 1; i <= 150; ++i) {
    const auto sid = session(i, 1, /*open=*/i == 5);
    if (i == 5) open_sid = sid;
  }
  int queued = 0;
  for (int scan = 0; scan < 5; ++scan) {
    auto n = scan_teaching_logs(*store_, id_, kT0);
    ASSERT_TRUE(n) << n.error().message;
    queued += *n;
  }
  EXPECT_EQ(queued, 149 * 3);
  EXPECT_EQ(due("http.imageup").size(), 149u * 3);
  for (std::int64_t sid = 1; sid <= 150; ++sid) {
    EXPECT_EQ(store_->param("teachlog." + std::to_string(sid))->has_value(), sid != open_sid) << sid;
  }
  EXPECT_EQ(store_->param("teachlog.cursor")->value_or(""), "")
      << "session 1's photos are not settled yet: the cursor stays";
  // Nothing twice, however often it scans.
  for (int scan = 0; scan < 5; ++scan) EXPECT_EQ(*scan_teaching_logs(*store_, id_, kT0), 0);
  // The open session ends: the next scans find it.
  ASSERT_TRUE(store_->end_session(open_sid, kT0 + 9'000'000));
  queued = 0;
  for (int scan = 0; scan < 4; ++scan) queued += *scan_teaching_logs(*store_, id_, kT0);
  EXPECT_EQ(queued, 3);
}

TEST_F(DaemonPartsTest, TeachingLogWaitsForThePhotosThenQueuesMetadataAndTheLogOnce) {
  const auto sid = session(1000, 4);
  (void)session(2000, 2, /*open=*/true);

  auto n = scan_teaching_logs(*store_, id_, kT0);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 3);  // step 1: the three photos of the ended session only
  auto images = due("http.imageup");
  ASSERT_EQ(images.size(), 3u);
  auto file = uplink::decode_file_payload(images[0].payload);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->content_type, "image/jpeg");
  EXPECT_EQ(*scan_teaching_logs(*store_, id_, kT0), 0);  // photos still on their way

  // 17 and 18 accepted with file ids, 19 refused: no metadata and no photo2 for it.
  for (const auto& e : images) {
    if (e.key == "10019") {
      ASSERT_TRUE(store_->outbox().mark_refused(e.id, kT0, "errorcode 9"));
    } else {
      ASSERT_TRUE(store_->set_param("http.fileid." + e.key, "F" + e.key, kT0));
      ASSERT_TRUE(store_->outbox().mark_acked(e.id, kT0));
    }
  }
  n = scan_teaching_logs(*store_, id_, kT0, [](const std::string& student) {
    EXPECT_EQ(student, "3201000000000101");
    return std::optional<StudentTotals>(
        StudentTotals{.total_min = 100, .part_min = {60, 40, std::nullopt, std::nullopt}});
  });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3);  // two trainimginfo + the classrecord
  auto infos = due("http.trainimginfo");
  ASSERT_EQ(infos.size(), 2u);
  auto info = nlohmann::json::parse(infos[0].payload);
  EXPECT_EQ(info["fileid"], "F" + infos[0].key);
  EXPECT_EQ(info["recnum"], std::string(kTerminal) + "0000001000");
  auto logs = due("http.classrecord");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].key, "1000");
  auto log = nlohmann::json::parse(logs[0].payload);
  EXPECT_EQ(log["photo1"], "F10017");
  EXPECT_FALSE(log.contains("photo2"));
  EXPECT_EQ(log["photo3"], "F10018");
  EXPECT_EQ(log["duration"], 2);      // counted minutes
  EXPECT_EQ(log["mileage"], 2.0);     // 4 × 0.5 km
  EXPECT_EQ(log["avevelocity"], 30.0);  // 2 km in 4 minutes
  EXPECT_EQ(log["simunum"], kTerminal);
  EXPECT_EQ(log["carnum"], "苏A12345学");
  EXPECT_EQ(log["total"], 100);
  EXPECT_EQ(log["part2"], 40);
  EXPECT_FALSE(log.contains("part3"));  // not known: left out, never made up
  // The request builder takes the payload as it is.
  auto api = uplink::HttpApi::create(config::HttpUplinkConfig{.base_url = "https://x"});
  ASSERT_TRUE(api);
  EXPECT_TRUE(api->body("classrecord", logs[0].payload));
  EXPECT_TRUE(api->body("trainimginfo", infos[0].payload));

  // Done: scanning again queues nothing; the open session waits for its end.
  EXPECT_EQ(*scan_teaching_logs(*store_, id_, kT0), 0);
  ASSERT_TRUE(store_->end_session(sid + 1, kT0 + 3'000'000));
  EXPECT_EQ(*scan_teaching_logs(*store_, id_, kT0), 3);
  EXPECT_EQ(store_->param("teachlog.cursor")->value_or(""), "2");

  // A lost state (a kill between queueing and noting it) queues nothing twice.
  const auto before = store_->outbox().counts();
  ASSERT_TRUE(store_->set_param("teachlog.cursor", "1", kT0));
  ASSERT_TRUE(store_->set_param("teachlog.1", "{}", kT0));
  ASSERT_TRUE(scan_teaching_logs(*store_, id_, kT0));
  EXPECT_EQ(store_->outbox().counts()->queued, before->queued);
}

TEST_F(DaemonPartsTest, ContinuingEducationSessionsAlsoGoToTheQualificationPlatform) {
  ASSERT_TRUE(store_->people().add({.role = store::Role::student,
                                  .national_no = "3201000000000101",
                                  .id_card = "11010519491231002X",
                                  .name = "s",
                                  .licence_class = "A2"},
                                 kT0));
  // Two classroom sessions without photos (nothing to wait for): one continuing-education
  // course, one theory course; and the vehicle session of the fixture.
  auto classroom = [&](std::uint32_t class_id, const std::string& course) {
    const std::int64_t start = kT0 + std::int64_t{class_id} * 1000;
    auto sid = store_->begin_session({.class_id = class_id,
                                      .mode = "classroom",
                                      .student_no = "3201000000000101",
                                      .course_code = course,
                                      .started_ms = start});
    EXPECT_TRUE(sid);
    for (int i = 0; i < 3; ++i) {
      const std::string no = std::to_string(class_id) + "m" + std::to_string(i);
      store::MinuteRecord m{
          .record_no = no, .session_id = *sid, .minute_ms = start + (i + 1) * 60'000, .status = 0};
      m.counted = i != 1;
      EXPECT_TRUE(store_->add_minute(m, {.kind = "tcp.0203", .key = no, .payload = {1}}));
    }
    EXPECT_TRUE(store_->end_session(*sid, start + 4 * 60'000));
  };
  classroom(5000, "3400110000");
  classroom(6000, "2212110000");
  (void)session(7000, 2);
  // The syllabus names the continuing programme by its course codes.
  config::Config cfg;
  cfg.syllabus.push_back(
      {.programme = "ce",
       .kind = "continuing",
       .title = "继续教育",
       .cycle_days = 730,
       .parts = {{.part = 1, .classroom_min = 1440, .courses = {"34??1?0000"}}}});
  std::vector<std::string> asked;
  auto continuing = [&](const store::TrainingSession& t) {
    asked.push_back(t.course_code);
    return continuing_totals(*store_, cfg, t);
  };
  auto n = scan_teaching_logs(*store_, id_, kT0, {}, continuing);
  ASSERT_TRUE(n) << n.error().message;
  // Only classroom sessions are asked about; only the continuing one is queued.
  EXPECT_EQ(asked, (std::vector<std::string>{"3400110000", "2212110000"}));
  auto ce = due("http.ce.record");
  ASSERT_EQ(ce.size(), 1u);
  EXPECT_EQ(ce[0].key, std::string(kTerminal) + "0000005000");
  auto j = nlohmann::json::parse(ce[0].payload);
  EXPECT_EQ(j["stunum"], "3201000000000101");
  EXPECT_EQ(j["idcard"], "11010519491231002X");
  EXPECT_EQ(j["subjcode"], "3400110000");
  EXPECT_EQ(j["programme"], "ce");
  EXPECT_EQ(j["duration"], 2);   // counted minutes only
  EXPECT_EQ(j["cycletime"], 2);  // the cycle so far: this session's counted minutes
  EXPECT_EQ(j["cyclerequired"], 1440);
  // The cycle runs 730 days back from the session's end.
  EXPECT_EQ(j["cyclestart"], platform_time(kT0 + 5'000'000 + 4 * 60'000 - 730 * 86'400'000LL));
  EXPECT_FALSE(continuing_totals(*store_, cfg, {.course_code = "2212110000"}));
  // Without the student's enrolment the cycle is unknown and left out, never made up.
  auto unknown = continuing_totals(*store_, cfg,
                                   {.student_no = "3201000000009999", .course_code = "3400110000"});
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->cycle_min);
  // The teaching logs go to the supervision platform as before (the vehicle session's waits
  // for its photos).
  EXPECT_EQ(due("http.classrecord").size(), 2u);
  // The request machinery takes it on a configured qualification platform.
  config::HttpUplinkConfig hc{.base_url = "https://x"};
  hc.continuing_education.base_url = "https://ce.example.cn";
  auto api = uplink::HttpApi::create(hc);
  ASSERT_TRUE(api);
  EXPECT_TRUE(api->body("ce.record", ce[0].payload));
  // Scanning again queues nothing more.
  EXPECT_EQ(*scan_teaching_logs(*store_, id_, kT0, {}, continuing), 0);
  EXPECT_EQ(due("http.ce.record").size(), 1u);
}

TEST_F(DaemonPartsTest, TeachingLogNeedsARegisteredTerminal) {
  (void)session(1000, 1);
  EXPECT_EQ(*scan_teaching_logs(*store_, {}, kT0), 0);
  EXPECT_TRUE(due("http.").empty());
}

TEST_F(DaemonPartsTest, AppParamsDefaultMergeStoreAndApply) {
  config::TrainingConfig t;
  t.photo_interval_min = 12;
  t.recheck_interval_min = 20;
  auto p = current_app_params(*store_, t);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->photo_interval_min, 12);
  EXPECT_EQ(p->identity_recheck_interval_min, 20);

  uplink::SetAppParams cmd{.param_no = 7, .params = {}};
  cmd.params.identity_recheck_interval_min = 45;
  cmd.params.photo_interval_min = 99;  // not field 7
  auto merged = merge_app_params(*p, cmd);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->identity_recheck_interval_min, 45);
  EXPECT_EQ(merged->photo_interval_min, 12);
  ASSERT_TRUE(save_app_params(*store_, *merged, kT0));
  auto again = current_app_params(*store_, t);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *merged);
  apply_app_params(t, *again);
  EXPECT_EQ(t.recheck_interval_min, 45u);

  cmd.param_no = 0;  // all fields, as sent
  EXPECT_TRUE(merge_app_params(*p, cmd));
  cmd.param_no = 11;
  EXPECT_EQ(merge_app_params(*p, cmd).error().code, Errc::invalid_argument);
  cmd.param_no = 1;
  cmd.params.photo_interval_min = 0;
  EXPECT_FALSE(merge_app_params(*p, cmd));
  cmd.param_no = 3;
  cmd.params.read_aloud = 7;
  EXPECT_FALSE(merge_app_params(*p, cmd));

  ASSERT_TRUE(store_->set_param("platform.app_params", "{\"photo_interval_min\":5}", kT0));
  EXPECT_EQ(current_app_params(*store_, t).error().code, Errc::corrupt);
}

TEST_F(DaemonPartsTest, RecordsOnRequestKeepMissingValuesMissing) {
  (void)session(1000, 3);
  uplink::RecordRequest by_count{.mode = 2, .count = 2};
  auto two = requested_minutes(*store_, by_count);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_LT(two->front().minute_ms, two->back().minute_ms);
  EXPECT_EQ(two->back().record_no, std::string(kTerminal) + "1000m2");

  const WallTime first{std::chrono::milliseconds(kT0 + 1'000'000 + 60'000)};
  uplink::RecordRequest by_time{.mode = 1, .start = first, .end = first, .count = 0};
  auto one = requested_minutes(*store_, by_time);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  by_time.end.reset();
  EXPECT_FALSE(requested_minutes(*store_, by_time));

  auto s = store_->find_session(1);
  ASSERT_TRUE(s && *s);
  auto r = record_on_request(one->front(), **s);
  EXPECT_EQ(r.report_type, 2);
  EXPECT_EQ(r.class_id, 1000u);
  EXPECT_EQ(r.mileage_hm, 5);
  EXPECT_FALSE(r.gnss.basic.latitude_udeg);  // the minute had no position
  EXPECT_FALSE(r.gnss.engine_speed_rpm);
  EXPECT_TRUE(r.encode());
}

TEST_F(DaemonPartsTest, PhotoQueryFindsTheSecondsAskedForAndListsThemInBatches) {
  (void)session(1000, 1);  // photos 10017, 10019, 10018 taken at kT0 + 1000000 + event ms
  const WallTime base{std::chrono::milliseconds(kT0 + 1'000'000)};
  // The end names a whole second: all three photos (17..19 ms after it started) are in it.
  auto all = queried_photos(*store_, {.mode = 1, .start = base, .end = base});
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, (std::vector<std::string>{"10017", "10018", "10019"}));
  auto before = queried_photos(
      *store_,
      {.mode = 1, .start = base - std::chrono::hours(2), .end = base - std::chrono::seconds(1)});
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->empty());
  EXPECT_FALSE(queried_photos(*store_, {.mode = 2, .start = base, .end = base}));
  EXPECT_FALSE(queried_photos(*store_, {.mode = 1, .start = base, .end = std::nullopt}));
  EXPECT_FALSE(
      queried_photos(*store_, {.mode = 1, .start = base, .end = base - std::chrono::seconds(5)}));

  // Batches of 50, the last one finished; the BYTE total caps a listing at 255.
  EXPECT_EQ(photo_query_results({}).size(), 1u);
  EXPECT_TRUE(photo_query_results({})[0].finished);
  EXPECT_EQ(photo_query_results({})[0].total, 0);
  std::vector<std::string> nos;
  for (int i = 0; i < 300; ++i)
    nos.push_back(std::to_string(1'000'000'000 + i));
  for (const std::size_t n : {std::size_t{1}, std::size_t{50}, std::size_t{51}, std::size_t{300}}) {
    const auto results = photo_query_results(
        std::vector<std::string>(nos.begin(), nos.begin() + static_cast<long>(n)));
    const std::size_t listed = std::min<std::size_t>(n, kMaxPhotosPerQuery);
    ASSERT_EQ(results.size(), (listed + kPhotoNosPerResult - 1) / kPhotoNosPerResult) << n;
    std::size_t seen = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].total, listed);
      EXPECT_EQ(results[i].finished, i + 1 == results.size());
      EXPECT_LE(results[i].photo_nos.size(), kPhotoNosPerResult);
      for (const auto& no : results[i].photo_nos)
        EXPECT_EQ(no, nos[seen++]);
      EXPECT_TRUE(results[i].encode()) << n;
    }
    EXPECT_EQ(seen, listed);
  }
}

TEST_F(DaemonPartsTest, PhotoAskedForAgainKeepsItsAnnouncementButSaysOnRequest) {
  uplink::PhotoUploadInit first;
  first.photo_no = "0000000007";
  first.person_no = "3201000000000101";
  first.upload_mode = 129;
  first.event = 19;
  first.size_code = 2;
  first.class_id = 42;
  first.face_confidence = 88;
  auto payload = first.encode();
  ASSERT_TRUE(payload);
  store::Photo p{.photo_no = "0000000007",
                 .person_no = "3201000000000101",
                 .class_id = 42,
                 .event = 19,
                 .taken_ms = kT0,
                 .jpeg = {0xFF, 0xD8}};
  ASSERT_TRUE(store_->photos().add(p, {.kind = kPhotoKind, .key = "0000000007", .payload = *payload}));

  auto e = photo_upload_on_request(*store_, "0000000007", kT0 + 5);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->kind, kPhotoKind);
  EXPECT_EQ(e->key, "0000000007#8304@" + std::to_string(kT0 + 5));
  auto init = uplink::PhotoUploadInit::decode(e->payload);
  ASSERT_TRUE(init);
  EXPECT_EQ(init->upload_mode, 1);
  EXPECT_EQ(init->event, 19);
  EXPECT_EQ(init->class_id, 42u);
  EXPECT_EQ(init->face_confidence, 88);
  ASSERT_TRUE(store_->outbox().enqueue(*e, kT0 + 5));
  auto back = store_->outbox().entry(kPhotoKind, e->key);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->payload, e->payload);

  auto missing = photo_upload_on_request(*store_, "0000000099", kT0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(DaemonPartsTest, MessagesAreKeptUnreadUntilAcked) {
  EXPECT_TRUE(messages(*store_, 10)->empty());
  ASSERT_EQ(*add_message(*store_, "0x8502 training ban", "暂停培训", true, kT0), 1);
  ASSERT_EQ(*add_message(*store_, "0x8201 student login reply", "欢迎", false, kT0 + 1), 2);
  auto all = messages(*store_, 10);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].text, "暂停培训");
  EXPECT_FALSE((*all)[1].read_aloud);
  EXPECT_EQ(messages(*store_, 1)->front().id, 2);
  EXPECT_EQ(ack_messages(*store_, {3}, kT0).error().code, Errc::not_found);
  EXPECT_EQ(*ack_messages(*store_, {2}, kT0), 1);
  EXPECT_EQ(*ack_messages(*store_, {2}, kT0), 0);
  EXPECT_EQ(*ack_messages(*store_, {}, kT0), 1);
  const auto after = messages(*store_, 10);
  ASSERT_TRUE(after);
  for (const auto& m : *after) EXPECT_TRUE(m.read);
}

// The screen's live preview shares the camera through the face checker: it shows the newest
// frame a check, photo or capture grabbed and never grabs one itself, so a folder camera is
// not advanced and the next check sees the frame it would have seen without any preview.
TEST(CameraPreview, ShowsTheNewestFrameSmallAndNeverAdvancesAFolderCamera) {
  const fs::path dir = fs::temp_directory_path() / ("tta-preview-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Three frames of the folder, told apart by their grey level.
  const std::uint8_t levels[] = {30, 220, 120};
  for (int i = 0; i < 3; ++i) {
    face::Image img{.width = 640, .height = 480, .format = face::PixelFormat::gray8,
                    .pixels = std::vector<std::uint8_t>(640 * 480, levels[i])};
    ASSERT_TRUE(face::save_image(img, dir / ("frame" + std::to_string(i) + ".pgm")));
  }
  const auto centre = [](const std::vector<std::uint8_t>& jpeg) -> int {
    auto img = face::decode_image(jpeg);
    EXPECT_TRUE(img) << (img ? "" : img.error().message);
    if (!img) return -1;
    const auto at = (static_cast<std::size_t>(img->height / 2) * static_cast<std::size_t>(img->width) +
                     static_cast<std::size_t>(img->width / 2)) *
                    static_cast<std::size_t>(img->channels());
    return img->pixels[at];
  };
  config::FaceConfig cfg;
  cfg.camera = "dir://" + dir.string();
  auto checker = make_camera_face_checker(cfg, face::Challenge::none);
  auto none = checker->preview();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::not_found);

  const face::EvidenceStamp stamp{.terminal_no = kTerminal, .time = WallTime{}};
  auto first = checker->photo(stamp, 1);
  ASSERT_FALSE(first.jpeg.empty()) << first.outcome;
  EXPECT_NEAR(centre(first.jpeg), 30, 8);
  for (int i = 0; i < 20; ++i) {
    auto p = checker->preview();
    ASSERT_TRUE(p) << p.error().message;
    auto img = face::decode_image(p->jpeg);
    ASSERT_TRUE(img);
    EXPECT_LE(std::max(img->width, img->height), FaceChecker::kPreviewMaxSidePx);
    EXPECT_NEAR(centre(p->jpeg), 30, 8);
  }
  // Twenty previews later the folder's second frame is still the next one.
  auto second = checker->photo(stamp, 1);
  ASSERT_FALSE(second.jpeg.empty()) << second.outcome;
  EXPECT_NEAR(centre(second.jpeg), 220, 8);
  EXPECT_NEAR(centre(checker->preview()->jpeg), 220, 8);
  // A capture grabs (the third frame), full size, and becomes the preview.
  auto shot = checker->capture();
  ASSERT_TRUE(shot) << shot.error().message;
  auto full = face::decode_image(*shot);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->width, 640);
  EXPECT_NEAR(centre(*shot), 120, 8);
  EXPECT_NEAR(centre(checker->preview()->jpeg), 120, 8);
  fs::remove_all(dir);
}

TEST(LivenessChallenge, AutoIsABlinkAtAKioskAndNothingInAVehicle) {
  config::Config cfg;
  cfg.face.liveness_challenge = "auto";
  cfg.terminal.mode = "vehicle";
  EXPECT_EQ(liveness_challenge(cfg), face::Challenge::none);
  cfg.terminal.mode = "classroom";
  EXPECT_EQ(liveness_challenge(cfg), face::Challenge::blink);
  // Said outright, the word wins in either mode.
  cfg.face.liveness_challenge = "turn";
  EXPECT_EQ(liveness_challenge(cfg), face::Challenge::turn);
  cfg.face.liveness_challenge = "none";
  EXPECT_EQ(liveness_challenge(cfg), face::Challenge::none);
  cfg.terminal.mode = "vehicle";
  cfg.face.liveness_challenge = "blink";
  EXPECT_EQ(liveness_challenge(cfg), face::Challenge::blink);
}

// The real checker on a folder camera of one person's photos: it asks for what it was made
// with, takes 15 frames for a challenge (5 without), and says how liveness was judged.
TEST(CameraFaceChecker, ReportsTheChallengeAndHowLivenessWasJudged) {
  const auto models = face::default_models_dir();
  if (!face::missing_models(models).empty()) {
    TTA_SKIP_OR_FAIL_IN_CI() << "face models absent in " << models << " (run scripts/setup)";
  }
  const fs::path person = fs::path(TTA_SHARED_DATA_DIR) / "faces" / "att" / "s2";
  if (!fs::exists(person)) TTA_SKIP_OR_FAIL_IN_CI() << person << " is absent";
  const auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
  };
  for (const auto challenge : {face::Challenge::none, face::Challenge::blink}) {
    const fs::path dir = fs::temp_directory_path() /
                         ("tta-checker-" + std::to_string(::getpid()) + "-" +
                          std::string(face::to_string(challenge)));
    fs::remove_all(dir);
    fs::create_directories(dir);
    // 15 frames of the person (images 2-6 over and over), then a flat grey marker frame.
    for (int i = 0; i < 15; ++i) {
      fs::copy_file(person / (std::to_string(2 + i % 5) + ".pgm"),
                    dir / fmt::format("{:03}.pgm", i));
    }
    face::Image marker{.width = 92, .height = 112, .format = face::PixelFormat::gray8,
                       .pixels = std::vector<std::uint8_t>(92 * 112, 77)};
    ASSERT_TRUE(face::save_image(marker, dir / "015.pgm"));
    config::FaceConfig cfg;
    cfg.camera = "dir://" + dir.string();
    cfg.models_dir = models;
    auto checker = make_camera_face_checker(cfg, challenge);
    auto enrolled = checker->enrol(read(person / "1.pgm"));
    ASSERT_TRUE(enrolled) << enrolled.error().message;
    const face::EvidenceStamp stamp{.terminal_no = kTerminal, .time = WallTime{}};
    const auto ev = checker->check(enrolled->templ, stamp, 17, 1);
    ASSERT_TRUE(ev.performed) << ev.outcome;
    ASSERT_TRUE(ev.liveness) << ev.outcome;
    EXPECT_EQ(ev.liveness->challenge, face::to_string(challenge));
    EXPECT_GT(ev.liveness->frames, 0u);
    EXPECT_GE(ev.liveness->score, 0.0);
    EXPECT_LE(ev.liveness->score, 1.0);
    EXPECT_TRUE(ev.liveness->outcome == "live" || ev.liveness->outcome == "inconclusive" ||
                ev.liveness->outcome == "spoof")
        << ev.liveness->outcome;
    // Not live: the words say why; live: none. The outcome agrees with the match decision.
    EXPECT_EQ(ev.liveness->outcome == "live", ev.liveness->words.empty());
    EXPECT_EQ(ev.liveness->outcome == "live", ev.liveness->words_zh.empty());
    EXPECT_EQ(ev.matched, ev.liveness->outcome == "live") << ev.outcome;
    if (challenge == face::Challenge::none) {
      EXPECT_EQ(ev.liveness->decided_by == "passive" || ev.liveness->decided_by == "model", true)
          << ev.liveness->decided_by;
    } else {
      EXPECT_TRUE(ev.liveness->decided_by == "blink" || ev.liveness->decided_by == "model")
          << ev.liveness->decided_by;
      EXPECT_EQ(ev.liveness->challenge_met, ev.liveness->outcome == "live");
    }
    // How many frames the check took: the marker is next after 15 (a challenge), after 5
    // of the person's frames (none).
    const auto next = checker->photo(stamp, 1);
    ASSERT_FALSE(next.jpeg.empty()) << next.outcome;
    auto img = face::decode_image(next.jpeg);
    ASSERT_TRUE(img);
    const auto at = (static_cast<std::size_t>(img->height / 2) * static_cast<std::size_t>(img->width) +
                     static_cast<std::size_t>(img->width / 2)) *
                    static_cast<std::size_t>(img->channels());
    if (challenge == face::Challenge::none) {
      EXPECT_GT(std::abs(int{img->pixels[at]} - 77), 8) << "a face frame, not the marker";
    } else {
      EXPECT_NEAR(img->pixels[at], 77, 8) << "the marker: 15 frames taken";
    }
    fs::remove_all(dir);
  }
}

TEST(FixClock, GnssTimeCarriedByTheMonotonicClockNeverBackwards) {
  FakeClock base;
  base.set_wall(WallTime{std::chrono::milliseconds(kT0)});
  FixClock clock(base);
  // Before any fix: the system clock.
  EXPECT_EQ(clock.wall_now(), base.wall_now());
  EXPECT_FALSE(clock.last_fix());
  // A fix a day earlier than the system clock (a terminal whose clock is wrong): GNSS wins.
  const WallTime gnss{std::chrono::milliseconds(kT0 - 86'400'000)};
  clock.on_fix(gnss, base.mono_now());
  EXPECT_EQ(clock.wall_now(), gnss);
  // Between fixes and with fixes lost, it runs on with the monotonic clock, not the wall.
  base.advance(std::chrono::milliseconds(700));
  base.set_wall(WallTime{std::chrono::milliseconds(kT0 + 999'000)});  // a wall-clock step
  EXPECT_EQ(clock.wall_now(), gnss + std::chrono::milliseconds(700));
  base.advance(std::chrono::minutes(5));
  EXPECT_EQ(clock.wall_now(), gnss + std::chrono::minutes(5) + std::chrono::milliseconds(700));
  // Fixes are back; this one was read 700 ms late and names an earlier instant than the
  // clock has shown: time holds rather than step back, then follows the fix.
  const WallTime back = gnss + std::chrono::minutes(5);
  clock.on_fix(back, base.mono_now());
  EXPECT_EQ(clock.wall_now(), back + std::chrono::milliseconds(700));
  base.advance(std::chrono::milliseconds(300));
  EXPECT_EQ(clock.wall_now(), back + std::chrono::milliseconds(700));
  base.advance(std::chrono::seconds(1));
  EXPECT_EQ(clock.wall_now(), back + std::chrono::milliseconds(1300));
  // An old fix replayed is ignored.
  clock.on_fix(gnss, base.mono_now());
  EXPECT_EQ(*clock.last_fix(), back);
}

TEST(ControlTarget, PathAndDecodedQuery) {
  auto t = parse_control_target("/progress?student=3201000000000101&x=a%20b+c&flag&=v");
  EXPECT_EQ(t.path, "/progress");
  EXPECT_EQ(t.query["student"], "3201000000000101");
  EXPECT_EQ(t.query["x"], "a b c");
  EXPECT_EQ(t.query["flag"], "");
  EXPECT_EQ(parse_control_target("/status").query.size(), 0u);
  EXPECT_EQ(parse_control_target("/a?b=%zz%4").query["b"], "%zz%4");  // bad escapes kept as is
  EXPECT_EQ(parse_control_target("").path, "");
}

}  // namespace
}  // namespace tta::agent
