// tta-platform-sim: a timing-platform simulator for tests and integrators.
//   tta-platform-sim --tcp-port P --admin-port Q --data-dir DIR [fault options]
//   [--https-port P [--http-client-cert PEM]... [HTTP fault options]]  the supervision platform's
//   HTTPS interface; without --tls-cert/--tls-key its CA is written to DIR/https-ca.pem.
//   [--audit-config AGENT.toml]  the platform's audit rules (teaching fences, training hours,
//   photo window) from an agent config, e.g. config/demo.toml.
// Port 0 picks a free port; the chosen ports are printed on the first line of stdout.
#include <iostream>

#include <CLI/CLI.hpp>

#include "sim.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tta-platform-sim: JT/T 808 driving-training platform simulator"};
  tta::sim::SimOptions opt;
  std::string data_dir;
  std::uint32_t ack_delay_ms = 0;
  app.add_option("--listen", opt.listen_host, "address to listen on")->capture_default_str();
  app.add_option("--tcp-port", opt.tcp_port, "terminal protocol port (0 = any free)");
  app.add_option("--admin-port", opt.admin_port, "HTTP admin port (0 = any free)");
  app.add_option("--data-dir", data_dir, "where received data is stored")->required();
  app.add_option("--drop-every", opt.faults.drop_every,
                 "close the connection on every Nth frame received");
  app.add_option("--ack-delay-ms", ack_delay_ms, "delay every reply");
  app.add_option("--refuse-every", opt.faults.refuse_every,
                 "answer every Nth training record with a failure ack");
  app.add_option("--corrupt-every", opt.faults.corrupt_every,
                 "break the checksum of every Nth frame sent");
  app.add_option("--silent-after", opt.faults.silent_after,
                 "ignore everything after N frames on each connection");
  app.add_option("--lose-subpacket-every", opt.faults.lose_subpacket_every,
                 "lose part 2 of every Nth split message and ask for it again (0x8003)");
  app.add_flag("--resend-by-index", opt.faults.resend_by_index,
               "list lost parts in 0x8003 by sub-packet index, not by serial");
  app.add_flag("--reply-without-echo", opt.faults.reply_without_echo,
               "replies carry training packet number 0, not the request's");
  app.add_flag("--ack-last-serial", opt.faults.ack_last_serial,
               "ack a split message against its last sub-packet's serial");
  std::string tls_cert;
  std::string tls_key;
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain: the terminal port speaks TLS");
  app.add_option("--tls-key", tls_key, "PEM private key for --tls-cert");
  std::uint32_t http_delay_ms = 0;
  std::vector<std::string> http_client_certs;
  app.add_option("--https-port", opt.https_port,
                 "serve the supervision platform's HTTPS interface here (0 = any free)");
  app.add_option("--http-client-cert", http_client_certs,
                 "PEM certificate whose key may sign HTTPS requests (repeatable)");
  app.add_option("--http-5xx-every", opt.faults.http_5xx_every,
                 "answer every Nth HTTPS request with 503");
  app.add_option("--http-delay-ms", http_delay_ms, "delay every HTTPS response");
  app.add_option("--http-reset-every", opt.faults.http_reset_every,
                 "store every Nth HTTPS upload, then reset the connection mid-body");
  app.add_option("--http-refuse-every", opt.faults.http_refuse_every,
                 "refuse every Nth HTTPS upload with errorcode 9");
  std::string audit_config;
  app.add_option("--audit-config", audit_config,
                 "audit received minutes with the teaching fences, training hours and photo "
                 "interval of this agent config (default: no fence rule, 05:00-22:00, 15 min)");
  CLI11_PARSE(app, argc, argv);
  if (!audit_config.empty()) {
    auto rules = tta::sim::audit_rules_from_config(audit_config);
    if (!rules) {
      std::cerr << "tta-platform-sim: --audit-config: " << rules.error().message << '\n';
      return 2;
    }
    opt.audit = std::move(*rules);
  }
  opt.https = app.count("--https-port") > 0;
  opt.faults.http_delay = std::chrono::milliseconds(http_delay_ms);
  for (const auto& c : http_client_certs) opt.http_client_certs.emplace_back(c);
  opt.data_dir = data_dir;
  opt.tls_cert_file = tls_cert;
  opt.tls_key_file = tls_key;
  opt.faults.ack_delay = std::chrono::milliseconds(ack_delay_ms);

  boost::asio::io_context io;
  auto sim = tta::sim::PlatformSim::create(io, opt);
  if (!sim) {
    std::cerr << "tta-platform-sim: " << sim.error().message << '\n';
    return 1;
  }
  std::cout << "tta-platform-sim tcp_port=" << (*sim)->tcp_port()
            << " admin_port=" << (*sim)->admin_port();
  if (opt.https) {
    std::cout << " https_port=" << (*sim)->https_port()
              << " https_ca=" << (*sim)->https_ca_file().string();
  }
  std::cout << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*sim)->stop();
    io.stop();
  });
  io.run();
  return 0;
}
