// Serial-port and gpsd sources. Each keeps its state in a shared Impl so handlers still queued
// on the io_context after stop() or destruction find it alive and simply return.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "tta/gps/source.hpp"

namespace tta::gps {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr std::chrono::milliseconds kMaxBackoff{30'000};

/// Shared by both live sources: decoder, handler, reconnect back-off, and the log lines an
/// operator needs (connects, losses, reconnects; a run of failed attempts once, not each).
struct LiveBase {
  LiveBase(asio::io_context& io, std::chrono::milliseconds reconnect, Scheduler* sched)
      : timer(io), scheduler(sched), reconnect_min(reconnect), backoff(reconnect),
        rng(std::random_device{}()) {}
  asio::steady_timer timer;   ///< the back-off's timer when no Scheduler is given
  Scheduler* scheduler;       ///< the daemon's timers (virtual time in tests), or null
  std::uint64_t retry_task = 0;
  NmeaDecoder decoder;
  GnssSource::FixHandler on_fix;
  SourceStats stats;
  std::chrono::milliseconds reconnect_min;
  std::chrono::milliseconds backoff;
  std::minstd_rand rng;
  std::string what;           ///< for the log: "gpsd 127.0.0.1:2947", "serial /dev/ttyS1"
  bool failing_logged = false;  ///< a run of failed attempts was logged
  bool stopped = true;

  void cancel_retry() {
    timer.cancel();
    if (scheduler && retry_task != 0) scheduler->cancel(retry_task);
    retry_task = 0;
  }
  /// An attempt to open or connect failed (the device is absent, gpsd is down).
  void attempt_failed(const std::string& why) {
    stats.last_error = why;
    ++stats.failed_attempts;
    if (!failing_logged) {
      spdlog::warn("GNSS {}: {}; retrying (back-off up to {} s, timing goes on: minutes are "
                   "flagged no_gnss)",
                   what, why, std::max(kMaxBackoff, reconnect_min).count() / 1000);
      failing_logged = true;
    } else {
      spdlog::debug("GNSS {}: {}", what, why);
    }
  }

  void deliver(std::span<const char> bytes) {
    decoder.feed(bytes, [this](const Fix& f) {
      if (!stopped && on_fix) on_fix(f);
    });
  }
  /// The device or connection went away: close the open epoch, count it.
  void lost(const std::string& why) {
    if (!stats.connected) return attempt_failed(why);
    stats.last_error = why;
    ++stats.disconnects;
    spdlog::warn("GNSS {}: connection lost: {}; reconnecting", what, why);
    failing_logged = true;  // the loss was said; failed attempts after it need not be
    stats.connected = false;
    decoder.finish([this](const Fix& f) {
      if (!stopped && on_fix) on_fix(f);
    });
  }
  void connected() {
    ++stats.connects;
    stats.connected = true;
    spdlog::info("GNSS {}: {}", what,
                 stats.connects == 1 ? "connected" : "connected again (" +
                                                         std::to_string(stats.connects) +
                                                         " connects, " +
                                                         std::to_string(stats.disconnects) +
                                                         " losses)");
    backoff = reconnect_min;
    failing_logged = false;
  }
  /// Try `again` after the back-off: uniform in [backoff/2, backoff] (jittered, so terminals
  /// that lost one gpsd do not all come back at once), doubling up to 30 s (or reconnect_ms
  /// when that is longer). On the daemon's Scheduler when one is given.
  template <typename F>
  void retry_later(F&& again) {
    if (stopped) return;
    const auto half = backoff.count() / 2;
    const std::chrono::milliseconds delay{
        half + std::uniform_int_distribution<std::int64_t>(0, backoff.count() - half)(rng)};
    stats.next_retry_ms = delay.count();
    backoff = std::min(backoff * 2, std::max(kMaxBackoff, reconnect_min));
    if (scheduler) {
      retry_task = scheduler->after(delay, [this, again = std::forward<F>(again)] {
        retry_task = 0;
        again();
      });
      return;
    }
    timer.expires_after(delay);
    timer.async_wait([again = std::forward<F>(again)](const error_code& ec) {
      if (!ec) again();
    });
  }
};

/// A receiver on a serial port (or a pty): reopened after it vanishes.
struct SerialLink : LiveBase {
  static constexpr const char* kName = "serial";
  SerialLink(asio::io_context& io, std::string dev, unsigned b, std::chrono::milliseconds r,
             Scheduler* s)
      : LiveBase(io, r, s), port(io), device(std::move(dev)), baud(b) {
    what = "serial " + device;
  }
  asio::serial_port port;
  std::string device;
  unsigned baud;
  std::array<char, 4096> buf{};

