#include "support/test_paths.hpp"

namespace tta::test_paths {
const char* source_dir() { return TTA_TEST_PATH_SOURCE_DIR; }
const char* binary_dir() { return TTA_TEST_PATH_BINARY_DIR; }
const char* shared_data_dir() { return TTA_TEST_PATH_SHARED_DATA_DIR; }
const char* agent_bin() { return TTA_TEST_PATH_AGENT_BIN; }
}  // namespace tta::test_paths
