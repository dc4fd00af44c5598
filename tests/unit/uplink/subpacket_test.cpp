// Sub-packet split and reassembly (terminal-protocol.md §1).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "test_util.hpp"
#include "tta/uplink/subpacket.hpp"

namespace tta::uplink {
namespace {

using namespace std::chrono_literals;

FrameHeader header() {
  FrameHeader h;
  h.msg_id = 0x0900;
  h.phone = "0000013800138000";
  return h;
}

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return b;
}

TEST(UplinkSplit, ShortBodyGivesOnePlainFrame) {
  auto frames = split_message(header(), pattern(100), 512, 41);
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 1U);
  EXPECT_FALSE((*frames)[0].header.subpacket);
  EXPECT_EQ((*frames)[0].header.serial, 41);
}

TEST(UplinkSplit, LongBodyGetsConsecutiveSerialsAndIndexes) {
  const Bytes body = pattern(2500);
  auto frames = split_message(header(), body, 1000, 0xFFFE);
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 3U);
  const std::uint16_t serials[] = {0xFFFE, 0xFFFF, 0x0000};  // wraps
  const std::size_t sizes[] = {1000, 1000, 500};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& f = (*frames)[i];
    ASSERT_TRUE(f.header.subpacket);
    EXPECT_EQ(f.header.subpacket->total, 3);
    EXPECT_EQ(f.header.subpacket->index, i + 1);
    EXPECT_EQ(f.header.serial, serials[i]);
    EXPECT_EQ(f.body.size(), sizes[i]);
    // Each part is a legal frame on its own.
    auto wire = encode_frame(f);
    ASSERT_TRUE(wire);
    auto back = decode_frame(*wire);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, f);
  }
}

TEST(UplinkSplit, RejectsChunkSizesOutside512To1023) {
  EXPECT_FALSE(split_message(header(), pattern(3000), 511, 0));
  EXPECT_FALSE(split_message(header(), pattern(3000), 1024, 0));
  EXPECT_TRUE(split_message(header(), pattern(3000), 512, 0));
  EXPECT_TRUE(split_message(header(), pattern(3000), 1023, 0));
}

std::vector<Frame> parts(std::size_t size, std::size_t chunk, std::uint16_t serial) {
  return split_message(header(), pattern(size), chunk, serial).value();
}

TEST(UplinkReassembly, InOrder) {
  Reassembler r;
  const MonoTime t{};
  auto ps = parts(3000, 512, 100);
  ASSERT_EQ(ps.size(), 6U);
  for (std::size_t i = 0; i + 1 < ps.size(); ++i) {
    auto res = r.feed(ps[i], t);
    ASSERT_TRUE(res);
    EXPECT_FALSE(*res);
  }
  auto done = r.feed(ps.back(), t);
  ASSERT_TRUE(done);
  ASSERT_TRUE(*done);
  EXPECT_EQ((*done)->frame.body, pattern(3000));
  EXPECT_FALSE((*done)->frame.header.subpacket);
  EXPECT_EQ((*done)->first_serial, 100);
  EXPECT_EQ((*done)->last_serial, 105);
  EXPECT_EQ((*done)->parts, 6);
  EXPECT_EQ(r.pending_sets(), 0U);
}

TEST(UplinkReassembly, OutOfOrderWithDuplicates) {
  Reassembler r;
  auto ps = parts(5000, 700, 7);
  std::vector<Frame> shuffled = ps;
  shuffled.push_back(ps[2]);
  shuffled.push_back(ps[0]);
  std::mt19937 rng(42);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::optional<Reassembled> result;
  int completions = 0;
  for (const auto& f : shuffled) {
    auto res = r.feed(f, MonoTime{});
    ASSERT_TRUE(res) << res.error().message;
    if (*res) {
      result = **res;
      ++completions;
    }
  }
  // A duplicate arriving after completion starts a new set, never a second completion.
  EXPECT_EQ(completions, 1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->frame.body, pattern(5000));
  EXPECT_GE(r.duplicates(), 0U);
}

TEST(UplinkReassembly, DuplicateBeforeCompletionIsIgnored) {
  Reassembler r;
  auto ps = parts(1500, 512, 0);  // 3 parts
  ASSERT_FALSE(*r.feed(ps[0], MonoTime{}));
  ASSERT_FALSE(*r.feed(ps[0], MonoTime{}));
  EXPECT_EQ(r.duplicates(), 1U);
  ASSERT_FALSE(*r.feed(ps[2], MonoTime{}));
  auto done = r.feed(ps[1], MonoTime{});
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->frame.body, pattern(1500));
}

