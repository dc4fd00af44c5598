#include "tta/uplink/session.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <random>

#include "tta/uplink/signing.hpp"
#include "tta/uplink/subpacket.hpp"

namespace tta::uplink {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using std::chrono::milliseconds;

SessionOptions SessionOptions::from_config(const config::Config& cfg) {
  SessionOptions o;
  const auto& t = cfg.uplink.tcp;
  o.host = t.host;
  o.port = t.port;
  o.tls = t.tls;
  o.ca_file = t.ca_file;
  o.phone = cfg.terminal.phone;
  o.heartbeat = std::chrono::seconds(t.heartbeat_s);
  o.ack_timeout = std::chrono::seconds(t.ack_timeout_s);
  o.reconnect_min = std::chrono::seconds(t.reconnect_min_s);
  o.reconnect_max = std::chrono::seconds(t.reconnect_max_s);
  o.subpacket_bytes = t.subpacket_bytes;
  o.reassembly.timeout = std::chrono::seconds(t.reassembly_timeout_s);
  o.reassembly.resend_after = std::chrono::seconds(t.resend_after_s);
  o.reassembly.max_resend_requests = static_cast<std::uint8_t>(std::min<std::uint32_t>(t.resend_requests, 255));
  o.resend_request_id = static_cast<std::uint16_t>(t.resend_request_id);
  o.registration.province_id = cfg.terminal.province_id;
  o.registration.city_id = cfg.terminal.city_id;
  o.registration.maker_id = cfg.terminal.maker_id;
  o.registration.model = cfg.terminal.model;
  o.registration.terminal_serial = cfg.terminal.serial;
  o.registration.imei = cfg.terminal.imei;
  o.registration.plate_colour = cfg.terminal.plate_colour;
  o.registration.plate = cfg.terminal.plate;
  return o;
}

milliseconds TerminalSession::backoff(std::size_t attempt, milliseconds min, milliseconds max,
                                      double random01) {
  double cap = static_cast<double>(min.count());
  for (std::size_t i = 0; i < attempt && cap < static_cast<double>(max.count()); ++i) cap *= 2;
  cap = std::min(cap, static_cast<double>(max.count()));
  return milliseconds(static_cast<std::int64_t>(cap * std::clamp(random01, 0.0, 0.999999)));
}

namespace {

/// The extension reply that answers a request, or 0 when a general ack does (§2.4).
std::uint16_t reply_id_for(std::uint16_t ext_id) {
  switch (ext_id) {
    case extid::kCoachLogin: return extid::kCoachLoginReply;
    case extid::kCoachLogout: return extid::kCoachLogoutReply;
    case extid::kStudentLogin: return extid::kStudentLoginReply;
    case extid::kStudentLogout: return extid::kStudentLogoutReply;
    case extid::kPhotoUploadInit: return extid::kPhotoUploadInitReply;
    case extid::kIdentityInfoRequest: return extid::kIdentityInfoReply;
    case extid::kNationalNumberRequest: return extid::kNationalNumberReply;
    default: return 0;
  }
}

/// TCP or TLS byte stream.
class Stream {
 public:
  Stream(asio::io_context& io, ssl::context* tls) : socket_(io) {
    if (tls != nullptr) tls_ = std::make_unique<ssl::stream<tcp::socket&>>(socket_, *tls);
  }
  tcp::socket& socket() { return socket_; }
  ssl::stream<tcp::socket&>* tls() { return tls_.get(); }
  template <typename Buf, typename H>
  void read_some(const Buf& b, H&& h) {
    if (tls_) {
      tls_->async_read_some(b, std::forward<H>(h));
    } else {
      socket_.async_read_some(b, std::forward<H>(h));
    }
  }
  template <typename Buf, typename H>
  void write(const Buf& b, H&& h) {
    if (tls_) {
      asio::async_write(*tls_, b, std::forward<H>(h));
    } else {
      asio::async_write(socket_, b, std::forward<H>(h));
    }
  }
  void close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  tcp::socket socket_;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls_;
};

}  // namespace

struct TerminalSession::Impl : std::enable_shared_from_this<Impl> {
  enum class Phase { idle, connecting, registering, authenticating, online, stopped };

