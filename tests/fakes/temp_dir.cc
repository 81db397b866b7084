#include "fakes/temp_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace eb::test {

TempDir::TempDir(const std::string& name) {
  std::string test = "no-test";
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = info->name();
    for (char& c : test) {
      if (c == '/') c = '_';  // a parameterised case: "Name/0"
    }
  }
  path_ = std::filesystem::path(::testing::TempDir()) /
          ("eb-" + name + "-" + std::to_string(::getpid()) + "-" + test);
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!keep_) std::filesystem::remove_all(path_, ignored);
}

void TempDir::Keep() {
  if (!keep_) std::printf("kept %s\n", path_.c_str());
  keep_ = true;
}

}  // namespace eb::test
