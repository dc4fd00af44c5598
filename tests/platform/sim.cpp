#include "sim.hpp"

#include <charconv>
#include <deque>
#include <iostream>
#include <set>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "sim_db.hpp"
#include "sim_https.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/hex.hpp"
#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/messages.hpp"
#include "tta/uplink/signing.hpp"
#include "tta/uplink/subpacket.hpp"

namespace tta::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace tta::uplink;

namespace {

constexpr std::size_t kReplyChunkBytes = 1000;
const std::string kPlatformPhone = "0";

/// Phone numbers arrive left-padded with zeros (BCD[8]); keys drop the padding.
std::string phone_key(const std::string& phone) {
  const auto first = phone.find_first_not_of('0');
  return first == std::string::npos ? "0" : phone.substr(first);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Counters {
  std::int64_t connections = 0;
  std::int64_t registrations = 0;
  std::int64_t authentications = 0;
  std::int64_t auth_failures = 0;
  std::int64_t heartbeats = 0;
  std::int64_t positions = 0;
  std::int64_t coach_logins = 0;
  std::int64_t coach_logouts = 0;
  std::int64_t student_logins = 0;
  std::int64_t student_logouts = 0;
  std::int64_t minutes_received = 0;
  std::int64_t minutes_unique = 0;
  std::int64_t duplicates = 0;
  std::int64_t resent_minutes = 0;
  std::int64_t minutes_refused = 0;
  std::int64_t signature_failures = 0;
  std::int64_t bad_frames = 0;
  std::int64_t photos_received = 0;
  std::int64_t photo_duplicates = 0;
  std::int64_t photos_on_request = 0;  ///< stored photos sent again after a 0x8304
  std::int64_t resend_requests = 0;
  std::int64_t commands_sent = 0;
  std::int64_t dropped_by_fault = 0;
  std::int64_t corrupted_by_fault = 0;
};

}  // namespace

class Connection;

struct PlatformSim::Impl {
  asio::io_context& io;
  SimOptions options;
  std::unique_ptr<asio::ssl::context> tls;  // set when the terminal port speaks TLS
  tcp::acceptor acceptor;
  tcp::acceptor admin;
  SimDb db;
  Counters counts;
  std::uint32_t minute_frames = 0;  // for refuse_every, across connections
  std::uint32_t frames_sent = 0;    // for corrupt_every
  std::uint32_t split_messages = 0;  // for lose_subpacket_every
  std::map<std::string, std::weak_ptr<Connection>> by_phone;
  std::set<std::shared_ptr<Connection>> live;
  nlohmann::json responses = nlohmann::json::array();
  std::unique_ptr<HttpsServer> https;  // with options.https (sim_https.cpp)
  bool stopped = false;
  bool audit_dirty = true;  // something arrived since the last audit
  // Connections outlive the simulator when the io_context runs on after it is destroyed (a
  // test taking the platform away); their handlers check this before touching it.
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  AuditResult audited;

  Impl(asio::io_context& ctx, SimOptions opts, SimDb database)
      : io(ctx), options(std::move(opts)), acceptor(ctx), admin(ctx), db(std::move(database)) {}