  struct Pending {
    std::vector<std::uint16_t> serials;  // the frames' serials (several when split)
    std::uint16_t reply_ext_id = 0;      // 0: a general ack answers
    std::uint16_t packet_no = 0;
    std::uint16_t reply_msg_id = 0;      // core reply expected instead (0x8100)
    Done done;
    std::unique_ptr<asio::steady_timer> timer;
  };

  asio::io_context& io;
  SessionOptions opt;
  const Clock& clock;
  CredentialStore& creds_store;
  SessionListener& listener;
  std::function<double()> random01;

  std::unique_ptr<ssl::context> tls_ctx;
  std::unique_ptr<Stream> stream;
  tcp::resolver resolver;
  asio::steady_timer retry_timer;
  asio::steady_timer connect_timer;
  asio::steady_timer heartbeat_timer;
  asio::steady_timer reassembly_timer;
  bool reassembly_armed = false;
  Phase phase = Phase::idle;
  std::size_t attempt = 0;
  std::uint64_t generation = 0;  // bumps on every new connection; stale callbacks check it

  std::optional<Credentials> creds;
  std::optional<SigningKey> key;

  std::array<std::uint8_t, 16384> rbuf{};
  FrameSplitter splitter;
  Reassembler reassembler;
  std::deque<std::shared_ptr<Bytes>> wqueue;
  bool writing = false;
  std::uint16_t serial = 0;
  std::uint16_t packet_no = 0;
  std::uint64_t next_pending = 1;
  std::map<std::uint64_t, Pending> pending;
  /// A sent sub-packet kept for 0x8003: its serial, the serial of its message's first part,
  /// its 1-based index, and the frame as written.
  struct CachedPart {
    std::uint16_t serial;
    std::uint16_t first_serial;
    std::uint16_t index;
    std::shared_ptr<Bytes> wire;
  };
  std::deque<CachedPart> sent_cache;
  SessionStats stats;

  Impl(asio::io_context& ctx, SessionOptions o, const Clock& c, CredentialStore& cs,
       SessionListener& l, std::function<double()> r)
      : io(ctx),
        opt(std::move(o)),
        clock(c),
        creds_store(cs),
        listener(l),
        random01(std::move(r)),
        resolver(ctx),
        retry_timer(ctx),
        connect_timer(ctx),
        heartbeat_timer(ctx),
        reassembly_timer(ctx),
        reassembler(opt.reassembly) {
    if (!random01) {
      random01 = [rng = std::mt19937_64(std::random_device{}())]() mutable {
        return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
      };
    }
  }

  // ---- connection lifecycle -------------------------------------------------------------

  void start() {
    if (phase != Phase::idle) return;
    if (opt.tls) {
      tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls_ctx->set_verify_mode(ssl::verify_peer);
      boost::system::error_code ec;
      if (opt.ca_file.empty()) {
        tls_ctx->set_default_verify_paths(ec);
      } else {
        tls_ctx->load_verify_file(opt.ca_file.string(), ec);
      }
      if (ec) {
        listener.on_offline(Error(Errc::invalid_argument,
                                  "TLS CA file " + opt.ca_file.string() + ": " + ec.message()));
      }
    }
    connect();
  }

  void connect() {
    phase = Phase::connecting;
    ++generation;
    stream = std::make_unique<Stream>(io, tls_ctx.get());
    splitter.reset();
    reassembler = Reassembler(opt.reassembly);
    serial = 0;  // per connection direction, starts at 0 (§1)
    sent_cache.clear();
    const auto gen = generation;
    auto self = shared_from_this();
    connect_timer.expires_after(opt.connect_timeout);
    connect_timer.async_wait([this, self, gen](boost::system::error_code ec) {
      if (!ec && gen == generation && phase == Phase::connecting) {
        drop(Error(Errc::timeout, "connecting to " + opt.host + " timed out"));
      }
    });
    resolver.async_resolve(
        opt.host, std::to_string(opt.port),
        [this, self, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
          if (gen != generation || phase != Phase::connecting) return;
          if (ec) {
            drop(Error(Errc::unavailable, "resolving " + opt.host + ": " + ec.message()));
            return;
          }
          asio::async_connect(stream->socket(), results,
                              [this, self, gen](boost::system::error_code e, const tcp::endpoint&) {
                                if (gen != generation || phase != Phase::connecting) return;
                                if (e) {
                                  drop(Error(Errc::unavailable, "connecting to " + opt.host +
                                                                    ":" + std::to_string(opt.port) +
                                                                    ": " + e.message()));
                                  return;
                                }
                                boost::system::error_code ignored;
                                stream->socket().set_option(tcp::no_delay(true), ignored);
                                if (stream->tls()) {
                                  handshake(gen);
                                } else {
                                  connected(gen);
                                }
                              });
        });
  }

