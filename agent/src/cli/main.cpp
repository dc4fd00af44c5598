// tta-agent: the timed-training terminal agent. main() only parses arguments; each command
// family lives in its own cmd_*.cpp.
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tta-agent: driving-school timed-training terminal agent"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tta-agent 0.1.0");
  int exit_code = tta::agent::kExitOk;
  tta::agent::add_config_commands(app, exit_code);
  tta::agent::add_store_commands(app, exit_code);
  tta::agent::add_run_command(app, exit_code);
  tta::agent::add_face_commands(app, exit_code);
  tta::agent::add_people_commands(app, exit_code);
  tta::agent::add_simulate_command(app, exit_code);
  tta::agent::add_demo_faces_command(app, exit_code);
  tta::agent::add_gnss_commands(app, exit_code);
  tta::agent::add_decode_command(app, exit_code);
  tta::agent::add_admin_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : tta::agent::kExitUsage;
  }
  return exit_code;
}
