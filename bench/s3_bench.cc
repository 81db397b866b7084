// s3_bench: arrivals per second and store requests per arrival of the barrier
// engine on a real S3 server, next to the naive design it replaces (the
// original Python Lambda: on every event, HEAD every member; fire when all exist).
//
// Two tables:
//  1. one handler, events one at a time (3 and 1,000 members);
//  2. 1, 4 and 16 concurrent workers (threads, each with its own engine and
//     S3 connection, like concurrent Lambda invocations sharing the state
//     prefix) delivering the arrivals of many 3-member barriers: arrivals/s,
//     requests per arrival and p50/p99 trip latency, for both designs.
//
// Needs the AWS_* environment and S3_BUCKET of a running server; run it
// through bench/s3-bench.sh, which starts a throw-away Ceph RGW.
//
//   s3_bench [--quick]      --quick: fewer arrivals (a smoke run)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/s3_config.h"
#include "base/log.h"
#include "bench_common.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/engine.h"
#include "stores/s3_store.h"

namespace eb {
namespace {

using Clock = std::chrono::steady_clock;
using bench::LoadAverage;
using bench::Percentile;

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
      "s3://" + bucket + "/" + run + "state-" + std::to_string(members) + "/", ProcessEnv());
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
  auto store = S3Store::Open("s3://" + bucket + "/", ProcessEnv());
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

// ---- concurrent workers -------------------------------------------------

// One run of W workers over `barriers` independent barriers of `members`
// members each. The arrivals are queued barrier by barrier (all inputs of a
// job are produced together), and each worker takes the next one, PUTs the
// object (the producer; not counted as a request) and delivers its event.
//
// Trip latency of a barrier: from the delivery of its last member's event
// (the latest delivery before the trip was reported) to the moment a worker
// reports the trip - for the engine, OnArrival returning with the trip record
// written; for the naive design, the HEADs of one event finding every member.
struct ConcurrentRow {
  const char* design = "";
  int workers = 0;
  int barriers = 0;
  int arrivals = 0;
  double seconds = 0;
  int64_t requests = 0;      // excluding the producers' PUTs
  int tripped = 0;           // barriers reported at least once
  int duplicate_trips = 0;   // reports beyond the first, per barrier
  int redeliveries = 0;      // events that failed and were delivered again
  std::vector<double> latency_ms;  // one per tripped barrier
};

class ConcurrentRun {
 public:
  ConcurrentRun(std::string bucket, std::string prefix, int barriers, int members)
      : bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        barriers_(barriers),
        members_(members),
        delivered_ns_(static_cast<size_t>(barriers * members)),
        trips_(static_cast<size_t>(barriers)) {
    for (auto& d : delivered_ns_) d.store(-1);
    for (auto& t : trips_) t.store(0);
  }

  std::string Key(int barrier, int member) const {
    return prefix_ + "b" + std::to_string(barrier) + "/m" + std::to_string(member);
  }
  std::string ConfigJson() const {
    std::string json = "{";
    for (int b = 0; b < barriers_; ++b) {
      json += (b ? ",\"b" : "\"b") + std::to_string(b) + "\": [";
      for (int m = 0; m < members_; ++m) json += (m ? ",\"" : "\"") + Key(b, m) + "\"";
      json += "]";
    }
    return json + "}";
  }

