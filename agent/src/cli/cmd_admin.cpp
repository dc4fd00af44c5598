// The administrator's commands: `sessions`, `progress`, `outbox` (and `outbox retry`),
// `export` and `complete`. Each reads the store (and the syllabus of the config); what a
// record does not have prints as missing ("-", an empty CSV field, JSON null), never as 0.
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include <termios.h>
#include <unistd.h>

#include "daemon/admin_accounts.hpp"
#include "training/admin_export.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "training/progress.hpp"
#include "tta/core/clock.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

/// Config and store of a command, or the exit code that ends it.
struct Opened {
  config::Config cfg;
  store::Store store;
};

Result<Opened> open_all(const std::string& what, const std::string& config_file, int& exit_code) {
  auto cfg = load_config_or_report(config_file);
  if (!cfg) {
    exit_code = kExitUsage;
    return fail(Errc::invalid_argument, "config");
  }
  auto store = store::Store::open(cfg->store);
  if (!store) {
    std::cerr << "tta-agent " << what << ": " << store.error().message << '\n';
    exit_code = exit_code_for(store.error());
    return fail(store.error());
  }
  return Opened{std::move(*cfg), std::move(*store)};
}

int report(const std::string& what, const Error& e) {
  std::cerr << "tta-agent " << what << ": " << e.message << '\n';
  if (e.code == Errc::refused || e.code == Errc::already_exists) return kExitRefused;
  return exit_code_for(e);
}

std::int64_t now_ms() {
  SystemClock clock;
  return unix_millis(clock.wall_now());
}

std::string km_text(const std::optional<std::int64_t>& hm) {
  if (!hm) return "unknown";
  return std::to_string(*hm / 10) + "." + std::to_string(*hm % 10);
}

/// [from, to + 1 day) of two local dates; either may be empty (open end).
Result<std::pair<std::int64_t, std::int64_t>> date_range(const std::string& from,
                                                         const std::string& to) {
  std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  if (!from.empty()) {
    auto d = local_day_start_ms(from);
    if (!d) return fail(d.error().context("--from"));
    lo = *d;
  }
  if (!to.empty()) {
    auto d = local_day_start_ms(to);
    if (!d) return fail(d.error().context("--to"));
    hi = *d + kDayMs;  // --to is inclusive: the whole day
  }
  if (lo >= hi) return fail(Errc::invalid_argument, "--from is after --to");
  return std::pair{lo, hi};
}

// ---- sessions --------------------------------------------------------------------------------

struct SessionsArgs {
  std::string config, student, from, to;
  bool json = false;
};

int sessions(const SessionsArgs& a) {
  int rc = kExitOk;
  auto o = open_all("sessions", a.config, rc);
  if (!o) return rc;
  auto range = date_range(a.from, a.to);
  if (!range) return report("sessions", range.error());
  auto list = o->store.session_summaries(a.student, range->first, range->second);
  if (!list) return report("sessions", list.error());
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *list) out.push_back(session_json(s));
    std::cout << out.dump() << '\n';
    return kExitOk;
  }
  for (const auto& x : *list) {
    const auto& s = x.session;
    std::cout << s.id << '\t' << local_time_text(s.started_ms) << '\t'
              << (s.ended_ms ? local_time_text(*s.ended_ms) : "(open)") << '\t' << s.mode << '\t'
              << s.student_no << '\t' << (s.coach_no.empty() ? "-" : s.coach_no) << '\t'
              << s.course_code << '\t' << x.counted_minutes << '/' << x.minutes << " min\t"
              << km_text(x.mileage_hm) << " km" << (x.flags.empty() ? "" : "\t" + x.flags)
              << '\n';
  }
  std::cout << list->size() << " session(s)\n";
  return kExitOk;
}

// ---- progress --------------------------------------------------------------------------------

