// concurrency_bench: store requests per arrival at 1, 4, 16 and 64 concurrent
// workers, and what a million arrivals cost on AWS (issue 13, "Speed", second
// and last bullets).
//
// Every worker is a thread with its own Engine (like a separate Lambda
// instance) and its own counting wrapper around one shared store: the
// in-memory store behind a LatencyStore that makes every call take
// --latency_ms (2 ms), so that the calls of many workers overlap as they do on
// S3 and 2 busy cores don't decide the run. Arrivals are queued in order
// (generation by generation, barrier by barrier within one) and each worker
// takes the next.
//
// Workloads: one 3-member cyclic barrier (--generations, 100), 200 distinct
// 3-member barriers (--barriers; cyclic, as barriers without variables are),
// the same 200 barriers over 5 generations (--distinct_generations: their
// first trip's one-time writes spread over the later ones, as in a deployment
// that has run a while), 200 instances of one 3-member barrier with a variable
// (once-mode, as such barriers are: an instance per day or partition), one
// 100-member barrier (3
// generations), one 1,000-member barrier (one generation). For each: requests per arrival on
// average, for the arrivals that lost a claim (ArrivalOutcome::claims_lost > 0)
// and for the rest, the most one arrival made; trips are checked against the
// expected number exactly, every arrival must be consumed by exactly one trip,
// and a sweeper run afterwards must find nothing left to trip (a mismatch
// fails the run, exit 1). Generations of one barrier are delivered one after
// another (the next once the previous has tripped), so at most `members`
// arrivals of it are in flight; the burst variant of the 3-member barrier
// queues every generation at once (see Workload::burst for its checks).
// Baseline, same run, same workers and latency: the naive design that HEADs
// every member on every event (the 1,000-member one on a sample of events).
//
// Then dollars per million arrivals at AWS list prices from the measured
// request mix and the measured time per invocation, beside the naive design's.
//
//   build/bench/concurrency_bench [--quick] [--latency_ms=2] [--workers=1,4,16,64]
//   [--generations=100] [--barriers=200] [--distinct_generations=5] [--prompt_arrival_ms=N]
//   [--only=NAME,...]   (the workloads whose names start so, e.g. --only=distinct; NAME$: exactly)
//   (--prompt_arrival_ms=0: every arrival reads its tombstone first, as a redelivery does)
//   EB_BENCH_KINDS=1 build/bench/concurrency_bench ...   # also: requests by kind of key
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "bench_common.h"
#include "core/engine.h"
#include "fakes/latency_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using bench::RequestMix;
using bench::SecondsSince;
using bench::SteadyClock;

struct Workload {
  std::string name;
  int barriers = 1, members = 3, generations = 1;
  int naive_sample = 0;  // > 0: the naive design runs this many events (x workers), not all
  // false: generation g+1's arrivals wait until generation g has tripped, so
  // exactly one trip per generation is due. true: every generation queued at
  // once (a burst): a trip consumes every arrival present (PROTOCOL.md), so
  // generations in flight together may trip together and the count of trips
  // is not fixed; checked instead: at most one a generation, no arrival
  // consumed twice, and the sweeper finds nothing left that could trip.
  bool burst = false;
  // true: `barriers` instances of one barrier with a variable ({i}), which
  // makes it once-mode (DESIGN.md, configuration), instead of as many
  // barriers without variables (cyclic).
  bool instances = false;

  int arrivals() const { return barriers * members * generations; }
  std::string Key(int b, int m) const { return name + "/b" + std::to_string(b) + "/m" + std::to_string(m); }
  std::string Config() const {
    if (instances) {
      std::string json = R"({"barriers": {"t": {"members": [)";
      for (int m = 0; m < members; ++m) json += (m ? ",\"" : "\"") + name + "/{i}/m" + std::to_string(m) + "\"";
      return json + "]}}}";
    }
    std::string json = "{";
    for (int b = 0; b < barriers; ++b) {
      json += (b ? ",\"b" : "\"b") + std::to_string(b) + "\": [";
      for (int m = 0; m < members; ++m) json += (m ? ",\"" : "\"") + Key(b, m) + "\"";
      json += "]";
    }
    return json + "}";
  }
  // Arrival number q in queue order: generation, then barrier, then member.
  void Decode(int q, int* b, int* g, int* m) const {
    *g = q / (barriers * members);
    *b = (q / members) % barriers;
    *m = q % members;
  }
};