  // Runs `workers` threads; `deliver(worker, barrier, member)` handles one
  // event and returns the barriers it reported as tripped (or an error, and
  // the event is delivered again, as Lambda or SQS would).
  using Deliver = std::function<Result<std::vector<int>>(int worker, int barrier, int member,
                                                         int64_t* requests)>;
  Status Run(int workers, const std::vector<std::unique_ptr<S3Store>>& stores,
             const Deliver& deliver, ConcurrentRow* row) {
    std::atomic<int> next{0};
    std::atomic<int64_t> requests{0};
    std::atomic<int> redeliveries{0};
    std::mutex mu;
    Status failure;
    start_ = Clock::now();
    auto work = [&](int w) {
      aws::S3Client& s3 = stores[static_cast<size_t>(w)]->client();
      for (int q; (q = next.fetch_add(1)) < barriers_ * members_;) {
        int b = q / members_, m = q % members_;
        auto put = s3.PutObject(bucket_, Key(b, m), "x");  // the producer
        Status st = put.status();
        if (st.ok()) {
          delivered_ns_[static_cast<size_t>(q)].store(Now());
          for (int attempt = 0;; ++attempt) {
            int64_t n = 0;
            auto tripped = deliver(w, b, m, &n);
            requests += n;
            if (tripped.ok()) {
              int64_t at = Now();
              for (int t : *tripped) Tripped(t, at, &mu, row);
              break;
            }
            if (attempt == 5) {
              st = tripped.status();
              break;
            }
            ++redeliveries;
          }
        }
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (failure.ok()) failure = st;
          next.store(barriers_ * members_);
          return;
        }
      }
    };
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back(work, w);
    for (auto& t : threads) t.join();
    row->seconds = Seconds(start_);
    row->workers = workers;
    row->barriers = barriers_;
    row->arrivals = barriers_ * members_;
    row->requests = requests.load();
    row->redeliveries = redeliveries.load();
    for (auto& t : trips_) {
      row->tripped += t.load() > 0 ? 1 : 0;
      row->duplicate_trips += std::max(0, t.load() - 1);
    }
    return failure;
  }

 private:
  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  void Tripped(int barrier, int64_t at, std::mutex* mu, ConcurrentRow* row) {
    if (trips_[static_cast<size_t>(barrier)].fetch_add(1) > 0) return;  // a duplicate
    int64_t last = -1;
    for (int m = 0; m < members_; ++m) {
      int64_t d = delivered_ns_[static_cast<size_t>(barrier * members_ + m)].load();
      if (d >= 0 && d <= at) last = std::max(last, d);
    }
    std::lock_guard<std::mutex> lock(*mu);
    row->latency_ms.push_back(static_cast<double>(at - last) / 1e6);
  }

  std::string bucket_, prefix_;
  int barriers_, members_;
  std::vector<std::atomic<int64_t>> delivered_ns_;  // per arrival; -1 = not yet
  std::vector<std::atomic<int>> trips_;             // reports per barrier
  Clock::time_point start_;
};

Result<std::vector<std::unique_ptr<S3Store>>> OpenStores(const std::string& url, int n) {
  std::vector<std::unique_ptr<S3Store>> stores;
  for (int i = 0; i < n; ++i) {
    auto store = S3Store::Open(url, ProcessEnv());
    if (!store.ok()) return store.status();
    stores.push_back(std::move(*store));
  }
  return stores;
}

Result<ConcurrentRow> RunEngineConcurrent(const std::string& bucket, const std::string& run,
                                          int workers, int barriers, int members) {
  std::string prefix = run + "w" + std::to_string(workers) + "-engine/";
  ConcurrentRun bench(bucket, prefix, barriers, members);
  ConfigParse parsed = ParseConfig(bench.ConfigJson());
  if (!parsed.ok()) return Status::Internal("bench config: " + parsed.errors.front().ToString());
  auto stores = OpenStores("s3://" + bucket + "/" + prefix + "state/", workers);
  if (!stores.ok()) return stores.status();
  SystemClock clock;
  std::vector<std::unique_ptr<NoActions>> actions;
  std::vector<std::unique_ptr<Engine>> engines;
  for (int w = 0; w < workers; ++w) {
    EngineOptions options;
    options.worker_id = "bench-" + std::to_string(w);
    actions.push_back(std::make_unique<NoActions>());
    engines.push_back(std::make_unique<Engine>(parsed.config, *(*stores)[static_cast<size_t>(w)],
                                               *actions.back(), clock, Logger::Null(), options));
  }
  ConcurrentRow row;
  row.design = "barrier engine";
  Status st = bench.Run(
      workers, *stores,
      [&](int w, int b, int m, int64_t* requests) -> Result<std::vector<int>> {
        Arrival a;
        a.bucket = bucket;
        a.key = bench.Key(b, m);
        a.size = 1;
        a.etag = "e" + std::to_string(b) + "-" + std::to_string(m);
        a.sequencer = std::to_string(1000000 + b * members + m);
        a.event_name = "ObjectCreated:Put";
        aws::S3Client& s3 = (*stores)[static_cast<size_t>(w)]->client();
        int64_t before = s3.requests_sent();
        auto outcome = engines[static_cast<size_t>(w)]->OnArrival(a);
        *requests = s3.requests_sent() - before;
        if (!outcome.ok()) return outcome.status();
        std::vector<int> tripped;
        for (const TripSummary& t : outcome->trips) tripped.push_back(std::stoi(t.barrier.substr(1)));
        return tripped;
      },
      &row);
  if (!st.ok()) return st;
  return row;
}