  void handshake(std::uint64_t gen) {
    auto* tls = stream->tls();
    // SNI (SSL_set_tlsext_host_name is a macro with an old-style cast).
    SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(opt.host.c_str()));
    tls->set_verify_callback(ssl::host_name_verification(opt.host));
    tls->async_handshake(ssl::stream_base::client,
                         [this, self = shared_from_this(), gen](boost::system::error_code ec) {
                           if (gen != generation) return;
                           if (ec) {
                             drop(Error(Errc::unavailable, "TLS handshake with " + opt.host +
                                                               ": " + ec.message()));
                             return;
                           }
                           connected(gen);
                         });
  }

  void connected(std::uint64_t gen) {
    connect_timer.cancel();
    ++stats.connects;
    read(gen);
    if (!creds) {
      auto loaded = creds_store.load();
      if (!loaded) {
        drop(loaded.error().context("loading terminal credentials"));
        return;
      }
      creds = *loaded;
    }
    if (creds && !key) {
      auto k = SigningKey::from_pkcs12_base64(creds->certificate_base64,
                                              creds->certificate_password);
      if (!k) {
        drop(k.error().context("terminal certificate"));
        return;
      }
      key = std::move(*k);
    }
    if (!creds) {
      do_register();
    } else {
      authenticate();
    }
  }

  void do_register() {
    phase = Phase::registering;
    auto body = opt.registration.encode();
    if (!body) {
      drop(body.error().context("0x0100 register"));
      return;
    }
    Pending p;
    p.reply_msg_id = msgid::kRegisterReply;
    p.done = [this, gen = generation](Result<Reply> r) {
      // Success is handled by on_register_reply; here only a timeout or a refusal ack.
      if (gen != generation) return;
      if (!r) {
        drop(r.error().context("registration"));
      } else if (r->ack_result != 0) {
        drop(Error(Errc::refused, "the platform refused registration (ack result " +
                                      std::to_string(r->ack_result) + ")"));
      }
    };
    track(std::move(p), send_core(msgid::kRegister, *body), opt.register_timeout);
  }

  void on_register_reply(const RegisterReply& r) {
    // Fail the pending register request quietly; the outcome is handled here.
    for (auto it = pending.begin(); it != pending.end(); ++it) {
      if (it->second.reply_msg_id == msgid::kRegisterReply) {
        pending.erase(it);
        break;
      }
    }
    if (r.result != 0) {
      static constexpr std::array<const char*, 5> kWhy{
          "ok", "vehicle already registered", "no such vehicle", "terminal already registered",
          "no such terminal"};
      drop(Error(Errc::refused, std::string("registration refused: ") +
                                    (r.result < kWhy.size() ? kWhy[r.result] : "unknown result")));
      return;
    }
    Credentials c{r.platform_no, r.institution_no, r.terminal_no, r.certificate_password,
                  r.certificate_base64};
    auto k = SigningKey::from_pkcs12_base64(c.certificate_base64, c.certificate_password);
    if (!k) {
      drop(k.error().context("certificate from 0x8100"));
      return;
    }
    if (auto st = creds_store.save(c); !st) {
      drop(st.error().context("saving terminal credentials"));
      return;
    }
    ++stats.registrations;
    creds = std::move(c);
    key = std::move(*k);
    authenticate();
  }

