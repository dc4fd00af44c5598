#include "cli/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tta::agent {

namespace {

/// "%*" in a pattern: the line's journald priority prefix, "<N>".
class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const char prefix[] = {'<', static_cast<char>('0' + journal_priority(msg.level)), '>'};
    dest.append(prefix, prefix + sizeof prefix);
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<JournalPriorityFlag>();
  }
};

/// A whole unsigned decimal number, nothing before or after it.
bool parse_decimal(std::string_view text, std::uintmax_t& out) {
  if (text.empty()) return false;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

}  // namespace

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;  // SD_CRIT
    case spdlog::level::err: return 3;       // SD_ERR
    case spdlog::level::warn: return 4;      // SD_WARNING
    case spdlog::level::info: return 6;      // SD_INFO
    case spdlog::level::debug:
    case spdlog::level::trace: return 7;  // SD_DEBUG
    default: return 6;
  }
}

bool is_journal_stream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  std::string_view value(journal_stream);
  const auto colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  std::uintmax_t device = 0;
  std::uintmax_t inode = 0;
  if (!parse_decimal(value.substr(0, colon), device) ||
      !parse_decimal(value.substr(colon + 1), inode)) {
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<std::uintmax_t>(st.st_dev) == device &&
         static_cast<std::uintmax_t>(st.st_ino) == inode;
}

std::unique_ptr<spdlog::formatter> make_journal_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*%l %v");
  return formatter;
}

void init_logging(std::string_view level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)) {
    sink->set_color_mode(spdlog::color_mode::never);
    sink->set_formatter(make_journal_formatter());
  } else {
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  auto logger = std::make_shared<spdlog::logger>("tta", std::move(sink));
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::drop("tta");
  spdlog::set_default_logger(logger);
}

}  // namespace tta::agent
