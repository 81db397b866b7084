// Runs `eventbarrier doctor` as a user does: against a folder (it passes and
// leaves the folder as it found it), its --json, --help and usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "fakes/run_command.h"
#include "fakes/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

CliRun Doctor(const std::string& args) {
  eb::test::CommandResult ran =
      eb::test::RunCommand(std::string(EB_BINARY) + " doctor " + args + " 2>&1");
  return CliRun{ran.exit_code, std::move(ran.out)};
}

class DoctorCliTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::remove(dir_); }  // no folder yet: doctor makes its own
  eb::test::TempDir dir_{"doctor-cli"};
};

TEST_F(DoctorCliTest, AFolderPassesAndIsLeftAsFound) {
  CliRun run = Doctor("--state " + dir_.string() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  json report = json::parse(run.out);
  EXPECT_TRUE(report.at("ok").get<bool>());
  std::vector<std::string> names;
  for (const auto& c : report.at("checks")) {
    names.push_back(c.at("name"));
    EXPECT_EQ(c.at("outcome"), "pass") << c.dump();
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"put-if-absent", "racers", "list-after-write", "list-order",
                                      "list-pagination", "list-start-after", "list-after-delete",
                                      "bulk-delete", "clock", "permissions", "cleanup"}));
  EXPECT_FALSE(fs::exists(dir_ / ".eventbarrier")) << "the scratch folders it created are removed";
}

TEST_F(DoctorCliTest, TextOutputHasALinePerCheckAndAVerdict) {
  CliRun run = Doctor("--state file://" + dir_.string());
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("PASS  racers             20 keys x 32 racers, 65536-byte bodies: exactly "
                         "one winner each"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\nOK ("), std::string::npos) << run.out;
}

TEST_F(DoctorCliTest, AConfigGivesTheStateItsPrefixAndTheActionsIamNeeds) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "barriers.json")
      << R"({"barriers": {"daily": {"members": ["in/{date}/a.csv", "in/{date}/b.csv"],
              "on_complete": [{"type": "sqs", "queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}]}},
            "state": {"url": ")"
      << (dir_ / "state").string() << R"(", "prefix": "eb/"}})";
  CliRun run = Doctor("--config " + (dir_ / "barriers.json").string() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  json report = json::parse(run.out);
  EXPECT_EQ(report.at("scratch").get<std::string>().rfind("eb/_doctor/", 0), 0u)
      << report.at("scratch");
  bool listed = false;
  for (const auto& c : report.at("checks")) {
    if (c.at("name") == "actions") {
      EXPECT_EQ(c.at("outcome"), "skip");
      listed = c.at("evidence").get<std::string>().find("sqs:SendMessage (sqs action)") !=
               std::string::npos;
    }
  }
  EXPECT_TRUE(listed) << run.out;
  EXPECT_FALSE(fs::exists(dir_ / "state" / "eb"));
}

TEST_F(DoctorCliTest, HelpTeachesWhatIsCheckedAndTheExitStatus) {
  CliRun run = Doctor("--help");
  EXPECT_EQ(run.exit_code, 0);
  for (const char* text : {"PUT-if-absent", "racers", "list-pagination", "clock", "IAM action",
                           "Exit status", "cleanup", "_doctor/"}) {
    EXPECT_NE(run.out.find(text), std::string::npos) << text;
  }
}

TEST_F(DoctorCliTest, UsageErrorsNameTheField) {
  CliRun none = Doctor("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.out.find("--state"), std::string::npos) << none.out;
  CliRun racers = Doctor("--state " + dir_.string() + " --racers 1");
  EXPECT_EQ(racers.exit_code, 2);
  EXPECT_NE(racers.out.find("--racers"), std::string::npos) << racers.out;
  CliRun config = Doctor("--config " + (dir_ / "missing.json").string());
  EXPECT_EQ(config.exit_code, 1);
  EXPECT_NE(config.out.find("missing.json"), std::string::npos) << config.out;
}

}  // namespace
