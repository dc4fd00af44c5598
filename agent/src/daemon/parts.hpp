#pragma once
/// The parts a `Daemon` is assembled from, injected through its constructor so that `run`
/// (the real devices), `simulate` and the tests (fakes, tests/support/) build the same daemon.
/// Besides these the daemon takes the store (store::Store) and a `Clock`. The platform
/// transports (the JT/T 808 session, the HTTPS client) are parts too; left unset, they are
/// made from the config's [uplink] section and talk to whatever platform it names.

#include <utility>  // before Asio

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "outbox/forwarder.hpp"       // ForwarderOptions, TerminalLink
#include "outbox/http_forwarder.hpp"  // HttpTransfers
#include "training/engine.hpp"    // FaceEvidence
#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/core/scheduler.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/evidence.hpp"
#include "tta/face/liveness.hpp"
#include "tta/gps/source.hpp"
#include "tta/uplink/session.hpp"
#include "tta/vehicle/signals.hpp"

namespace tta::agent {

/// The camera and the face engine behind one small interface. Called on the daemon's face
/// worker thread only, one call at a time, so an implementation needs no locking; a call may
/// block (camera grabs, inference) and never throws: every problem is an outcome in words.
/// The exception is preview(), called from the event loop at any time: it must not block and
/// must not touch the camera (the implementation guards what it shares with the worker).
class FaceChecker {
 public:
  /// Largest side of a preview frame, in pixels: small enough for a screen's corner.
  static constexpr int kPreviewMaxSidePx = 320;
  /// A preview older than this is not shown: it would be someone else's face.
  static constexpr std::chrono::seconds kPreviewMaxAge{10};

  /// A frame for the screen's live preview: a small JPEG, and when it was grabbed.
  struct Preview {
    std::vector<std::uint8_t> jpeg;
    std::chrono::steady_clock::time_point grabbed;
  };

