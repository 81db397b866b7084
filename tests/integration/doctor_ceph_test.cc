// `eventbarrier doctor` against a real Ceph RGW (started by the CTest
// fixture): every check passes and nothing is left behind, in seconds; the
// same checks through a non-atomic PUT-if-absent wrapper over the same RGW fail
// the racers, so the pass is the store's, not the check's blindness.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/doctor_checks.h"
#include "fakes/non_atomic_store.h"
#include "fakes/vectors.h"
#include "integration/ceph_env.h"
#include "stores/s3_store.h"

namespace eb::test {
namespace {

using json = nlohmann::json;

TEST(DoctorCeph, EveryCheckPassesInSecondsAndNothingIsLeft) {
  EB_REQUIRE_CEPH(env);
  std::string prefix = UniquePrefix("doctor");
  auto start = std::chrono::steady_clock::now();
  ProcessResult run =
      RunProcess({EB_CLI_PATH, "doctor", "--state", "s3://" + env.bucket + "/" + prefix, "--json"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  json report = json::parse(run.output);
  EXPECT_TRUE(report.at("ok").get<bool>()) << run.output;
  for (const auto& c : report.at("checks")) {
    EXPECT_EQ(c.at("outcome"), "pass") << c.dump(2);
    std::cout << c.at("name").get<std::string>() << " [" << c.at("elapsed_ms")
              << " ms]: " << c.at("evidence").get<std::string>() << "\n";
  }
  std::cout << "doctor on Ceph RGW: " << seconds << " s\n";
  EXPECT_LT(seconds, 60) << "the doctor must take seconds, not minutes";

  auto store = S3Store::Open("s3://" + env.bucket + "/" + prefix, ProcessEnv());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto left = ListAll(**store, "");
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->empty()) << left->size() << " keys left, e.g. " << left->front().key;
}

TEST(DoctorCeph, ANonAtomicWrapperOverTheSameStoreFailsTheRacers) {
  EB_REQUIRE_CEPH(env);
  std::string prefix = UniquePrefix("doctor-nonatomic");
  auto s3 = S3Store::Open("s3://" + env.bucket + "/" + prefix, ProcessEnv());
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  NonAtomicPutIfAbsentStore store(
      **s3, 32, [](const std::string& key) { return key.find("/race/") != std::string::npos; });
  SystemClock clock;
  cli::DoctorOptions options;
  options.scratch = "_doctor/test/";
  cli::DoctorReport report = cli::RunDoctor(store, clock, options);
  const cli::CheckResult* racers = nullptr;
  for (const auto& c : report.checks) {
    if (c.name == "racers") racers = &c;
  }
  ASSERT_NE(racers, nullptr);
  std::cout << "racers through the non-atomic wrapper on Ceph RGW: " << racers->evidence << "\n";
  EXPECT_EQ(racers->outcome, cli::Outcome::kFail) << racers->evidence;
  EXPECT_NE(racers->evidence.find("32 of 32 racers won"), std::string::npos) << racers->evidence;
  EXPECT_FALSE(report.ok());
  auto left = ListAll(**s3, "");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace eb::test
