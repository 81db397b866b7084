// sweep_bench (issue 14): a sweep over 10,000 open instances through a store
// that adds a per-call latency, the sweeper of core/sweeper.h beside the old
// one (every instance evaluated in full, in key order, one after another, no
// cursor) in the same run:
//   1. one whole sweep of 10,000 idle instances: requests and wall time;
//   2. sweeps cut by a deadline: how many until every instance was visited
//      (the old sweeper, killed at the deadline like a Lambda, starts again at
//      the first key every time);
//   3. the steady state once idle instances have left the index.
//
//   sweep_bench [--instances=10000] [--latency-us=1000] [--deadline-ms=2000] [--parallel=16]
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "bench_common.h"
#include "core/barrier_shape.h"
#include "core/engine.h"
#include "core/evaluator.h"
#include "core/upload.h"
#include "fakes/latency_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

// Counts calls, and which instances had their prefix listed (a visit).
class VisitStore : public test::StoreWrapper {
 public:
  explicit VisitStore(ObjectStore& base) : StoreWrapper(base) {}
  Result<std::string> Get(const std::string& key) override {
    return ++calls_, StoreWrapper::Get(key);
  }
  Status Put(const std::string& key, const std::string& body) override {
    return ++calls_, StoreWrapper::Put(key, body);
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return ++calls_, StoreWrapper::PutIfAbsent(key, body);
  }
  Result<ListPage> List(const ListOptions& options) override {
    ++calls_;
    const std::string root = ".eventbarrier/d/";
    if (options.prefix.compare(0, root.size(), root) == 0) {
      std::string instance = options.prefix.substr(root.size());
      instance = instance.substr(0, instance.find('/'));
      std::lock_guard<std::mutex> lock(mu_);
      visited_.insert(instance);
    }
    return StoreWrapper::List(options);
  }
  Status Delete(const std::string& key) override { return ++calls_, StoreWrapper::Delete(key); }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return ++calls_, StoreWrapper::DeleteMany(keys);
  }
  int64_t calls() const { return calls_.load(); }
  size_t visited() {
    std::lock_guard<std::mutex> lock(mu_);
    return visited_.size();
  }
  void Reset() {
    calls_ = 0;
    std::lock_guard<std::mutex> lock(mu_);
    visited_.clear();
  }

 private:
  std::atomic<int64_t> calls_{0};
  std::mutex mu_;
  std::set<std::string> visited_;
};

// The sweeper as it was before issue 14 (Engine::Sweep at 6438890): list the
// index, evaluate every instance in full, in key order, one after another.
// `deadline_ms` > 0 stands for the Lambda's end: the walk stops there and the
// next sweep starts at the first key again.
int OldSweep(const Config& config, ObjectStore& store, Clock& clock, TimeMs deadline_ms) {
  test::RecordingActions actions;
  EngineOptions options;
  KeyLayout layout(config.state.prefix);
  EngineContext ctx{config, store, actions, clock, Logger::Null(), options, layout};
  TripLog trips(ctx);
  std::map<std::string, std::unique_ptr<BarrierShape>> shapes;
  auto entries = ListAll(store, layout.OpenPrefix());
  if (!entries.ok()) return -1;
  int visited = 0;
  for (const auto& entry : *entries) {
    if (deadline_ms > 0 && clock.NowMs() >= deadline_ms) break;
    auto k = layout.Decode(entry.key);
    const BarrierSpec* spec = k ? config.Find(k->barrier) : nullptr;
    if (spec == nullptr) continue;
    auto bindings = ParseInstanceName(k->instance, spec->variables);
    if (!bindings) continue;
    auto& shape = shapes[spec->name];
    if (!shape) shape = std::make_unique<BarrierShape>(*spec, options.shard_size);
    std::vector<TripSummary> out;
    InstanceEvaluator evaluator(ctx, trips, *shape, k->instance, *bindings, "sweep",
                                [] { return "old"; });
    InstanceEvaluator::RunOptions run;
    run.sweeping = true;
    (void)evaluator.Run(std::move(run), &out);
    trips.Trim();
    ++visited;
  }
  return visited;
}

std::string Day(int i) { return "day" + std::to_string(100000 + i); }

