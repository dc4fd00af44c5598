// OBD-II through an ELM327-compatible adapter on a serial port.
//
// One command at a time: write "CMD\r", collect bytes until the '>' prompt or the deadline, parse
// (obd.cpp). After opening: ATZ (reset), ATE0 (no echo), ATL0 (no line feeds), ATS0 (no
// spaces), ATH0 (no headers), ATSP0 (automatic protocol). Then every poll interval: 010C (engine
// speed), 010D (speed), one sample. An unanswered request is missing; three polls in a row
// without any answer, an I/O error or a failed initialisation reopen the port.
#include <boost/asio/serial_port.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdio>

#include "core.hpp"
#include "tta/vehicle/obd.hpp"

namespace tta::vehicle {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using detail::SourceCore;
using detail::SourceHandle;

constexpr std::array<const char*, 6> kInit = {"ATZ", "ATE0", "ATL0", "ATS0", "ATH0", "ATSP0"};
constexpr int kSilentPollsBeforeReopen = 3;
constexpr std::size_t kMaxAnswer = 4096;  ///< more without a prompt is line noise

struct ElmImpl : SourceCore {
  ElmImpl(asio::io_context& io, const Clock& c, std::string dev, unsigned b, VehicleTiming t)
      : SourceCore(io, c, "elm327://" + dev + "?baud=" + std::to_string(b), t),
        port(io),
        deadline(io),
        device(std::move(dev)),
        baud(b) {}

  using Answer = std::function<void(std::optional<obd::ElmResponse>)>;  ///< nullopt: timed out

  asio::serial_port port;
  asio::steady_timer deadline;
  std::string device;
  unsigned baud;
  std::array<char, 256> buf{};
  std::string rx;             ///< bytes of the current answer
  std::string command;        ///< the command awaiting its answer
  Answer pending;             ///< its continuation
  std::uint64_t link = 0;     ///< bumped at every open/close: late handlers of old links return
  std::uint64_t request = 0;  ///< bumped at every command: late deadlines return
  bool searching = true;      ///< the next PID request may trigger a protocol search
  int silent_polls = 0;
  MonoTime cycle_start{};

  static void begin(const std::shared_ptr<ElmImpl>& self) { open(self); }
  void halt() {
    ++link;
    pending = nullptr;
    deadline.cancel();
    error_code ignored;
    port.close(ignored);
  }

  /// Nothing can be read now: one sample with every value missing, then try again later.
  static void give_up(const std::shared_ptr<ElmImpl>& self, const std::string& why) {
    self->halt();
    self->stats.connected = false;
    self->problem(why);
    self->deliver(self->sample());
    after(self, self->timing.reopen, [self] { open(self); });
  }

  static void open(const std::shared_ptr<ElmImpl>& self) {
    error_code ec;
    self->port.open(self->device, ec);
    using sp = asio::serial_port_base;
    if (!ec) self->port.set_option(sp::baud_rate(self->baud), ec);
    if (!ec) self->port.set_option(sp::character_size(8), ec);
    if (!ec) self->port.set_option(sp::parity(sp::parity::none), ec);
    if (!ec) self->port.set_option(sp::stop_bits(sp::stop_bits::one), ec);
    if (!ec) self->port.set_option(sp::flow_control(sp::flow_control::none), ec);
    if (ec) {
      give_up(self, "cannot open " + self->device + ": " + ec.message());
      return;
    }
    ++self->stats.opens;
    self->stats.connected = true;
    ++self->link;
    self->rx.clear();
    self->searching = true;
    self->silent_polls = 0;
    read(self);
    init(self, 0);
  }

  static void read(const std::shared_ptr<ElmImpl>& self) {
    self->port.async_read_some(
        asio::buffer(self->buf), [self, link = self->link](const error_code& ec, std::size_t n) {
          if (self->stopped || link != self->link) return;
          if (ec) {
            // EOF/EIO: the adapter vanished (USB unplugged, pty closed).
            give_up(self, "reading " + self->device + ": " + ec.message());
            return;
          }
          self->rx.append(self->buf.data(), n);
          const auto prompt = self->rx.find('>');
          if (prompt != std::string::npos && self->pending) {
            auto answer = obd::parse_elm_response(std::string_view(self->rx).substr(0, prompt + 1),
                                                  self->command);
            self->rx.erase(0, prompt + 1);
            self->deadline.cancel();
            auto next = std::exchange(self->pending, nullptr);
            read(self);
            next(std::move(answer));
            return;
          }
          if (prompt != std::string::npos || self->rx.size() > kMaxAnswer)
            self->rx.clear();  // unasked
          read(self);
        });
  }

