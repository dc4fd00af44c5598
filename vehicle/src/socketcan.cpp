// OBD-II over SocketCAN: ISO 15765-4 with 11-bit identifiers. Each poll sends the functional
// request 0x7DF for PID 0x0C, then 0x0D (single frames), and takes the first single-frame reply
// from 0x7E8-0x7EF that carries the PID; no reply within the timeout is missing. The bus bit rate
// is the system's business (ip link set can0 up type can bitrate 500000).
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <cerrno>
#include <cstring>

#include "core.hpp"
#include "tta/vehicle/obd.hpp"

namespace tta::vehicle {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using detail::SourceCore;
using detail::SourceHandle;

std::string errno_text() {
  return std::strerror(errno);
}

/// A CAN_RAW socket bound to `ifname` that receives only 0x7E8-0x7EF, or why not.
Result<int> open_can(const std::string& ifname) {
  const int fd = ::socket(PF_CAN, SOCK_RAW | SOCK_CLOEXEC, CAN_RAW);
  if (fd < 0) return fail(Errc::unavailable, "no SocketCAN here (socket: " + errno_text() + ")");
  auto bad = [fd](std::string why) {
    ::close(fd);
    return fail(Errc::unavailable, std::move(why));
  };
  const unsigned index = ::if_nametoindex(ifname.c_str());
  if (index == 0) return bad("no CAN interface " + ifname + ": " + errno_text());
  can_filter filter{};
  filter.can_id = obd::kCanReplyFirst;
  filter.can_mask = CAN_SFF_MASK & ~0x7U;  // 0x7E8-0x7EF, standard frames only
  filter.can_mask |= CAN_EFF_FLAG | CAN_RTR_FLAG;
  if (::setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, &filter, sizeof filter) != 0) {
    return bad("filter on " + ifname + ": " + errno_text());
  }
  sockaddr_can addr{};
  addr.can_family = AF_CAN;
  addr.can_ifindex = static_cast<int>(index);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return bad("bind to " + ifname + ": " + errno_text());
  }
  return fd;
}

struct CanImpl : SourceCore {
  CanImpl(asio::io_context& io, const Clock& c, std::string label, std::string ifn, int given,
          VehicleTiming t)
      : SourceCore(io, c, std::move(label), t),
        sock(io),
        deadline(io),
        ifname(std::move(ifn)),
        given_fd(given) {}

  asio::posix::stream_descriptor sock;
  asio::steady_timer deadline;
  std::string ifname;  ///< empty when the socket was given
  int given_fd;        ///< a socket handed in (tests), used once
  can_frame in{};
  std::uint8_t pid = 0;  ///< the PID awaited (0 = none)
  std::function<void(std::optional<obd::PidValue>)> pending;
  std::uint64_t link = 0;
  std::uint64_t request = 0;
  MonoTime cycle_start{};

  void halt() {
    ++link;
    pending = nullptr;
    deadline.cancel();
    error_code ignored;
    sock.close(ignored);
    if (given_fd >= 0) ::close(given_fd);
    given_fd = -1;
  }
  static void begin(const std::shared_ptr<CanImpl>& self) { open(self); }

  static void give_up(const std::shared_ptr<CanImpl>& self, const std::string& why) {
    const bool given = self->ifname.empty();  // a socket handed in cannot be reopened
    self->halt();
    self->stats.connected = false;
    self->problem(why);
    self->deliver(self->sample());
    if (!given) after(self, self->timing.reopen, [self] { open(self); });
  }

  static void open(const std::shared_ptr<CanImpl>& self) {
    int fd = -1;
    if (self->ifname.empty()) {
      fd = std::exchange(self->given_fd, -1);
      if (fd < 0) {
        give_up(self, "the CAN socket is gone");
        return;
      }
    } else {
      auto r = open_can(self->ifname);
      if (!r) {
        give_up(self, r.error().message);
        return;
      }
      fd = *r;
    }
    error_code ec;
    self->sock.assign(fd, ec);
    if (ec) {
      ::close(fd);
      give_up(self, "CAN socket: " + ec.message());
      return;
    }
    ++self->stats.opens;
    self->stats.connected = true;
    ++self->link;
    read(self);
    poll(self);
  }