Result<ConcurrentRow> RunNaiveConcurrent(const std::string& bucket, const std::string& run,
                                         int workers, int barriers, int members) {
  std::string prefix = run + "w" + std::to_string(workers) + "-naive/";
  ConcurrentRun bench(bucket, prefix, barriers, members);
  auto stores = OpenStores("s3://" + bucket + "/", workers);
  if (!stores.ok()) return stores.status();
  ConcurrentRow row;
  row.design = "naive HEAD-every-member";
  Status st = bench.Run(
      workers, *stores,
      [&](int w, int b, int, int64_t* requests) -> Result<std::vector<int>> {
        aws::S3Client& s3 = (*stores)[static_cast<size_t>(w)]->client();
        int64_t before = s3.requests_sent();
        bool all = true;
        for (int m = 0; m < members; ++m) {
          auto head = s3.HeadObject(bucket, bench.Key(b, m));
          if (!head.ok() && !head.status().IsNotFound()) return head.status();
          all &= head.ok();
        }
        *requests = s3.requests_sent() - before;
        return all ? std::vector<int>{b} : std::vector<int>{};
      },
      &row);
  if (!st.ok()) return st;
  return row;
}

void PrintConcurrentHeader() {
  std::printf("%7s  %-23s %8s %10s %8s %13s %12s %8s %8s %8s\n", "workers", "design", "arrivals",
              "arrivals/s", "req/arr.", "trips/barrier", "dup. trips", "p50 ms", "p99 ms",
              "seconds");
}

void PrintConcurrent(const ConcurrentRow& r) {
  std::printf("%7d  %-23s %8d %10.1f %8.2f %6d/%-6d %12d %8.1f %8.1f %8.2f\n", r.workers,
              r.design, r.arrivals, r.arrivals / r.seconds,
              static_cast<double>(r.requests) / r.arrivals, r.tripped, r.barriers,
              r.duplicate_trips, Percentile(r.latency_ms, 0.5), Percentile(r.latency_ms, 0.99),
              r.seconds);
  if (r.redeliveries > 0) std::printf("         (%d events redelivered after an error)\n", r.redeliveries);
}

int RunConcurrent(const std::string& bucket, const std::string& run, bool quick) {
  const int members = 3;
  const int barriers = quick ? 20 : 200;
  std::printf(
      "\nconcurrent workers: %d barriers x %d members, arrivals queued barrier by barrier;\n"
      "arrivals/s over the wall time including the producers' PUTs (both designs);\n"
      "trip latency: last member's event delivered -> trip reported\n",
      barriers, members);
  PrintConcurrentHeader();
  for (int workers : {1, 4, 16}) {
    auto engine = RunEngineConcurrent(bucket, run, workers, barriers, members);
    if (!engine.ok()) {
      std::fprintf(stderr, "engine, %d workers: %s\n", workers, engine.status().ToString().c_str());
      return 1;
    }
    PrintConcurrent(*engine);
    auto naive = RunNaiveConcurrent(bucket, run, workers, barriers, members);
    if (!naive.ok()) {
      std::fprintf(stderr, "naive, %d workers: %s\n", workers, naive.status().ToString().c_str());
      return 1;
    }
    PrintConcurrent(*naive);
    std::printf("%7s  engine/naive: arrivals/s %.2fx, p50 latency %.2fx, p99 latency %.2fx\n", "",
                (engine->arrivals / engine->seconds) / (naive->arrivals / naive->seconds),
                Percentile(engine->latency_ms, 0.5) / Percentile(naive->latency_ms, 0.5),
                Percentile(engine->latency_ms, 0.99) / Percentile(naive->latency_ms, 0.99));
  }
  return 0;
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
  std::printf("load average at start: %s (%u cores)\n", LoadAverage().c_str(),
              std::thread::hardware_concurrency());
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
  int rc = RunConcurrent(bucket, run, quick);
  std::printf("load average at end: %s\n", LoadAverage().c_str());
  return rc;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
