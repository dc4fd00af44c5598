#pragma once
// Where the tests find this checkout, its build tree, the shared test data and tta-agent.
// Every test target includes this header first (-include, tests/CMakeLists.txt). The paths are
// compiled into one small library (test_paths.cpp) instead of being defined on each test's
// command line, so that the test objects do not depend on the checkout's folder and a clone in
// another folder reuses them from the compiler cache.
namespace tta::test_paths {
const char* source_dir();       // the checkout
const char* binary_dir();       // the CMake build tree
const char* shared_data_dir();  // ../shared/data beside the checkout (may be absent)
const char* agent_bin();        // the tta-agent executable
}  // namespace tta::test_paths

#define TTA_SOURCE_DIR (::tta::test_paths::source_dir())
#define TTA_BINARY_DIR (::tta::test_paths::binary_dir())
#define TTA_SHARED_DATA_DIR (::tta::test_paths::shared_data_dir())
#ifdef TTA_TEST_NEEDS_AGENT
#define TTA_AGENT_BIN (::tta::test_paths::agent_bin())
#endif
