// The packaged function, run as Lambda runs it: the zip of
// scripts/package-lambda.sh unpacked in an empty root (tests/fakes/lambda_sandbox.h),
// /var/task/bootstrap started with Lambda's environment, talking to a Runtime
// API server that follows AWS's documented protocol (tests/fakes/runtime_api_server.h).
// Also: the packaging rule check refuses broken packages, and an invalid
// configuration is never packaged.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fakes/lambda_sandbox.h"
#include "fakes/run_command.h"
#include "fakes/runtime_api_server.h"
#include "fakes/s3_events.h"
#include "fakes/vectors.h"

namespace eb::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kZip = std::string(EB_LAMBDA_DIR) + "/eventbarrier-lambda.zip";
const std::string kStage = std::string(EB_LAMBDA_DIR) + "/stage";
const std::string kScripts = std::string(EB_SOURCE_DIR) + "/scripts";

struct Ran {
  int code = -1;
  std::string output;
};

// Runs a shell command line (our own paths only), stdout+stderr captured.
Ran Shell(const std::string& command) {
  test::CommandResult ran = test::RunCommand(command + " 2>&1");
  return Ran{ran.exit_code, std::move(ran.out)};
}

std::vector<json> JsonLines(const std::string& text, std::vector<std::string>* not_json) {
  std::vector<json> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_object()) {
      lines.push_back(std::move(j));
    } else {
      not_json->push_back(line);
    }
  }
  return lines;
}

class LambdaPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kZip)) << kZip
                                  << " is missing: the lambda_package CTest fixture builds it";
    std::string why;
    if (!SandboxAvailable(&why)) {
      if (InCi()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    dir_ = fs::temp_directory_path() /
           ("eb-lambda-pkg-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (int pid : pids_) {
      ::kill(pid, SIGKILL);
      WaitSandboxed(pid);
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // A fresh root holding the zip, plus /cfg/barriers.json and an empty /state folder.
  std::string Root(const std::string& name, const std::string& config) {
    std::string error;
    std::string root = MakeSandboxRoot(kZip, dir_.string(), name, &error);
    EXPECT_FALSE(root.empty()) << error;
    fs::create_directories(fs::path(root) / "cfg");
    fs::create_directories(fs::path(root) / "state");
    std::ofstream(fs::path(root) / "cfg" / "barriers.json") << config;
    return root;
  }
  int Start(const std::string& root, FakeRuntimeApi& api, std::map<std::string, std::string> env,
            const std::string& log_name) {
    env["AWS_LAMBDA_RUNTIME_API"] = api.endpoint();
    int pid = SpawnInSandbox(root, LambdaEnvironment(env), (dir_ / log_name).string());
    EXPECT_GT(pid, 0);
    if (pid > 0) pids_.push_back(pid);
    return pid;
  }
  // Ends a runtime (it waits in `next` forever) and returns its output.
  std::string Stop(int pid, const std::string& log_name) {
    ::kill(pid, SIGKILL);
    WaitSandboxed(pid);
    pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
    return ReadFileOrEmpty((dir_ / log_name).string());
  }

  fs::path dir_;
  std::vector<int> pids_;
};

constexpr const char* kConfig =
    R"({"event-barrier-0": ["0/0", "0/1"], "event-barrier-2": ["2/0", "2/1", "2/2"]})";
const std::map<std::string, std::string> kFolderState = {
    {"EVENTBARRIER_CONFIG", "/cfg/barriers.json"}, {"EVENTBARRIER_STATE", "file:///state"}};

TEST_F(LambdaPackageTest, TheZipHoldsTheBinaryAsBootstrapAndFollowsTheRule) {
  Ran list = Shell("unzip -Z1 '" + kZip + "'");
  ASSERT_EQ(list.code, 0) << list.output;
  for (const char* entry : {"bootstrap\n", "eventbarrier.json\n", "lib/libc.so.6\n"}) {
    EXPECT_NE(list.output.find(entry), std::string::npos) << entry << " missing from\n"
                                                          << list.output;
  }
  // One HTTP library (cpp-httplib over OpenSSL): libcurl and what it brings are gone; the
  // binary is lean (eb_lean_binary): cpp-httplib, OpenSSL, libstdc++ and libgcc are in it.
  for (const char* gone : {"libcurl", "libldap", "libgnutls", "libssh2", "librtmp", "libkrb5",
                           "libcpp-httplib", "libssl", "libcrypto", "libstdc++", "libgcc_s",
                           "libbrotli", "libz"}) {
    EXPECT_EQ(list.output.find(gone), std::string::npos) << gone << " in\n" << list.output;
  }
  Ran check = Shell("bash " + kScripts + "/check-lambda-package.sh '" + kZip + "'");
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_NE(check.output.find("check-lambda-package: ok"), std::string::npos) << check.output;
  // Issue 15's target: at most 10 ELF files (the binary, the loader, glibc).
  size_t at = check.output.find(" ELF files");
  ASSERT_NE(at, std::string::npos) << check.output;
  size_t from = check.output.rfind(' ', at - 1) + 1;
  EXPECT_LE(std::stoi(check.output.substr(from, at - from)), 10) << check.output;
  Ran interp = Shell("readelf -lW '" + kStage + "/bootstrap' | grep interpreter");
  EXPECT_NE(interp.output.find("[Requesting program interpreter: /var/task/lib/ld-"),
            std::string::npos)
      << interp.output;
}

TEST_F(LambdaPackageTest, TheRuleCheckRefusesBrokenPackages) {
  struct Breakage {
    const char* name;
    std::string command;   // run inside a copy of the stage
    const char* expected;  // in the checker's message
  };
  std::vector<Breakage> cases = {
      {"missing-lib", "rm lib/libc.so.6", "needs libc.so.6, which is not in lib/"},
      {"runpath", "patchelf --set-rpath '$ORIGIN/lib' bootstrap", "DT_RUNPATH"},
      {"system-loader", "patchelf --set-interpreter /lib64/ld-linux-x86-64.so.2 bootstrap",
       "not the bundled loader"},
      {"wrapper",
       "mv bootstrap lib/eventbarrier && printf '#!/bin/sh\\nexec /var/task/lib/eventbarrier\\n' > "
       "bootstrap && chmod +x bootstrap",
       "not an ELF binary"},
      {"foreign-rpath", "patchelf --force-rpath --set-rpath /usr/lib/x86_64-linux-gnu bootstrap",
       "DT_RPATH is '/usr/lib/x86_64-linux-gnu'"},
      {"symlink", "ln -s libc.so.6 lib/libc.so", "is a symlink"},
      {"lib-runpath", "patchelf --set-rpath /usr/lib lib/libc.so.6",
       "has its own RPATH/RUNPATH"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path copy = dir_ / c.name;
    fs::copy(kStage, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    Ran broke = Shell("cd '" + copy.string() + "' && " + c.command);
    ASSERT_EQ(broke.code, 0) << broke.output;
    Ran check = Shell("bash " + kScripts + "/check-lambda-package.sh '" + copy.string() + "'");
    EXPECT_EQ(check.code, 1) << check.output;
    EXPECT_NE(check.output.find(c.expected), std::string::npos) << check.output;
  }
}

TEST_F(LambdaPackageTest, AnInvalidConfigurationIsNeverPackaged) {
  std::ofstream(dir_ / "bad.json") << R"({"b": ["a/b", "a/b/c"]})";
  std::ofstream(dir_ / "exec.json")
      << R"({"barriers": {"b": {"members": ["x"], "on_complete": [{"type": "exec", "command": ["true"]}]}}})";
  for (const char* name : {"bad.json", "exec.json"}) {
    SCOPED_TRACE(name);
    std::string out = (dir_ / (std::string(name) + ".zip")).string();
    Ran r = Shell("bash " + kScripts + "/package-lambda.sh --binary '" + EB_CLI_PATH +
                  "' --config '" + (dir_ / name).string() + "' --out '" + out + "'");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("is invalid: not packaged"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("b"), std::string::npos) << "names the barrier: " << r.output;
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST_F(LambdaPackageTest, InTheEmptyRootItTripsAnswersAndLogsJsonWithMetrics) {
  std::string root = Root("root", kConfig);
  FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  int pid = Start(root, api, kFolderState, "out.txt");
  std::string first = api.Enqueue(S3Notification({S3Record("bkt", "0/0/a b.csv", 1)}));
  std::string second =
      api.Enqueue(SnsNotification(S3Notification({S3Record("bkt", "0/1/c.csv", 2)})));
  std::string test_event = api.Enqueue(kS3TestEvent);
  std::string bridge = api.Enqueue(EventBridgeObjectCreated("bkt", "2/0/x", 3));
  ASSERT_TRUE(api.WaitForAnswers(4, 20'000)) << ReadFileOrEmpty((dir_ / "out.txt").string());
  std::string output = Stop(pid, "out.txt");
  auto answers = api.answers();
  for (const auto& a : answers)
    EXPECT_FALSE(a.error) << a.request_id << ": " << a.body << "\n" << output;
  EXPECT_TRUE(api.violations().empty());
  json tripped = json::parse(answers[1].body);
  ASSERT_EQ(tripped["trips"].size(), 1u) << answers[1].body;
  EXPECT_EQ(tripped["trips"][0]["barrier"], "event-barrier-0");
  EXPECT_EQ(tripped["trips"][0]["objects"], 2);
  EXPECT_EQ(json::parse(answers[2].body)["ignored"], 1);
  EXPECT_EQ(json::parse(answers[3].body)["arrivals"], 1);
  EXPECT_TRUE(fs::exists(fs::path(root) / "state" / ".eventbarrier" / "event-barrier-0" / "_" /
                         "t" / "0000000001.done"));

  // Every line of output is a JSON object; log lines carry the request id; EMF counts the trip.
  std::vector<std::string> not_json;
  auto lines = JsonLines(output, &not_json);
  EXPECT_TRUE(not_json.empty()) << "not JSON: " << not_json.front();
  int emf = 0, with_id = 0;
  for (const auto& l : lines) {
    if (l.contains("_aws")) {
      ++emf;
      if (l["requestId"] == second) {
        EXPECT_EQ(l["Trips"], 1) << l.dump();
        EXPECT_EQ(l["Arrivals"], 1);
        EXPECT_TRUE(l["TripLatency"].is_number()) << l.dump();
        EXPECT_EQ(l["FunctionName"], "eventbarrier-test");
      }
    } else if (l.value("requestId", "") == first) {
      ++with_id;
    }
  }
  EXPECT_EQ(emf, 3) << "three invocations counted something (the test event did not)\n" << output;
  EXPECT_GE(with_id, 1) << output;
  EXPECT_NE(output.find(R"("message":"barrier tripped","requestId":")" + second), std::string::npos)
      << output;
}

TEST_F(LambdaPackageTest, FailuresReachTheErrorEndpointWithTheDocumentedBody) {
  std::string root = Root("root", kConfig);
  FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  int pid = Start(root, api, kFolderState, "out.txt");
  std::string invalid = api.Enqueue(R"({"Records":[{"eventSource":"aws:s3","s3":{"bucket":{}}}]})");
  std::string late = api.Enqueue(S3Notification({S3Record("bkt", "0/0/a", 1)}), /*timeout_ms=*/300);
  std::string sqs = api.Enqueue(
      SqsBatch({{"m-ok", S3Notification({S3Record("bkt", "2/0/a", 2)})}, {"m-bad", "{oops"}}));
  std::string late_sqs = api.Enqueue(
      SqsBatch({{"m-1", S3Notification({S3Record("bkt", "2/1/a", 3)})}, {"m-2", kS3TestEvent}}),
      300);
  ASSERT_TRUE(api.WaitForAnswers(4, 20'000));
  std::string output = Stop(pid, "out.txt");
  auto answers = api.answers();
  ASSERT_EQ(answers.size(), 4u);

  EXPECT_TRUE(answers[0].error);
  EXPECT_EQ(answers[0].error_type, "EventBarrier.InvalidEvent");
  json body = json::parse(answers[0].body);
  EXPECT_EQ(body.size(), 3u) << answers[0].body;
  EXPECT_EQ(body["errorType"], "EventBarrier.InvalidEvent");
  EXPECT_NE(body["errorMessage"].get<std::string>().find("Records[0]"), std::string::npos);
  EXPECT_EQ(body["stackTrace"], json::array());

  EXPECT_TRUE(answers[1].error) << "300 ms left < the 1 s safety margin: Lambda must retry";
  EXPECT_EQ(answers[1].error_type, "EventBarrier.Unavailable");
  EXPECT_NE(answers[1].body.find("deadline"), std::string::npos) << answers[1].body;

  EXPECT_FALSE(answers[2].error) << "SQS: a partial batch response";
  EXPECT_EQ(json::parse(answers[2].body),
            json::parse(R"({"batchItemFailures":[{"itemIdentifier":"m-bad"}]})"));
  EXPECT_FALSE(answers[3].error);
  EXPECT_EQ(json::parse(answers[3].body),
            json::parse(R"({"batchItemFailures":[{"itemIdentifier":"m-1"}]})"))
      << "only the message with work left is retried";
  EXPECT_NE(output.find(R"("message":"SQS message failed","requestId":")" + sqs), std::string::npos)
      << output;
}

TEST_F(LambdaPackageTest, NothingForAnyBarrierSucceedsWithoutTheStore) {
  std::string root = Root("root", kConfig);
  FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  // Nothing listens on port 1: any store request fails.
  int pid = Start(root, api,
                  {{"EVENTBARRIER_CONFIG", "/cfg/barriers.json"},
                   {"EVENTBARRIER_STATE", "s3://state-bucket/p/?endpoint=http://127.0.0.1:1"},
                   {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                   {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                   {"AWS_SESSION_TOKEN", "token"}},
                  "out.txt");
  api.Enqueue(kS3TestEvent);
  api.Enqueue(S3Notification({S3Record("bkt", "unrelated/key.csv", 1)}));
  api.Enqueue(SqsBatch({{"m", S3Notification({S3Record("bkt", "9/9", 2)})}}));
  api.Enqueue(S3Notification({S3Record("bkt", "0/0/counts", 3)}));
  ASSERT_TRUE(api.WaitForAnswers(4, 30'000));
  std::string output = Stop(pid, "out.txt");
  auto answers = api.answers();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(answers[i].error) << answers[i].body << "\n" << output;
  EXPECT_TRUE(answers[3].error) << "this one needs the store, which is unreachable: "
                                << answers[3].body;
  EXPECT_EQ(answers[3].error_type, "EventBarrier.Unavailable");
}

TEST_F(LambdaPackageTest, InitializationProblemsReachInitError) {
  std::string root = Root("root", R"({"b": ["a/b", "a/b/c"]})");
  std::ofstream(fs::path(root) / "cfg" / "good.json") << kConfig;
  struct Case {
    std::map<std::string, std::string> env;
    const char* type;
    const char* says;
  };
  std::vector<Case> cases = {
      {{{"EVENTBARRIER_CONFIG", "/cfg/barriers.json"}, {"EVENTBARRIER_STATE", "file:///state"}},
       "EventBarrier.ConfigInvalid",
       "overlap"},
      {{{"EVENTBARRIER_CONFIG", "/cfg/missing.json"}},
       "EventBarrier.ConfigNotFound",
       "missing.json"},
      {{{"EVENTBARRIER_CONFIG", "/cfg/good.json"}, {"EVENTBARRIER_STATE", "s3://bucket/p/"}},
       "EventBarrier.CredentialsMissing",
       "AWS_ACCESS_KEY_ID"},
      {{},
       "EventBarrier.StateInvalid",
       "no state location"},  // the bundled examples config has none
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].type);
    FakeRuntimeApi api;
    ASSERT_TRUE(api.ok());
    std::string log = "init-" + std::to_string(i) + ".txt";
    int pid = Start(root, api, cases[i].env, log);
    ASSERT_TRUE(api.WaitForInitErrors(1, 20'000)) << ReadFileOrEmpty((dir_ / log).string());
    EXPECT_EQ(WaitSandboxed(pid), 1) << "the runtime exits after reporting";
    pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
    auto errors = api.init_errors();
    EXPECT_EQ(errors[0].error_type, cases[i].type);
    json body = json::parse(errors[0].body);
    EXPECT_EQ(body["errorType"], cases[i].type);
    EXPECT_NE(body["errorMessage"].get<std::string>().find(cases[i].says), std::string::npos)
        << errors[0].body;
    EXPECT_TRUE(body["stackTrace"].is_array());
    EXPECT_TRUE(api.next_request_times().empty())
        << "no invocation is asked for after a failed init";
  }
}

TEST_F(LambdaPackageTest, AMissingLibraryFailsTheStartInTheEmptyRoot) {
  std::string root = Root("root", kConfig);
  fs::remove(fs::path(root) / "var" / "task" / "lib" / "libc.so.6");
  FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  int pid = Start(root, api, kFolderState, "out.txt");
  EXPECT_EQ(WaitSandboxed(pid), 127) << "the loader gives up";
  pids_.clear();
  std::string output = ReadFileOrEmpty((dir_ / "out.txt").string());
  EXPECT_NE(output.find("libc.so.6"), std::string::npos) << output;
  EXPECT_TRUE(api.next_request_times().empty());
}

}  // namespace
}  // namespace eb::test
