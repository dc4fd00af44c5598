// The one source-URI parser (tta/core/uri.hpp) that gps/ and vehicle/ build on.
#include <gtest/gtest.h>

#include <string>

#include "tta/core/uri.hpp"

namespace tta {
namespace {

struct Good {
  const char* text;
  const char* scheme;
  const char* path;
  std::map<std::string, std::string, std::less<>> query;
};

class UriParses : public ::testing::TestWithParam<Good> {};
TEST_P(UriParses, IntoSchemePathAndQuery) {
  const Good& c = GetParam();
  auto u = parse_uri(c.text, "test source");
  ASSERT_TRUE(u) << c.text << ": " << u.error().message;
  EXPECT_EQ(u->scheme, c.scheme) << c.text;
  EXPECT_EQ(u->path, c.path) << c.text;
  EXPECT_EQ(u->query, c.query) << c.text;
}
INSTANTIATE_TEST_SUITE_P(
    core, UriParses,
    ::testing::Values(
        Good{"serial:///dev/ttyS1", "serial", "/dev/ttyS1", {}},
        Good{"serial:///dev/ttyS1?baud=9600", "serial", "/dev/ttyS1", {{"baud", "9600"}}},
        Good{"gpsd://127.0.0.1:2947", "gpsd", "127.0.0.1:2947", {}},
        Good{"sim://", "sim", "", {}},
        Good{"sim://?", "sim", "", {}},  // an empty query is no query
        Good{"socketcan://can0", "socketcan", "can0", {}},
        Good{"sysfs:///sys/x?active_low=1&y=", "sysfs", "/sys/x", {{"active_low", "1"}, {"y", ""}}},
        Good{"a+b-c.d://p?k=v=w", "a+b-c.d", "p", {{"k", "v=w"}}},  // the first '=' splits
        Good{"replay://a?b?c=d", "replay", "a", {{"b?c", "d"}}},       // the first '?' splits
        Good{"x://%41?k=%20", "x", "%41", {{"k", "%20"}}},             // nothing decoded
        Good{"replay://logs/a b.nmea", "replay", "logs/a b.nmea", {}},
        Good{"replay://a://b", "replay", "a://b", {}},
        Good{"x://p?a=1&", "x", "p", {{"a", "1"}}}));  // a trailing '&' ends the query

struct Bad {
  const char* text;
  const char* says;  ///< part of the message
};

class UriRefuses : public ::testing::TestWithParam<Bad> {};
TEST_P(UriRefuses, WithAMessageNamingTheInput) {
  const Bad& c = GetParam();
  auto u = parse_uri(std::string_view(c.text), "test source");
  ASSERT_FALSE(u) << c.text;
  EXPECT_EQ(u.error().code, Errc::invalid_argument);
  EXPECT_NE(u.error().message.find("test source"), std::string::npos) << u.error().message;
  EXPECT_NE(u.error().message.find(c.says), std::string::npos) << u.error().message;
}
INSTANTIATE_TEST_SUITE_P(
    core, UriRefuses,
    ::testing::Values(Bad{"", "has no scheme://"}, Bad{"/dev/ttyS1", "has no scheme://"},
                      Bad{"serial:/dev/ttyS1", "has no scheme://"},
                      Bad{"://x", "is not a scheme"}, Bad{"1x://y", "is not a scheme"},
                      Bad{"se rial://y", "is not a scheme"}, Bad{"a/b://y", "is not a scheme"},
                      Bad{"\xff\xfe://", "is not a scheme"},
                      Bad{"x://p?novalue", "is not key=value"},
                      Bad{"x://p?=v", "is not key=value"},
                      Bad{"x://p?a=1&&b=2", "is not key=value"},
                      Bad{"x://p?a=1&a=2", "twice"}));

TEST(Uri, GarbageBytesAreRefusedOrParsedNeverCrash) {
  // Every byte value around the separators.
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    for (const std::string& text :
         {std::string(1, c) + "://", "x" + std::string(1, c) + "://p", "x://" + std::string(1, c),
          "x://p?" + std::string(1, c), "x://p?k=" + std::string(1, c)}) {
      auto u = parse_uri(text, "test source");
      if (u) {
        EXPECT_FALSE(u->scheme.empty());
        EXPECT_EQ(text.rfind(u->scheme + "://", 0), 0u) << text;
      }
    }
  }
  // An embedded NUL is a byte like any other.
  auto nul = parse_uri(std::string_view("x://a\0b", 7), "test source");
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->path, std::string("a\0b", 3));
}

TEST(Uri, NumbersAreWholeDecimalNumbersOrErrors) {
  auto u = parse_uri("x://p?n=38400&zero=0&max=18446744073709551615&over=18446744073709551616"
                     "&neg=-1&plus=+1&hex=0x10&sp=%201&empty=&frac=1.5&trail=12a",
                     "test source");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->number("n", 7), 38400u);
  EXPECT_EQ(u->number("zero", 7), 0u);
  EXPECT_EQ(u->number("max", 7), 18446744073709551615u);
  EXPECT_EQ(u->number("absent", 7), 7u);
  for (const char* key : {"over", "neg", "plus", "hex", "sp", "empty", "frac", "trail"}) {
    auto n = u->number(key, 7);
    ASSERT_FALSE(n) << key;
    EXPECT_EQ(n.error().code, Errc::invalid_argument);
    EXPECT_NE(n.error().message.find(std::string(key) + "="), std::string::npos)
        << n.error().message;
  }
}

}  // namespace
}  // namespace tta