// Requests by kind of key, with EB_BENCH_KINDS=1 (printed to stderr for each
// run of the engine): where the requests of an arrival go.
class KindCountingStore : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::string> Get(const std::string& key) override { return Note("GET", key), StoreWrapper::Get(key); }
  Status Put(const std::string& key, const std::string& body) override {
    return Note("PUT", key), StoreWrapper::Put(key, body);
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    Status s = StoreWrapper::PutIfAbsent(key, body);
    Note(s.ok() ? "PUT-if-absent" : "PUT-if-absent, refused", key);
    return s;
  }
  Result<ListPage> List(const ListOptions& options) override {
    return Note("LIST", options.prefix), StoreWrapper::List(options);
  }
  Status Delete(const std::string& key) override { return Note("DELETE", key), StoreWrapper::Delete(key); }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Note("bulk DELETE", keys.empty() ? "" : keys[0]), StoreWrapper::DeleteMany(keys);
  }
  void Print(const std::string& title, int arrivals) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(stderr, "%s\n", title.c_str());
    for (const auto& [kind, n] : counts_) {
      std::fprintf(stderr, "  %-36s %8lld  %.3f/arrival\n", kind.c_str(), static_cast<long long>(n),
                   static_cast<double>(n) / arrivals);
    }
  }

 private:
  static std::string Kind(const std::string& key) {
    for (const char* kind : {"_consumed/", "_open/", "_epochs/", "_format", "_sweep/"}) {
      if (key.find(kind) != std::string::npos) return kind;
    }
    if (key.find("/a/") != std::string::npos) return "a/ (markers)";
    if (key.size() >= 5 && key.compare(key.size() - 5, 5, "/head") == 0) return "head";
    // A cold process lists the whole instance (core/arrival_listing.h).
    if (key.ends_with("/") && !key.ends_with("/t/") && key.find("/h/") == std::string::npos)
      return "P/B/I/ (instance: a/ and t/)";
    size_t t = key.rfind("/t/");
    if (t == std::string::npos) return key;
    if (key.size() == t + 3) return "t/ (LIST)";
    size_t dot = key.find('.', t);
    if (dot == std::string::npos) return "t/<gen> (record)";
    size_t end = key.find_first_of("-0123456789", dot + 1);
    return "t/<gen>." + key.substr(dot + 1, end == std::string::npos ? std::string::npos : end - dot - 1);
  }
  void Note(const char* op, const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[std::string(op) + " " + Kind(key)];
  }
  std::mutex mu_;
  std::map<std::string, int64_t> counts_;
};

// What one design did on one workload at one concurrency.
struct Measured {
  const char* design = "";
  int workers = 0, arrivals = 0;
  int64_t trips = 0, expected = 0;  // expected < 0: not checked (the naive design fires at will)
  bool at_most = false;              // expected is an upper bound (a burst: generations merge)
  int64_t consumed = 0;              // objects in the trips' records: each arrival exactly once
  int64_t swept = -1;                // trips a sweeper found afterwards (must be 0); -1: not run
  int redeliveries = 0;
  bool failed = false;               // an arrival failed every delivery
  double seconds = 0;
  RequestMix mix;                    // all arrivals
  int lost = 0;                      // arrivals with claims_lost > 0
  int64_t lost_requests = 0;
  int64_t tripping_requests = 0;     // arrivals that reported a trip
  int tripping = 0;
  int64_t max_requests = 0;
  double invocation_ms = 0;          // summed over arrivals (one invocation each)

  double PerArrival(int64_t n, int of) const { return of ? static_cast<double>(n) / of : 0; }
  double RequestsPerArrival() const { return PerArrival(mix.total(), arrivals); }
  bool ok() const {
    if (expected < 0) return true;
    if (swept != 0) return false;
    if (at_most) return trips >= 1 && trips <= expected && consumed <= arrivals;
    return trips == expected && consumed == arrivals;
  }
};