int Main(int argc, char** argv) {
  const int instances = static_cast<int>(bench::IntFlag(argc, argv, "instances", 10000));
  const int64_t latency_us = bench::IntFlag(argc, argv, "latency-us", 1000);
  const TimeMs deadline = bench::IntFlag(argc, argv, "deadline-ms", 2000);
  const int parallel = static_cast<int>(bench::IntFlag(argc, argv, "parallel", 16));
  auto parsed = ParseConfig(
      R"({"barriers": {"d": {"members": ["in/{day}/a.csv", "in/{day}/b.csv"], "timeout": "1h", "mode": "cyclic"}}})");
  if (!parsed.ok()) return 1;
  SystemClock clock;
  MemoryStore memory(clock);
  test::RecordingActions actions;
  {
    Engine setup(parsed.config, memory, actions, clock, Logger::Null());
    for (int i = 0; i < instances; ++i) {
      (void)setup.OnArrival(test::Upload("in/" + Day(i) + "/a.csv"));
      (void)setup.OnArrival(test::Upload("in/" + Day(i) + "/b.csv"));  // tripped: idle
    }
  }
  test::LatencyStore slow(memory, std::chrono::microseconds(latency_us));
  VisitStore store(slow);
  std::printf(
      "sweep_bench: %d open instances, all idle (tripped, nothing pending); %lld us a store call; "
      "load %s\n",
      instances, static_cast<long long>(latency_us), bench::LoadAverage().c_str());

  // 1. One whole sweep.
  std::printf("\n1. one whole sweep (no deadline)\n");
  std::printf("%-34s %10s %14s %10s\n", "sweeper", "requests", "requests/inst", "wall s");
  auto row = [&](const char* name, auto run) {
    store.Reset();
    auto start = bench::SteadyClock::now();
    run();
    double s = bench::SecondsSince(start);
    std::printf("%-34s %10lld %14.2f %10.2f\n", name, static_cast<long long>(store.calls()),
                static_cast<double>(store.calls()) / instances, s);
  };
  row("old (full evaluation, in order)", [&] { OldSweep(parsed.config, store, clock, 0); });
  EngineOptions options;
  Engine engine(parsed.config, store, actions, clock, Logger::Null(), options);
  (void)engine.Sweep();  // the cursor's first lap: every entry new
  row("new, 1 at a time", [&] { (void)engine.Sweep(); });
  SweepOptions par;
  par.parallel = parallel;
  std::string name = "new, " + std::to_string(parallel) + " at a time";
  row(name.c_str(), [&] { (void)engine.Sweep(par); });

  // 2. Sweeps cut at the deadline.
  std::printf("\n2. sweeps cut at %lld ms: sweeps until every instance was visited\n",
              static_cast<long long>(deadline));
  std::printf("%-34s %10s %14s\n", "sweeper", "sweeps", "visited");
  store.Reset();
  int old_sweeps = 0;
  for (; old_sweeps < 20 && store.visited() < static_cast<size_t>(instances); ++old_sweeps) {
    OldSweep(parsed.config, store, clock, clock.NowMs() + deadline);
  }
  std::printf("%-34s %10s %14zu\n", "old (restarts at the first key)",
              store.visited() < static_cast<size_t>(instances)
                  ? (std::to_string(old_sweeps) + "+: never").c_str()
                  : std::to_string(old_sweeps).c_str(),
              store.visited());
  for (int p : {1, parallel}) {
    store.Reset();
    int sweeps = 0;
    for (; sweeps < 200 && store.visited() < static_cast<size_t>(instances); ++sweeps) {
      SweepOptions o;
      o.parallel = p;
      o.deadline_ms = clock.NowMs() + deadline;
      (void)engine.Sweep(o);
    }
    std::string label = "new (cursor), " + std::to_string(p) + " at a time";
    std::printf("%-34s %10d %14zu\n", label.c_str(), sweeps, store.visited());
  }

  // 3. Idle instances leave: the steady state.
  std::printf("\n3. idle instances leave the index (cache TTL 0 here; 1 h 10 min by default)\n");
  EngineOptions leave_options;
  leave_options.open_cache_ttl_ms = 0;
  leave_options.max_clock_skew_ms = 0;
  leave_options.leave_recheck_after_ms = 0;
  Engine leaving(parsed.config, store, actions, clock, Logger::Null(), leave_options);
  std::printf("%-34s %10s %14s %10s\n", "sweep", "requests", "requests/inst", "wall s");
  row("the sweep in which they leave", [&] { (void)leaving.Sweep(par); });
  row("the recheck (one LIST each)", [&] { (void)leaving.Sweep(par); });
  row("after: an empty index", [&] { (void)leaving.Sweep(par); });
  return 0;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