  virtual ~FaceChecker() = default;
  /// The newest frame this checker grabbed (for a check, a photo or a capture), downscaled to
  /// kPreviewMaxSidePx. Never grabs: a folder camera (dir://) is not advanced, so a check sees
  /// the frames it would have seen without any preview. Errc::not_found before any frame.
  [[nodiscard]] virtual Result<Preview> preview() = 0;
  /// One frame grabbed now, as a JPEG at the camera's size (the administrator's enrolment from
  /// a camera capture, which then goes through enrol() like an uploaded photo).
  [[nodiscard]] virtual Result<std::vector<std::uint8_t>> capture() = 0;
  /// Frames of whoever is in front of the camera compared with `templ` (match and liveness);
  /// the evidence photo of size `size_code` is stamped with `stamp` and `event`.
  [[nodiscard]] virtual FaceEvidence check(const face::Template& templ,
                                           const face::EvidenceStamp& stamp, std::uint8_t event,
                                           std::uint8_t size_code) = 0;
  /// One picture without a face check (nobody to compare with): confidence stays 0.
  [[nodiscard]] virtual FaceEvidence photo(const face::EvidenceStamp& stamp,
                                           std::uint8_t size_code) = 0;
  /// A face template and enrolment photo made from an encoded photo (JPEG/PNG/PGM).
  [[nodiscard]] virtual Result<face::Enrolment> enrol(std::span<const std::uint8_t> photo) = 0;
};

/// What a person is asked to do during a face check on this terminal: face.liveness_challenge,
/// where "auto" is a blink at a classroom kiosk (nobody watches it) and nothing in a vehicle
/// (the coach is there).
[[nodiscard]] face::Challenge liveness_challenge(const config::Config& cfg);

/// The real face checker: the camera of face.camera and the ONNX engine of face.models_dir,
/// each opened on first use (a terminal without a camera still times training); each check
/// asks for `challenge` (liveness_challenge()).
[[nodiscard]] std::unique_ptr<FaceChecker> make_camera_face_checker(const config::FaceConfig& cfg,
                                                                    face::Challenge challenge);

/// The timing platform's link as the daemon uses it: the calls it makes of the JT/T 808
/// session (uplink::TerminalSession), with those the TCP forwarder makes (TerminalLink).
/// Loop thread only.
class PlatformLink : public TerminalLink {
 public:
  /// Start connecting (and reconnecting) until stop().
  virtual void start() = 0;
  virtual void stop() = 0;
  /// The terminal number from registration (empty before).
  [[nodiscard]] virtual std::string terminal_no() const = 0;
  /// A 0x0200 position report; `done` gets its ack.
  virtual void send_position(const uplink::PositionReport& p,
                             uplink::TerminalSession::Done done) = 0;
  /// A core message answering the platform (0x0104); dropped when offline.
  virtual void send_reply(std::uint16_t msg_id, const uplink::Bytes& body) = 0;
  /// A new heartbeat interval (0x8103).
  virtual void set_heartbeat(std::chrono::milliseconds interval) = 0;
  /// Close the connection and connect again (0x8105); `why` reaches on_offline.
  virtual void reconnect(const std::string& why) = 0;
};

/// Makes the platform link once the daemon exists: the link tells `listener` (the daemon)
/// what the platform sends and keeps its registration in `credentials` (the store).
using PlatformLinkFactory = std::function<std::unique_ptr<PlatformLink>(
    uplink::CredentialStore& credentials, uplink::SessionListener& listener)>;

/// The JT/T 808 session to the platform of [uplink.tcp], on `clock`.
[[nodiscard]] std::unique_ptr<PlatformLink> make_session_link(
    boost::asio::io_context& io, const config::Config& cfg, const Clock& clock,
    uplink::CredentialStore& credentials, uplink::SessionListener& listener);

/// What the daemon reads the world through. Each is started by `Daemon::start` and stopped by
/// `Daemon::stop`; the daemon owns them from its construction on.
struct DaemonParts {
  /// Fixes; null only on a classroom kiosk without a receiver (its position is fixed).
  std::unique_ptr<gps::GnssSource> gnss;
  std::unique_ptr<vehicle::VehicleSignals> vehicle;  ///< null when [vehicle] names no source
  std::unique_ptr<FaceChecker> faces;               ///< never null
  /// The timing platform. Unset: make_session_link, the JT/T 808 session of [uplink.tcp].
  /// A factory, because the link reports to the daemon, which it is made for.
  PlatformLinkFactory platform;
  /// The supervision platform's HTTPS transfers, used when uplink.http.base_url is set.
  /// Null: libcurl to that address (uplink::HttpClient).
  std::unique_ptr<HttpTransfers> https;
  /// The daemon's timers (position reports, teaching-log scans, classroom ticks, retention).
  /// Null: Asio timers on the clock's time (asio_scheduler.hpp).
  std::unique_ptr<Scheduler> timers;
};

/// How a daemon runs besides its config: `run` takes the defaults; the simulator, whose time
/// is a SIMULATED route replayed as fast as it can be read, changes them.
struct DaemonOptions {
  /// The TCP forwarder's pacing (outbox/forwarder.hpp).
  ForwarderOptions forwarder;
  /// false: no control API, screens or administrator's pages (nothing to serve: the simulator
  /// drives the backend in-process, Daemon::backend()).
  bool serve_control = true;
  /// true: face checks run on the loop, inside the call that asks for one. A check then takes
  /// no time on a route replayed faster than real time (the simulator); a terminal keeps them
  /// on the worker thread so timing never waits for a camera.
  bool face_checks_inline = false;
  /// Set: the time base starts here, as if a fix of this time had just come (the simulator:
  /// its route's start, so that the platform link's "online since" and the minutes made on
  /// the route's GNSS time are on one timeline). Unset: the clock's wall time until a fix.
  std::optional<WallTime> start_time;
  /// Set: the seed of a classroom's random re-check moments (the simulator fixes it, so a
  /// class replays the same). Unset: a random seed, as on a kiosk.
  std::optional<std::uint64_t> classroom_seed;
};

/// The parts a terminal's config names: gps.source, the [vehicle] sources, the camera and the
/// face models, and the daemon's timers (the GNSS source retries on them). Fails on a GNSS
/// URI or vehicle source that cannot be made at all; a device that is absent is not a failure.
[[nodiscard]] Result<DaemonParts> real_parts(boost::asio::io_context& io,
                                             const config::Config& cfg, const Clock& clock);

}  // namespace tta::agent
