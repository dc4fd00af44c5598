#pragma once
// Shared helpers for store tests: a private temp directory, a config pointing into it, and
// ways to build records and forge database files.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tta/store/store.hpp"

namespace tta::store::testing {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// Open (creating on first use) the store of this test.
  Store open_store();

  fs::path dir_;
  config::StoreConfig cfg_;
};

/// A realistic minute record for session `session_id`, number `seq` (0..9999).
MinuteRecord make_minute(std::int64_t session_id, int seq);
/// The outbox entry that goes with a minute.
OutboxEntry outbox_for(const MinuteRecord& m);
/// A session to hang minutes on.
TrainingSession make_session(std::uint32_t class_id);

/// Whole file as bytes (empty when absent).
std::vector<std::uint8_t> read_bytes(const fs::path& p);
void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes);

/// Run SQL on a database with the key of `cfg`, outside the Store API (to forge files).
/// Returns the SQLite result code.
int raw_exec(const config::StoreConfig& cfg, const std::string& sql);

}  // namespace tta::store::testing