void print_progress(const StudentProgress& p) {
  std::cout << "student " << p.student_no << " " << p.name << " (" << p.licence_class << ")\n";
  if (p.programmes.empty()) std::cout << "  no programme of the syllabus applies\n";
  for (const auto& prog : p.programmes) {
    std::cout << prog.programme << " " << prog.title << ": " << prog.percent << "%"
              << (prog.complete ? " complete" : "")
              << (prog.window_from_ms ? " (since " + local_time_text(*prog.window_from_ms) + ")"
                                      : "")
              << '\n';
    for (const auto& part : prog.parts) {
      // "done/required", or just "done" for what this part does not require.
      auto amount = [](const std::string& done, std::int64_t required, const std::string& req) {
        return required > 0 ? done + "/" + req : done;
      };
      std::cout << "  part " << part.part << ":";
      if (part.required_practical_min > 0 || part.practical_min > 0) {
        std::cout << " practical "
                  << amount(std::to_string(part.practical_min), part.required_practical_min,
                            std::to_string(part.required_practical_min))
                  << " min";
      }
      if (part.required_classroom_min > 0 || part.classroom_min > 0) {
        std::cout << " classroom "
                  << amount(std::to_string(part.classroom_min), part.required_classroom_min,
                            std::to_string(part.required_classroom_min))
                  << " min";
      }
      if (part.required_mileage_hm > 0 || part.mileage_hm.value_or(0) > 0 || !part.mileage_hm) {
        std::cout << " mileage "
                  << amount(km_text(part.mileage_hm), part.required_mileage_hm,
                            km_text(part.required_mileage_hm))
                  << " km";
      }
      if (part.minutes_without_mileage > 0) {
        std::cout << " (" << part.minutes_without_mileage << " min without mileage)";
      }
      std::cout << "  " << part.percent << "%" << (part.complete ? " complete" : "") << '\n';
    }
  }
  if (p.unmatched_min > 0) {
    std::cout << p.unmatched_min << " counted minute(s) match no part of the syllabus\n";
  }
  for (const auto& a : p.assessments) {
    std::cout << "assessment " << a.assessed_on << " " << a.programme << " "
              << (a.passed ? "pass" : "fail") << " (" << a.assessor << ")\n";
  }
  for (const auto& c : p.certificates) {
    std::cout << "certificate " << c.number << " " << c.programme << " granted " << c.granted_on
              << '\n';
  }
}

int show_progress(const std::string& config, const std::string& student, bool json) {
  int rc = kExitOk;
  auto o = open_all("progress", config, rc);
  if (!o) return rc;
  auto p = progress(o->store, o->cfg, student, now_ms());
  if (!p) return report("progress", p.error());
  if (json) {
    std::cout << progress_json(*p).dump() << '\n';
  } else {
    print_progress(*p);
  }
  return kExitOk;
}

// ---- outbox ----------------------------------------------------------------------------------

struct OutboxArgs {
  std::string config;
  bool json = false;
  int limit = 50;
  // retry
  std::optional<std::int64_t> id;
  bool all_refused = false;
};

