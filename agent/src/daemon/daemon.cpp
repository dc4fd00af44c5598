#include "daemon/daemon_impl.hpp"

#include <boost/asio.hpp>

#include <spdlog/spdlog.h>

#include "tta/core/hex.hpp"
#include "tta/core/secure_file.hpp"

namespace tta::agent {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using nlohmann::json;

Status ensure_control_token(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return ok();
  auto bytes = random_bytes(32);
  if (!bytes) return fail(bytes.error());
  const std::string hex = to_hex(*bytes);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  return write_secret_file(file, std::vector<std::uint8_t>(hex.begin(), hex.end()));
}

/// The config with the platform's stored application parameters (0x8501) applied.
config::Config with_stored_params(const config::Config& cfg, store::Store& store) {
  config::Config out = cfg;
  if (auto p = current_app_params(store, cfg.training)) {
    apply_app_params(out.training, *p);
  } else {
    spdlog::warn("application parameters: {}; the config's are used", p.error().message);
  }
  return out;
}


Daemon::Daemon(asio::io_context& io, const config::Config& cfg, store::Store& store,
               const Clock& clock, DaemonParts parts, DaemonOptions options)
    : impl_(std::make_unique<Impl>(io, cfg, store, clock, std::move(parts), std::move(options))) {
  if (const auto t0 = impl_->options.start_time) impl_->fix_clock.on_fix(*t0, clock.mono_now());
}
Daemon::~Daemon() { stop(); }

namespace {

/// The control API (with the screens) on agent.control_listen and, when set, the
/// administrator's pages on agent.admin_listen.
Status start_listeners(Daemon::Impl& d) {
  auto token = read_secret_file(d.cfg.agent.control_token_file);
  if (!token) return fail(token.error().context("control-API token"));
  std::string api_token(token->begin(), token->end());
  while (!api_token.empty() && (api_token.back() == '\n' || api_token.back() == '\r')) {
    api_token.pop_back();
  }
  if (api_token.size() < 16) return fail(Errc::permission, "control-API token is too short");

  const std::string& listen = d.cfg.agent.control_listen;
  std::string where = listen;
  if (listen.starts_with("unix:")) {
    fs::path path = listen.substr(5);
    if (path.is_relative()) path = d.cfg.source.parent_path() / path;
    where = "unix:" + path.string();
  }
  d.api = std::make_unique<control::Server>(d.io, d, std::move(api_token));
  if (auto st = d.api->listen(where); !st) return st;
  if (!d.cfg.agent.admin_listen.empty()) {
    auto tls = control::admin::tls_context(d.cfg.agent.admin_tls_cert, d.cfg.agent.admin_tls_key);
    if (!tls) return fail(tls.error().context("administrator's pages"));
    d.admin = std::make_unique<control::admin::Server>(d.io, d, std::move(*tls));
    if (auto st = d.admin->listen(d.cfg.agent.admin_listen); !st) return st;
    spdlog::info("administrator's pages on https://{}/admin/", d.cfg.agent.admin_listen);
  }
  return ok();
}

}  // namespace

Status Daemon::start() {
  auto& d = *impl_;
  if (d.options.serve_control) {
    if (auto st = start_listeners(d); !st) return st;
  }
  if (d.cfg.agent.simulated) {
    spdlog::warn("SIMULATED terminal (agent.simulated = true): every minute, photo and upload "
                 "is marked SIMULATED; timing platform {}:{} is {}, supervision platform {}",
                 d.cfg.uplink.tcp.host, d.cfg.uplink.tcp.port,
                 d.cfg.uplink.tcp.test_platform
                     ? "a test platform (simulated records are sent)"
                     : "NOT a test platform (simulated records stay in the outbox, refused)",
                 d.cfg.uplink.http.base_url.empty() ? std::string("not configured")
                 : d.cfg.uplink.http.test_platform ? "a test platform"
                                                   : "NOT a test platform (simulated records refused)");
  }
  if (auto st = d.prepare_http(); !st) return st;
  if (!d.gnss && !d.engine.classroom()) {
    return fail(Errc::invalid_argument, "GNSS source: none given");
  }
  if (!d.faces) return fail(Errc::invalid_argument, "face checks: no face checker given");
  if (!d.gnss) {
    spdlog::info("no GNSS receiver: the classroom's position from [classroom] is used");
  } else if (auto st = d.gnss->start([&d](const gps::Fix& fix) {
        ++d.fixes;
        if (auto t = fix.utc()) d.fix_clock.on_fix(*t, d.clock.mono_now());
        if (auto* v = d.engine.vehicle()) v->on_fix(fix, d.clock.mono_now());
        d.last_fix_mono = d.clock.mono_now();
        d.last_fix_wall = d.now();
        if (auto* c = d.engine.classroom()) c->on_tick(d.now());  // GNSS time: tick per fix
      });
      !st) {
    return fail(st.error().context("GNSS source"));
  }
  // --- [vehicle-signals] begin: ignition/OBD/pulses (parts.hpp; none when [vehicle] names none).
  // Samples are stamped on the engine's timeline (GNSS time, as every minute is).
  if (d.vehicle) {
    if (auto st = d.vehicle->start([&d](VehicleSample v) {
          v.at = d.now();
          d.vehicle_last_sample = v.at;
          if (v.ignition_on || v.engine_rpm || v.sensor_speed_kmh) d.vehicle_last_ok = v.at;
          if (auto* e = d.engine.vehicle()) e->on_vehicle(v);
        });
        !st) {
      return fail(st.error().context("vehicle signals"));
    }
  }
  // --- [vehicle-signals] end
  d.engine.on_outbox([&d] {
    d.forwarder.poke();
    d.post_teach_scan();
  });
  d.photos.on_outbox([&d] { d.forwarder.poke(); });
  d.forwarder.on_reply([&d](const uplink::ExtendedMessage& m) { d.on_platform_reply(m); });
  d.wire_checks();
  // After on_outbox: what resuming queues is delivered.
  if (auto st = d.engine.resume(d.now()); !st) spdlog::error("resume: {}", st.error().message);
  if (d.engine.classroom()) d.classroom_tick();
  if (d.engine.vehicle()) d.gnss_watch_tick();
  // --- [retention] begin: prune acknowledged records; nearly full stops timed photos.
  d.retention.on_nearly_full([&d](bool full) { d.engine.set_timed_photos_paused(full, d.now()); });
  d.retention.start(*d.scheduler, [&d] { return d.now(); });
  // --- [retention] end
  d.load_term_params();
  d.session.start();
  d.forwarder.start();
  d.arm_report();
  if (d.options.serve_control) {
    spdlog::info("agent running; control API on {}", d.cfg.agent.control_listen);
  } else {
    spdlog::info("agent running (no control API)");
  }
  return ok();
}

void Daemon::stop() {
  if (!impl_) return;
  auto& d = *impl_;
  if (d.api) d.api->stop();
  if (d.admin) d.admin->stop();
  d.teach_timer.cancel();
  d.tick_timer.cancel();
  d.gnss_watch_timer.cancel();
  d.report_timer.cancel();
  d.retention.stop();  // [retention]
  if (d.gnss) d.gnss->stop();
  if (d.http) d.http->stop();
  d.forwarder.stop();
  d.session.stop();
}

void Daemon::config_reload_refused(const std::string& problem) {
  ++impl_->reloads_refused;
  impl_->reload_problem = problem;
  impl_->photos.event("config.reload_refused", problem, impl_->now());
}

control::Backend& Daemon::backend() { return *impl_; }
EngineStatus Daemon::training_status() const { return impl_->engine.status(); }
std::size_t Daemon::deliveries_in_flight() const { return impl_->forwarder.in_flight(); }
bool Daemon::online() const { return impl_->session.online(); }

std::uint16_t Daemon::control_port() const {
  return impl_->api ? impl_->api->port() : 0;
}

}  // namespace tta::agent