#include <gtest/gtest.h>

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

#include "tta/core/secure_file.hpp"

namespace tta {
namespace {

namespace fs = std::filesystem;

class SecureFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tta-secure-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SecureFile, CreatesWithMode0600AndReadsBack) {
  const auto key = random_bytes(32);
  ASSERT_TRUE(key);
  ASSERT_TRUE(write_secret_file(dir_ / "k", *key));
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = read_secret_file(dir_ / "k");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, *key);
}

TEST_F(SecureFile, NeverReplacesAnExistingFile) {
  ASSERT_TRUE(write_secret_file(dir_ / "k", {1, 2, 3}));
  auto again = write_secret_file(dir_ / "k", {4, 5, 6});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_EQ(*read_secret_file(dir_ / "k"), (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST_F(SecureFile, RefusesGroupOrWorldReadableWithFixHint) {
  ASSERT_TRUE(write_secret_file(dir_ / "k", {1}));
  ASSERT_EQ(::chmod((dir_ / "k").c_str(), 0640), 0);
  auto r = read_secret_file(dir_ / "k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::permission);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("0640"), std::string::npos) << r.error().message;
}

TEST_F(SecureFile, MissingIsNotFound) {
  auto r = read_secret_file(dir_ / "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
}

TEST(RandomBytes, DiffersBetweenCalls) {
  EXPECT_NE(*random_bytes(32), *random_bytes(32));
}

}  // namespace
}  // namespace tta
