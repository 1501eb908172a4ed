// Where tests find the project's files and the shared data beside the checkout. Test-only;
// any thread.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace canaryd::testing {

// The source tree (CANARYD_SOURCE_DIR, set by ctest), or the current directory.
inline std::filesystem::path SourceDir() {
  const char* dir = std::getenv("CANARYD_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

// The build tree (CANARYD_BINARY_DIR, set by ctest).
inline std::filesystem::path BinaryDir() {
  const char* dir = std::getenv("CANARYD_BINARY_DIR");
  return dir ? std::filesystem::path(dir) : SourceDir() / "build";
}

// ../shared beside the checkout (CANARYD_SHARED_DIR overrides), or "" where it is absent, as on
// a user's machine: tests that need it skip.
inline std::string SharedDir() {
  if (const char* dir = std::getenv("CANARYD_SHARED_DIR")) return dir;
  std::filesystem::path p = SourceDir().parent_path() / "shared";
  return std::filesystem::is_directory(p / "seed") ? p.string() : "";
}

}  // namespace canaryd::testing

// Skips the current test when ../shared is absent.
#define CANARYD_REQUIRE_SHARED(var)                                                           \
  const std::string var = ::canaryd::testing::SharedDir();                                    \
  if (var.empty()) {                                                                          \
    GTEST_SKIP() << "../shared (the seed and the Istio corpus) is not beside this checkout; " \
                    "set CANARYD_SHARED_DIR to run this test";                                \
  }