  void authenticate() {
    phase = Phase::authenticating;
    const auto now_s = static_cast<std::uint32_t>(unix_seconds(clock.wall_now()));
    auto auth = make_authenticate(*key, creds->terminal_no, now_s);
    if (!auth) {
      drop(auth.error().context("0x0102 authentication"));
      return;
    }
    auto body = auth->encode();
    if (!body) {
      drop(body.error());
      return;
    }
    Pending p;
    p.done = [this, gen = generation](Result<Reply> r) {
      if (gen != generation) return;
      if (!r) {
        drop(r.error().context("authentication"));
        return;
      }
      if (r->ack_result != 0) {
        drop(Error(Errc::refused, "the platform refused authentication (result " +
                                      std::to_string(r->ack_result) + ")"));
        return;
      }
      ++stats.authentications;
      stats.online_since = clock.mono_now();
      phase = Phase::online;
      attempt = 0;
      arm_heartbeat();
      listener.on_online();
    };
    track(std::move(p), send_core(msgid::kAuthenticate, *body));
  }

  void arm_heartbeat() {
    heartbeat_timer.expires_after(opt.heartbeat);
    heartbeat_timer.async_wait([this, self = shared_from_this(),
                                gen = generation](boost::system::error_code ec) {
      if (ec || gen != generation || phase != Phase::online) return;
      Pending p;
      p.done = [this, gen](Result<Reply> r) {
        if (gen != generation) return;
        if (!r) {
          // No answer to a heartbeat: the link is dead even if TCP has not noticed.
          drop(Error(Errc::timeout, "heartbeat not acknowledged"));
          return;
        }
        arm_heartbeat();
      };
      track(std::move(p), send_core(msgid::kHeartbeat, {}));
    });
  }

