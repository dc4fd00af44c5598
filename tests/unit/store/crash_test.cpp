// Crash safety: a child process commits minute records in a loop and reports each commit
// that returned; the parent kills it with SIGKILL at random points, many times. After every
// kill the database opens, passes the integrity check, and holds every reported record,
// each with its outbox entry (never one without the other).
#include <csignal>
#include <random>
#include <set>

#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.hpp"

namespace tta::store::testing {
namespace {

// Child: open, then add minutes forever, writing each committed sequence number to `fd`.
[[noreturn]] void child_loop(const config::StoreConfig& cfg, int fd, int first_seq,
                             std::uint32_t class_id) {
  auto s = Store::open(cfg);
  if (!s) _exit(10);
  auto sid = s->begin_session(make_session(class_id));
  if (!sid) _exit(11);
  for (int seq = first_seq;; ++seq) {
    const MinuteRecord m = make_minute(*sid, seq);
    if (!s->add_minute(m, outbox_for(m))) _exit(12);
    const std::int32_t v = seq;
    if (::write(fd, &v, sizeof v) != sizeof v) _exit(13);
  }
}

TEST_F(StoreTest, SurvivesSigkillAtRandomPoints) {
  ASSERT_TRUE(init_store(cfg_));
  const unsigned seed = static_cast<unsigned>(::testing::UnitTest::GetInstance()->random_seed());
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::set<std::string> acknowledged;
  int next_seq = 0;
  constexpr int kKills = 40;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_loop(cfg_, fds[1], next_seq, static_cast<std::uint32_t>(round + 1));
    }
    ::close(fds[1]);
    // Kill after a random number of acknowledged commits (0 = during open or the first
    // commit), so the kill lands at a random point inside the next transaction.
    const int wait_for = std::uniform_int_distribution<int>(0, 12)(rng);
    int got = 0;
    std::int32_t v = 0;
    while (got < wait_for && ::read(fds[0], &v, sizeof v) == sizeof v) {
      acknowledged.insert(make_minute(0, v).record_no);
      next_seq = v + 1;
      ++got;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited by itself with " << WEXITSTATUS(status);
    // Commits that returned before the kill but were not read yet are still in the pipe.
    while (::read(fds[0], &v, sizeof v) == sizeof v) {
      acknowledged.insert(make_minute(0, v).record_no);
      next_seq = v + 1;
    }
    ::close(fds[0]);
    next_seq += 1;  // a commit may have landed without its report: never reuse its number

    auto s = Store::open(cfg_);
    ASSERT_TRUE(s) << "round " << round << ": " << s.error().message;
    ASSERT_EQ(*s->integrity_check(), "ok") << "round " << round;
    auto numbers = s->minute_record_numbers();
    ASSERT_TRUE(numbers);
    const std::set<std::string> stored(numbers->begin(), numbers->end());
    for (const auto& n : acknowledged) {
      ASSERT_TRUE(stored.contains(n)) << "round " << round << ": committed minute " << n
                                      << " was lost";
    }
    // Every stored minute has its outbox entry: nothing half-written.
    auto counts = s->outbox().counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->queued, static_cast<std::int64_t>(stored.size())) << "round " << round;
  }
  EXPECT_GT(acknowledged.size(), 50u) << "the child should have committed plenty";
}

}  // namespace
}  // namespace tta::store::testing
