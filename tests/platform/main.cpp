// tta-platform-sim: a timing-platform simulator for tests and integrators.
//   tta-platform-sim --tcp-port P --admin-port Q --data-dir DIR [fault options]
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
  CLI11_PARSE(app, argc, argv);
  opt.data_dir = data_dir;
  opt.faults.ack_delay = std::chrono::milliseconds(ack_delay_ms);

  boost::asio::io_context io;
  auto sim = tta::sim::PlatformSim::create(io, opt);
  if (!sim) {
    std::cerr << "tta-platform-sim: " << sim.error().message << '\n';
    return 1;
  }
  std::cout << "tta-platform-sim tcp_port=" << (*sim)->tcp_port()
            << " admin_port=" << (*sim)->admin_port() << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*sim)->stop();
    io.stop();
  });
  io.run();
  return 0;
}
