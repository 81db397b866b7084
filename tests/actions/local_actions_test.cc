#include "actions/local_actions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fakes/temp_dir.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

namespace fs = std::filesystem;

TripRecord Trip() {
  TripRecord t;
  t.barrier = "sales";
  t.instance = "a%20b";
  t.bindings = {{"date", "a b; rm -rf /"}};
  t.generation = 3;
  return t;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LocalActionsTest : public ::testing::Test {
 protected:
  ActionSpec Exec(std::vector<std::string> command) {
    ActionSpec a;
    a.type = "exec";
    a.command = std::move(command);
    return a;
  }
  test::TempDir dir_{"local-actions"};
  FakeClock clock_;
  MemoryStore store_{clock_};
  LocalActionRunner runner_{store_, Logger::Null()};
};

TEST_F(LocalActionsTest, ExecVarsAreSeparateArgumentsManifestOnStdinReportHasExitAndStderr) {
  std::string args = (dir_ / "args").string(), in = (dir_ / "stdin").string();
  // The script prints each argument on its own line: a value with spaces and ';' stays one argument.
  ActionSpec a = Exec({"/bin/sh", "-c", "for x in \"$@\"; do echo \"$x\"; done > " + args + "; cat > " + in +
                                            "; echo 'careful' >&2",
                       "sh", "{date}", "{generation}", "{idempotency_key}"});
  ActionReport report;
  Status s = runner_.RunReporting(a, Trip(), &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Slurp(args), "a b; rm -rf /\n3\nsales/a%20b/3\n");
  EXPECT_EQ(nlohmann::json::parse(Slurp(in)).at("idempotency_key"), "sales/a%20b/3");
  std::vector<std::pair<std::string, std::string>> want = {{"exit_code", "0"}, {"stderr", "careful\n"}};
  EXPECT_EQ(report.fields, want);
}

TEST_F(LocalActionsTest, NonZeroExitFailsWithCodeAndStderr) {
  ActionReport report;
  Status s = runner_.RunReporting(Exec({"/bin/sh", "-c", "echo 'disk full' >&2; exit 3"}), Trip(), &report);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("exited with 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("disk full"), std::string::npos) << s.message();
  EXPECT_TRUE(report.fields.empty());
  EXPECT_FALSE(runner_.Run(Exec({"/nonexistent/program"}), Trip()).ok());
}

TEST_F(LocalActionsTest, ExecStartsWithSignalsUnblockedAndDefault) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  std::string out = (dir_ / "status").string();
  Status s = runner_.Run(Exec({"/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status > " + out}), Trip());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::signal(SIGPIPE, old_pipe);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string status = Slurp(out);
  EXPECT_NE(status.find("SigBlk:\t0000000000000000"), std::string::npos) << status;
  // SIGPIPE is signal 13: bit 12 of SigIgn.
  auto ign = status.substr(status.find("SigIgn:\t") + 8, 16);
  EXPECT_EQ(std::stoull(ign, nullptr, 16) & (1ull << 12), 0u) << status;
}

TEST_F(LocalActionsTest, ManifestReportsItsKey) {
  ActionSpec a;
  a.type = "manifest";
  a.fields["key"] = "ready/{date}/_SUCCESS.json";
  ActionReport report;
  ASSERT_TRUE(runner_.RunReporting(a, Trip(), &report).ok());
  ASSERT_EQ(report.fields.size(), 1u);
  EXPECT_EQ(report.fields[0].first, "key");
  EXPECT_TRUE(store_.Get(report.fields[0].second).ok());
}

TEST_F(LocalActionsTest, AwsOnlyActionsAreRefused) {
  ActionSpec a;
  a.type = "sns";
  Status s = runner_.Run(a, Trip());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not available in local mode"), std::string::npos);
}

}  // namespace
}  // namespace eb
