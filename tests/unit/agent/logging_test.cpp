// journald priorities on the agent's log lines (agent/src/cli/logging.hpp): the level mapping,
// the "<N>" prefix, $JOURNAL_STREAM detection against a real file's device and inode, and
// init_logging end to end with stderr redirected into a file.
#include "cli/logging.hpp"
#include "support/scoped_env.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>

namespace {

using tta::test::ScopedEnv;
namespace agent = tta::agent;

std::filesystem::path temp_file(const std::string& tag) {
  return std::filesystem::temp_directory_path() /
         ("tta-logging-" + std::to_string(::getpid()) + "-" + tag + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

std::string journal_stream_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string format(spdlog::formatter& f, spdlog::level::level_enum level, std::string_view text) {
  spdlog::details::log_msg msg("tta", level, text);
  spdlog::memory_buf_t out;
  f.format(msg, out);
  return std::string(out.data(), out.size());
}

/// Redirects fd 2 into a file for the test's life; `text()` reads what was written.
class CapturedStderr {
 public:
  CapturedStderr() : path_(temp_file("stderr")) {
    ::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~CapturedStderr() {
    restore();
    std::filesystem::remove(path_);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  void restore() {
    if (saved_ < 0) return;
    ::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path path_;
  int saved_ = -1;
};

TEST(JournalPriority, MapsEachLevelToItsSdDaemonPriority) {
  EXPECT_EQ(agent::journal_priority(spdlog::level::critical), 2);  // SD_CRIT
  EXPECT_EQ(agent::journal_priority(spdlog::level::err), 3);       // SD_ERR
  EXPECT_EQ(agent::journal_priority(spdlog::level::warn), 4);      // SD_WARNING
  EXPECT_EQ(agent::journal_priority(spdlog::level::info), 6);      // SD_INFO
  EXPECT_EQ(agent::journal_priority(spdlog::level::debug), 7);     // SD_DEBUG
  EXPECT_EQ(agent::journal_priority(spdlog::level::trace), 7);
}

TEST(JournalFormatter, PrefixesThePriorityAndDropsTheTimestamp) {
  auto f = agent::make_journal_formatter();
  EXPECT_EQ(format(*f, spdlog::level::err, "store: cannot open"), "<3>error store: cannot open\n");
  EXPECT_EQ(format(*f, spdlog::level::warn, "gnss: no fix"), "<4>warning gnss: no fix\n");
  EXPECT_EQ(format(*f, spdlog::level::info, "config ok"), "<6>info config ok\n");
  EXPECT_EQ(format(*f, spdlog::level::critical, "x"), "<2>critical x\n");
  EXPECT_EQ(format(*f, spdlog::level::debug, "y"), "<7>debug y\n");
  // A clone (spdlog clones formatters per sink) keeps the custom flag.
  auto copy = f->clone();
  EXPECT_EQ(format(*copy, spdlog::level::err, "z"), "<3>error z\n");
}

TEST(JournalStream, MatchesTheDeviceAndInodeOfTheFd) {
  const auto path = temp_file("file");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  const std::string stream = journal_stream_of(fd);
  EXPECT_TRUE(agent::is_journal_stream(stream.c_str(), fd));

  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  const std::string other_inode =
      std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  EXPECT_FALSE(agent::is_journal_stream(other_inode.c_str(), fd));
  const std::string other_device =
      std::to_string(st.st_dev + 1) + ":" + std::to_string(st.st_ino);
  EXPECT_FALSE(agent::is_journal_stream(other_device.c_str(), fd));
  ::close(fd);
  std::filesystem::remove(path);
  // The same value no longer matches once the fd is closed.
  EXPECT_FALSE(agent::is_journal_stream(stream.c_str(), fd));
}

TEST(JournalStream, RefusesMissingAndMalformedValues) {
  const auto path = temp_file("file");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  const std::string good = journal_stream_of(fd);
  const std::string dev = good.substr(0, good.find(':'));
  const std::string ino = good.substr(good.find(':') + 1);
  for (const std::string& bad :
       {std::string(), std::string(":"), dev, dev + ":", ":" + ino, dev + ":" + ino + "x",
        " " + good, good + " ", dev + ":-" + ino, dev + "::" + ino, "0x" + dev + ":" + ino,
        dev + ":99999999999999999999999999999"}) {
    EXPECT_FALSE(agent::is_journal_stream(bad.c_str(), fd)) << "'" << bad << "'";
  }
  EXPECT_FALSE(agent::is_journal_stream(nullptr, fd));
  ::close(fd);
  std::filesystem::remove(path);
}

TEST(InitLogging, PrefixesPrioritiesWhenStderrIsTheJournalStream) {
  CapturedStderr captured;
  const std::string stream = journal_stream_of(STDERR_FILENO);
  {
    ScopedEnv env("JOURNAL_STREAM", stream.c_str());
    agent::init_logging("info");
  }
  spdlog::error("store: locked");
  spdlog::warn("gnss: no fix");
  spdlog::info("ready");
  spdlog::debug("not shown at info");
  spdlog::default_logger()->flush();
  captured.restore();
  EXPECT_EQ(captured.text(), "<3>error store: locked\n<4>warning gnss: no fix\n<6>info ready\n");
}

TEST(InitLogging, KeepsPlainTimestampedLinesOtherwise) {
  CapturedStderr captured;
  {
    // A stream that is not stderr (a child started by a service with its own stderr).
    ScopedEnv env("JOURNAL_STREAM", "1:1");
    agent::init_logging("info");  // a second call replaces the logger instead of throwing
  }
  spdlog::error("store: locked");
  spdlog::default_logger()->flush();
  captured.restore();
  const std::string text = captured.text();
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
  EXPECT_NE(text.find(" error store: locked\n"), std::string::npos) << text;
  EXPECT_EQ(text.size(), std::string("2026-01-01T00:00:00.000 error store: locked\n").size())
      << text;
}

}  // namespace
