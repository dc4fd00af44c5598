#pragma once
// A fresh encrypted store in its own temporary folder, removed again when it goes (unit tests
// of what sits on the store: the outbox's delivery core and forwarders).
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include <unistd.h>

#include "tta/store/store.hpp"

namespace tta::testing {

class TempStore {
 public:
  /// `tag` names the folder (with the pid and the running test's name).
  explicit TempStore(const std::string& tag) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("tta-" + tag + "-" + std::to_string(::getpid()) + "-" +
            (info != nullptr ? std::string(info->name()) : std::string("x")));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    cfg_ = config::StoreConfig{dir_ / "tta.db", dir_ / "store.key"};
    if (!store::init_store(cfg_)) return;
    if (auto s = store::Store::open(cfg_)) store_.emplace(std::move(*s));
  }
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  [[nodiscard]] bool ok() const { return store_.has_value(); }
  store::Store& operator*() { return *store_; }
  store::Store* operator->() { return &*store_; }

 private:
  std::filesystem::path dir_;
  config::StoreConfig cfg_;
  std::optional<store::Store> store_;
};

}  // namespace tta::testing
