// Lexer: framing, resynchronisation and checksum strictness, table-driven.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tta/gps/nmea.hpp"

namespace tta::gps {
namespace {

struct LexCase {
  const char* name;
  std::string input;
  bool skip_comments;
  std::vector<std::string> sentences;  // bodies expected, in order
  std::uint64_t bad_checksum, no_checksum, truncated, overlong;
};

std::string gga() { return "$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76"; }

class LexerTable : public ::testing::TestWithParam<LexCase> {};

TEST_P(LexerTable, FramesAndCounts) {
  const LexCase& c = GetParam();
  NmeaLexer lexer(c.skip_comments);
  std::vector<std::string> got;
  lexer.feed(std::span<const char>(c.input.data(), c.input.size()),
             [&](std::string_view body) { got.emplace_back(body); });
  lexer.finish();
  EXPECT_EQ(got, c.sentences);
  EXPECT_EQ(lexer.stats().sentences, c.sentences.size());
  EXPECT_EQ(lexer.stats().bad_checksum, c.bad_checksum);
  EXPECT_EQ(lexer.stats().no_checksum, c.no_checksum);
  EXPECT_EQ(lexer.stats().truncated, c.truncated);
  EXPECT_EQ(lexer.stats().overlong, c.overlong);
}

const std::string kBody = "GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,";

INSTANTIATE_TEST_SUITE_P(
    gps, LexerTable,
    ::testing::Values(
        LexCase{"crlf", gga() + "\r\n", false, {kBody}, 0, 0, 0, 0},
        LexCase{"lf_only", gga() + "\n", false, {kBody}, 0, 0, 0, 0},
        LexCase{"lower_hex", "$GPTXT,01,01,02,ANTSTATUS=OK*3b\n", false,
                {"GPTXT,01,01,02,ANTSTATUS=OK"}, 0, 0, 0, 0},
        LexCase{"two_in_a_row", gga() + "\r\n" + gga() + "\r\n", false, {kBody, kBody}, 0, 0, 0, 0},
        LexCase{"leading_garbage", "xx\x01\xff junk " + gga() + "\n", false, {kBody}, 0, 0, 0, 0},
        LexCase{"bad_checksum", "$GPTXT,01,01,02,ANTSTATUS=OK*3C\n", false, {}, 1, 0, 0, 0},
        LexCase{"non_hex_checksum", "$GPTXT,01,01,02,ANTSTATUS=OK*ZZ\n", false, {}, 1, 0, 0, 0},
        LexCase{"checksum_cut", "$GPBOD,,T,,M,,*\n", false, {}, 1, 0, 0, 0},
        LexCase{"checksum_one_digit", "$GPTXT,01,01,02,ANTSTATUS=OK*3\n", false, {}, 1, 0, 0, 0},
        LexCase{"no_checksum", "$GPGLL,4916.45,N,12311.12,W,225444,A\n", false, {}, 0, 1, 0, 0},
        LexCase{"truncated_by_dollar", "$GPGGA,0927" + gga() + "\n", false, {kBody}, 0, 0, 1, 0},
        LexCase{"truncated_at_end", gga().substr(0, 30), false, {}, 0, 0, 1, 0},
        LexCase{"binary_inside", std::string("$GPGGA,09") + std::string(1, '\0') + "\x01" "2750*00\n" + gga() + "\n", false, {kBody}, 0, 0, 1, 0},
        LexCase{"overlong", "$GP" + std::string(300, 'A') + "*00\n" + gga() + "\n", false, {kBody}, 0, 0, 0, 1},
        LexCase{"comment_skipped", "# header $GPGGA,no,checksum\n" + gga() + "\n", true, {kBody}, 0, 0, 0, 0},
        LexCase{"comment_not_skipped_live", "# $GPGGA,no,checksum\n" + gga() + "\n", false, {kBody}, 0, 1, 0, 0},
        LexCase{"empty_dollar", "$\n" + gga() + "\n", false, {kBody}, 0, 0, 1, 0},
        LexCase{"empty_input", "", false, {}, 0, 0, 0, 0}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(gps_Lexer, SentenceSplitAcrossFeedsByteByByte) {
  const std::string text = "noise" + gga() + "\r\n$GPTXT,01,01,02,ANTSTATUS=OK*3B\r\n";
  NmeaLexer lexer;
  std::vector<std::string> got;
  for (const char c : text) {
    lexer.feed(std::span<const char>(&c, 1), [&](std::string_view b) { got.emplace_back(b); });
  }
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0], kBody);
  EXPECT_EQ(got[1], "GPTXT,01,01,02,ANTSTATUS=OK");
  EXPECT_EQ(lexer.stats().garbage_bytes, 5U);
}

TEST(gps_Lexer, ChecksumIsXorOfBody) {
  EXPECT_EQ(nmea_checksum("GPTXT,01,01,02,ANTSTATUS=OK"), 0x3B);
  EXPECT_EQ(nmea_checksum(""), 0);
}

}  // namespace
}  // namespace tta::gps