  /// End this connection: fail every pending request, tell the listener, retry later.
  void drop(const Error& why) {
    if (phase == Phase::stopped) return;
    const bool was_online = phase == Phase::online;
    ++generation;
    if (stream) stream->close();
    connect_timer.cancel();
    heartbeat_timer.cancel();
    reassembly_timer.cancel();
    reassembly_armed = false;
    wqueue.clear();
    writing = false;
    auto failed = std::move(pending);
    pending.clear();
    for (auto& [id, p] : failed) {
      if (p.timer) p.timer->cancel();
      if (p.done) p.done(fail(Errc::unavailable, "connection lost: " + why.message));
    }
    (void)was_online;
    listener.on_offline(why);
    phase = Phase::idle;
    const auto delay = TerminalSession::backoff(attempt++, opt.reconnect_min, opt.reconnect_max,
                                                random01());
    retry_timer.expires_after(delay);
    retry_timer.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && phase == Phase::idle) connect();
    });
  }

  void stop() {
    if (phase == Phase::stopped) return;
    drop(Error(Errc::unavailable, "session stopped"));
    phase = Phase::stopped;
    retry_timer.cancel();
  }

  // ---- sending ----------------------------------------------------------------------------

  /// Frame (splitting if needed), queue, and return the serials used.
  std::vector<std::uint16_t> send_core(std::uint16_t msg_id, const Bytes& body) {
    FrameHeader h;
    h.msg_id = msg_id;
    h.phone = opt.phone;
    auto frames = split_message(h, body, opt.subpacket_bytes, serial);
    std::vector<std::uint16_t> serials;
    if (!frames) return serials;
    serial = static_cast<std::uint16_t>(serial + frames->size());
    for (const auto& f : *frames) {
      auto wire = encode_frame(f);
      if (!wire) continue;
      auto shared = std::make_shared<Bytes>(std::move(*wire));
      serials.push_back(f.header.serial);
      if (f.header.subpacket) {
        sent_cache.push_back({f.header.serial, frames->front().header.serial,
                              f.header.subpacket->index, shared});
        while (sent_cache.size() > opt.resend_cache_frames) sent_cache.pop_front();
      }
      enqueue(std::move(shared));
    }
    return serials;
  }

  /// The part a 0x8003 entry `v` asks for. §1.2 lists serials; JT/T 808-2013 calls the list
  /// "重传包 ID" and some platforms put the 1-based sub-packet index there. So: a part of the
  /// message starting at `first` whose serial is `v`; else that message's part number `v`;
  /// else any kept part with serial `v` (a platform that got the first serial wrong).
  std::shared_ptr<Bytes> part_for_resend(std::uint16_t first, std::uint16_t v) const {
    const CachedPart* by_index = nullptr;
    const CachedPart* by_serial_elsewhere = nullptr;
    for (const auto& c : sent_cache) {
      if (c.first_serial == first && c.serial == v) return c.wire;
      if (c.first_serial == first && c.index == v) by_index = &c;
      if (c.serial == v) by_serial_elsewhere = &c;
    }
    if (by_index) return by_index->wire;
    if (by_serial_elsewhere) return by_serial_elsewhere->wire;
    return nullptr;
  }

  void enqueue(std::shared_ptr<Bytes> wire) {
    wqueue.push_back(std::move(wire));
    if (!writing) write_next();
  }

  void write_next() {
    if (wqueue.empty()) {
      writing = false;
      return;
    }
    writing = true;
    auto buf = wqueue.front();
    stream->write(asio::buffer(*buf), [this, self = shared_from_this(), buf,
                                       gen = generation](boost::system::error_code ec,
                                                         std::size_t) {
      if (gen != generation) return;
      if (ec) {
        drop(Error(Errc::unavailable, "write failed: " + ec.message()));
        return;
      }
      ++stats.frames_sent;
      wqueue.pop_front();
      write_next();
    });
  }

  std::uint64_t track(Pending p, std::vector<std::uint16_t> serials) {
    return track(std::move(p), std::move(serials), opt.ack_timeout);
  }

  std::uint64_t track(Pending p, std::vector<std::uint16_t> serials,
                      std::chrono::milliseconds timeout) {
    const auto id = next_pending++;
    p.serials = std::move(serials);
    p.timer = std::make_unique<asio::steady_timer>(io, timeout);
    p.timer->async_wait([this, self = shared_from_this(), id](boost::system::error_code ec) {
      if (ec) return;
      auto it = pending.find(id);
      if (it == pending.end()) return;
      auto done = std::move(it->second.done);
      pending.erase(it);
      ++stats.timeouts;
      if (done) done(fail(Errc::timeout, "no answer from the platform in time"));
    });
    auto& slot = pending[id];
    slot = std::move(p);
    return id;
  }

  void complete(std::map<std::uint64_t, Pending>::iterator it, Reply reply) {
    auto done = std::move(it->second.done);
    it->second.timer->cancel();
    pending.erase(it);
    if (done) done(std::move(reply));
  }

  void send_extended(ExtendedMessage m, Done done) {
    if (phase != Phase::online) {
      done(fail(Errc::unavailable, "not connected to the platform"));
      return;
    }
    m.terminal_no = creds->terminal_no;
    packet_no = static_cast<std::uint16_t>(packet_no + 1);
    if (packet_no == 0) packet_no = 1;  // starts at 1, wraps
    m.packet_no = packet_no;
    if (auto st = sign_extended(m, *key); !st) {
      done(fail(st.error()));
      return;
    }
    // The extended message is the whole 0x0900 body: its first byte, 0x13, is the
    // pass-through type (§2.1 offset 0), so it is not wrapped in a PassThrough again.
    auto body = m.encode();
    if (!body) {
      done(fail(body.error()));
      return;
    }
    Pending p;
    p.reply_ext_id = reply_id_for(m.ext_id);
    p.packet_no = m.packet_no;
    p.done = std::move(done);
    track(std::move(p), send_core(msgid::kUplinkPassThrough, *body));
  }

  void send_position(const PositionReport& r, Done done) {
    if (phase != Phase::online) {
      done(fail(Errc::unavailable, "not connected to the platform"));
      return;
    }
    auto body = r.encode();
    if (!body) {
      done(fail(body.error()));
      return;
    }
    Pending p;
    p.done = std::move(done);
    track(std::move(p), send_core(msgid::kPosition, *body));
  }

  // ---- receiving --------------------------------------------------------------------------

  void read(std::uint64_t gen) {
    stream->read_some(asio::buffer(rbuf), [this, self = shared_from_this(), gen](
                                              boost::system::error_code ec, std::size_t n) {
      if (gen != generation) return;
      if (ec) {
        drop(Error(Errc::unavailable, ec == asio::error::eof ? "the platform closed the connection"
                                                             : "read failed: " + ec.message()));
        return;
      }
      for (auto& r : splitter.feed(std::span(rbuf.data(), n))) {
        if (!r.frame) {
          ++stats.bad_frames;  // a bad frame is skipped; the stream goes on
          continue;
        }
        ++stats.frames_received;
        const auto now = std::chrono::steady_clock::now();
        auto whole = reassembler.feed(*r.frame, now);
        for (const auto& d : reassembler.take_evicted()) log_dropped(d);
        if (reassembler.pending_sets() > 0) arm_reassembly(gen);
        if (!whole) {
          ++stats.bad_frames;
          continue;
        }
        if (*whole) on_message((*whole)->frame);
        if (gen != generation) return;  // a handler dropped the connection
      }
      read(gen);
    });
  }

  /// Incomplete sets from the platform: every reassembly_tick, ask again for the parts of
  /// quiet ones (a bounded number of times), and drop those past their time, with the reason.
  void arm_reassembly(std::uint64_t gen) {
    if (reassembly_armed) return;
    reassembly_armed = true;
    reassembly_timer.expires_after(opt.reassembly_tick);
    reassembly_timer.async_wait([this, self = shared_from_this(), gen](boost::system::error_code ec) {
      if (ec || gen != generation) return;
      reassembly_armed = false;
      reassembly_tick(std::chrono::steady_clock::now());
      if (gen == generation && reassembler.pending_sets() > 0) arm_reassembly(gen);
    });
  }

  void reassembly_tick(MonoTime now) {
    if (opt.resend_request_id != 0 && phase != Phase::connecting) {
      for (const auto& ask : reassembler.resend_due(now)) {
        ResendRequest req{ask.first_serial, ask.serials};
        auto body = req.encode();
        if (!body) continue;
        ++stats.resend_requests_sent;
        send_core(opt.resend_request_id, *body);
      }
    }
    for (const auto& d : reassembler.expire(now)) log_dropped(d);
  }

  void log_dropped(const DroppedSet& d) {
    ++stats.incomplete_dropped;
    listener.on_refused_message(Error(
        Errc::timeout,
        "split message " + hex_word(d.msg_id) + " from the platform (first serial " +
            std::to_string(d.first_serial) + ", " + std::to_string(d.missing.size()) + " of " +
            std::to_string(d.total) + " parts missing) given up: " + d.reason));
  }

  void on_message(const Frame& f) {
    switch (f.header.msg_id) {
      case msgid::kPlatformAck: {
        auto a = GeneralAck::decode(f.body);
        if (!a) return;
        for (auto it = pending.begin(); it != pending.end(); ++it) {
          const auto& s = it->second.serials;
          if (it->second.reply_ext_id == 0 && it->second.reply_msg_id == 0 &&
              std::find(s.begin(), s.end(), a->reply_serial) != s.end()) {
            complete(it, Reply{a->result, std::nullopt});
            return;
          }
          // A refusal ack of a request that expects an extension reply ends it too.
          if ((it->second.reply_ext_id != 0 || it->second.reply_msg_id != 0) && a->result != 0 &&
              std::find(s.begin(), s.end(), a->reply_serial) != s.end()) {
            complete(it, Reply{a->result, std::nullopt});
            return;
          }
        }
        return;
      }
      case msgid::kRegisterReply: {
        auto r = RegisterReply::decode(f.body);
        if (r) on_register_reply(*r);
        return;
      }
      case msgid::kResendRequest: {
        auto r = ResendRequest::decode(f.body);
        if (!r) return;
        for (std::uint16_t v : r->serials) {
          if (auto wire = part_for_resend(r->first_serial, v)) {
            ++stats.resent_on_request;
            enqueue(std::move(wire));
          }
        }
        return;
      }
      case msgid::kDownlinkPassThrough: {
        // One 0x13 at offset 0, then the extended message (§2.1): the body is decoded as it
        // is. Another pass-through type is not ours (result 3); a malformed extended message
        // is refused (result 2) and reported, never guessed at.
        if (f.body.empty() || f.body[0] != kPassThroughTraining) {
          ack_platform(f, 3);
          listener.on_refused_message(
              Error(Errc::incompatible, f.body.empty() ? "empty 0x8900 body"
                                                      : "0x8900 pass-through type " +
                                                            hex_byte(f.body[0]) +
                                                            " is not the training extension"));
          return;
        }
        auto m = ExtendedMessage::decode(f.body);
        if (!m) {
          ++stats.bad_messages;
          ack_platform(f, 2);
          listener.on_refused_message(Error(m.error().code, "0x8900: " + m.error().message));
          return;
        }
        ack_platform(f);
        // A reply to one of ours: by reply ID and echoed packet number, else the oldest
        // request waiting for that reply ID (the echo is seen in one source only, §2.1).
        auto match = pending.end();
        for (auto it = pending.begin(); it != pending.end(); ++it) {
          if (it->second.reply_ext_id != m->ext_id) continue;
          if (it->second.packet_no == m->packet_no) {
            match = it;
            break;
          }
          if (match == pending.end()) match = it;
        }
        if (match != pending.end()) {
          complete(match, Reply{0, *m});
        } else {
          listener.on_platform_command(*m);
        }
        return;
      }
      case msgid::kSetParams:
      case msgid::kTerminalControl:
        ack_platform(f, listener.on_core_command(f));
        return;
      case msgid::kQueryParams:
      case msgid::kQuerySomeParams:
        listener.on_core_command(f);
        return;
      default:
        return;
    }
  }

  static std::string hex_word(std::uint16_t w) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(w));
    return buf;
  }

  static std::string hex_byte(std::uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(b));
    return buf;
  }

  void ack_platform(const Frame& f, std::uint8_t result = 0) {
    GeneralAck a{f.header.serial, f.header.msg_id, result};
    if (auto body = a.encode()) send_core(msgid::kTerminalAck, *body);
  }
};

