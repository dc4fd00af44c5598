// The [[syllabus]] table: programmes, parts, requirements and course-code patterns.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "tta/config/config.hpp"

namespace tta::config {
namespace {

/// The committed demo config without its syllabus: a valid base to append to.
std::string base() {
  std::ifstream in(std::string(TTA_SOURCE_DIR) + "/config/demo.toml");
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto at = text.find("[[syllabus]]");
  EXPECT_NE(at, std::string::npos);
  return text.substr(0, at);
}

std::vector<Diagnostic> problems(const std::string& syllabus) {
  auto r = parse_config(base() + syllabus, "/etc/tta/agent.toml");
  if (r) return {};
  return r.error();
}

bool has(const std::vector<Diagnostic>& ds, std::string_view key, std::string_view msg) {
  return std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) {
    return d.key_path == key && d.message.find(msg) != std::string::npos;
  });
}

std::string dump(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += d.to_string() + "\n";
  return out;
}

TEST(Syllabus, ParsesProgrammesPartsAndDefaults) {
  auto cfg = parse_config(base() + R"toml(
[[syllabus]]
programme = "C2"
[[syllabus.part]]
part = 3
practical_min = 1440
mileage_km = 300.5
[[syllabus]]
programme = "ce"
kind = "continuing"
title = "继续教育"
[[syllabus.part]]
part = 1
subject = 9
classroom_min = 1440
courses = ["2??18?0000", "4??18?0000"]
)toml",
                          "/etc/tta/agent.toml");
  ASSERT_TRUE(cfg) << dump(cfg.error());
  ASSERT_EQ(cfg->syllabus.size(), 2u);
  const auto& c2 = cfg->syllabus[0];
  EXPECT_EQ(c2.kind, "licence");
  EXPECT_EQ(c2.title, "");
  ASSERT_EQ(c2.parts.size(), 1u);
  EXPECT_EQ(c2.parts[0].part, 3u);
  EXPECT_EQ(c2.parts[0].subject, 0u);
  EXPECT_EQ(c2.parts[0].practical_min, 1440u);
  EXPECT_EQ(c2.parts[0].classroom_min, 0u);
  EXPECT_DOUBLE_EQ(c2.parts[0].mileage_km, 300.5);
  EXPECT_TRUE(c2.parts[0].courses.empty());
  const auto& ce = cfg->syllabus[1];
  EXPECT_EQ(ce.cycle_days, 730u);
  EXPECT_EQ(ce.parts[0].subject, 9u);
  EXPECT_EQ(ce.parts[0].courses.size(), 2u);
}

TEST(Syllabus, EveryMistakeIsReportedWithItsKey) {
  const auto ds = problems(R"toml(
[[syllabus]]
programme = "Z9"
[[syllabus.part]]
part = 5
pratical_min = 10
[[syllabus]]
programme = "freight"
kind = "cargo"
cycle_days = 10
[[syllabus.part]]
part = 1
[[syllabus]]
programme = "freight2"
kind = "freight"
[[syllabus.part]]
part = 1
courses = ["12121100000", "1212a10000", 5]
[[syllabus.part]]
part = 2
[[syllabus.part]]
part = 2
courses = ["1212110000"]
mileage_km = -1
[[syllabus]]
programme = "C1"
[[syllabus]]
programme = "C1"
[[syllabus.part]]
part = 1
)toml");
  EXPECT_TRUE(has(ds, "syllabus[0].programme", "is not one")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[0].part[0].part", "between 1 and 4")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[0].part[0].pratical_min", "unknown key")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[1].kind", "must be \"licence\"")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[1].cycle_days", "only a continuing programme")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[2].part[0].courses[0]", "10 characters")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[2].part[0].courses[1]", "10 characters")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[2].part[0].courses[2]", "10 characters")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[2].part[1].courses", "required for a freight programme"))
      << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[2].part[2].part", "listed twice")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[2].part[2].mileage_km", "between")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[3].part", "at least one")) << dump(ds);
  EXPECT_TRUE(has(ds, "syllabus[4].programme", "listed twice")) << dump(ds);
  EXPECT_FALSE(ds.empty());
  EXPECT_NE(ds[0].line, 0u);
}

TEST(Syllabus, NotAnArrayOfTablesIsAnError) {
  auto r = parse_config("syllabus = 3\n" + base(), "/etc/tta/agent.toml");
  ASSERT_FALSE(r);
  const auto& ds = r.error();
  EXPECT_TRUE(has(ds, "syllabus", "array of tables")) << dump(ds);
}

}  // namespace
}  // namespace tta::config
