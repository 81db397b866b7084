// The barrier promise through the packaged Lambda function on a real S3
// server (Ceph RGW): four runtime processes, each /var/task/bootstrap in an
// empty root, take invocations from one Runtime API server that follows AWS's
// documented protocol. The events for 30 barriers of 3 members arrive
// duplicated (1-3 copies), shuffled and in every envelope (S3 notification,
// SNS, SQS batches, EventBridge), in two phases: generation 1's objects, then
// generation 2's mixed with late copies of generation 1's. Each generation
// of each barrier trips exactly once, and each consumes only its own objects.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "aws/s3_config.h"
#include "core/trip.h"
#include "fakes/lambda_sandbox.h"
#include "fakes/runtime_api_server.h"
#include "fakes/s3_events.h"
#include "fakes/vectors.h"
#include "integration/ceph_env.h"
#include "stores/s3_store.h"

namespace eb::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kBarriers = 30;
constexpr int kMembers = 3;
constexpr int kRuntimes = 4;

std::string BarrierName(int b) {
  char name[16];
  std::snprintf(name, sizeof name, "b%02d", b);
  return name;
}

struct Delivery {
  std::string key;
  int seq = 0;
};

// Packs deliveries into invocation payloads, each in a randomly chosen envelope.
std::vector<std::string> Payloads(const std::vector<Delivery>& deliveries,
                                  const std::string& bucket, std::mt19937& rng, int* sqs_batches) {
  std::vector<std::string> payloads;
  int message = 0;
  for (size_t i = 0; i < deliveries.size();) {
    int kind = static_cast<int>(rng() % 4);
    size_t take = kind == 0 ? 1 + rng() % 3 : kind == 2 ? 1 + rng() % 5 : 1;
    take = std::min(take, deliveries.size() - i);
    auto record = [&](size_t j) { return S3Record(bucket, deliveries[j].key, deliveries[j].seq); };
    if (kind == 0) {
      std::vector<json> records;
      for (size_t j = i; j < i + take; ++j) records.push_back(record(j));
      payloads.push_back(S3Notification(records));
    } else if (kind == 1) {
      payloads.push_back(SnsNotification(S3Notification({record(i)})));
    } else if (kind == 2) {
      std::vector<std::pair<std::string, std::string>> messages;
      for (size_t j = i; j < i + take; ++j)
        messages.emplace_back("msg-" + std::to_string(++message), S3Notification({record(j)}));
      payloads.push_back(SqsBatch(messages));
      ++*sqs_batches;
    } else {
      payloads.push_back(EventBridgeObjectCreated(bucket, deliveries[i].key, deliveries[i].seq));
    }
    i += take;
  }
  return payloads;
}

