// The daemon's timers: 0x0200 position reports, the teaching-log scan, classroom ticks.
#include "daemon/daemon_impl.hpp"

namespace tta::agent {

namespace asio = boost::asio;
using nlohmann::json;

std::uint32_t Daemon::Impl::report_interval() {
  if (auto* v = engine.vehicle(); v && v->ignition_on(now()) == false) return term.sleep_report_s;
  return term.report_s;
}

void Daemon::Impl::arm_report() {
  const std::uint32_t interval = report_interval();
  // With reports off, look again in a minute (the ignition may come on).
  report_timer.after(std::chrono::seconds(interval != 0 ? interval : 60), [this] {
    if (report_interval() != 0) send_position_report();
    arm_report();
  });
}

void Daemon::Impl::send_position_report() {
  if (!session.online()) return;  // positions are not stored for later: the next one comes
  // A SIMULATED position never reaches a production platform (a 0x0200 has no mark for it).
  if (cfg.agent.simulated && !cfg.uplink.tcp.test_platform) return;
  uplink::PositionReport r;
  if (auto* v = engine.vehicle()) r.basic = v->position_block();
  if (auto* c = engine.classroom()) r.basic = c->position_block(now());
  session.send_position(r, [this](Result<uplink::Reply> res) {
    if (res && res->ack_result == 0) ++positions_sent;
  });
}

void Daemon::Impl::post_teach_scan() {
  if (!teach_ready || teach_posted) return;
  teach_posted = true;
  asio::post(io, [this] {
    teach_posted = false;
    teach_scan();
  });
}

void Daemon::Impl::teach_scan() {
  if (!teach_ready) return;
  auto n = scan_teaching_logs(
      store, teach_id, now_ms(), [this](const std::string& no) { return student_totals(no); },
      [this](const store::TrainingSession& t) { return continuing_totals(store, cfg, t); });
  if (!n) {
    spdlog::error("teaching log: {}", n.error().message);
  } else if (*n > 0 && http) {
    http->poke();
  }
}

std::optional<StudentTotals> Daemon::Impl::student_totals(const std::string& student_no) {
  auto p = agent::progress(store, cfg, student_no, now_ms());
  if (!p) {
    spdlog::warn("teaching log: progress of {}: {}", student_no, p.error().message);
    return std::nullopt;
  }
  for (const auto& prog : p->programmes) {
    if (prog.kind != "licence") continue;
    StudentTotals t;
    for (const auto& part : prog.parts) {
      if (part.part < 1 || part.part > 4) continue;
      const auto minutes = part.practical_min + part.classroom_min;
      t.part_min[part.part - 1] = minutes;
      t.total_min += minutes;
    }
    return t;
  }
  return std::nullopt;
}

void Daemon::Impl::teach_tick() {
  teach_scan();
  teach_timer.after(std::chrono::seconds(1), [this] { teach_tick(); });
}

void Daemon::Impl::gnss_watch_tick() {
  gnss_watch_timer.after(std::chrono::seconds(1), [this] {
    // No fix for over 2 s (no receiver, gpsd down, no sentences at all): the minutes go on on
    // the daemon's clock, flagged no_gnss, rather than stop until a fix comes.
    auto* v = engine.vehicle();
    if (v && (!last_fix_mono || clock.mono_now() - *last_fix_mono > std::chrono::seconds(2))) {
      v->on_clock(now());
    }
    gnss_watch_tick();
  });
}

void Daemon::Impl::classroom_tick() {
  tick_timer.after(std::chrono::seconds(1), [this] {
    auto* c = engine.classroom();
    if (c && (!last_fix_mono || clock.mono_now() - *last_fix_mono > std::chrono::seconds(2))) {
      c->on_tick(now());
    }
    classroom_tick();
  });
}

}  // namespace tta::agent
