#pragma once
/// Logging set-up shared by the commands: spdlog to stderr, level from the config. Under
/// systemd, when stderr is the journal's stream, every line starts with its syslog priority
/// ("<3>", sd-daemon(3)) so that journald files it at that priority (journalctl -p err).

#include <memory>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

namespace tta::agent {

/// Send log lines to stderr at `level` (trace, debug, info, warn, error). When stderr is the
/// journal ($JOURNAL_STREAM names it) the lines carry journald priorities and no timestamp
/// (the journal stamps them); otherwise an ISO timestamp and the level. May be called again
/// (the logger is replaced).
void init_logging(std::string_view level);

/// The syslog priority journald gives a line logged at `level` (sd-daemon(3)): critical 2
/// (SD_CRIT), error 3 (SD_ERR), warning 4 (SD_WARNING), info 6 (SD_INFO), debug and trace 7
/// (SD_DEBUG). `off` never reaches a sink; it maps to info.
int journal_priority(spdlog::level::level_enum level);

/// True when `journal_stream` (the value of $JOURNAL_STREAM, "DEVICE:INODE" in decimal, set by
/// systemd for a service whose stdout/stderr is the journal) names the file open on `fd`.
/// False for null, malformed values and a closed fd: a redirected stderr of a child process
/// started from a service keeps plain lines (systemd.exec(5), $JOURNAL_STREAM).
bool is_journal_stream(const char* journal_stream, int fd);

/// The formatter for the journal: "<N>LEVEL message" with N = journal_priority(level).
std::unique_ptr<spdlog::formatter> make_journal_formatter();

}  // namespace tta::agent