TEST(LambdaCeph, FourRuntimesTripEachGenerationOfThirtyBarriersExactlyOnce) {
  EB_REQUIRE_CEPH(env);
  std::string why;
  if (!SandboxAvailable(&why)) {
    if (InCi()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  std::string zip = std::string(EB_LAMBDA_DIR) + "/eventbarrier-lambda.zip";
  ASSERT_TRUE(fs::exists(zip)) << zip;
  fs::path dir = fs::temp_directory_path() / ("eb-lambda-ceph-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string error;
  std::string root = MakeSandboxRoot(zip, dir.string(), "root", &error);
  ASSERT_FALSE(root.empty()) << error;
  json config = json::object();
  for (int b = 0; b < kBarriers; ++b) {
    for (int m = 0; m < kMembers; ++m)
      config[BarrierName(b)].push_back("in/" + BarrierName(b) + "/" + std::to_string(m));
  }
  fs::create_directories(fs::path(root) / "cfg");
  std::ofstream(fs::path(root) / "cfg" / "barriers.json") << config.dump();

  std::string prefix = UniquePrefix("lambda");
  std::string state = "s3://" + env.bucket + "/" + prefix + "?endpoint=" + env.endpoint;
  FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  std::vector<int> pids;
  for (int r = 0; r < kRuntimes; ++r) {
    auto environment =
        LambdaEnvironment({{"AWS_LAMBDA_RUNTIME_API", api.endpoint()},
                           {"EVENTBARRIER_CONFIG", "/cfg/barriers.json"},
                           {"EVENTBARRIER_STATE", state},
                           {"AWS_ACCESS_KEY_ID", env.access_key},
                           {"AWS_SECRET_ACCESS_KEY", env.secret_key},
                           {"AWS_LAMBDA_LOG_STREAM_NAME", "stream-" + std::to_string(r)}});
    int pid = SpawnInSandbox(root, environment,
                             (dir / ("runtime-" + std::to_string(r) + ".txt")).string());
    ASSERT_GT(pid, 0);
    pids.push_back(pid);
  }

  // Generation g of member m of barrier b is the object in/bNN/m/g<g>.csv.
  std::mt19937 rng(20261124);
  int seq = 0, sqs_batches = 0;
  std::vector<Delivery> phase1, phase2;
  std::map<std::string, std::set<std::string>> keys_of_generation;  // "bNN/g" -> keys
  for (int g = 1; g <= 2; ++g) {
    for (int b = 0; b < kBarriers; ++b) {
      for (int m = 0; m < kMembers; ++m) {
        Delivery d{
            "in/" + BarrierName(b) + "/" + std::to_string(m) + "/g" + std::to_string(g) + ".csv",
            ++seq};
        keys_of_generation[BarrierName(b) + "/" + std::to_string(g)].insert(d.key);
        int copies = 1 + static_cast<int>(rng() % 3);
        for (int c = 0; c < copies; ++c) (g == 1 ? phase1 : phase2).push_back(d);
        if (g == 1 && rng() % 2 == 0) phase2.push_back(d);  // a late duplicate of generation 1
      }
    }
  }
  std::shuffle(phase1.begin(), phase1.end(), rng);
  std::shuffle(phase2.begin(), phase2.end(), rng);
  auto start = std::chrono::steady_clock::now();
  size_t invocations = 0;
  for (const auto* phase : {&phase1, &phase2}) {
    for (const std::string& payload : Payloads(*phase, env.bucket, rng, &sqs_batches)) {
      api.Enqueue(payload);
      ++invocations;
    }
    // Generation 2's objects are uploaded after generation 1 tripped.
    ASSERT_TRUE(api.WaitForAnswers(invocations, 120'000))
        << api.answers().size() << " of " << invocations << " answered";
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::string> outputs;
  for (int r = 0; r < kRuntimes; ++r) {
    ::kill(pids[r], SIGKILL);
    WaitSandboxed(pids[r]);
    outputs.push_back(ReadFileOrEmpty((dir / ("runtime-" + std::to_string(r) + ".txt")).string()));
  }
  EXPECT_TRUE(api.violations().empty());
  EXPECT_TRUE(api.init_errors().empty());
  for (const auto& a : api.answers()) {
    EXPECT_FALSE(a.error) << a.error_type << ": " << a.body;
    json body = json::parse(a.body, nullptr, false);
    if (body.contains("batchItemFailures")) {
      EXPECT_TRUE(body["batchItemFailures"].empty()) << a.body;
    }
  }

  // From the logs: every claim ("barrier tripped", not a re-drive) by any runtime.
  std::map<std::string, int> claims;  // "bNN/generation" -> count
  int busy_runtimes = 0;
  for (const auto& out : outputs) {
    int handled = 0;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      json j = json::parse(line, nullptr, false);
      ASSERT_TRUE(j.is_object()) << "not a JSON line: " << line;
      std::string message = j.value("message", "");
      if (message.rfind("invocation", 0) == 0) ++handled;  // "invocation" or "invocation failed"
      if (message == "barrier tripped" && j.value("redriven", "") == "false")
        claims[j.value("barrier", "") + "/" + j.value("generation", "")]++;
    }
    busy_runtimes += handled > 0 ? 1 : 0;
  }
  EXPECT_GE(busy_runtimes, 2) << "the invocations were spread over several runtimes";
  EXPECT_EQ(claims.size(), static_cast<size_t>(2 * kBarriers));
  for (const auto& [generation, count] : claims) EXPECT_EQ(count, 1) << generation;

  // From the bucket: per barrier, two trips (a record with a .done that is
  // not void), the first consuming generation 1's objects and the second
  // generation 2's. A record may also list late duplicates, which its
  // verdict (t/<gen>.stale) names; a generation claimed only with such copies
  // is void (docs/PROTOCOL.md) and consumes nothing.
  auto store = S3Store::Open(state, ProcessEnv());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto all = ListAll(**store, ".eventbarrier/");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::regex trip_key(R"(\.eventbarrier/(b\d{2})/_/t/(\d{10})(\.done|\.stale)?)");
  std::map<std::string, std::map<int64_t, TripRecord>> records;
  std::map<std::string, std::map<int64_t, bool>> done_void;        // barrier -> gen -> void
  std::map<std::string, std::map<int64_t, std::set<std::string>>> stale;
  for (const auto& o : *all) {
    std::smatch m;
    if (!std::regex_match(o.key, m, trip_key)) continue;
    auto body = (*store)->Get(o.key);
    ASSERT_TRUE(body.ok()) << o.key;
    int64_t gen = std::stoll(m[2].str());
    if (m[3].str() == ".done") {
      done_void[m[1]][gen] = ParseDone(*body).void_trip;
    } else if (m[3].str() == ".stale") {
      auto verdict = ParseStale(*body);
      ASSERT_TRUE(verdict.ok()) << o.key;
      stale[m[1]][gen].insert(verdict->ids.begin(), verdict->ids.end());
    } else {
      auto record = ParseTrip(*body);
      ASSERT_TRUE(record.ok()) << o.key;
      records[m[1]][gen] = *record;
    }
  }
  EXPECT_EQ(records.size(), static_cast<size_t>(kBarriers));
  for (const auto& [barrier, by_gen] : records) {
    int trip = 0;
    for (const auto& [gen, record] : by_gen) {
      ASSERT_TRUE(done_void[barrier].count(gen)) << barrier << "/" << gen << ": no .done";
      if (done_void[barrier][gen]) continue;
      ++trip;
      std::set<std::string> consumed;
      for (const auto& c : record.arrivals) {
        if (!stale[barrier][gen].count(c.id)) consumed.insert(c.arrival.key);
      }
      EXPECT_EQ(consumed, keys_of_generation[barrier + "/" + std::to_string(trip)])
          << barrier << "/" << gen << ": a trip consumes exactly its own objects, never a late duplicate";
    }
    EXPECT_EQ(trip, 2) << barrier;
  }
  std::printf(
      "%zu deliveries in %zu invocations (%d SQS batches) over %d runtimes: %zu claims in %.1f s\n",
      phase1.size() + phase2.size(), invocations, sqs_batches, kRuntimes, claims.size(), seconds);
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

// The operator payload through the packaged function, state on Ceph RGW, as
// `aws lambda invoke` delivers it (docs/OPERATORS.md): refused by a function
// whose configuration does not enable it; with EVENTBARRIER_OPERATOR_PAYLOADS=true,
// a dry run, the force, history, a rerun and status answer their JSON.
TEST(LambdaCeph, OperatorPayloadsOnlyWhereTheFunctionEnablesThem) {
  EB_REQUIRE_CEPH(env);
  std::string why;
  if (!SandboxAvailable(&why)) {
    if (InCi()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  std::string zip = std::string(EB_LAMBDA_DIR) + "/eventbarrier-lambda.zip";
  fs::path dir = fs::temp_directory_path() / ("eb-lambda-ops-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string error;
  std::string root = MakeSandboxRoot(zip, dir.string(), "root", &error);
  ASSERT_FALSE(root.empty()) << error;
  fs::create_directories(fs::path(root) / "cfg");
  std::ofstream(fs::path(root) / "cfg" / "barriers.json")
      << R"({"barriers": {"daily": {"members": ["in/{day}/east", "in/{day}/west", "in/{day}/north"],
             "on_complete": [{"type": "manifest", "key": "ready/{day}.json"}]}}})";
  std::string state = "s3://" + env.bucket + "/" + UniquePrefix("lambda-ops") + "?endpoint=" + env.endpoint;
  auto run = [&](FakeRuntimeApi& api, bool enabled, const std::string& name) {
    auto environment = LambdaEnvironment({{"AWS_LAMBDA_RUNTIME_API", api.endpoint()},
                                          {"EVENTBARRIER_CONFIG", "/cfg/barriers.json"},
                                          {"EVENTBARRIER_STATE", state},
                                          {"EVENTBARRIER_OPERATOR_PAYLOADS", enabled ? "true" : "false"},
                                          {"AWS_ACCESS_KEY_ID", env.access_key},
                                          {"AWS_SECRET_ACCESS_KEY", env.secret_key}});
    return SpawnInSandbox(root, environment, (dir / (name + ".txt")).string());
  };
  FakeRuntimeApi closed, open;
  ASSERT_TRUE(closed.ok() && open.ok());
  int closed_pid = run(closed, false, "closed"), open_pid = run(open, true, "open");
  ASSERT_GT(closed_pid, 0);
  ASSERT_GT(open_pid, 0);

  closed.Enqueue(R"({"eventbarrier": {"op": "status"}})");
  ASSERT_TRUE(closed.WaitForAnswers(1, 60'000));
  EXPECT_TRUE(closed.answers()[0].error);
  EXPECT_EQ(closed.answers()[0].error_type, "EventBarrier.OperatorRefused") << closed.answers()[0].body;

  // A day of its own: the manifest goes to the bucket's root, shared by every run.
  const std::string day = "2026-11-" + std::to_string(::getpid());
  auto op = [&](std::string text) {
    for (size_t at; (at = text.find("DAY")) != std::string::npos;) text.replace(at, 3, day);
    return text;
  };
  std::vector<std::string> payloads = {
      S3Notification({S3Record(env.bucket, "in/" + day + "/east/a.csv", 1),
                      S3Record(env.bucket, "in/" + day + "/west/b.csv", 2)}),
      op(R"({"eventbarrier": {"op": "trip", "barrier": "daily", "instance": "DAY", "reason": "north lost", "dry_run": true}})"),
      op(R"({"eventbarrier": {"op": "trip", "barrier": "daily", "instance": "DAY", "reason": "north lost", "by": "alice"}})"),
      op(R"({"eventbarrier": {"op": "trip", "barrier": "daily", "instance": "DAY", "reason": "again"}})"),
      op(R"({"eventbarrier": {"op": "history", "barrier": "daily", "instance": "DAY"}})"),
      op(R"({"eventbarrier": {"op": "rerun", "barrier": "daily", "instance": "DAY", "generation": 1, "by": "bob"}})"),
      R"({"eventbarrier": {"op": "status"}})",
  };
  for (size_t i = 0; i < payloads.size(); ++i) {
    open.Enqueue(payloads[i]);
    ASSERT_TRUE(open.WaitForAnswers(i + 1, 60'000)) << payloads[i];
  }
  auto answers = open.answers();
  for (int pid : {closed_pid, open_pid}) {
    ::kill(pid, SIGKILL);
    WaitSandboxed(pid);
  }
  auto body = [&](size_t i) {
    EXPECT_FALSE(answers[i].error) << payloads[i] << ": " << answers[i].error_type << " " << answers[i].body;
    json j = json::parse(answers[i].body, nullptr, false);
    return j.is_object() && j.contains("result") ? j["result"] : j;
  };
  EXPECT_EQ(body(0)["arrivals"], 2);
  EXPECT_EQ(body(1)["dry_run"], true);
  EXPECT_EQ(body(1)["missing"], json::array({"in/" + day + "/north"}));
  json forced = body(2);
  EXPECT_EQ(forced["status"], "forced");
  EXPECT_EQ(forced["finished"], true);
  EXPECT_TRUE(answers[3].error);
  EXPECT_EQ(answers[3].error_type, "EventBarrier.OperatorFailed");
  EXPECT_NE(answers[3].body.find("nothing to force"), std::string::npos) << answers[3].body;
  json history = body(4);
  ASSERT_EQ(history["generations"].size(), 1u) << history.dump();
  EXPECT_EQ(history["generations"][0]["outcome"], "forced");
  EXPECT_EQ(history["generations"][0]["forced_by"], "alice");
  EXPECT_EQ(body(5)["rerun"], 1);
  EXPECT_EQ(body(5)["by"], "bob");
  EXPECT_EQ(body(6)["instances"][0]["last_trip"]["status"], "forced");
  // The manifest the forced trip (and its rerun) wrote to the bucket says so.
  auto bucket = S3Store::Open("s3://" + env.bucket + "/?endpoint=" + env.endpoint, ProcessEnv());
  ASSERT_TRUE(bucket.ok());
  auto manifest = (*bucket)->Get("ready/" + day + ".json");
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_NE(manifest->find("\"status\": \"forced\""), std::string::npos) << *manifest;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace eb::test
