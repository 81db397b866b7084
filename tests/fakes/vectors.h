// Locating ../shared/vectors (override: EVENTBARRIER_VECTORS). In CI
// (CI=true) missing vectors fail the test; elsewhere the conformance cases
// are skipped with a visible message.
#pragma once

#include <string>

namespace eb::test {

// The vectors directory, or "" if absent. Call through EB_REQUIRE_VECTORS.
std::string VectorsDir();
bool InCi();
// Reads a whole file; "" if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace eb::test

// In a TEST body: sets `dir` to the vectors folder, or skips/fails as described above.
#define EB_REQUIRE_VECTORS(dir)                                                        \
  std::string dir = ::eb::test::VectorsDir();                                          \
  if (dir.empty()) {                                                                   \
    if (::eb::test::InCi()) {                                                          \
      FAIL() << "CI=true but the shared test vectors are missing (set EVENTBARRIER_VECTORS)"; \
    }                                                                                  \
    GTEST_SKIP() << "shared test vectors not found (../shared/vectors or EVENTBARRIER_VECTORS): conformance case skipped"; \
  }
