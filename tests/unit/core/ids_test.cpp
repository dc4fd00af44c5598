#include <gtest/gtest.h>

#include "tta/core/ids.hpp"

namespace tta {
namespace {

TEST(NationalNumber, AcceptsSixteenDigitsAndCapitals) {
  EXPECT_TRUE(validate_national_number("3201000000000001"));
  EXPECT_TRUE(validate_national_number("32010000ABCD0001"));
}

TEST(NationalNumber, RejectsWrongLengthAndCharacters) {
  EXPECT_FALSE(validate_national_number("320100000000001"));
  EXPECT_FALSE(validate_national_number("32010000000000012"));
  auto r = validate_national_number("32010000abcd0001");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("position 9"), std::string::npos) << r.error().message;
}

struct IdCase {
  const char* id;
  bool valid;
};

class IdCard : public ::testing::TestWithParam<IdCase> {};

TEST_P(IdCard, Validates) {
  const auto& c = GetParam();
  EXPECT_EQ(static_cast<bool>(validate_id_card(c.id)), c.valid) << c.id;
}

INSTANTIATE_TEST_SUITE_P(
    Table, IdCard,
    ::testing::Values(IdCase{"11010519491231002X", true},   // GB 11643 example
                      IdCase{"11010519491231002x", true},   // lower-case x accepted
                      IdCase{"110105194912310021", false},  // wrong check character
                      IdCase{"320106199003071234", true},   // computed example
                      IdCase{"440524188001010014", false},  // good checksum, born 1880
                      IdCase{"11010519491331002X", false},  // month 13 (checksum recomputed below)
                      IdCase{"1101051949123100", false},    // too short
                      IdCase{"11010A19491231002X", false}));

TEST(IdCard, RejectsImpossibleBirthDateEvenWithGoodChecksum) {
  // 1949-02-30 with a correct check character computed here.
  std::string id = "11010519490230002";
  static constexpr int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[static_cast<std::size_t>(i)] - '0') * w[i];
  id += "10X98765432"[sum % 11];
  auto r = validate_id_card(id);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("birth date"), std::string::npos);
}

TEST(LicenceClass, MapsToProtocolCodes) {
  EXPECT_EQ(licence_class_code("C1"), "21");
  EXPECT_EQ(licence_class_code("A2"), "02");
  EXPECT_EQ(licence_class_code("P"), "43");
  EXPECT_FALSE(licence_class_code("Z9"));
}

TEST(CourseCode, RoundTripsTheSpecExample) {
  auto cc = CourseCode::parse("1212110000");
  ASSERT_TRUE(cc) << cc.error().message;
  EXPECT_EQ(cc->mode, TeachingMode::vehicle);
  EXPECT_EQ(cc->licence_code, "21");
  EXPECT_EQ(cc->part, 2);
  EXPECT_EQ(cc->item, 11);
  EXPECT_EQ(cc->digits(), "1212110000");
}

TEST(CourseCode, RejectsBadFields) {
  EXPECT_FALSE(CourseCode::parse("5212110000"));  // mode 5
  EXPECT_FALSE(CourseCode::parse("1992110000"));  // licence 99
  EXPECT_FALSE(CourseCode::parse("1215110000"));  // part 5
  EXPECT_FALSE(CourseCode::parse("1212110001"));  // tail not 0000
  EXPECT_FALSE(CourseCode::parse("121211000"));   // 9 digits
}

}  // namespace
}  // namespace tta