  void accept();
  nlohmann::json summary();
  /// Count a refusal by code and keep its message (the last 50) for /sim/summary.
  void note_error(const std::string& code, const std::string& message) {
    error_counts[code] += 1;
    error_log.push_back(message);
    if (error_log.size() > 50) error_log.pop_front();
  }
  std::map<std::string, std::int64_t> error_counts;
  nlohmann::json last_position = nullptr;  ///< the last 0x0200, decoded
  std::deque<std::string> error_log;
  /// Audit everything received when anything arrived since the last time, and store the
  /// verdicts (table `audit`).
  const AuditResult& audit();
  nlohmann::json minutes_json();
  nlohmann::json sessions_json();
};

/// One terminal's TCP connection.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(PlatformSim::Impl& sim, tcp::socket socket)
      : sim_(sim), sim_alive_(sim.alive), socket_(std::move(socket)), delay_timer_(sim.io) {
    if (sim.tls) tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *sim.tls);
  }

  void start() {
    if (!tls_) {
      read();
      return;
    }
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [this, self = shared_from_this()](boost::system::error_code ec) {
                            if (ec) {
                              std::cerr << "sim: TLS handshake failed: " << ec.message() << '\n';
                              finish();
                              return;
                            }
                            read();
                          });
  }

  void close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    // Delayed replies hold a reference to this connection: drop them, or it never goes away.
    delayed_.clear();
    delay_timer_.cancel();
  }

  /// Send an extended message down (0x8900) to this terminal.
  void send_extended(std::uint16_t ext_id, std::uint16_t packet_no, const Bytes& data) {
    ExtendedMessage m;
    m.ext_id = ext_id;
    m.packet_no = packet_no;
    m.terminal_no = terminal_no_;
    m.data = data;
    auto body = m.encode();  // 0x13 + envelope + data: the whole 0x8900 body (§2.1)
    if (body) send(msgid::kDownlinkPassThrough, *body);
  }

  /// Send a core message (a JT/T 808 command) to this terminal.
  void send_core(std::uint16_t msg_id, const Bytes& body) { send(msg_id, body); }

  std::uint16_t next_packet_no() { return ++packet_no_ == 0 ? ++packet_no_ : packet_no_; }

 private:
  void read() {
    auto self = shared_from_this();
    auto on_read = [this, self](boost::system::error_code ec, std::size_t n) {
      if (ec || sim_alive_.expired()) {
        finish();
        return;
      }
      for (auto& r : splitter_.feed(std::span(buf_.data(), n))) {
        if (!r.frame) {
          ++sim_.counts.bad_frames;
          std::cerr << "sim: bad frame: " << r.frame.error().message << '\n';
          continue;
        }
        if (!on_frame(*r.frame)) {
          finish();
          return;
        }
      }
      read();
    };
    if (tls_) {
      tls_->async_read_some(asio::buffer(buf_), on_read);
    } else {
      socket_.async_read_some(asio::buffer(buf_), on_read);
    }
  }

  void finish() {
    close();
    if (sim_alive_.expired()) return;
    if (!phone_.empty()) {
      auto it = sim_.by_phone.find(phone_key(phone_));
      if (it != sim_.by_phone.end() && it->second.lock().get() == this) sim_.by_phone.erase(it);
    }
    sim_.live.erase(shared_from_this());
  }

  /// Returns false to drop the connection.
  bool on_frame(const Frame& frame) {
    ++frames_;
    const auto& f = sim_.options.faults;
    if (f.drop_every != 0 && frames_ % f.drop_every == 0) {
      ++sim_.counts.dropped_by_fault;
      return false;
    }
    if (f.silent_after != 0 && frames_ > f.silent_after) return true;
    if (phone_.empty()) {
      phone_ = frame.header.phone;
      sim_.by_phone[phone_key(phone_)] = weak_from_this();
    }
    if (lose_this_part(frame)) return true;
    const auto now = std::chrono::steady_clock::now();
    auto done = reassembler_.feed(frame, now);
    auto dropped = reassembler_.expire(now);
    for (auto& d : reassembler_.take_evicted()) dropped.push_back(std::move(d));
    for (const auto& d : dropped) {
      sim_.note_error("incomplete_subpackets",
                      "message " + to_hex(Bytes{static_cast<std::uint8_t>(d.msg_id >> 8),
                                                static_cast<std::uint8_t>(d.msg_id)}) +
                          " from serial " + std::to_string(d.first_serial) + ": " +
                          std::to_string(d.missing.size()) + " of " + std::to_string(d.total) +
                          " parts never came; dropped");
    }
    if (!done) {
      ++sim_.counts.bad_frames;
      return true;
    }
    if (!*done) return true;
    parts_ = (*done)->parts;
    handle((*done)->frame, f.ack_last_serial ? (*done)->last_serial : (*done)->first_serial);
    return true;
  }

  /// Fault plan: pretend part 2 of every Nth split message was lost, and ask for it again
  /// (0x8003) — the terminal must still hold it.
  bool lose_this_part(const Frame& frame) {
    const auto n = sim_.options.faults.lose_subpacket_every;
    if (n == 0 || !frame.header.subpacket || frame.header.subpacket->index != 2) return false;
    if (lost_once_.contains(frame.header.serial)) return false;  // the re-sent copy
    if (++sim_.split_messages % n != 0) return false;
    lost_once_.insert(frame.header.serial);
    ResendRequest req;
    req.first_serial = static_cast<std::uint16_t>(frame.header.serial - 1);
    req.serials = {sim_.options.faults.resend_by_index ? frame.header.subpacket->index
                                                       : frame.header.serial};
    if (auto body = req.encode()) send(msgid::kResendRequest, *body);
    ++sim_.counts.resend_requests;
    return true;
  }

  void handle(const Frame& frame, std::uint16_t serial) {
    const std::uint16_t id = frame.header.msg_id;
    switch (id) {
      case msgid::kRegister: on_register(frame, serial); break;
      case msgid::kAuthenticate: on_authenticate(frame, serial); break;
      case msgid::kHeartbeat:
        ++sim_.counts.heartbeats;
        ack(serial, id, 0);
        break;
      case msgid::kPosition: {
        ++sim_.counts.positions;
        auto pos = PositionReport::decode(frame.body);
        if (pos) {
          const auto& b = pos->basic;
          sim_.last_position = {{"phone", phone_},
                                {"alarm", b.alarm_flags},
                                {"status", b.status_flags},
                                {"latitude_deg", b.latitude_deg() ? nlohmann::json(*b.latitude_deg())
                                                                  : nlohmann::json(nullptr)},
                                {"longitude_deg", b.longitude_deg() ? nlohmann::json(*b.longitude_deg())
                                                                    : nlohmann::json(nullptr)},
                                {"at_ms", now_ms()}};
        }
        ack(serial, id, pos ? 0 : 2);
        break;
      }
      case msgid::kQueryParamsReply:
        record_response("query_params_reply", frame.body, id);
        ack(serial, id, 0);
        break;
      case msgid::kDeregister: ack(serial, id, 0); break;
      case msgid::kTerminalAck: record_response("general_ack", frame.body); break;
      case msgid::kUplinkPassThrough: on_pass_through(frame, serial); break;
      default: ack(serial, id, 3); break;
    }
  }

  void on_register(const Frame& frame, std::uint16_t serial) {
    auto reg = Register::decode(frame.body);
    RegisterReply reply;
    reply.reply_serial = serial;
    if (!reg) {
      ack(serial, msgid::kRegister, 2);
      return;
    }
    // A 16-digit terminal number derived from the phone, stable across re-registration.
    std::string digits = frame.header.phone;
    while (digits.size() < 12) digits.insert(digits.begin(), '0');
    terminal_no_ = "3201" + digits.substr(digits.size() - 12);
    auto bundle = make_self_signed_pkcs12("tta-sim terminal " + terminal_no_,
                                          sim_.options.certificate_password);
    if (!bundle) {
      reply.result = 4;
    } else {
      reply.result = 0;
      reply.platform_no = "SIM01";
      reply.institution_no = "3201000000000001";
      reply.terminal_no = terminal_no_;
      reply.certificate_password = sim_.options.certificate_password;
      reply.certificate_base64 = bundle->pkcs12_base64;
      (void)sim_.db.save_terminal({frame.header.phone, terminal_no_, bundle->certificate_der});
      ++sim_.counts.registrations;
    }
    auto body = reply.encode();
    if (body) send(msgid::kRegisterReply, *body);
  }

  bool load_terminal() {
    if (cert_) return true;
    auto row = sim_.db.terminal_by_phone(phone_);
    if (!row || !*row) return false;
    auto cert = Certificate::from_der((*row)->certificate_der);
    if (!cert) return false;
    terminal_no_ = (*row)->terminal_no;
    cert_ = std::make_unique<Certificate>(std::move(*cert));
    return true;
  }

  void on_authenticate(const Frame& frame, std::uint16_t serial) {
    auto auth = Authenticate::decode(frame.body);
    bool good = auth && load_terminal() && verify_authenticate(*cert_, terminal_no_, *auth);
    if (good) {
      ++sim_.counts.authentications;
      authenticated_ = true;
    } else {
      ++sim_.counts.auth_failures;
      ++sim_.counts.signature_failures;
    }
    ack(serial, msgid::kAuthenticate, good ? 0 : 1);
  }

  /// As strict as a real platform (terminal-protocol.md §1.2, §2.1, §2.2): one type byte
  /// 0x13, a data length that covers exactly the data (and the signature), every uplink
  /// extended message signed, known extended IDs only. Each refusal is acked with the §1.2
  /// result and counted under `errors` in /sim/summary with the reason.
  void on_pass_through(const Frame& frame, std::uint16_t serial) {
    const auto& body = frame.body;
    if (body.empty() || body[0] != kPassThroughTraining) {
      reject(serial, 3, "pass_through_type",
             body.empty() ? "empty 0x0900 body"
                          : "0x0900 pass-through type " + to_hex(Bytes{body[0]}) +
                                " is not the driving-training extension 0x13");
      return;
    }
    if (body.size() >= 2 && body[1] == kPassThroughTraining) {
      reject(serial, 2, "doubled_type_byte",
             "0x0900 body starts 13 13: the pass-through type byte is doubled (§2.1 has one "
             "0x13, then the extended message ID)");
      return;
    }
    auto m = ExtendedMessage::decode(body);
    if (!m) {
      reject(serial, 2, "bad_envelope", "0x0900: " + m.error().message);
      return;
    }
    if (!authenticated_) {
      reject(serial, 1, "not_authenticated", "0x0900 before a valid 0x0102 authentication");
      return;
    }
    if (!is_uplink_ext_id(m->ext_id)) {
      reject(serial, 3, "unknown_ext_id",
             "extended message ID " + to_hex(Bytes{static_cast<std::uint8_t>(m->ext_id >> 8),
                                                   static_cast<std::uint8_t>(m->ext_id)}) +
                 " is not a terminal-to-platform message of §2.4");
      return;
    }
    if (m->signature_algorithm == 0) {
      ++sim_.counts.signature_failures;
      reject(serial, 1, "unsigned",
             std::string("unsigned ") + std::string(extended_message_name(m->ext_id)) +
                 ": terminals sign every uplink extended message (§2.2)");
      return;
    }
    if (!verify_extended(*m, *cert_)) {
      ++sim_.counts.signature_failures;
      reject(serial, 1, "bad_signature",
             std::string(extended_message_name(m->ext_id)) +
                 ": the signature does not verify with the terminal's certificate");
      return;
    }
    on_extended(*m, serial);
  }

  static bool is_uplink_ext_id(std::uint16_t id) {
    return id < 0x8000 && !extended_message_name(id).empty();
  }

  /// Refuse a 0x0900 with general-ack `result`, and say why in the log and the summary.
  void reject(std::uint16_t serial, std::uint8_t result, const std::string& code,
              const std::string& why) {
    std::cerr << "sim: refused 0x0900 serial " << serial << " (result " << int(result)
              << ", " << code << "): " << why << '\n';
    sim_.note_error(code, why);
    ack(serial, msgid::kUplinkPassThrough, result);
  }

  void on_extended(const ExtendedMessage& m, std::uint16_t serial) {
    switch (m.ext_id) {
      case extid::kCoachLogin: {
        auto in = CoachLogin::decode(m.data);
        if (!in) break;
        ++sim_.counts.coach_logins;
        reply_ext(m, CoachLoginReply{.result = 1, .coach_no = in->coach_no});
        return;
      }
      case extid::kCoachLogout: {
        auto in = CoachLogout::decode(m.data);
        if (!in) break;
        ++sim_.counts.coach_logouts;
        reply_ext(m, CoachLogoutReply{.result = 1, .coach_no = in->coach_no});
        return;
      }
      case extid::kStudentLogin: {
        auto in = StudentLogin::decode(m.data);
        if (!in) break;
        ++sim_.counts.student_logins;
        SessionRow row{.terminal_no = m.terminal_no, .class_id = in->class_id,
                       .student_no = in->student_no, .coach_no = in->coach_no,
                       .course_code = in->course_code};
        if (in->gnss.time) row.login_ms = unix_millis(*in->gnss.time);
        if (auto st = sim_.db.add_login(row); !st) std::cerr << "sim: " << st.error().message << '\n';
        sim_.audit_dirty = true;
        StudentLoginReply r;
        r.result = 1;
        r.student_no = in->student_no;
        reply_ext(m, r);
        return;
      }
      case extid::kStudentLogout: {
        auto in = StudentLogout::decode(m.data);
        if (!in) break;
        ++sim_.counts.student_logouts;
        SessionRow row{.terminal_no = m.terminal_no, .class_id = in->class_id,
                       .student_no = in->student_no, .logged_out = true,
                       .logout_ms = unix_millis(in->logout_time),
                       .logout_minutes = in->minutes,
                       .logout_mileage_hm = in->mileage_hm};
        if (auto st = sim_.db.add_logout(row); !st) std::cerr << "sim: " << st.error().message << '\n';
        sim_.audit_dirty = true;
        reply_ext(m, StudentLogoutReply{.result = 1, .student_no = in->student_no});
        return;
      }
      case extid::kTrainingRecord: on_minute(m, serial); return;
      case extid::kPhotoUploadInit: {
        auto in = PhotoUploadInit::decode(m.data);
        if (!in) break;
        photo_inits_[in->photo_no] = *in;
        reply_ext(m, PhotoUploadInitReply{.reply = 0});
        return;
      }
      case extid::kPhotoData: on_photo(m, serial); return;
      default:
        // Replies to platform commands (0x0501, 0x0502, 0x0503, 0x0205, 0x0301 …).
        record_response(std::string(extended_message_name(m.ext_id)), m.data, m.ext_id);
        ack(serial, msgid::kUplinkPassThrough, 0);
        return;
    }
    reject(serial, 2, "bad_data",
           std::string(extended_message_name(m.ext_id)) + ": the data does not decode");
  }

  void on_minute(const ExtendedMessage& m, std::uint16_t serial) {
    auto rec = TrainingRecord::decode(m.data);
    if (!rec) {
      ack(serial, msgid::kUplinkPassThrough, 2);
      return;
    }
    ++sim_.counts.minutes_received;
    if (m.resent) ++sim_.counts.resent_minutes;
    const auto& f = sim_.options.faults;
    if (f.refuse_every != 0 && ++sim_.minute_frames % f.refuse_every == 0) {
      ++sim_.counts.minutes_refused;
      ack(serial, msgid::kUplinkPassThrough, 1);
      return;
    }
    MinuteRow row;
    row.record_no = rec->record_no;
    row.terminal_no = m.terminal_no;
    row.student_no = rec->student_no;
    row.coach_no = rec->coach_no;
    row.class_id = rec->class_id;
    row.time_of_day_s = rec->time_of_day_s;
    row.course_code = rec->course_code;
    row.status = rec->status;
    row.max_speed_dkmh = rec->max_speed_dkmh;
    row.mileage_hm = rec->mileage_hm;
    row.resent = m.resent;
    row.received_ms = now_ms();
    row.gnss = encode_attached_gnss(rec->gnss);
    auto fresh = sim_.db.add_minute(row);
    if (!fresh) {
      ack(serial, msgid::kUplinkPassThrough, 1);
      return;
    }
    if (*fresh) {
      ++sim_.counts.minutes_unique;
      sim_.audit_dirty = true;
    } else {
      ++sim_.counts.duplicates;
    }
    // A duplicate is acknowledged too: the terminal must stop sending it.
    ack(serial, msgid::kUplinkPassThrough, 0);
  }

  void on_photo(const ExtendedMessage& m, std::uint16_t serial) {
    auto data = PhotoData::decode(m.data);
    if (!data) {
      ack(serial, msgid::kUplinkPassThrough, 2);
      return;
    }
    PhotoRow row;
    row.photo_no = data->photo_no;
    row.terminal_no = m.terminal_no;
    row.jpeg = data->jpeg;
    bool on_request = false;
    if (auto it = photo_inits_.find(data->photo_no); it != photo_inits_.end()) {
      // "total packets" in 0x0305 counts the sub-packets of the 0x0900 that carries 0x0306.
      if (it->second.total_packets != parts_) {
        reject(serial, 2, "photo_total_packets",
               "photo " + data->photo_no + ": 0x0305 announced " +
                   std::to_string(it->second.total_packets) + " packets, the 0x0306 came in " +
                   std::to_string(parts_));
        return;
      }
      on_request = it->second.upload_mode == 1;
      row.person_no = it->second.person_no;
      row.class_id = it->second.class_id;
      row.event = it->second.event;
      row.confidence = it->second.face_confidence;
      if (it->second.gnss.basic.time) row.taken_ms = unix_millis(*it->second.gnss.basic.time);
      photo_inits_.erase(it);
    }
    auto fresh = sim_.db.add_photo(row);
    if (fresh && *fresh) {
      ++sim_.counts.photos_received;
      sim_.audit_dirty = true;
    } else if (fresh && on_request) {
      ++sim_.counts.photos_on_request;  // asked for again: not a duplicate
    } else {
      ++sim_.counts.photo_duplicates;
    }
    ack(serial, msgid::kUplinkPassThrough, fresh ? 0 : 1);
  }

  template <typename Reply>
  void reply_ext(const ExtendedMessage& request, const Reply& reply) {
    auto data = reply.encode();
    if (!data) return;
    // Replies echo the request's number (§2.1 [one]), unless the fault plan says otherwise.
    const std::uint16_t packet_no =
        sim_.options.faults.reply_without_echo ? std::uint16_t{0} : request.packet_no;
    later([this, self = shared_from_this(), packet_no, data = std::move(*data)] {
      send_extended(Reply::kExtId, packet_no, data);
    });
  }

  void ack(std::uint16_t serial, std::uint16_t msg_id, std::uint8_t result) {
    GeneralAck a{serial, msg_id, result};
    auto body = a.encode();
    if (!body) return;
    later([this, self = shared_from_this(), body = std::move(*body)] {
      send(msgid::kPlatformAck, body);
    });
  }

  void record_response(const std::string& what, const Bytes& data, std::uint16_t ext_id = 0) {
    sim_.responses.push_back({{"phone", phone_},
                              {"what", what},
                              {"ext_id", ext_id},
                              {"data_hex", to_hex(data)},
                              {"at_ms", now_ms()}});
  }

  /// Run `fn` now, or after the fault plan's ack delay (replies keep their order).
  void later(std::function<void()> fn) {
    const auto delay = sim_.options.faults.ack_delay;
    if (delay.count() == 0) {
      fn();
      return;
    }
    delayed_.push_back({std::chrono::steady_clock::now() + delay, std::move(fn)});
    if (delayed_.size() == 1) arm_delay();
  }

  void arm_delay() {
    delay_timer_.expires_at(delayed_.front().first);
    delay_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      while (!delayed_.empty() && delayed_.front().first <= std::chrono::steady_clock::now()) {
        auto fn = std::move(delayed_.front().second);
        delayed_.pop_front();
        fn();
      }
      if (!delayed_.empty()) arm_delay();
    });
  }

  void send(std::uint16_t msg_id, const Bytes& body) {
    FrameHeader h;
    h.msg_id = msg_id;
    h.phone = phone_.empty() ? kPlatformPhone : phone_;
    auto frames = split_message(h, body, kReplyChunkBytes, serial_);
    if (!frames) return;
    serial_ = static_cast<std::uint16_t>(serial_ + frames->size());
    for (const auto& f : *frames) {
      auto wire = encode_frame(f);
      if (!wire) continue;
      const auto& faults = sim_.options.faults;
      if (faults.corrupt_every != 0 && ++sim_.frames_sent % faults.corrupt_every == 0) {
        ++sim_.counts.corrupted_by_fault;
        (*wire)[wire->size() - 2] ^= 0x01;  // flips the checksum (or its escape)
        if ((*wire)[wire->size() - 2] == 0x7E) (*wire)[wire->size() - 2] = 0x00;
      }
      out_.push_back(std::move(*wire));
    }
    if (!writing_) write();
  }

  void write() {
    if (out_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto on_written = [this, self = shared_from_this()](boost::system::error_code ec,
                                                       std::size_t) {
      if (ec) {
        out_.clear();
        writing_ = false;
        return;
      }
      out_.pop_front();
      write();
    };
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(out_.front()), on_written);
    } else {
      asio::async_write(socket_, asio::buffer(out_.front()), on_written);
    }
  }

  PlatformSim::Impl& sim_;
  std::weak_ptr<int> sim_alive_;
  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  asio::steady_timer delay_timer_;
  std::array<std::uint8_t, 8192> buf_{};
  FrameSplitter splitter_;
  Reassembler reassembler_;
  std::deque<Bytes> out_;
  bool writing_ = false;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> delayed_;
  std::string phone_;
  std::string terminal_no_;
  std::unique_ptr<Certificate> cert_;
  bool authenticated_ = false;
  std::uint32_t frames_ = 0;
  std::uint16_t serial_ = 0;
  std::uint16_t packet_no_ = 0;
  std::map<std::string, PhotoUploadInit> photo_inits_;
  std::set<std::uint16_t> lost_once_;
  std::uint16_t parts_ = 1;  // sub-packets of the message being handled
};