TerminalSession::TerminalSession(asio::io_context& io, SessionOptions options,
                                 const Clock& clock, CredentialStore& credentials,
                                 SessionListener& listener, std::function<double()> random01)
    : impl_(std::make_shared<Impl>(io, std::move(options), clock, credentials, listener,
                                   std::move(random01))) {}

TerminalSession::~TerminalSession() { impl_->stop(); }

void TerminalSession::start() { impl_->start(); }
void TerminalSession::stop() { impl_->stop(); }
bool TerminalSession::online() const { return impl_->phase == Impl::Phase::online; }
std::string TerminalSession::terminal_no() const {
  return impl_->creds ? impl_->creds->terminal_no : std::string();
}
SessionStats TerminalSession::stats() const { return impl_->stats; }
void TerminalSession::send_extended(ExtendedMessage m, Done done) {
  impl_->send_extended(std::move(m), std::move(done));
}
std::uint16_t TerminalSession::packets_for(std::size_t ext_data_bytes) const {
  // 0x0900 body: one type byte 0x13, 26-byte envelope, data, 256-byte signature (§2.1).
  const std::size_t body = 1 + 26 + ext_data_bytes + kSignatureBytes;
  const std::size_t chunk = impl_->opt.subpacket_bytes;
  return static_cast<std::uint16_t>(body <= chunk ? 1 : (body + chunk - 1) / chunk);
}

void TerminalSession::send_reply(std::uint16_t msg_id, const Bytes& body) {
  if (impl_->phase == Impl::Phase::online) impl_->send_core(msg_id, body);
}

void TerminalSession::set_heartbeat(std::chrono::milliseconds interval) {
  impl_->opt.heartbeat = std::max(interval, std::chrono::milliseconds(1000));
  // Re-arming cancels the wait in progress (its handler sees operation_aborted).
  if (impl_->phase == Impl::Phase::online) impl_->arm_heartbeat();
}

void TerminalSession::reconnect(const std::string& why) {
  if (impl_->phase == Impl::Phase::stopped || impl_->phase == Impl::Phase::idle) return;
  impl_->drop(Error(Errc::unavailable, why));
}

void TerminalSession::send_position(const PositionReport& p, Done done) {
  impl_->send_position(p, std::move(done));
}

}  // namespace tta::uplink