  static void begin(const std::shared_ptr<SerialLink>& self) { open(self); }
  void close() {
    error_code ignored;
    port.close(ignored);
  }
  static void open(const std::shared_ptr<SerialLink>& self) {
    if (self->stopped) return;
    error_code ec;
    self->port.open(self->device, ec);
    if (!ec) self->port.set_option(asio::serial_port_base::baud_rate(self->baud), ec);
    if (!ec) self->port.set_option(asio::serial_port_base::character_size(8), ec);
    if (!ec) {
      self->port.set_option(asio::serial_port_base::parity(asio::serial_port_base::parity::none), ec);
    }
    if (!ec) {
      self->port.set_option(
          asio::serial_port_base::stop_bits(asio::serial_port_base::stop_bits::one), ec);
    }
    if (ec) {
      self->close();
      self->attempt_failed("opening " + self->device + ": " + ec.message());
      self->retry_later([self] { open(self); });
      return;
    }
    self->connected();
    read(self);
  }
  static void read(const std::shared_ptr<SerialLink>& self) {
    self->port.async_read_some(asio::buffer(self->buf), [self](const error_code& ec, std::size_t n) {
      if (self->stopped) return;
      if (ec) {
        // EOF/EIO/ENXIO: the device vanished (USB receiver unplugged, pty closed).
        self->lost("reading " + self->device + ": " + ec.message());
        self->close();
        self->retry_later([self] { open(self); });
        return;
      }
      self->deliver(std::span<const char>(self->buf.data(), n));
      read(self);
    });
  }
};

/// gpsd over TCP with raw NMEA watched: reconnected after it drops.
struct GpsdLink : LiveBase {
  static constexpr const char* kName = "gpsd";
  GpsdLink(asio::io_context& io, std::string h, std::uint16_t p, std::chrono::milliseconds r,
           Scheduler* s)
      : LiveBase(io, r, s), resolver(io), socket(io), host(std::move(h)), port(p) {
    what = "gpsd " + host + ":" + std::to_string(port);
  }
  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket socket;
  std::string host;
  std::uint16_t port;
  std::array<char, 4096> buf{};
  std::string line;  ///< partial line across reads (reserved once)
  static constexpr std::size_t kMaxLine = 64 * 1024;
  static constexpr std::string_view kWatch = "?WATCH={\"enable\":true,\"nmea\":true};\n";