void PlatformSim::Impl::accept() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec || stopped) return;
    ++counts.connections;
    socket.set_option(tcp::no_delay(true));
    auto c = std::make_shared<Connection>(*this, std::move(socket));
    live.insert(c);
    c->start();
    accept();
  });
}

const AuditResult& PlatformSim::Impl::audit() {
  if (!audit_dirty) return audited;
  auto minutes = db.minutes();
  auto photos = db.photos_without_jpeg();
  auto sessions = db.sessions();
  if (!minutes || !photos || !sessions) {
    std::cerr << "sim: cannot read what was received for the audit\n";
    return audited;
  }
  // Received first wins a duplicate.
  std::stable_sort(minutes->begin(), minutes->end(),
                   [](const MinuteRow& a, const MinuteRow& b) { return a.received_ms < b.received_ms; });
  audited = tta::sim::audit(*minutes, *photos, *sessions, options.audit);
  std::vector<AuditRow> rows;
  for (const auto& v : audited.minutes) {
    std::string reasons;
    for (const auto& r : v.reasons) reasons += (reasons.empty() ? "" : ",") + r;
    rows.push_back({v.record_no, v.valid(), reasons});
  }
  if (auto st = db.save_audit(rows); !st) std::cerr << "sim: " << st.error().message << '\n';
  audit_dirty = false;
  return audited;
}

