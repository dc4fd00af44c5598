#pragma once
/// The `tta-agent` command line: each command family lives in its own cmd_*.cpp and adds its
/// subcommands to the app; main() only parses arguments and returns the exit code.

#include <CLI/CLI.hpp>

namespace tta::agent {

/// Exit codes, the same for every command (documented in the README).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      ///< a runtime failure not listed below
  kExitUsage = 2,        ///< bad arguments, invalid config, missing input file
  kExitWrongKey = 3,     ///< the key file does not open the database
  kExitNoFace = 4,       ///< an image has no usable face
  kExitBadFrame = 5,     ///< a protocol frame could not be decoded
  kExitStoreDamaged = 6, ///< the database is corrupt, truncated or from a newer version
  kExitInsecureKey = 7,  ///< the key file is readable by others or malformed
  kExitRefused = 8,      ///< the records do not allow it (hours short, certificate exists)
};

/// `check-config`
void add_config_commands(CLI::App& app, int& exit_code);
/// `init`, `db-check`
void add_store_commands(CLI::App& app, int& exit_code);
/// `run`
void add_run_command(CLI::App& app, int& exit_code);
/// `enroll`, `people`, `disable`, `enable`
void add_people_commands(CLI::App& app, int& exit_code);
/// `simulate`: a whole training session on simulated GNSS time (the demo)
void add_simulate_command(CLI::App& app, int& exit_code);
/// `demo-faces`: cut single faces out of group photos for the demo
void add_demo_faces_command(CLI::App& app, int& exit_code);
/// `face-eval`, `face-verify`
void add_face_commands(CLI::App& app, int& exit_code);
/// `gnss-replay`
void add_gnss_commands(CLI::App& app, int& exit_code);
/// `decode HEX [--json]`: explain one protocol frame
void add_decode_command(CLI::App& app, int& exit_code);
/// `sessions`, `progress`, `outbox` (`outbox retry`), `export`, `complete`: administration
void add_admin_commands(CLI::App& app, int& exit_code);

}  // namespace tta::agent