TEST(UplinkReassembly, TwoMessagesWithSameIdAreKeptApartBySerialRun) {
  Reassembler r;
  auto a = parts(1500, 512, 10);  // serials 10..12
  auto b = parts(1400, 512, 13);  // serials 13..15
  ASSERT_FALSE(*r.feed(a[0], MonoTime{}));
  ASSERT_FALSE(*r.feed(b[0], MonoTime{}));
  ASSERT_FALSE(*r.feed(b[1], MonoTime{}));
  ASSERT_FALSE(*r.feed(a[1], MonoTime{}));
  auto da = r.feed(a[2], MonoTime{});
  auto db = r.feed(b[2], MonoTime{});
  ASSERT_TRUE(da && *da && db && *db);
  EXPECT_EQ((*da)->frame.body, pattern(1500));
  EXPECT_EQ((*db)->frame.body, pattern(1400));
}

TEST(UplinkReassembly, NonSubpacketFramePassesThrough) {
  Reassembler r;
  Frame f{header(), {1, 2, 3}};
  auto res = r.feed(f, MonoTime{});
  ASSERT_TRUE(res && *res);
  EXPECT_EQ((*res)->frame, f);
}

struct BadPart {
  const char* name;
  std::uint16_t total;
  std::uint16_t index;
  const char* message;
};

class UplinkReassemblyBounds : public ::testing::TestWithParam<BadPart> {};

TEST_P(UplinkReassemblyBounds, RejectsOnlyThatFrame) {
  Reassembler r(ReassemblyOptions{.max_total = 16});
  Frame f{header(), {1}};
  f.header.subpacket = SubPacket{GetParam().total, GetParam().index};
  auto res = r.feed(f, MonoTime{});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().message, GetParam().message);
  EXPECT_EQ(r.pending_sets(), 0U);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UplinkReassemblyBounds,
    ::testing::Values(BadPart{"total_zero", 0, 0, "sub-packet total is 0"},
                      BadPart{"total_too_big", 17, 1,
                              "sub-packet total 17 exceeds the configured maximum 16"},
                      BadPart{"index_zero", 4, 0, "sub-packet index 0 outside 1..4"},
                      BadPart{"index_above_total", 4, 5, "sub-packet index 5 outside 1..4"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(UplinkReassembly, IncompleteSetsExpireWithMissingIndexes) {
  Reassembler r(ReassemblyOptions{.timeout = 30s});
  auto ps = parts(3000, 1000, 200);  // 3 parts
  const MonoTime t0{};
  ASSERT_FALSE(*r.feed(ps[1], t0));
  EXPECT_EQ(r.pending_bytes(), 1000U);
  EXPECT_TRUE(r.expire(t0 + 30s).empty());
  auto dropped = r.expire(t0 + 31s);
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].msg_id, 0x0900);
  EXPECT_EQ(dropped[0].first_serial, 200);
  EXPECT_EQ(dropped[0].total, 3);
  EXPECT_EQ(dropped[0].missing, (std::vector<std::uint16_t>{1, 3}));
  EXPECT_EQ(r.pending_sets(), 0U);
  EXPECT_EQ(r.pending_bytes(), 0U);
}

TEST(UplinkReassembly, QuietSetsAreAskedForAgainABoundedNumberOfTimesThenGivenUp) {
  // The test is the clock: times are passed in, nothing sleeps.
  Reassembler r(ReassemblyOptions{.timeout = 120s, .resend_after = 10s, .max_resend_requests = 2});
  auto ps = parts(3000, 1000, 200);  // serials 200, 201, 202
  const MonoTime t0{};
  ASSERT_FALSE(*r.feed(ps[1], t0));
  EXPECT_TRUE(r.resend_due(t0 + 9s).empty()) << "not quiet long enough";
  auto ask = r.resend_due(t0 + 10s);
  ASSERT_EQ(ask.size(), 1U);
  EXPECT_EQ(ask[0].msg_id, 0x0900);
  EXPECT_EQ(ask[0].first_serial, 200);
  EXPECT_EQ(ask[0].serials, (std::vector<std::uint16_t>{200, 202})) << "the missing parts' serials";
  EXPECT_EQ(ask[0].request_no, 1);
  EXPECT_TRUE(r.resend_due(t0 + 15s).empty()) << "one request per quiet spell";
  EXPECT_TRUE(r.expire(t0 + 15s).empty());
  // A part comes: the quiet spell starts again and only the one still missing is asked for.
  ASSERT_FALSE(*r.feed(ps[0], t0 + 16s));
  EXPECT_TRUE(r.resend_due(t0 + 25s).empty());
  ask = r.resend_due(t0 + 26s);
  ASSERT_EQ(ask.size(), 1U);
  EXPECT_EQ(ask[0].serials, (std::vector<std::uint16_t>{202}));
  EXPECT_EQ(ask[0].request_no, 2);
  // Requests used up: no third one, and after another quiet spell the set is given up.
  EXPECT_TRUE(r.resend_due(t0 + 40s).empty());
  EXPECT_TRUE(r.expire(t0 + 35s).empty());
  auto dropped = r.expire(t0 + 36s);
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].missing, (std::vector<std::uint16_t>{3}));
  EXPECT_EQ(dropped[0].reason, "2 re-send request(s) unanswered");
  EXPECT_EQ(r.pending_sets(), 0U);
  EXPECT_EQ(r.pending_bytes(), 0U);
}