  static void begin(const std::shared_ptr<GpsdLink>& self) { connect(self); }
  void close() {
    resolver.cancel();
    error_code ignored;
    socket.close(ignored);
  }
  void fail_and_retry(const std::shared_ptr<GpsdLink>& self, const std::string& why) {
    lost(why);
    close();
    line.clear();
    retry_later([self] { connect(self); });
  }
  static void connect(const std::shared_ptr<GpsdLink>& self) {
    if (self->stopped) return;
    self->resolver.async_resolve(
        self->host, std::to_string(self->port),
        [self](const error_code& ec, const asio::ip::tcp::resolver::results_type& results) {
          if (self->stopped) return;
          if (ec) return self->fail_and_retry(self, "resolving " + self->host + ": " + ec.message());
          asio::async_connect(self->socket, results,
                              [self](const error_code& ec2, const asio::ip::tcp::endpoint&) {
                                if (self->stopped) return;
                                if (ec2) {
                                  return self->fail_and_retry(
                                      self, "connecting to gpsd " + self->host + ": " + ec2.message());
                                }
                                self->connected();
                                self->line.reserve(1024);
                                asio::async_write(self->socket, asio::buffer(kWatch),
                                                  [self](const error_code& ec3, std::size_t) {
                                                    if (self->stopped) return;
                                                    if (ec3) {
                                                      return self->fail_and_retry(
                                                          self, "sending WATCH: " + ec3.message());
                                                    }
                                                  });
                                read(self);
                              });
        });
  }
  static void read(const std::shared_ptr<GpsdLink>& self) {
    self->socket.async_read_some(asio::buffer(self->buf), [self](const error_code& ec, std::size_t n) {
      if (self->stopped) return;
      if (ec) return self->fail_and_retry(self, "reading from gpsd: " + ec.message());
      self->consume(std::string_view(self->buf.data(), n));
      read(self);
    });
  }
  void consume(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto nl = bytes.find('\n');
      const std::string_view part = bytes.substr(0, nl);
      if (line.size() + part.size() <= kMaxLine) line.append(part);
      if (nl == std::string_view::npos) return;
      bytes.remove_prefix(nl + 1);
      on_line(line);
      line.clear();
    }
  }
  void on_line(std::string_view l) {
    if (!l.empty() && l.front() == '{') {
      // A gpsd report (VERSION, DEVICES, WATCH, TPV with nmea off …): not NMEA.
      ++stats.json_lines;
      const auto j = nlohmann::json::parse(l, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("class", "") == "ERROR") stats.last_error = j.value("message", "");
      return;
    }
    // Raw NMEA as gpsd relays it; the lexer frames it (and rejects what does not verify).
    deliver(std::span<const char>(l.data(), l.size()));
    static constexpr char kNl = '\n';
    deliver(std::span<const char>(&kNl, 1));
  }
};

/// A live source as a GnssSource: `Link` (a LiveBase) does the I/O and is kept alive by its
/// pending operations; this starts, stops and reports it.
template <typename Link>
class LiveSource final : public GnssSource {
 public:
  template <typename... Args>
  explicit LiveSource(asio::io_context& io, Args&&... args)
      : link_(std::make_shared<Link>(io, std::forward<Args>(args)...)) {}
  ~LiveSource() override { stop(); }
  Status start(FixHandler on_fix) override {
    if (!link_->stopped) {
      return fail(Errc::invalid_argument, std::string(Link::kName) + " source already started");
    }
    link_->on_fix = std::move(on_fix);
    link_->stopped = false;
    Link::begin(link_);
    return ok();
  }
  void stop() override {
    link_->stopped = true;
    link_->cancel_retry();
    link_->close();
    link_->stats.connected = false;
  }
  [[nodiscard]] SourceStats stats() const override {
    SourceStats s = link_->stats;
    s.decode = link_->decoder.stats();
    return s;
  }

 private:
  std::shared_ptr<Link> link_;
};

}  // namespace

Result<std::unique_ptr<GnssSource>> make_source(std::string_view uri, asio::io_context& io,
                                                const Clock& clock, Scheduler* timers) {
  auto u = parse_source_uri(uri);
  if (!u) return fail(u.error());
  const auto reconnect = u->number("reconnect_ms", 1000);
  if (!reconnect || *reconnect == 0) {
    return fail(Errc::invalid_argument, "reconnect_ms must be a positive number of milliseconds");
  }
  const std::chrono::milliseconds rc{static_cast<std::int64_t>(*reconnect)};
  if (u->scheme == "replay") {
    double rate = 1.0;
    if (const auto it = u->query.find("rate"); it != u->query.end()) {
      const auto& s = it->second;
      const auto r = std::from_chars(s.data(), s.data() + s.size(), rate);
      if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || !(rate >= 0)) {
        return fail(Errc::invalid_argument, "replay rate \"" + s + "\" must be a number >= 0");
      }
    }
    return std::make_unique<ReplaySource>(io, clock, u->path, rate);
  }
  if (u->scheme == "serial") {
    const auto baud = u->number("baud", 9600);
    if (!baud || *baud < 300 || *baud > 4'000'000) {
      return fail(Errc::invalid_argument, "serial baud must be between 300 and 4000000");
    }
    return std::make_unique<LiveSource<SerialLink>>(io, u->path, static_cast<unsigned>(*baud), rc,
                                                    timers);
  }
  return std::make_unique<LiveSource<GpsdLink>>(io, u->host, u->port, rc, timers);
}

}  // namespace tta::gps