nlohmann::json PlatformSim::Impl::minutes_json() {
  const AuditResult& a = audit();
  std::map<std::string, const MinuteVerdict*> verdicts;
  for (const auto& v : a.minutes) verdicts[v.record_no] = &v;
  nlohmann::json list = nlohmann::json::array();
  auto rows = db.minutes();
  if (!rows) return list;
  for (const auto& m : *rows) {
    const auto start = minute_start_ms(m);
    nlohmann::json j{{"record_no", m.record_no},
                     {"student_no", m.student_no},
                     {"coach_no", m.coach_no},
                     {"class_id", m.class_id},
                     {"minute_start", start ? nlohmann::json(iso8601_utc(WallTime{std::chrono::milliseconds{*start}}))
                                            : nlohmann::json(nullptr)},
                     {"status", m.status},
                     {"max_speed_kmh", m.max_speed_dkmh / 10.0},
                     {"mileage_km", m.mileage_hm / 10.0},
                     {"resent", m.resent}};
    const auto it = verdicts.find(m.record_no);
    const bool valid = it != verdicts.end() && it->second->valid();
    j["audit_valid"] = valid;
    j["audit_reasons"] = it != verdicts.end() ? it->second->reasons : std::vector<std::string>{};
    list.push_back(std::move(j));
  }
  return list;
}

