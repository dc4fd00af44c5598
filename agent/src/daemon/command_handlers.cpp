// The platform's commands (JT/T 808 core and extended) and the replies to queued logins.
#include "daemon/daemon_impl.hpp"

namespace tta::agent {

namespace asio = boost::asio;
using nlohmann::json;

std::uint8_t Daemon::Impl::on_core_command(const uplink::Frame& f) {
  try {
    switch (f.header.msg_id) {
      case uplink::msgid::kSetParams: {
        auto cmd = uplink::SetTerminalParams::decode(f.body);
        if (!cmd) {
          spdlog::warn("0x8103: {}", cmd.error().message);
          return 2;
        }
        if (auto st = apply_terminal_params(store, *cmd, now_ms()); !st) {
          spdlog::warn("0x8103 refused: {}", st.error().message);
          return 1;
        }
        load_term_params();
        arm_report();
        spdlog::info("0x8103: {} terminal parameter(s) set; heartbeat {} s, reports every {} s "
                     "({} s with the ignition off)",
                     cmd->params.size(), term.heartbeat_s, term.report_s, term.sleep_report_s);
        return 0;
      }
      case uplink::msgid::kQueryParams:
      case uplink::msgid::kQuerySomeParams: {
        std::vector<std::uint32_t> ids;
        if (f.header.msg_id == uplink::msgid::kQuerySomeParams) {
          auto q = uplink::QuerySomeTerminalParams::decode(f.body);
          if (!q) {
            spdlog::warn("0x8106: {}", q.error().message);
            return 2;
          }
          ids = q->ids;
        }
        auto reply = query_terminal_params(store, cfg, f.header.serial, ids);
        if (!reply) {
          spdlog::error("0x8104/0x8106: {}", reply.error().message);
          return 1;
        }
        if (auto body = reply->encode()) session.send_reply(uplink::msgid::kQueryParamsReply, *body);
        return 0;
      }
      case uplink::msgid::kTerminalControl: {
        auto c = uplink::TerminalControl::decode(f.body);
        if (!c) return 2;
        if (c->command == 4) {  // terminal reset: a new connection, a new authentication
          spdlog::info("0x8105: the platform asked for a reset; reconnecting");
          asio::post(io, [this] { session.reconnect("reset by the platform (0x8105)"); });
          return 0;
        }
        spdlog::warn("0x8105 command {} is not supported", c->command);
        return 3;
      }
      default:
        return 3;
    }
  } catch (const std::exception& e) {
    spdlog::error("platform command 0x{:04x}: {}", f.header.msg_id, e.what());
    return 1;
  }
}

void Daemon::Impl::load_term_params() {
  auto p = load_terminal_params(store, cfg);
  if (!p) {
    spdlog::error("terminal parameters: {}; the config's are used", p.error().message);
    return;
  }
  term = *p;
  session.set_heartbeat(std::chrono::seconds(term.heartbeat_s));
}

void Daemon::Impl::on_refused_message(const Error& why) {
  spdlog::warn("platform message refused: {}", why.message);
}

template <typename Msg>
void Daemon::Impl::reply(const Msg& msg) {
  auto data = msg.encode();
  if (!data) {
    spdlog::error("reply {:04x}: {}", Msg::kExtId, data.error().message);
    return;
  }
  uplink::ExtendedMessage m;
  m.ext_id = Msg::kExtId;
  m.data = std::move(*data);
  session.send_extended(std::move(m), [](Result<uplink::Reply> r) {
    if (!r) spdlog::warn("reply {:04x} not delivered: {}", Msg::kExtId, r.error().message);
  });
}

void Daemon::Impl::message(const std::string& source, const std::string& text, std::uint8_t read_aloud) {
  if (text.empty()) return;
  // Read aloud: 1 yes, 2 no, 0 the terminal's default (application parameter).
  bool aloud = read_aloud != 2;
  if (read_aloud == 0) {
    auto p = current_app_params(store, cfg.training);
    aloud = !p || p->read_aloud != 2;
  }
  if (auto id = add_message(store, source, text, aloud, now_ms()); !id) {
    spdlog::error("platform message not kept: {}", id.error().message);
  }
}

void Daemon::Impl::on_platform_command(const uplink::ExtendedMessage& m) {
  namespace x = uplink::extid;
  switch (m.ext_id) {
    case x::kSetTrainingBan: on_ban(m); return;
    case x::kSetAppParams: on_set_params(m); return;
    case x::kQueryAppParams: on_query_params(); return;
    case x::kTakePhoto: on_take_photo(m); return;
    case x::kRecordRequest: on_record_request(m); return;
    case x::kPhotoQuery: on_photo_query(m); return;
    case x::kUploadPhoto: on_upload_photo(m); return;
    default:
      spdlog::info("platform command 0x{:04x} ({}) is not handled",
                   m.ext_id, uplink::extended_message_name(m.ext_id));
  }
}

void Daemon::Impl::on_ban(const uplink::ExtendedMessage& m) {
  auto ban = uplink::SetTrainingBan::decode(m.data);
  if (!ban) {
    spdlog::warn("0x8502: {}", ban.error().message);
    reply(uplink::SetTrainingBanReply{.result = 2, .state = 1, .message = ""});
    return;
  }
  engine.set_ban(ban->state == 2, ban->message, now());
  message("0x8502 training ban", ban->message, 0);
  reply(uplink::SetTrainingBanReply{.result = 1, .state = ban->state, .message = ban->message});
}

void Daemon::Impl::on_set_params(const uplink::ExtendedMessage& m) {
  auto cmd = uplink::SetAppParams::decode(m.data);
  auto current = current_app_params(store, cfg.training);
  Result<uplink::AppParams> merged = !cmd       ? Result<uplink::AppParams>(fail(cmd.error()))
                                     : !current ? Result<uplink::AppParams>(fail(current.error()))
                                                : merge_app_params(*current, *cmd);
  Status saved = merged ? save_app_params(store, *merged, now_ms()) : Status(fail(merged.error()));
  if (!saved) {
    spdlog::warn("0x8501 refused: {}", saved.error().message);
    reply(uplink::SetAppParamsReply{.result = 2});
    return;
  }
  (void)store.log_event("platform.params", app_params_json(*merged).dump(), now_ms());
  auto t = live.training;
  apply_app_params(t, *merged);
  engine.set_training(t);  // intervals and caps apply from the next check
  spdlog::info("application parameters set by the platform: {}", app_params_json(*merged).dump());
  reply(uplink::SetAppParamsReply{.result = 1});
}

void Daemon::Impl::on_query_params() {
  auto p = current_app_params(store, cfg.training);
  if (!p) {
    spdlog::error("0x8503: {}", p.error().message);
    reply(uplink::QueryAppParamsReply{.result = 1, .params = default_app_params(cfg.training)});
    return;
  }
  reply(uplink::QueryAppParamsReply{.result = 0, .params = *p});
}

void Daemon::Impl::on_take_photo(const uplink::ExtendedMessage& m) {
  auto req = uplink::TakePhoto::decode(m.data);
  if (!req) {
    spdlog::warn("0x8301: {}", req.error().message);
    reply(uplink::TakePhotoReply{.result = 2});
    return;
  }
  const std::uint8_t size = face::photo_size(req->size_code) ? req->size_code : 1;
  if (photo_busy) {
    reply(uplink::TakePhotoReply{.result = 4, .upload_mode = req->upload_mode,
                                 .channel = req->channel, .size_code = size});
    return;
  }
  photo_busy = true;
  const auto st = engine.status();
  // Of whoever is training (the student, else the coach), with a face check for the
  // confidence; nobody logged in: a plain picture.
  const bool student = !st.student_no.empty();
  const std::string person = student ? st.student_no : st.coach_no;
  const std::uint32_t class_id = student ? st.class_id : 0;
  auto done = [this, req = *req, size, person, class_id](FaceEvidence ev) {
    photo_busy = false;
    uplink::TakePhotoReply r{.result = 1, .upload_mode = req.upload_mode,
                             .channel = req.channel, .size_code = size};
    if (ev.jpeg.empty()) {
      spdlog::warn("0x8301: no photo: {}", ev.outcome);
      r.result = 2;
    } else if (auto stored = photos.add_photo(person, class_id, 0, ev, now(),
                                              engine.position_block(now()), req.upload_mode);
               !stored) {
      spdlog::error("0x8301: photo not stored: {}", stored.error().message);
      r.result = 3;
    }
    reply(r);
  };
  if (!person.empty()) {
    face_check(person, 0, size, std::move(done));
  } else {
    grab_photo(size, std::move(done));
  }
}

void Daemon::Impl::on_record_request(const uplink::ExtendedMessage& m) {
  auto req = uplink::RecordRequest::decode(m.data);
  if (!req) {
    spdlog::warn("0x8205: {}", req.error().message);
    reply(uplink::RecordRequestReply{.result = 9});
    return;
  }
  auto minutes = requested_minutes(store, *req);
  if (!minutes) {
    spdlog::warn("0x8205: {}", minutes.error().message);
    reply(uplink::RecordRequestReply{.result = 9});
    return;
  }
  if (minutes->empty()) {
    reply(uplink::RecordRequestReply{.result = 3});
    return;
  }
  reply(uplink::RecordRequestReply{.result = 1});
  auto records = std::make_shared<std::vector<uplink::TrainingRecord>>();
  std::map<std::int64_t, store::TrainingSession> sessions;
  for (const auto& mr : *minutes) {
    auto it = sessions.find(mr.session_id);
    if (it == sessions.end()) {
      auto s = store.find_session(mr.session_id);
      if (!s || !*s) continue;
      it = sessions.emplace(mr.session_id, **s).first;
    }
    records->push_back(record_on_request(mr, it->second));
  }
  spdlog::info("0x8205: sending {} records on request", records->size());
  send_in_turn(records, 0, "0x8205");
}

template <typename Msg>
void Daemon::Impl::send_in_turn(std::shared_ptr<std::vector<Msg>> msgs, std::size_t i, const char* what) {
  for (; i < msgs->size(); ++i) {
    auto data = (*msgs)[i].encode();
    if (!data) {
      spdlog::error("{}: answer {} of {}: {}", what, i + 1, msgs->size(), data.error().message);
      continue;
    }
    uplink::ExtendedMessage m;
    m.ext_id = Msg::kExtId;
    m.data = std::move(*data);
    session.send_extended(std::move(m), [this, msgs, i, what](Result<uplink::Reply> r) {
      if (!r) {
        spdlog::warn("{}: stopped after {} of {} answers: {}", what, i, msgs->size(),
                     r.error().message);
        return;
      }
      send_in_turn(msgs, i + 1, what);
    });
    return;
  }
}

void Daemon::Impl::on_photo_query(const uplink::ExtendedMessage& m) {
  auto query = uplink::PhotoQuery::decode(m.data);
  auto nos = query ? queried_photos(store, *query)
                   : Result<std::vector<std::string>>(fail(query.error()));
  if (!nos) {
    spdlog::warn("0x8302: {}", nos.error().message);
    reply(uplink::PhotoQueryReply{.result = 2});
    return;
  }
  reply(uplink::PhotoQueryReply{.result = 1});
  spdlog::info("0x8302: {} photos found", nos->size());
  send_in_turn(std::make_shared<std::vector<uplink::PhotoQueryResult>>(photo_query_results(*nos)),
               0, "0x8302");
}

void Daemon::Impl::on_upload_photo(const uplink::ExtendedMessage& m) {
  auto req = uplink::UploadPhoto::decode(m.data);
  if (!req) {
    spdlog::warn("0x8304: {}", req.error().message);
    reply(uplink::UploadPhotoReply{.result = 9});
    return;
  }
  auto entry = photo_upload_on_request(store, req->photo_no, now_ms());
  Result<std::int64_t> queued =
      entry ? store.outbox().enqueue(*entry, now_ms()) : Result<std::int64_t>(fail(entry.error()));
  if (!queued) {
    spdlog::warn("0x8304: {}", queued.error().message);
    reply(uplink::UploadPhotoReply{
        .result = static_cast<std::uint8_t>(queued.error().code == Errc::not_found ? 1 : 9)});
    return;
  }
  reply(uplink::UploadPhotoReply{.result = 0});
  forwarder.poke();
}

void Daemon::Impl::on_platform_reply(const uplink::ExtendedMessage& m) {
  if (m.ext_id == uplink::extid::kCoachLoginReply) {
    if (auto r = uplink::CoachLoginReply::decode(m.data)) {
      if (r->result != 1) {
        message("0x8101 coach login reply", "the platform refused coach " + r->coach_no +
                                                " (result " + std::to_string(r->result) + ")", 0);
      }
      message("0x8101 coach login reply", r->extra, r->read_aloud);
    }
  } else if (m.ext_id == uplink::extid::kStudentLoginReply) {
    if (auto r = uplink::StudentLoginReply::decode(m.data)) {
      if (r->result != 1) {
        message("0x8201 student login reply", "the platform answered student " + r->student_no +
                                                  " with result " + std::to_string(r->result), 0);
      }
      message("0x8201 student login reply", r->extra, r->read_aloud);
    }
  }
}

}  // namespace tta::agent