// Runs `workers` threads over the workload's arrivals; `deliver(worker, q,
// store)` handles arrival q through that worker's counting store. With
// `generation_of`, arrival q waits until generation_of(q) trips were reported.
struct Delivered {
  bool ok = false;
  int trips = 0, claims_lost = 0;
  int64_t consumed = 0;
};
using Deliver = std::function<Delivered(int worker, int q, bench::MixCountingStore& store)>;

Measured RunWorkers(const char* design, int workers, int arrivals, ObjectStore& shared, const Deliver& deliver,
                    const std::function<int(int q)>& generation_of = nullptr) {
  std::vector<std::unique_ptr<bench::MixCountingStore>> stores;
  for (int i = 0; i < workers; ++i) stores.push_back(std::make_unique<bench::MixCountingStore>(shared));
  std::atomic<int> next{0};
  std::mutex mu;
  std::condition_variable tripped;
  Measured r;
  r.design = design;
  r.workers = workers;
  r.arrivals = arrivals;
  auto start = SteadyClock::now();
  auto work = [&](int worker) {
    bench::MixCountingStore& store = *stores[static_cast<size_t>(worker)];
    for (int q; (q = next.fetch_add(1)) < arrivals;) {
      if (generation_of) {
        std::unique_lock<std::mutex> lock(mu);
        if (!tripped.wait_for(lock, std::chrono::seconds(60),
                              [&] { return r.trips >= generation_of(q) || r.failed; })) {
          std::fprintf(stderr, "%s: generation %d never tripped (60 s)\n", design, generation_of(q));
          r.failed = true;
          tripped.notify_all();
        }
        if (r.failed) return;
      }
      RequestMix before = store.mix();
      auto t0 = SteadyClock::now();
      Delivered d;
      int redelivered = 0;
      // An arrival that failed is delivered again (Lambda, SQS); its requests count for it.
      for (int attempt = 0; attempt < 6 && !(d = deliver(worker, q, store)).ok; ++attempt) ++redelivered;
      double ms = 1000.0 * SecondsSince(t0);
      RequestMix used = store.mix() - before;
      std::lock_guard<std::mutex> lock(mu);
      r.mix += used;
      r.invocation_ms += ms;
      r.redeliveries += redelivered;
      r.trips += d.trips;
      r.consumed += d.consumed;
      r.max_requests = std::max(r.max_requests, used.total());
      if (d.claims_lost > 0) ++r.lost, r.lost_requests += used.total();
      if (d.trips > 0) ++r.tripping, r.tripping_requests += used.total(), tripped.notify_all();
      if (!d.ok) r.failed = true, tripped.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back(work, i);
  for (auto& t : threads) t.join();
  r.seconds = SecondsSince(start);
  return r;
}

Measured RunEngine(const Workload& w, int workers, std::chrono::microseconds latency,
                   TimeMs prompt_arrival_ms) {
  SystemClock clock;
  MemoryStore memory(clock);
  KindCountingStore kinds(memory);
  test::LatencyStore shared(kinds, latency);
  ConfigParse parsed = ParseConfig(w.Config());
  if (!parsed.ok()) {
    std::fprintf(stderr, "bench config: %s\n", parsed.errors.front().ToString().c_str());
    std::exit(2);
  }
  NoActions actions;
  // Engines are made on first use by their worker, over that worker's counting store.
  std::vector<std::unique_ptr<Engine>> engines(static_cast<size_t>(workers));
  std::atomic<int> errors{0};
  std::function<int(int)> generation_of;
  if (!w.burst && w.generations > 1) {
    generation_of = [&w](int q) {  // the trips of every earlier generation
      int b, g, m;
      w.Decode(q, &b, &g, &m);
      return g * w.barriers;
    };
  }
  Measured r = RunWorkers("eventbarrier", workers, w.arrivals(), shared,
                        [&](int worker, int q, bench::MixCountingStore& store) {
                          auto& engine = engines[static_cast<size_t>(worker)];
                          if (!engine) {
                            EngineOptions options;
                            options.worker_id = "w" + std::to_string(worker);
                            options.prompt_arrival_ms = prompt_arrival_ms;
                            engine = std::make_unique<Engine>(parsed.config, store, actions, clock,
                                                              Logger::Null(), options);
                          }
                          int b, g, m;
                          w.Decode(q, &b, &g, &m);
                          Arrival a;
                          a.bucket = "bench";
                          a.key = w.Key(b, m) + "/part";
                          a.sequencer = std::to_string(1000000 + q);
                          a.etag = "e" + std::to_string(q);
                          a.size = 100;
                          a.event_name = "ObjectCreated:Put";
                          a.source = "aws:s3";
                          a.event_time =
                              FormatIso8601(clock.NowMs());  // just written, as S3 says it
                          auto outcome = engine->OnArrival(a);
                          Delivered d;
                          if (!outcome.ok()) {
                            if (errors.fetch_add(1) < 3)
                              std::fprintf(stderr, "%s, %d workers: %s\n", w.name.c_str(), workers,
                                           outcome.status().ToString().c_str());
                            return d;
                          }
                          d.ok = true;
                          d.trips = static_cast<int>(outcome->trips.size());
                          d.claims_lost = outcome->claims_lost;
                          for (const TripSummary& t : outcome->trips) d.consumed += static_cast<int64_t>(t.objects);
                          return d;
                        },
                        generation_of);
  if (std::getenv("EB_BENCH_KINDS") != nullptr) {
    kinds.Print(w.name + ", " + std::to_string(workers) + " workers, requests by kind:", w.arrivals());
  }
  r.expected = static_cast<int64_t>(w.barriers) * w.generations;
  r.at_most = w.burst && workers > 1;
  // Liveness: a sweeper afterwards must find no generation the arrivals left complete.
  Engine sweeper(parsed.config, memory, actions, clock, Logger::Null());
  auto swept = sweeper.Sweep();
  r.swept = swept.ok() ? static_cast<int64_t>(swept->trips.size()) : -1;
  return r;
}

// The original design: the producer PUTs the object (not counted), then the
// event's handler HEADs every member and fires when all exist.
Measured RunNaive(const Workload& w, int workers, std::chrono::microseconds latency) {
  SystemClock clock;
  MemoryStore memory(clock);
  test::LatencyStore shared(memory, latency);
  int events = w.naive_sample > 0 ? std::min(w.arrivals(), w.naive_sample * workers) : w.arrivals();
  int skip = w.arrivals() - events;  // a sample: the last events, the earlier objects already there
  for (int q = 0; q < skip; ++q) {
    int b, g, m;
    w.Decode(q, &b, &g, &m);
    (void)memory.Put(w.Key(b, m) + "/part", "x");
  }
  Measured r = RunWorkers("naive HEAD-every-member", workers, events, shared,
                        [&](int, int q, bench::MixCountingStore& store) {
                          int b, g, m;
                          w.Decode(q + skip, &b, &g, &m);
                          (void)memory.Put(w.Key(b, m) + "/part", "x");  // the producer
                          int present = 0;
                          for (int k = 0; k < w.members; ++k) present += store.Get(w.Key(b, k) + "/part").ok();
                          Delivered d;
                          d.ok = true;
                          d.trips = present == w.members;
                          return d;
                        });
  r.expected = -1;
  return r;
}

void PrintHeader() {
  std::printf(
      "| workload | workers | design | arrivals | trips (expected) | req/arrival | lost a claim: n, req/arr. | "
      "rest: req/arr. | tripping arrivals: req/arr. | max req. one arrival | ms/arrival | arrivals/s |\n"
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
}

void PrintRow(const Workload& w, const Measured& r) {
  char trips[64];
  if (r.expected >= 0) {
    std::snprintf(trips, sizeof trips, "%lld (%s%lld), %lld/%d consumed%s%s", static_cast<long long>(r.trips),
                  r.at_most ? "<= " : "", static_cast<long long>(r.expected), static_cast<long long>(r.consumed),
                  r.arrivals, r.swept > 0 ? (", sweeper +" + std::to_string(r.swept)).c_str() : "",
                  r.ok() ? "" : " **FAILED**");
  } else {
    std::snprintf(trips, sizeof trips, "fired %lld", static_cast<long long>(r.trips));
  }
  int rest = r.arrivals - r.lost;
  std::printf("| %s | %d | %s | %d | %s | **%.2f** | %d, %.2f | %.2f | %.2f | %lld | %.1f | %.1f |\n", w.name.c_str(),
              r.workers, r.design, r.arrivals, trips, r.RequestsPerArrival(), r.lost,
              r.PerArrival(r.lost_requests, r.lost), r.PerArrival(r.mix.total() - r.lost_requests, rest),
              r.PerArrival(r.tripping_requests, r.tripping), static_cast<long long>(r.max_requests),
              r.invocation_ms / r.arrivals, r.arrivals / r.seconds);
  if (r.redeliveries) std::printf("|  |  | (%d deliveries failed and were redelivered) |\n", r.redeliveries);
}

void PrintMix(const Workload& w, const Measured& r) {
  double a = r.arrivals;
  std::printf("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", w.name.c_str(), r.workers,
              r.mix.get / a, r.mix.put / a, r.mix.put_if_absent / a, r.mix.list / a, r.mix.del / a,
              r.mix.bulk_delete / a, r.mix.writes() / a);
}

void PrintCost(const char* barrier, const Measured& engine, const Measured& naive) {
  double a = engine.arrivals, n = naive.arrivals;
  auto e = bench::CostOfMillion(bench::PutClass(engine.mix) / a, bench::GetClass(engine.mix) / a,
                                engine.invocation_ms / a);
  auto v = bench::CostOfMillion(bench::PutClass(naive.mix) / n, bench::GetClass(naive.mix) / n,
                                naive.invocation_ms / n);
  std::printf("| %s | %.2f PUT-class + %.2f GET-class, %.1f ms | $%.2f + $%.2f = **$%.2f** | %.0f GET-class, %.1f ms "
              "| $%.2f + $%.2f = **$%.2f** | %.2fx |\n",
              barrier, bench::PutClass(engine.mix) / a, bench::GetClass(engine.mix) / a, engine.invocation_ms / a,
              e.s3, e.lambda, e.total(), bench::GetClass(naive.mix) / n, naive.invocation_ms / n, v.s3, v.lambda,
              v.total(), e.total() / v.total());
}

int Main(int argc, char** argv) {
  const bool quick = bench::Flag(argc, argv, "quick", "0") == "1";
  const double latency_ms = bench::DoubleFlag(argc, argv, "latency_ms", 2.0);
  const auto latency = std::chrono::microseconds(static_cast<int64_t>(latency_ms * 1000));
  const std::vector<int> concurrency = bench::IntListFlag(argc, argv, "workers", "1,4,16,64");
  const int generations = static_cast<int>(bench::IntFlag(argc, argv, "generations", quick ? 30 : 100));
  const int barriers = static_cast<int>(bench::IntFlag(argc, argv, "barriers", quick ? 50 : 200));
  const int distinct_generations =
      static_cast<int>(bench::IntFlag(argc, argv, "distinct_generations", quick ? 2 : 5));
  // Every event is delivered as it happens: prompt, so no arrival reads its
  // tombstone first. 0: every arrival reads it (a stream of redeliveries, and
  // the protocol's arrival step before prompt deliveries skipped the read).
  const TimeMs prompt_arrival_ms =
      bench::IntFlag(argc, argv, "prompt_arrival_ms", EngineOptions{}.prompt_arrival_ms);
  std::vector<Workload> workloads = {
      {"cyclic-3", 1, 3, generations, 0},
      {"cyclic-3-burst", 1, 3, generations, 0, true},
      {"distinct-3x" + std::to_string(barriers), barriers, 3, 1, 0},
      {"distinct-3x" + std::to_string(barriers) + "x" + std::to_string(distinct_generations),
       barriers, 3, distinct_generations, 0},
      {"instances-3x" + std::to_string(barriers), barriers, 3, 1, 0, false, true},
      {"wide-100", 1, 100, quick ? 1 : 3, 10},
      {"wide-1000", 1, 1000, 1, 2},
  };
  // --only=distinct,wide-100: the workloads whose names start with one of
  // these; a name ending in '$' is matched whole (cyclic-3$ leaves out the burst).
  if (const std::vector<std::string> only = bench::ListFlag(argc, argv, "only", "");
      !only.empty()) {
    std::erase_if(workloads, [&](const Workload& w) {
      for (const std::string& want : only) {
        if (want.empty()) continue;
        if (want.back() == '$' ? w.name == want.substr(0, want.size() - 1)
                               : w.name.rfind(want, 0) == 0)
          return false;
      }
      return true;
    });
  }
  std::printf(
      "concurrency_bench: in-memory store behind %.1f ms per call, one engine and one counting "
      "wrapper "
      "per worker thread; events delivered as they happen, prompt_arrival_ms %lld (%s); load "
      "average %s "
      "(%u cores)\n\n",
      latency_ms, static_cast<long long>(prompt_arrival_ms),
      prompt_arrival_ms > 0 ? "no arrival reads its tombstone"
                            : "every arrival reads its tombstone",
      bench::LoadAverage().c_str(), std::thread::hardware_concurrency());
  PrintHeader();
  // workload name -> workers -> results, for the mix and cost tables.
  std::map<std::string, std::map<int, std::pair<Measured, Measured>>> all;
  bool ok = true;
  for (const Workload& w : workloads) {
    for (int workers : concurrency) {
      Measured engine = RunEngine(w, workers, latency, prompt_arrival_ms);
      PrintRow(w, engine);
      Measured naive = RunNaive(w, workers, latency);
      PrintRow(w, naive);
      std::fflush(stdout);
      if (!engine.ok()) {
        ok = false;
        std::fprintf(stderr, "FAILED: %s at %d workers: %lld trips, expected %lld\n", w.name.c_str(), workers,
                     static_cast<long long>(engine.trips), static_cast<long long>(engine.expected));
        std::fprintf(stderr, "  (%lld objects consumed by the trips for %d arrivals; the sweeper tripped %lld more)\n",
                     static_cast<long long>(engine.consumed), engine.arrivals, static_cast<long long>(engine.swept));
      }
      all[w.name].emplace(workers, std::make_pair(engine, naive));
    }
  }
  std::printf("\n(naive on the wide barriers: a sample, the last 10 (100 members) or 2 (1,000) events per worker; "
              "every event costs the same)\n");

  std::printf("\nrequest mix per arrival (eventbarrier):\n\n| workload | workers | GET | PUT | PUT-if-absent | LIST | "
              "DELETE | bulk DELETE | writes |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const Workload& w : workloads) {
    for (int workers : concurrency) PrintMix(w, all[w.name].at(workers).first);
  }

  std::printf("\ndollars per million arrivals on AWS at list prices (S3 PUT/POST/LIST $0.005 per 1,000, GET/HEAD "
              "$0.0004 per 1,000, DELETE free, DeleteObjects is a POST; Lambda 256 MB at $0.0000166667 per GB-s, "
              "billed per ms, + $0.20 per million invocations; one invocation per arrival, its duration as measured "
              "here at %.1f ms per store call; the naive handler HEADs one member after another):\n\n",
              latency_ms);
  std::printf("| barrier | eventbarrier: requests, ms per arrival | eventbarrier: S3 + Lambda | naive: requests, ms | "
              "naive: S3 + Lambda | eventbarrier/naive |\n| --- | --- | --- | --- | --- | --- |\n");
  for (int workers : {concurrency.front(), concurrency.back()}) {
    for (const char* name : {"cyclic-3", "wide-100", "wide-1000"}) {
      if (!all.count(name)) continue;  // left out by --only
      const auto& [engine, naive] = all[name].at(workers);
      std::string label = std::string(name) + ", " + std::to_string(workers) + " worker" + (workers > 1 ? "s" : "");
      PrintCost(label.c_str(), engine, naive);
    }
    if (concurrency.size() == 1) break;
  }
  std::printf("\nload average at end: %s\n", bench::LoadAverage().c_str());
  if (!ok) std::printf("FAILED: a workload did not trip exactly the expected number of times (see above)\n");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