nlohmann::json PlatformSim::Impl::sessions_json() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : audit().sessions) {
    list.push_back({{"terminal_no", s.terminal_no},
                    {"class_id", s.class_id},
                    {"student_no", s.student_no},
                    {"closed", s.closed},
                    {"minutes", s.minutes},
                    {"minutes_valid", s.minutes_valid},
                    {"mileage_km", static_cast<double>(s.mileage_hm) / 10.0},
                    {"logout_minutes", s.logout_minutes},
                    {"photos", s.photos},
                    {"audit_valid", s.valid()},
                    {"audit_reasons", s.reasons}});
  }
  return list;
}

nlohmann::json PlatformSim::Impl::summary() {
  const AuditResult& a = audit();
  std::int64_t minutes_valid = 0;
  std::int64_t sessions_valid = 0;
  nlohmann::json minutes_void = nlohmann::json::object();
  nlohmann::json sessions_void = nlohmann::json::object();
  for (const auto& v : a.minutes) {
    minutes_valid += v.valid() ? 1 : 0;
    for (const auto& r : v.reasons) minutes_void[r] = minutes_void.value(r, 0) + 1;
  }
  for (const auto& v : a.sessions) {
    sessions_valid += v.valid() ? 1 : 0;
    for (const auto& r : v.reasons) sessions_void[r] = sessions_void.value(r, 0) + 1;
  }
  nlohmann::json photos = nlohmann::json::object();
  if (auto by_event = db.photos_by_event()) {
    for (const auto& [event, n] : *by_event) photos[std::to_string(event)] = n;
  }
  const Counters& c = counts;
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [code, n] : error_counts) errors[code] = n;
  return {{"errors", errors},
          {"last_position", last_position},
          {"error_messages", error_log},
          {"connections", c.connections},
          {"registrations", c.registrations},
          {"authentications", c.authentications},
          {"auth_failures", c.auth_failures},
          {"heartbeats", c.heartbeats},
          {"positions", c.positions},
          {"logins", c.coach_logins + c.student_logins},
          {"logouts", c.coach_logouts + c.student_logouts},
          {"coach_logins", c.coach_logins},
          {"coach_logouts", c.coach_logouts},
          {"student_logins", c.student_logins},
          {"student_logouts", c.student_logouts},
          {"minutes_received", c.minutes_received},
          {"minutes_unique", c.minutes_unique},
          {"duplicates", c.duplicates},
          {"resent_minutes", c.resent_minutes},
          {"minutes_refused", c.minutes_refused},
          {"minutes_valid", minutes_valid},
          {"minutes_void", minutes_void},
          {"sessions", static_cast<std::int64_t>(a.sessions.size())},
          {"sessions_valid", sessions_valid},
          {"sessions_void", sessions_void},
          {"audit_fences", options.audit.fences.size()},
          {"signature_failures", c.signature_failures},
          {"bad_frames", c.bad_frames},
          {"photos_received", c.photos_received},
          {"photo_duplicates", c.photo_duplicates},
          {"photos_on_request", c.photos_on_request},
          {"photos_by_event", photos},
          {"commands_sent", c.commands_sent},
          {"resend_requests", c.resend_requests},
          {"dropped_by_fault", c.dropped_by_fault},
          {"corrupted_by_fault", c.corrupted_by_fault}};
}

