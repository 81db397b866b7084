// The operator commands on the folder store (tests/cli/operator_scenario.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/operator_scenario.h"
#include "fakes/s3_events.h"

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

// A barrier whose action fails (issue 14, item 2): `handle` succeeds (the
// arrival is recorded; the trip stays unfinished and is re-driven with
// backoff), and `status` shows the failing generation, its failed attempts,
// the error and when the next attempt is due.
TEST(OperatorCli, StatusShowsAFailingTrip) {
  fs::path dir = fs::path(::testing::TempDir()) / ("eb-failing-cli-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "state");
  const std::string config = (dir / "barriers.json").string();
  std::ofstream(config) << R"({"barriers": {"b": {"members": ["in/x", "in/y"],
      "on_complete": [{"type": "exec", "command": ["sh", "-c", "echo target down >&2; exit 3"]}]}}})";
  const std::string common =
      " --config " + ShellQuote(config) + " --state " + ShellQuote((dir / "state").string());
  int seq = 0;
  for (const char* key : {"in/x/1.csv", "in/y/1.csv"}) {
    const std::string payload = (dir / ("payload-" + std::to_string(++seq) + ".json")).string();
    std::ofstream(payload) << S3Notification({S3Record("data", key, seq)});
    CliResult r = RunCli(EB_BINARY, "handle " + ShellQuote(payload) + common);
    EXPECT_EQ(r.exit_code, 0) << "the arrival is recorded even though the action failed: " << r.out;
  }
  CliResult table = RunCli(EB_BINARY, "status" + common);
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("failing (gen 1, 1 failed attempt(s), next in "), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("failing: b/_ generation 1: "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("target down"), std::string::npos)
      << "the action's error: " << table.out;
  CliResult js = RunCli(EB_BINARY, "status --json" + common, false);
  ASSERT_EQ(js.exit_code, 0) << js.out;
  auto j = nlohmann::json::parse(js.out);
  const auto& pending = j["instances"][0]["pending_redrives"];
  ASSERT_EQ(pending.size(), 1u) << js.out;
  EXPECT_EQ(pending[0]["generation"], 1);
  EXPECT_EQ(pending[0]["attempts"], 0);
  EXPECT_EQ(pending[0]["failures"], 1);
  EXPECT_NE(pending[0]["last_error"].get<std::string>().find("target down"), std::string::npos)
      << js.out;
  EXPECT_FALSE(pending[0]["next_attempt"].get<std::string>().empty());
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace eb::test