nlohmann::json nullable(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

int outbox(const OutboxArgs& a) {
  int rc = kExitOk;
  auto o = open_all("outbox", a.config, rc);
  if (!o) return rc;
  auto kinds = o->store.outbox().counts_by_kind();
  if (!kinds) return report("outbox", kinds.error());
  auto pending = o->store.outbox().pending(a.limit);
  if (!pending) return report("outbox", pending.error());
  auto refused = o->store.outbox().refused(a.limit);
  if (!refused) return report("outbox", refused.error());
  if (a.json) {
    nlohmann::json k = nlohmann::json::array();
    for (const auto& x : *kinds) {
      k.push_back({{"kind", x.kind}, {"queued", x.counts.queued},
                   {"in_flight", x.counts.in_flight}, {"acked", x.counts.acked},
                   {"refused", x.counts.refused}});
    }
    nlohmann::json p = nlohmann::json::array();
    for (const auto& e : *pending) {
      p.push_back({{"id", e.id}, {"kind", e.kind}, {"key", e.key},
                   {"state", e.state == store::OutboxState::in_flight ? "in_flight" : "queued"},
                   {"attempts", e.attempts}, {"next_attempt", local_time_text(e.next_attempt_ms)},
                   {"last_error", nullable(e.last_error)}});
    }
    nlohmann::json r = nlohmann::json::array();
    for (const auto& e : *refused) {
      r.push_back({{"id", e.id}, {"kind", e.kind}, {"key", e.key}, {"attempts", e.attempts},
                   {"refusals", e.refusals}, {"reason", e.last_error}});
    }
    std::cout << nlohmann::json{{"kinds", k}, {"pending", p}, {"refused", r}}.dump() << '\n';
    return kExitOk;
  }
  std::cout << "kind\tqueued\tin_flight\tacked\trefused\n";
  for (const auto& x : *kinds) {
    std::cout << x.kind << '\t' << x.counts.queued << '\t' << x.counts.in_flight << '\t'
              << x.counts.acked << '\t' << x.counts.refused << '\n';
  }
  std::cout << "pending (first " << a.limit << "): " << pending->size() << '\n';
  for (const auto& e : *pending) {
    std::cout << "  " << e.id << '\t' << e.kind << '\t' << e.key << "\tattempts " << e.attempts
              << "\tnext " << local_time_text(e.next_attempt_ms)
              << (e.last_error.empty() ? "" : "\t" + e.last_error) << '\n';
  }
  std::cout << "refused (first " << a.limit << "): " << refused->size()
            << "  (retry: tta-agent outbox retry --id N | --all-refused)\n";
  for (const auto& e : *refused) {
    std::cout << "  " << e.id << '\t' << e.kind << '\t' << e.key << "\tattempts " << e.attempts
              << '\t' << e.last_error << '\n';
  }
  return kExitOk;
}

int outbox_retry(const OutboxArgs& a) {
  if (a.id.has_value() == a.all_refused) {
    std::cerr << "tta-agent outbox retry: give either --id N or --all-refused\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  auto o = open_all("outbox retry", a.config, rc);
  if (!o) return rc;
  std::vector<std::int64_t> ids;
  const auto now = now_ms();
  if (a.id) {
    auto e = o->store.outbox().entry(*a.id);
    if (!e) return report("outbox retry", e.error());
    if (!*e) {
      return report("outbox retry", Error(Errc::not_found, "no outbox entry " + std::to_string(*a.id)));
    }
    if ((*e)->state != store::OutboxState::refused) {
      return report("outbox retry", Error(Errc::refused, "entry " + std::to_string(*a.id) +
                                                             " was not refused; only refused "
                                                             "entries are retried"));
    }
    ids.push_back(*a.id);
  } else {
    // In batches: a requeued entry leaves the refused list, so each batch is new ones.
    while (true) {
      auto refused = o->store.outbox().refused(1000);
      if (!refused) return report("outbox retry", refused.error());
      if (refused->empty()) break;
      for (const auto& e : *refused) {
        if (auto st = o->store.outbox().requeue(e.id, now); !st) {
          return report("outbox retry", st.error());
        }
        ids.push_back(e.id);
      }
    }
  }
  if (a.id) {
    if (auto st = o->store.outbox().requeue(*a.id, now); !st) return report("outbox retry", st.error());
  }
  (void)o->store.log_event("outbox.requeued", std::to_string(ids.size()) + " entries", now);
  if (a.json) {
    std::cout << nlohmann::json{{"requeued", ids}}.dump() << '\n';
  } else {
    std::cout << "requeued " << ids.size() << " entr" << (ids.size() == 1 ? "y" : "ies") << '\n';
  }
  return kExitOk;
}

// ---- export ----------------------------------------------------------------------------------

struct ExportArgs {
  std::string config, from, to, format = "csv", what = "minutes", out;
};

int export_csv(const ExportArgs& a) {
  int rc = kExitOk;
  auto o = open_all("export", a.config, rc);
  if (!o) return rc;
  auto range = date_range(a.from, a.to);
  if (!range) return report("export", range.error());
  auto csv = agent::export_csv(o->store, a.what, range->first, range->second);
  if (!csv) return report("export", csv.error());
  const std::string& text = csv->text;
  const std::size_t rows = csv->rows;
  if (a.out.empty()) {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    std::cerr << "tta-agent export: cannot write " << a.out << '\n';
    return kExitFailure;
  }
  std::cerr << "wrote " << rows << " " << a.what << " to " << a.out << '\n';
  return kExitOk;
}

// ---- complete --------------------------------------------------------------------------------

struct CompleteArgs {
  std::string config, student, result, assessor, date, programme;
  bool json = false;
};

int run_complete(const CompleteArgs& a) {
  int rc = kExitOk;
  auto o = open_all("complete", a.config, rc);
  if (!o) return rc;
  CompletionRequest req{.student_no = a.student, .programme = a.programme,
                        .passed = a.result == "pass", .assessor = a.assessor, .date = a.date};
  const auto now = now_ms();
  auto r = complete(o->store, o->cfg, req, now);
  if (!r) return report("complete", r.error());
  (void)o->store.log_event("student.assessed",
                           a.student + " " + r->assessment.programme + " " + a.result, now);
  if (a.json) {
    nlohmann::json queued = nlohmann::json::array();
    for (const auto& e : r->queued) queued.push_back({{"kind", e.kind}, {"key", e.key}});
    nlohmann::json cert = nullptr;
    if (r->certificate) {
      const auto& c = *r->certificate;
      cert = {{"number", c.number},
              {"kind", c.kind},
              {"granted_on", c.granted_on},
              {"practical_min", c.practical_min},
              {"classroom_min", c.classroom_min},
              {"mileage_km", c.mileage_hm ? nlohmann::json(static_cast<double>(*c.mileage_hm) / 10.0)
                                          : nlohmann::json(nullptr)}};
    }
    std::cout << nlohmann::json{{"student", a.student},
                                {"programme", r->assessment.programme},
                                {"result", a.result},
                                {"assessor", a.assessor},
                                {"date", r->assessment.assessed_on},
                                {"assessment_id", r->assessment.id},
                                {"certificate", cert},
                                {"queued", queued}}
                     .dump()
              << '\n';
  } else if (r->certificate) {
    std::cout << "certificate " << r->certificate->number << " issued to " << a.student << " for "
              << r->assessment.programme << " on " << r->certificate->granted_on << "; "
              << r->queued.size() << " upload(s) queued\n";
  } else {
    std::cout << "assessment recorded: " << a.student << " " << r->assessment.programme
              << " fail (" << a.assessor << ", " << r->assessment.assessed_on
              << "); no certificate\n";
  }
  return kExitOk;
}

/// A password from standard input: one line, not echoed when it is a terminal.
std::optional<std::string> read_password() {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty && ::tcgetattr(STDIN_FILENO, &old) == 0) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::cerr << "password: " << std::flush;
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << '\n';
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int admin_add(const std::string& config, const std::string& user) {
  int rc = kExitOk;
  auto o = open_all("admin add", config, rc);
  if (!o) return rc;
  auto password = read_password();
  if (!password) {
    std::cerr << "tta-agent admin add: no password on standard input\n";
    return kExitUsage;
  }
  if (auto st = set_admin(o->store, user, *password, now_ms()); !st) {
    std::cerr << "tta-agent admin add: " << st.error().message << '\n';
    return st.error().code == Errc::invalid_argument ? kExitUsage : exit_code_for(st.error());
  }
  std::cout << "administrator " << user << " can log in to the administrator's pages\n";
  return kExitOk;
}

int admin_list(const std::string& config) {
  int rc = kExitOk;
  auto o = open_all("admin list", config, rc);
  if (!o) return rc;
  auto names = admin_names(o->store);
  if (!names) return report("admin list", names.error());
  for (const auto& n : *names) std::cout << n << '\n';
  return kExitOk;
}

}  // namespace

void add_admin_commands(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand("admin", "Administrator accounts for the administrator's pages");
    cmd->require_subcommand(1);
    auto* add = cmd->add_subcommand(
        "add", "Add an administrator, or set a new password (read from standard input)");
    auto config = std::make_shared<std::string>();
    auto user = std::make_shared<std::string>();
    add->add_option("--config", *config, "TOML config file")->required();
    add->add_option("--user", *user, "the name to log in with (a-z 0-9 . _ -)")->required();
    add->callback([=, &exit_code] { exit_code = admin_add(*config, *user); });
    auto* list = cmd->add_subcommand("list", "Name every administrator");
    auto lconfig = std::make_shared<std::string>();
    list->add_option("--config", *lconfig, "TOML config file")->required();
    list->callback([=, &exit_code] { exit_code = admin_list(*lconfig); });
  }
  {
    auto* cmd = app.add_subcommand("sessions", "List training sessions with their minutes");
    auto a = std::make_shared<SessionsArgs>();
    cmd->add_option("--config", a->config, "TOML config file")->required();
    cmd->add_option("--student", a->student, "only this student's sessions");
    cmd->add_option("--from", a->from, "first day, YYYY-MM-DD (local)");
    cmd->add_option("--to", a->to, "last day, YYYY-MM-DD (local, inclusive)");
    cmd->add_flag("--json", a->json, "print one JSON array");
    cmd->callback([a, &exit_code] { exit_code = sessions(*a); });
  }
  {
    auto* cmd = app.add_subcommand("progress", "A student's hours and mileage against the syllabus");
    auto config = std::make_shared<std::string>();
    auto student = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("--config", *config, "TOML config file")->required();
    cmd->add_option("--student", *student, "student's national number")->required();
    cmd->add_flag("--json", *json, "print one JSON object");
    cmd->callback([=, &exit_code] { exit_code = show_progress(*config, *student, *json); });
  }
  {
    auto* cmd = app.add_subcommand("outbox", "Outbox counts, pending and refused entries");
    auto a = std::make_shared<OutboxArgs>();
    cmd->add_option("--config", a->config, "TOML config file");
    cmd->add_option("--limit", a->limit, "pending entries to list")->check(CLI::Range(1, 100000));
    cmd->add_flag("--json", a->json, "print one JSON object");
    auto* retry = cmd->add_subcommand("retry", "Put refused entries back in the queue");
    auto r = std::make_shared<OutboxArgs>();
    retry->add_option("--config", r->config, "TOML config file")->required();
    retry->add_option("--id", r->id, "the refused entry to retry");
    retry->add_flag("--all-refused", r->all_refused, "retry every refused entry");
    retry->add_flag("--json", r->json, "print one JSON object");
    retry->callback([r, &exit_code] { exit_code = outbox_retry(*r); });
    cmd->callback([retry, a, &exit_code] {
      if (retry->parsed()) return;
      if (a->config.empty()) {
        std::cerr << "tta-agent outbox: --config is required\n";
        exit_code = kExitUsage;
        return;
      }
      exit_code = outbox(*a);
    });
  }
  {
    auto* cmd = app.add_subcommand("export", "Minutes or sessions of a period as CSV");
    auto a = std::make_shared<ExportArgs>();
    cmd->add_option("--config", a->config, "TOML config file")->required();
    cmd->add_option("--from", a->from, "first day, YYYY-MM-DD (local)")->required();
    cmd->add_option("--to", a->to, "last day, YYYY-MM-DD (local, inclusive)")->required();
    cmd->add_option("--format", a->format, "csv")->check(CLI::IsMember({"csv"}));
    cmd->add_option("--what", a->what, "minutes or sessions")
        ->check(CLI::IsMember({"minutes", "sessions"}));
    cmd->add_option("--out", a->out, "write to this file instead of standard output");
    cmd->callback([a, &exit_code] { exit_code = export_csv(*a); });
  }
  {
    auto* cmd = app.add_subcommand(
        "complete", "Record a final assessment; a pass issues the completion certificate");
    auto a = std::make_shared<CompleteArgs>();
    cmd->add_option("--config", a->config, "TOML config file")->required();
    cmd->add_option("--student", a->student, "student's national number")->required();
    cmd->add_option("--result", a->result, "pass or fail")
        ->required()
        ->check(CLI::IsMember({"pass", "fail"}));
    cmd->add_option("--assessor", a->assessor, "who assessed (name)")->required();
    cmd->add_option("--date", a->date, "YYYY-MM-DD (local); default today");
    cmd->add_option("--programme", a->programme,
                    "syllabus programme; default the student's licence class");
    cmd->add_flag("--json", a->json, "print one JSON object");
    cmd->callback([a, &exit_code] { exit_code = run_complete(*a); });
  }
}

}  // namespace tta::agent
