// The operator commands against Ceph RGW (`--state s3://...`): the same
// scenario as on the folder store (tests/cli/operator_scenario.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli/operator_scenario.h"
#include "fakes/vectors.h"
#include "integration/ceph_env.h"

namespace eb::test {
namespace {

namespace fs = std::filesystem;

TEST(OperatorCeph, OnCephRgw) {
  EB_REQUIRE_CEPH(env);
  fs::path dir =
      fs::path(::testing::TempDir()) / ("eb-operator-ceph-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  RunOperatorScenario({EB_CLI_PATH, dir.string(),
                       "s3://" + env.bucket + "/" + UniquePrefix("operator"), env.bucket});
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace eb::test
