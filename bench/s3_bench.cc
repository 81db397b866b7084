// s3_bench: arrivals per second and store requests per arrival of the barrier
// engine on a real S3 server, next to the naive design it replaces (the
// original Python Lambda: on every event, HEAD every member; fire when all exist).
//
// Needs the AWS_* environment and S3_BUCKET of a running server; run it
// through bench/s3-bench.sh, which starts a throw-away Ceph RGW.
//
//   s3_bench [--quick]      --quick: fewer arrivals (a smoke run)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "aws/s3_config.h"
#include "base/log.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/engine.h"
#include "stores/s3_store.h"

namespace eb {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct Row {
  const char* design;
  int members = 0;
  int arrivals = 0;
  int trips = 0;
  double seconds = 0;
  int64_t requests = 0;
};

void Print(const Row& r) {
  std::printf("%-22s %8d %9d %6d %10.1f %14.1f %9.2f\n", r.design, r.members, r.arrivals, r.trips,
              r.arrivals / r.seconds, static_cast<double>(r.requests) / r.arrivals, r.seconds);
}

std::string MemberKey(const std::string& run, int members, int i) {
  return run + "in" + std::to_string(members) + "/" + std::to_string(i);
}

// The engine: `generations` full generations of a cyclic barrier of `members`,
// arrivals in member order, one handler.
Result<Row> RunEngine(const std::string& bucket, const std::string& run, int members,
                      int generations) {
  std::string json = "{\"bench\": [";
  for (int i = 0; i < members; ++i) json += (i ? ",\"" : "\"") + MemberKey(run, members, i) + "\"";
  json += "]}";
  ConfigParse parsed = ParseConfig(json);
  if (!parsed.ok()) return Status::Internal("bench config: " + parsed.errors.front().ToString());
  auto store = S3Store::Open(
      "s3://" + bucket + "/" + run + "state-" + std::to_string(members) + "/", aws::ProcessEnv());
  if (!store.ok()) return store.status();
  SystemClock clock;
  NoActions actions;
  EngineOptions options;
  options.worker_id = "bench";
  Engine engine(parsed.config, **store, actions, clock, Logger::Null(), options);

  Row row{"barrier engine", members};
  int64_t before = (*store)->client().requests_sent();
  auto start = Clock::now();
  for (int g = 0; g < generations; ++g) {
    for (int i = 0; i < members; ++i) {
      Arrival a;
      a.bucket = bucket;
      a.key = MemberKey(run, members, i);
      a.size = 1;
      a.etag = "e" + std::to_string(g) + "-" + std::to_string(i);
      a.sequencer = std::to_string(1000000 + g * members + i);
      a.event_name = "ObjectCreated:Put";
      auto outcome = engine.OnArrival(a);
      if (!outcome.ok()) return outcome.status();
      row.trips += static_cast<int>(outcome->trips.size());
      ++row.arrivals;
    }
  }
  row.seconds = Seconds(start);
  row.requests = (*store)->client().requests_sent() - before;
  return row;
}

// The naive design: for each of `events` events of a barrier of `members`,
// HEAD every member. Producers' PUTs happen first and are not counted; the
// first `members - events` objects exist already, so the sample ends with the
// complete set (the event that would fire).
Result<Row> RunNaive(const std::string& bucket, const std::string& run, int members, int events) {
  auto store = S3Store::Open("s3://" + bucket + "/", aws::ProcessEnv());
  if (!store.ok()) return store.status();
  aws::S3Client& s3 = (*store)->client();
  for (int i = 0; i < members - events; ++i) {
    auto put = s3.PutObject(bucket, MemberKey(run, members, i), "x");
    if (!put.ok()) return put.status();
  }
  Row row{"naive HEAD-every-member", members};
  int64_t requests = 0;
  double seconds = 0;
  for (int e = members - events; e < members; ++e) {
    auto put = s3.PutObject(bucket, MemberKey(run, members, e), "x");  // the producer
    if (!put.ok()) return put.status();
    auto start = Clock::now();
    int64_t before = s3.requests_sent();
    bool all = true;
    for (int i = 0; i < members; ++i) {
      auto head = s3.HeadObject(bucket, MemberKey(run, members, i));
      if (!head.ok() && !head.status().IsNotFound()) return head.status();
      all &= head.ok();
    }
    requests += s3.requests_sent() - before;
    seconds += Seconds(start);
    row.trips += all ? 1 : 0;
    ++row.arrivals;
  }
  row.seconds = seconds;
  row.requests = requests;
  return row;
}

int Main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const char* bucket = std::getenv("S3_BUCKET");
  if (bucket == nullptr || *bucket == '\0') {
    std::fprintf(stderr,
                 "s3_bench: set S3_BUCKET and the AWS_* variables (bench/s3-bench.sh does)\n");
    return 2;
  }
  std::string run = "bench-" + std::to_string(std::time(nullptr)) + "/";
  std::printf("%-22s %8s %9s %6s %10s %14s %9s\n", "design", "members", "arrivals", "trips",
              "arrivals/s", "requests/arr.", "seconds");
  struct Case {
    int members, generations, naive_events;
  };
  const Case cases[] = {{3, quick ? 10 : 100, quick ? 30 : 300}, {1000, 1, quick ? 2 : 5}};
  for (const Case& c : cases) {
    auto engine = RunEngine(bucket, run, c.members, c.generations);
    if (!engine.ok()) {
      std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
      return 1;
    }
    Print(*engine);
    // The naive design's cost per event does not depend on how many events
    // came before, so a sample of the last events of a generation suffices.
    auto naive = RunNaive(bucket, run, c.members, std::min(c.naive_events, c.members));
    if (!naive.ok()) {
      std::fprintf(stderr, "naive: %s\n", naive.status().ToString().c_str());
      return 1;
    }
    if (c.naive_events > c.members) {  // repeat full generations for small barriers
      Row total = *naive;
      for (int done = c.members; done < c.naive_events; done += c.members) {
        auto more = RunNaive(bucket, run + "g" + std::to_string(done) + "/", c.members, c.members);
        if (!more.ok()) return 1;
        total.arrivals += more->arrivals;
        total.trips += more->trips;
        total.seconds += more->seconds;
        total.requests += more->requests;
      }
      naive = total;
    }
    Print(*naive);
  }
  std::printf(
      "(naive, 1000 members: a sample of the last events of one generation; every event costs the "
      "same)\n");
  return 0;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
