#pragma once
// Run a program as a child process and collect its exit code and output (for CLI tests).

#include <string>
#include <vector>

namespace tta::testing {

struct ProcessResult {
  int exit_code = -1;  ///< exit status, or 128 + signal number
  std::string out;     ///< standard output
  std::string err;     ///< standard error
};

/// Run `argv` (argv[0] is the program path) with no standard input and wait for it.
ProcessResult run_process(const std::vector<std::string>& argv);

}  // namespace tta::testing