  /// Send one command; `then` gets its parsed answer, or nullopt after `timeout`.
  static void send(const std::shared_ptr<ElmImpl>& self, std::string cmd,
                   std::chrono::milliseconds timeout, Answer then) {
    self->rx.clear();  // whatever came before belongs to nothing we wait for
    self->command = cmd;
    self->pending = std::move(then);
    const auto id = ++self->request;
    self->deadline.expires_after(timeout);
    self->deadline.async_wait([self, id](const error_code& ec) {
      if (ec || self->stopped || id != self->request || !self->pending) return;
      ++self->stats.timeouts;
      std::exchange(self->pending, nullptr)(std::nullopt);
    });
    auto out = std::make_shared<std::string>(cmd + "\r");
    asio::async_write(self->port, asio::buffer(*out),
                      [self, out, link = self->link](const error_code& ec, std::size_t) {
                        if (self->stopped || link != self->link || !ec) return;
                        give_up(self, "writing to " + self->device + ": " + ec.message());
                      });
  }

  static void init(const std::shared_ptr<ElmImpl>& self, std::size_t step) {
    if (step == kInit.size()) {
      poll(self);
      return;
    }
    const std::string cmd = kInit[step];
    const auto timeout = step == 0 ? self->timing.reset_timeout : self->timing.obd_timeout;
    send(self, cmd, timeout, [self, step, cmd](std::optional<obd::ElmResponse> r) {
      if (!r) {
        give_up(self, "no answer to " + cmd + " from " + self->device + " (adapter silent?)");
      } else if (r->status != obd::ElmStatus::ok) {
        ++self->stats.errors;
        give_up(self, cmd + " answered " + std::string(obd::to_string(r->status)) +
                          (r->text.empty() ? "" : " \"" + r->text + "\"") +
                          " (not an ELM327, or the wrong baud rate?)");
      } else {
        init(self, step + 1);
      }
    });
  }

  /// One poll: engine speed, then speed, then one sample.
  static void poll(const std::shared_ptr<ElmImpl>& self) {
    self->cycle_start = self->clock.mono_now();
    auto s = std::make_shared<VehicleSample>(self->sample());
    auto problems = std::make_shared<std::string>();
    auto answered = std::make_shared<bool>(false);
    ask(self, obd::kPidEngineRpm, s, problems, answered, [self, s, problems, answered] {
      ask(self, obd::kPidSpeed, s, problems, answered, [self, s, problems, answered] {
        self->problem(*problems);
        self->deliver(*s);
        if (*answered) {
          self->silent_polls = 0;
        } else if (++self->silent_polls >= kSilentPollsBeforeReopen) {
          give_up(self, "no answer to " + std::to_string(kSilentPollsBeforeReopen) +
                            " polls in a row: reopening " + self->device);
          return;
        }
        const auto next = self->cycle_start + self->timing.poll - self->clock.mono_now();
        after(self,
              std::max(std::chrono::duration_cast<std::chrono::milliseconds>(next),
                       std::chrono::milliseconds(0)),
              [self] { poll(self); });
      });
    });
  }

  static void ask(const std::shared_ptr<ElmImpl>& self, std::uint8_t pid,
                  const std::shared_ptr<VehicleSample>& s,
                  const std::shared_ptr<std::string>& problems,
                  const std::shared_ptr<bool>& answered, std::function<void()> done) {
    char cmd[8];
    std::snprintf(cmd, sizeof cmd, "01%02X", pid);
    const auto timeout = self->searching ? self->timing.search_timeout : self->timing.obd_timeout;
    send(self, cmd, timeout,
         [self, pid, s, problems, answered, done = std::move(done), timeout,
          cmd = std::string(cmd)](std::optional<obd::ElmResponse> r) {
           auto note = [&](const std::string& p) {
             if (problems->find(p) == std::string::npos)
               *problems += (problems->empty() ? "" : "; ") + p;
           };
           if (!r) {
             note("no answer to " + cmd + " within " + std::to_string(timeout.count()) + " ms");
             done();
             return;
           }
           *answered = true;
           // After "UNABLE TO CONNECT" the adapter searches again at the next request.
           self->searching = r->status == obd::ElmStatus::unable_to_connect;
           if (auto v = obd::decode_elm_pid(*r, pid)) {
             if (v->engine_rpm) s->engine_rpm = v->engine_rpm;
             if (v->speed_kmh) s->sensor_speed_kmh = v->speed_kmh;
           } else if (r->status == obd::ElmStatus::data) {
             ++self->stats.errors;
             note(cmd + " answered with data for another PID");
           } else {
             if (r->status == obd::ElmStatus::error || r->status == obd::ElmStatus::garbage) {
               ++self->stats.errors;
             }
             note(cmd + ": " + obd::to_string(r->status) +
                  (r->text.empty() || r->status != obd::ElmStatus::error ? ""
                                                                         : " \"" + r->text + "\""));
           }
           done();
         });
  }
};

}  // namespace

std::unique_ptr<VehicleSignals> make_elm327(boost::asio::io_context& io, const Clock& clock,
                                            std::string device, unsigned baud,
                                            VehicleTiming timing) {
  return std::make_unique<SourceHandle<ElmImpl>>(
      std::make_shared<ElmImpl>(io, clock, std::move(device), baud, timing));
}

}  // namespace tta::vehicle
