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

/// A child process left running (a server for a test); killed when this goes out of scope.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  /// The next line of its standard output, or "" when it ended or `timeout_ms` passed.
  std::string read_line(int timeout_ms);
  [[nodiscard]] int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_ = -1;
  std::string buffered_;
};

}  // namespace tta::testing