TEST(UplinkReassembly, AnAnsweredRequestCompletesTheSet) {
  Reassembler r(ReassemblyOptions{.resend_after = 5s, .max_resend_requests = 1});
  auto ps = parts(3000, 1000, 7);
  const MonoTime t0{};
  ASSERT_FALSE(*r.feed(ps[0], t0));
  ASSERT_FALSE(*r.feed(ps[2], t0));
  ASSERT_EQ(r.resend_due(t0 + 5s).size(), 1U);
  auto whole = r.feed(ps[1], t0 + 6s);
  ASSERT_TRUE(whole && *whole);
  EXPECT_EQ((*whole)->frame.body, pattern(3000));
  EXPECT_TRUE(r.expire(t0 + 60s).empty());
}

TEST(UplinkReassembly, TheTimeoutEndsASetThatKeepsTrickling) {
  Reassembler r(ReassemblyOptions{.timeout = 30s, .resend_after = 10s});
  auto ps = parts(5000, 1000, 0);
  const MonoTime t0{};
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(*r.feed(ps[i], t0 + std::chrono::seconds(9 * i)));
  auto dropped = r.expire(t0 + 31s);
  ASSERT_EQ(dropped.size(), 1U);
  EXPECT_EQ(dropped[0].reason, "incomplete after 31 s (timeout 30 s)");
}

TEST(UplinkReassembly, TooManyOpenSetsEvictTheOldest) {
  Reassembler r(ReassemblyOptions{.max_pending_sets = 2});
  for (std::uint16_t s = 0; s < 3; ++s) {
    auto ps = parts(1500, 512, static_cast<std::uint16_t>(s * 10));
    ASSERT_FALSE(*r.feed(ps[0], MonoTime{}));
  }
  EXPECT_EQ(r.pending_sets(), 2U);
  auto ev = r.take_evicted();
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].first_serial, 0);
  EXPECT_TRUE(r.take_evicted().empty());
}

TEST(UplinkReassembly, HeldBytesAreBoundedOldestSetsGoFirst) {
  // 3 sets of 3 × 1000-byte parts, 2 parts of each fed; the bound holds 4.5 parts.
  Reassembler r(ReassemblyOptions{.max_pending_bytes = 4500});
  std::vector<std::vector<Frame>> sets;
  for (std::uint16_t s = 0; s < 3; ++s) sets.push_back(parts(3000, 1000, static_cast<std::uint16_t>(s * 10)));
  for (const auto& ps : sets) {
    ASSERT_FALSE(*r.feed(ps[0], MonoTime{}));
    ASSERT_FALSE(*r.feed(ps[1], MonoTime{}));
    EXPECT_LE(r.pending_bytes(), 4500U);
  }
  EXPECT_EQ(r.pending_sets(), 2U);
  EXPECT_EQ(r.evicted_total(), 1U);
  ASSERT_EQ(r.take_evicted().front().first_serial, 0) << "the oldest set went first";
  // The newest set still completes.
  auto whole = r.feed(sets[2][2], MonoTime{});
  ASSERT_TRUE(whole && *whole);
  EXPECT_EQ((*whole)->frame.body, pattern(3000));
  // A single set larger than the bound is dropped rather than held.
  Reassembler small(ReassemblyOptions{.max_pending_bytes = 1500});
  auto big = parts(3000, 1000, 100);
  ASSERT_FALSE(*small.feed(big[0], MonoTime{}));
  ASSERT_FALSE(*small.feed(big[1], MonoTime{}));
  EXPECT_EQ(small.pending_bytes(), 0U);
  EXPECT_EQ(small.evicted_total(), 1U);
}

TEST(UplinkReassembly, EvictedListIsBoundedButCounted) {
  Reassembler r(ReassemblyOptions{.max_pending_sets = 1, .max_evicted_kept = 4});
  for (std::uint16_t s = 0; s < 100; ++s) {
    ASSERT_FALSE(*r.feed(parts(1500, 512, static_cast<std::uint16_t>(s * 10))[0], MonoTime{}));
  }
  EXPECT_EQ(r.evicted_total(), 99U);
  auto kept = r.take_evicted();
  ASSERT_EQ(kept.size(), 4U);
  EXPECT_EQ(kept.back().first_serial, 980) << "the newest are kept";
}

TEST(UplinkReassembly, ArbitrarySerialsWhenConfigured) {
  Reassembler r(ReassemblyOptions{.consecutive_serials = false});
  auto ps = parts(1500, 512, 0);
  ps[0].header.serial = 500;
  ps[1].header.serial = 3;
  ps[2].header.serial = 77;
  ASSERT_FALSE(*r.feed(ps[2], MonoTime{}));
  ASSERT_FALSE(*r.feed(ps[0], MonoTime{}));
  auto done = r.feed(ps[1], MonoTime{});
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->frame.body, pattern(1500));
  EXPECT_EQ((*done)->first_serial, 500);
  EXPECT_EQ((*done)->last_serial, 77);
}

}  // namespace
}  // namespace tta::uplink
