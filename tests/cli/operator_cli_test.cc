// The operator commands on the folder store (tests/cli/operator_scenario.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli/operator_scenario.h"

namespace eb::test {
namespace {

namespace fs = std::filesystem;

TEST(OperatorCli, OnTheFolderStore) {
  fs::path dir = fs::path(::testing::TempDir()) / ("eb-operator-cli-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "state");
  RunOperatorScenario({EB_BINARY, dir.string(), (dir / "state").string()});
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace eb::test