// ---- admin HTTP ---------------------------------------------------------------------------

namespace {

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(PlatformSim& sim, tcp::socket s) : sim_(sim), stream_(std::move(s)) {}
  void start() {
    http::async_read(stream_, buf_, req_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  /// POST /sim/command: {"phone", "ext_id", "data_hex"} sends a command in 0x8900 (0x8501,
  /// 0x8502 …); {"phone", "msg_id", "body_hex"} a core one (0x8103-0x8106). Ids are numbers or
  /// "0x…" strings. A malformed request is a 400, never an exception.
  nlohmann::json command(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    const bool core = j.is_object() && j.contains("msg_id");
    auto text_of = [&](const char* key) -> std::optional<std::string> {
      if (!j.is_object()) return std::nullopt;
      const auto it = j.find(key);
      if (it == j.end()) return std::string();
      return it->is_string() ? std::optional(it->get<std::string>()) : std::nullopt;
    };
    std::optional<std::uint16_t> id;
    if (j.is_object()) {
      const auto it = j.find(core ? "msg_id" : "ext_id");
      if (it != j.end() && it->is_number_unsigned() && it->get<std::uint64_t>() <= 0xFFFF) {
        id = it->get<std::uint16_t>();
      } else if (it != j.end() && it->is_string()) {
        const std::string v = it->get<std::string>();
        unsigned n = 0;
        const bool hex = v.starts_with("0x") || v.starts_with("0X");
        const char* first = v.data() + (hex ? 2 : 0);
        const auto [end, ec] = std::from_chars(first, v.data() + v.size(), n, hex ? 16 : 10);
        if (ec == std::errc{} && end == v.data() + v.size() && n <= 0xFFFF) {
          id = static_cast<std::uint16_t>(n);
        }
      }
    }
    const auto phone = text_of("phone");
    const auto hex = text_of(core ? "body_hex" : "data_hex");
    if (!id || !phone || phone->empty() || !hex) {
      res_.result(http::status::bad_request);
      return {{"error", "expected {\"phone\", \"ext_id\", \"data_hex\"} or "
                        "{\"phone\", \"msg_id\", \"body_hex\"}"}};
    }
    auto data = from_hex(*hex);
    Status st = !data  ? Status(fail(data.error()))
                : core ? sim_.send_core_command(*phone, *id, *data)
                       : sim_.send_command(*phone, *id, *data);
    if (!st) {
      res_.result(st.error().code == Errc::not_found ? http::status::not_found
                                                     : http::status::bad_request);
      return {{"error", st.error().message}};
    }
    return {{"sent", true}};
  }

  void respond() {
    res_.version(req_.version());
    res_.keep_alive(false);
    res_.set(http::field::content_type, "application/json");
    const std::string target(req_.target());
    nlohmann::json body;
    if (req_.method() == http::verb::get && target == "/sim/summary") {
      body = sim_.summary();
    } else if (req_.method() == http::verb::get && target == "/sim/http") {
      body = sim_.http_uploads();
    } else if (req_.method() == http::verb::get && target == "/sim/minutes") {
      body = sim_.minutes();
    } else if (req_.method() == http::verb::get && target == "/sim/sessions") {
      body = sim_.sessions();
    } else if (req_.method() == http::verb::get && target == "/sim/responses") {
      body = sim_.responses();
    } else if (req_.method() == http::verb::post && target == "/sim/command") {
      body = command(req_.body());
    } else {
      res_.result(http::status::not_found);
      body = {{"error", "unknown endpoint; try GET /sim/summary"}};
    }
    if (res_.result_int() == 0) res_.result(http::status::ok);
    res_.body() = body.dump() + "\n";
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  PlatformSim& sim_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

// ---- PlatformSim --------------------------------------------------------------------------

PlatformSim::PlatformSim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PlatformSim::~PlatformSim() { stop(); }

Result<std::unique_ptr<PlatformSim>> PlatformSim::create(asio::io_context& io,
                                                         SimOptions options) {
  std::error_code fec;
  std::filesystem::create_directories(options.data_dir, fec);
  auto db = SimDb::open(options.data_dir / "platform.db");
  if (!db) return fail(db.error());
  auto impl = std::make_unique<Impl>(io, options, std::move(*db));
  boost::system::error_code ec;
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    impl->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    impl->tls->use_certificate_chain_file(options.tls_cert_file.string(), ec);
    if (!ec) impl->tls->use_private_key_file(options.tls_key_file.string(), asio::ssl::context::pem, ec);
    if (ec) return fail(Errc::invalid_argument, "TLS certificate or key: " + ec.message());
  }
  const auto addr = asio::ip::make_address(options.listen_host, ec);
  if (ec) return fail(Errc::invalid_argument, "bad listen address " + options.listen_host);
  for (auto [acc, port] : {std::pair{&impl->acceptor, options.tcp_port},
                           std::pair{&impl->admin, options.admin_port}}) {
    tcp::endpoint ep(addr, port);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail(Errc::unavailable,
                  "cannot listen on " + options.listen_host + ":" + std::to_string(port) + ": " +
                      ec.message());
    }
  }
  if (options.https) {
    auto https = HttpsServer::create(io, options, impl->db, addr);
    if (!https) return fail(https.error());
    impl->https = std::move(*https);
  }
  auto sim = std::unique_ptr<PlatformSim>(new PlatformSim(std::move(impl)));
  sim->impl_->accept();
  // The admin acceptor needs the public object (send_command), so it is started here.
  struct Admin {
    static void accept(PlatformSim* s) {
      s->impl_->admin.async_accept([s](boost::system::error_code e, tcp::socket sock) {
        if (e || s->impl_->stopped) return;
        std::make_shared<AdminSession>(*s, std::move(sock))->start();
        accept(s);
      });
    }
  };
  Admin::accept(sim.get());
  return sim;
}

std::uint16_t PlatformSim::tcp_port() const { return impl_->acceptor.local_endpoint().port(); }
std::uint16_t PlatformSim::admin_port() const { return impl_->admin.local_endpoint().port(); }
nlohmann::json PlatformSim::minutes() const { return impl_->minutes_json(); }
nlohmann::json PlatformSim::sessions() const { return impl_->sessions_json(); }
nlohmann::json PlatformSim::summary() const {
  auto j = impl_->summary();
  if (impl_->https) j.update(impl_->https->summary());
  return j;
}
std::uint16_t PlatformSim::https_port() const {
  return impl_->https ? impl_->https->port() : std::uint16_t{0};
}
std::filesystem::path PlatformSim::https_ca_file() const {
  return impl_->https ? impl_->https->ca_file() : std::filesystem::path();
}
nlohmann::json PlatformSim::http_uploads() const {
  return impl_->https ? impl_->https->uploads() : nlohmann::json::array();
}
nlohmann::json PlatformSim::responses() const { return impl_->responses; }

Status PlatformSim::send_command(const std::string& phone, std::uint16_t ext_id,
                                 const Bytes& data) {
  auto it = impl_->by_phone.find(phone_key(phone));
  auto conn = it == impl_->by_phone.end() ? nullptr : it->second.lock();
  if (!conn) return fail(Errc::not_found, "terminal " + phone + " is not connected");
  conn->send_extended(ext_id, conn->next_packet_no(), data);
  ++impl_->counts.commands_sent;
  return ok();
}

Status PlatformSim::send_core_command(const std::string& phone, std::uint16_t msg_id,
                                      const Bytes& body) {
  auto it = impl_->by_phone.find(phone_key(phone));
  auto conn = it == impl_->by_phone.end() ? nullptr : it->second.lock();
  if (!conn) return fail(Errc::not_found, "terminal " + phone + " is not connected");
  conn->send_core(msg_id, body);
  ++impl_->counts.commands_sent;
  return ok();
}

void PlatformSim::set_faults(const FaultPlan& faults) { impl_->options.faults = faults; }

void PlatformSim::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->admin.close(ec);
  if (impl_->https) impl_->https->stop();
  for (const auto& c : std::set<std::shared_ptr<Connection>>(impl_->live)) c->close();
}

}  // namespace tta::sim
