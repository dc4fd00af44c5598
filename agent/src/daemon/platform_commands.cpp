#include "daemon/platform_commands.hpp"

#include <algorithm>
#include <limits>

#include "outbox/forwarder.hpp"
#include "training/minute.hpp"
#include "tta/core/time_util.hpp"

namespace tta::agent {

namespace {

using nlohmann::json;

constexpr const char* kAppParamsParam = "platform.app_params";
constexpr const char* kLastMessageParam = "msg.last";

std::string message_param(std::int64_t id) { return "msg." + std::to_string(id); }

template <typename T>
bool read_field(const json& j, const char* name, T& out) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  const auto v = it->get<std::uint64_t>();
  if (v > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(v);
  return true;
}

}  // namespace

uplink::AppParams default_app_params(const config::TrainingConfig& t) {
  uplink::AppParams p;
  auto byte = [](std::uint32_t v) { return static_cast<std::uint8_t>(std::min<std::uint32_t>(v, 255)); };
  auto word = [](std::uint32_t v) { return static_cast<std::uint16_t>(std::min<std::uint32_t>(v, 65535)); };
  p.photo_interval_min = byte(t.photo_interval_min);
  p.stop_timing_after_ignition_off_min = byte(t.ignition_off_stop_min);
  p.coach_auto_logout_after_ignition_off_min = word(t.coach_auto_logout_min);
  p.identity_recheck_interval_min = word(t.recheck_interval_min);
  return p;
}

json app_params_json(const uplink::AppParams& p) {
  return {{"photo_interval_min", p.photo_interval_min},
          {"photo_upload", p.photo_upload},
          {"read_aloud", p.read_aloud},
          {"stop_timing_after_ignition_off_min", p.stop_timing_after_ignition_off_min},
          {"gnss_report_after_ignition_off_s", p.gnss_report_after_ignition_off_s},
          {"coach_auto_logout_after_ignition_off_min", p.coach_auto_logout_after_ignition_off_min},
          {"identity_recheck_interval_min", p.identity_recheck_interval_min},
          {"coach_other_schools", p.coach_other_schools},
          {"student_other_schools", p.student_other_schools},
          {"min_answer_interval_s", p.min_answer_interval_s}};
}

Result<uplink::AppParams> current_app_params(store::Store& store,
                                             const config::TrainingConfig& training) {
  auto text = store.param(kAppParamsParam);
  if (!text) return fail(text.error());
  uplink::AppParams p = default_app_params(training);
  if (!*text) return p;
  const json j = json::parse(**text, nullptr, false);
  const bool good =
      j.is_object() && read_field(j, "photo_interval_min", p.photo_interval_min) &&
      read_field(j, "photo_upload", p.photo_upload) && read_field(j, "read_aloud", p.read_aloud) &&
      read_field(j, "stop_timing_after_ignition_off_min", p.stop_timing_after_ignition_off_min) &&
      read_field(j, "gnss_report_after_ignition_off_s", p.gnss_report_after_ignition_off_s) &&
      read_field(j, "coach_auto_logout_after_ignition_off_min",
                 p.coach_auto_logout_after_ignition_off_min) &&
      read_field(j, "identity_recheck_interval_min", p.identity_recheck_interval_min) &&
      read_field(j, "coach_other_schools", p.coach_other_schools) &&
      read_field(j, "student_other_schools", p.student_other_schools) &&
      read_field(j, "min_answer_interval_s", p.min_answer_interval_s);
  if (!good) {
    return fail(Errc::corrupt, std::string("store parameter ") + kAppParamsParam +
                                   " is not a complete parameter set");
  }
  return p;
}

Result<uplink::AppParams> merge_app_params(const uplink::AppParams& current,
                                           const uplink::SetAppParams& cmd) {
  const auto& in = cmd.params;
  uplink::AppParams p = current;
  switch (cmd.param_no) {
    case 0: p = in; break;
    case 1: p.photo_interval_min = in.photo_interval_min; break;
    case 2: p.photo_upload = in.photo_upload; break;
    case 3: p.read_aloud = in.read_aloud; break;
    case 4: p.stop_timing_after_ignition_off_min = in.stop_timing_after_ignition_off_min; break;
    case 5: p.gnss_report_after_ignition_off_s = in.gnss_report_after_ignition_off_s; break;
    case 6:
      p.coach_auto_logout_after_ignition_off_min = in.coach_auto_logout_after_ignition_off_min;
      break;
    case 7: p.identity_recheck_interval_min = in.identity_recheck_interval_min; break;
    case 8: p.coach_other_schools = in.coach_other_schools; break;
    case 9: p.student_other_schools = in.student_other_schools; break;
    case 10: p.min_answer_interval_s = in.min_answer_interval_s; break;
    default:
      return fail(Errc::invalid_argument,
                  "0x8501 parameter no. " + std::to_string(cmd.param_no) + " is not 0-10");
  }
  auto bad = [](const std::string& what) {
    return fail(Errc::invalid_argument, "0x8501: " + what);
  };
  if (p.photo_interval_min == 0) return bad("a photo interval of 0 minutes");
  if (p.identity_recheck_interval_min == 0) return bad("a re-check interval of 0 minutes");
  if (p.photo_upload > 1) return bad("photo upload must be 0 or 1");
  if (p.read_aloud < 1 || p.read_aloud > 2) return bad("read aloud must be 1 or 2");
  if (p.coach_other_schools < 1 || p.coach_other_schools > 2 || p.student_other_schools < 1 ||
      p.student_other_schools > 2) {
    return bad("other-school permissions must be 1 or 2");
  }
  return p;
}

Status save_app_params(store::Store& store, const uplink::AppParams& p, std::int64_t now_ms) {
  return store.set_param(kAppParamsParam, app_params_json(p).dump(), now_ms);
}

void apply_app_params(config::TrainingConfig& t, const uplink::AppParams& p) {
  t.photo_interval_min = p.photo_interval_min;
  t.recheck_interval_min = p.identity_recheck_interval_min;
  t.ignition_off_stop_min = p.stop_timing_after_ignition_off_min;
  t.coach_auto_logout_min = p.coach_auto_logout_after_ignition_off_min;
}

// ---- records on request ----------------------------------------------------------------------

Result<std::vector<store::MinuteRecord>> requested_minutes(store::Store& store,
                                                           const uplink::RecordRequest& req) {
  if (req.mode == 2) return store.latest_minutes(std::min<int>(req.count, kMaxRecordsPerRequest));
  if (req.mode != 1 || !req.start || !req.end) {
    return fail(Errc::invalid_argument, "0x8205 needs mode 1 with start and end, or mode 2");
  }
  auto all = store.minutes_between(unix_millis(*req.start), unix_millis(*req.end) + 1);
  if (!all) return fail(all.error());
  if (all->size() > static_cast<std::size_t>(kMaxRecordsPerRequest)) {
    all->resize(kMaxRecordsPerRequest);
  }
  return all;
}

// ---- photos on request -----------------------------------------------------------------------

Result<std::vector<std::string>> queried_photos(store::Store& store,
                                                const uplink::PhotoQuery& query) {
  if (query.mode != 1 || !query.start || !query.end) {
    return fail(Errc::invalid_argument, "0x8302 needs mode 1 with a start and an end");
  }
  const std::int64_t from = unix_millis(*query.start);
  const std::int64_t to = unix_millis(*query.end) + 999;  // BCD times name whole seconds
  if (to < from) return fail(Errc::invalid_argument, "0x8302 ends before it starts");
  return store.photos().numbers_between(from, to, kMaxPhotosPerQuery);
}

std::vector<uplink::PhotoQueryResult> photo_query_results(
    const std::vector<std::string>& photo_nos) {
  std::vector<uplink::PhotoQueryResult> out;
  const auto total = static_cast<std::uint8_t>(
      std::min<std::size_t>(photo_nos.size(), static_cast<std::size_t>(kMaxPhotosPerQuery)));
  std::size_t i = 0;
  do {
    uplink::PhotoQueryResult r;
    r.total = total;
    for (; i < total && r.photo_nos.size() < kPhotoNosPerResult; ++i) {
      r.photo_nos.push_back(photo_nos[i]);
    }
    r.finished = i >= total;
    out.push_back(std::move(r));
  } while (i < total);
  return out;
}

std::string photo_request_key(std::string_view photo_no, std::int64_t now_ms) {
  return std::string(photo_no) + "#8304@" + std::to_string(now_ms);
}

Result<store::OutboxEntry> photo_upload_on_request(store::Store& store, std::string_view photo_no,
                                                   std::int64_t now_ms) {
  auto photo = store.photos().find(photo_no);
  if (!photo) return fail(photo.error());
  if (!*photo) return fail(Errc::not_found, "no photo " + std::string(photo_no));
  // The announcement it was first sent with holds its position and confidence as they were.
  auto first = store.outbox().entry(kPhotoKind, photo_no);
  if (!first) return fail(first.error());
  if (!*first) {
    return fail(Errc::internal, "photo " + std::string(photo_no) + " has no 0x0305 in the outbox");
  }
  auto init = uplink::PhotoUploadInit::decode((*first)->payload);
  if (!init) return fail(init.error().context("photo " + std::string(photo_no)));
  init->upload_mode = 1;  // on request
  auto data = init->encode();
  if (!data) return fail(data.error());
  store::OutboxEntry e{
      .kind = kPhotoKind, .key = photo_request_key(photo_no, now_ms), .payload = std::move(*data)};
  e.next_attempt_ms = now_ms;
  return e;
}

uplink::TrainingRecord record_on_request(const store::MinuteRecord& m,
                                         const store::TrainingSession& s) {
  RecordHeader h = record_header(s);
  h.report_type = 2;  // on request
  return training_record(m, h);
}

// ---- messages --------------------------------------------------------------------------------

json message_json(const PlatformMessage& m) {
  return {{"id", m.id},         {"at_ms", m.at_ms},           {"source", m.source},
          {"text", m.text},     {"read_aloud", m.read_aloud}, {"read", m.read}};
}

namespace {

Result<std::int64_t> last_message_id(store::Store& store) {
  auto last = store.param(kLastMessageParam);
  if (!last) return fail(last.error());
  return *last ? std::atoll((*last)->c_str()) : 0;
}

Result<std::optional<PlatformMessage>> load_message(store::Store& store, std::int64_t id) {
  auto text = store.param(message_param(id));
  if (!text) return fail(text.error());
  if (!*text) return std::optional<PlatformMessage>();
  const json j = json::parse(**text, nullptr, false);
  if (!j.is_object()) return std::optional<PlatformMessage>();
  PlatformMessage m;
  m.id = id;
  m.at_ms = j.value("at_ms", std::int64_t{0});
  m.source = j.value("source", "");
  m.text = j.value("text", "");
  m.read_aloud = j.value("read_aloud", true);
  m.read = j.value("read", false);
  return std::optional<PlatformMessage>(std::move(m));
}

Status save_message(store::Store& store, const PlatformMessage& m, std::int64_t now_ms) {
  return store.set_param(message_param(m.id), message_json(m).dump(), now_ms);
}

}  // namespace

Result<std::int64_t> add_message(store::Store& store, const std::string& source,
                                 const std::string& text, bool read_aloud, std::int64_t now_ms) {
  auto last = last_message_id(store);
  if (!last) return fail(last.error());
  PlatformMessage m{.id = *last + 1, .at_ms = now_ms, .source = source, .text = text,
                    .read_aloud = read_aloud, .read = false};
  if (auto st = save_message(store, m, now_ms); !st) return fail(st.error());
  if (auto st = store.set_param(kLastMessageParam, std::to_string(m.id), now_ms); !st) {
    return fail(st.error());
  }
  return m.id;
}

Result<std::vector<PlatformMessage>> messages(store::Store& store, int limit) {
  auto last = last_message_id(store);
  if (!last) return fail(last.error());
  std::vector<PlatformMessage> out;
  for (std::int64_t id = std::max<std::int64_t>(1, *last - limit + 1); id <= *last; ++id) {
    auto m = load_message(store, id);
    if (!m) return fail(m.error());
    if (*m) out.push_back(std::move(**m));
  }
  return out;
}

Result<int> ack_messages(store::Store& store, const std::vector<std::int64_t>& ids,
                         std::int64_t now_ms) {
  std::vector<PlatformMessage> todo;
  if (ids.empty()) {
    auto all = messages(store, 1000);
    if (!all) return fail(all.error());
    todo = std::move(*all);
  } else {
    for (const auto id : ids) {
      auto m = load_message(store, id);
      if (!m) return fail(m.error());
      if (!*m) return fail(Errc::not_found, "no message " + std::to_string(id));
      todo.push_back(std::move(**m));
    }
  }
  int changed = 0;
  for (auto& m : todo) {
    if (m.read) continue;
    m.read = true;
    if (auto st = save_message(store, m, now_ms); !st) return fail(st.error());
    ++changed;
  }
  return changed;
}

}  // namespace tta::agent
