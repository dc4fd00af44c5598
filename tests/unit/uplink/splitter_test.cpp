// Streaming splitter: arbitrary chunks, garbage, resynchronisation (terminal-protocol.md §1).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "tta/uplink/frame.hpp"

namespace tta::uplink {
namespace {
using test::hex;

const Bytes kAck = hex("7E80800100050000018637237929004C3C004C020000F97E");
const Bytes kLogin =
    hex("7E8001F0001100000888999900000001004130303431313233343536373800BC614E3E7E");

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Outcome {
  std::vector<std::uint16_t> msg_ids;  // good frames in order
  std::vector<std::string> errors;
};

Outcome run(const Bytes& stream, std::size_t chunk) {
  FrameSplitter s;
  Outcome o;
  for (std::size_t i = 0; i < stream.size(); i += chunk) {
    const auto n = std::min(chunk, stream.size() - i);
    for (auto& r : s.feed(std::span(stream).subspan(i, n))) {
      if (r.frame) {
        o.msg_ids.push_back(r.frame->header.msg_id);
      } else {
        o.errors.push_back(r.frame.error().message);
      }
    }
  }
  return o;
}

TEST(UplinkSplitter, AnyChunkingGivesTheSameFrames) {
  const Bytes stream = cat({kAck, kLogin, kAck});
  for (std::size_t chunk : {1U, 2U, 3U, 7U, 24U, 1000U}) {
    auto o = run(stream, chunk);
    EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001, 0x01F0, 0x8001})) << chunk;
    EXPECT_TRUE(o.errors.empty()) << chunk;
  }
}

TEST(UplinkSplitter, GarbageBetweenFramesIsReportedAndSkipped) {
  auto o = run(cat({hex("0102"), kAck, hex("deadbeef"), kLogin}), 5);
  EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001, 0x01F0}));
  ASSERT_EQ(o.errors.size(), 2U);
  EXPECT_EQ(o.errors[0], "2 bytes of garbage before 0x7e skipped");
  EXPECT_EQ(o.errors[1], "4 bytes of garbage before 0x7e skipped");
}

TEST(UplinkSplitter, BadChecksumDoesNotStopTheStream) {
  Bytes bad = kAck;
  bad[bad.size() - 2] ^= 1;
  auto o = run(cat({kAck, bad, kLogin}), 4);
  EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001, 0x01F0}));
  ASSERT_EQ(o.errors.size(), 1U);
  EXPECT_EQ(o.errors[0], "checksum mismatch: computed 0xf9, frame has 0xf8");
}

TEST(UplinkSplitter, TruncatedFrameThenGoodFrameWithSharedFlag) {
  // A frame cut short (no closing flag): the next frame's opening flag closes it; that flag
  // is then reused as the opening flag, so the good frame is not lost.
  Bytes cut(kLogin.begin(), kLogin.begin() + 12);
  auto o = run(cat({cut, kAck}), 3);
  EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001}));
  ASSERT_EQ(o.errors.size(), 1U);
}

TEST(UplinkSplitter, GarbageContainingAFlagBeforeAFrame) {
  // "xx 7E yy" then a frame: the stray 7E opens a bogus frame closed by the real opening flag.
  auto o = run(cat({hex("11 7e 22 33"), kAck, kLogin}), 1);
  EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001, 0x01F0}));
  EXPECT_EQ(o.errors.size(), 2U);  // the garbage run and the bogus frame
}

TEST(UplinkSplitter, BadEscapeReportsOffsetWithinFrame) {
  auto o = run(cat({hex("7E80800100050000018637237929004C3C7D05004C020000F97E"), kAck}), 64);
  EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001}));
  ASSERT_EQ(o.errors.size(), 1U);
  EXPECT_EQ(o.errors[0], "bad escape 7d 05 at offset 17");
}

TEST(UplinkSplitter, EmptyFramesAreSkippedSilently) {
  auto o = run(cat({hex("7e7e7e"), kAck}), 2);
  EXPECT_EQ(o.msg_ids, (std::vector<std::uint16_t>{0x8001}));
  EXPECT_TRUE(o.errors.empty());
}

TEST(UplinkSplitter, OverlongFrameIsDroppedAndStreamRecovers) {
  FrameSplitter s(SplitterOptions{64, VariantDetection::automatic});
  Bytes junk(1, 0x7E);
  junk.resize(200, 0x11);
  auto r1 = s.feed(junk);
  ASSERT_EQ(r1.size(), 1U);
  EXPECT_FALSE(r1[0].frame);
  EXPECT_EQ(r1[0].frame.error().message,
            "frame longer than 64 bytes without a closing 0x7e dropped");
  EXPECT_LE(s.pending_bytes(), 64U);
  // The closing flag of the junk, then a good frame.
  auto r2 = s.feed(cat({hex("7e"), kAck}));
  ASSERT_EQ(r2.size(), 1U);
  EXPECT_TRUE(r2[0].frame);
}

TEST(UplinkSplitter, RawBytesAreReturnedForLogs) {
  FrameSplitter s;
  auto r = s.feed(kAck);
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].raw, kAck);
}

TEST(UplinkSplitter, ResetForgetsPartialFrame) {
  FrameSplitter s;
  (void)s.feed(std::span(kLogin).first(10));
  EXPECT_GT(s.pending_bytes(), 0U);
  s.reset();
  auto r = s.feed(kAck);
  ASSERT_EQ(r.size(), 1U);
  EXPECT_TRUE(r[0].frame);
}

}  // namespace
}  // namespace tta::uplink