  static void read(const std::shared_ptr<CanImpl>& self) {
    self->sock.async_read_some(asio::buffer(&self->in, sizeof self->in), [self, link = self->link](
                                                                             const error_code& ec,
                                                                             std::size_t n) {
      if (self->stopped || link != self->link) return;
      if (ec) {
        give_up(self, "reading CAN: " + ec.message());
        return;
      }
      const can_frame f = self->in;
      read(self);
      if (n != sizeof(can_frame) || !self->pending || (f.can_id & CAN_RTR_FLAG) != 0) return;
      const bool extended = (f.can_id & CAN_EFF_FLAG) != 0;
      const auto id = f.can_id & (extended ? CAN_EFF_MASK : CAN_SFF_MASK);
      const auto payload = obd::can_single_frame(
          id, extended, std::span<const std::uint8_t>(f.data, std::min<std::size_t>(f.can_dlc, 8)));
      if (!payload) return;
      if (payload->size() >= 2 && (*payload)[0] == 0x7F && (*payload)[1] == 0x01) {
        // Negative response: this ECU will not give the PID now.
        self->deadline.cancel();
        std::exchange(self->pending, nullptr)(std::nullopt);
        return;
      }
      if (auto v = obd::decode_pid(*payload, self->pid)) {
        self->deadline.cancel();
        std::exchange(self->pending, nullptr)(v);
      }
    });
  }

  /// Ask every ECU for `pid`; `then` gets the value or nullopt (timeout, negative response).
  static void ask(const std::shared_ptr<CanImpl>& self, std::uint8_t p,
                  std::function<void(std::optional<obd::PidValue>)> then) {
    self->pid = p;
    self->pending = std::move(then);
    const auto id = ++self->request;
    self->deadline.expires_after(self->timing.obd_timeout);
    self->deadline.async_wait([self, id](const error_code& ec) {
      if (ec || self->stopped || id != self->request || !self->pending) return;
      ++self->stats.timeouts;
      std::exchange(self->pending, nullptr)(std::nullopt);
    });
    auto out = std::make_shared<can_frame>();
    out->can_id = obd::kCanRequestId;
    out->can_dlc = 8;
    const auto data = obd::can_request(p);
    std::memcpy(out->data, data.data(), data.size());
    self->sock.async_write_some(
        asio::buffer(out.get(), sizeof(can_frame)),
        [self, out, link = self->link](const error_code& ec, std::size_t n) {
          if (self->stopped || link != self->link) return;
          if (ec || n != sizeof(can_frame)) {
            // ENOBUFS (bus off, no ECU acking) and the like: this request is simply unanswered.
            ++self->stats.errors;
            self->problem("sending on CAN: " + (ec ? ec.message() : std::string("short write")));
          }
        });
  }

  static void poll(const std::shared_ptr<CanImpl>& self) {
    self->cycle_start = self->clock.mono_now();
    auto s = std::make_shared<VehicleSample>(self->sample());
    ask(self, obd::kPidEngineRpm, [self, s](std::optional<obd::PidValue> rpm) {
      if (rpm) s->engine_rpm = rpm->engine_rpm;
      ask(self, obd::kPidSpeed, [self, s](std::optional<obd::PidValue> speed) {
        if (speed) s->sensor_speed_kmh = speed->speed_kmh;
        std::string missing;
        if (!s->engine_rpm) missing += "engine speed (010C)";
        if (!s->sensor_speed_kmh)
          missing += std::string(missing.empty() ? "" : " and ") + "speed (010D)";
        self->problem(missing.empty() ? "" : "no value for " + missing);
        self->deliver(*s);
        const auto next = self->cycle_start + self->timing.poll - self->clock.mono_now();
        after(self,
              std::max(std::chrono::duration_cast<std::chrono::milliseconds>(next),
                       std::chrono::milliseconds(0)),
              [self] { poll(self); });
      });
    });
  }
};

}  // namespace

std::unique_ptr<VehicleSignals> make_socketcan(boost::asio::io_context& io, const Clock& clock,
                                               std::string ifname, VehicleTiming timing) {
  std::string name = "socketcan://" + ifname;
  return std::make_unique<SourceHandle<CanImpl>>(
      std::make_shared<CanImpl>(io, clock, std::move(name), std::move(ifname), -1, timing));
}

std::unique_ptr<VehicleSignals> make_socketcan_on_fd(boost::asio::io_context& io,
                                                     const Clock& clock, int fd,
                                                     VehicleTiming timing) {
  return std::make_unique<SourceHandle<CanImpl>>(std::make_shared<CanImpl>(
      io, clock, "socketcan (fd " + std::to_string(fd) + ")", "", fd, timing));
}

}  // namespace tta::vehicle
