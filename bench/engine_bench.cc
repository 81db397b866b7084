// Engine benchmarks: store requests per arrival and per generation (warm and
// cold processes) for barriers of 3, 100, 1,000 and 10,000 members (the last
// sharded: 1,000 members a shard) and for a cyclic barrier with a long
// history, next to the naive design that HEADs every member on every event
// (the baseline, same run); and arrivals per second through the whole engine
// on the in-memory and folder stores. Run: make bench (or build/bench/engine_bench).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "base/log.h"
#include "bench_common.h"
#include "core/engine.h"
#include "fakes/fault_store.h"
#include "stores/folder_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using bench::MembersConfig;
using bench::Upload;

// A cyclic count latch: `count` distinct keys under in/.
std::string CountConfig(int count) {
  return R"({"barriers": {"b": {"count": )" + std::to_string(count) + R"(, "prefix": "in", "mode": "cyclic"}}})";
}

// One generation of an N-member cyclic barrier per iteration; counts store requests.
// `shard_size` <= 0: every barrier unsharded (the layout before wide barriers).
// `count_latch`: a count latch of `members` distinct keys instead of named members.
void RunGenerations(benchmark::State& state, int members, int64_t history, bool cold,
                    int shard_size = EngineOptions{}.shard_size, bool count_latch = false) {
  FakeClock clock;
  MemoryStore memory(clock);
  test::CountingStore store(memory);
  NoActions actions;
  ConfigParse parsed = ParseConfig(count_latch ? CountConfig(members) : MembersConfig(members));
  auto upload = [&](int member, int64_t generation) {
    Arrival a = Upload(member, generation, clock.NowMs());
    if (count_latch) a.key = "in/" + a.key;
    return a;
  };
  EngineOptions options;
  options.shard_size = shard_size;
  auto engine = std::make_unique<Engine>(parsed.config, store, actions, clock, Logger::Null(), options);
  int64_t gen = 0;
  for (; gen < history; ++gen) {
    for (int m = 0; m < members; ++m) (void)engine->OnArrival(upload(m, gen));
  }
  store.Reset();
  int64_t arrivals = 0, trips = 0;
  for (auto _ : state) {
    for (int m = 0; m < members; ++m) {
      if (cold) engine = std::make_unique<Engine>(parsed.config, store, actions, clock, Logger::Null(), options);
      auto r = engine->OnArrival(upload(m, gen));
      trips += r.ok() ? static_cast<int64_t>(r->trips.size()) : 0;
      ++arrivals;
    }
    ++gen;
  }
  if (trips != static_cast<int64_t>(state.iterations())) state.SkipWithError("a generation did not trip exactly once");
  state.counters["req_per_arrival"] = static_cast<double>(store.total()) / static_cast<double>(arrivals);
  state.counters["lists_per_arrival"] = static_cast<double>(store.count(test::StoreOp::kList)) / static_cast<double>(arrivals);
  state.counters["req_per_generation"] = static_cast<double>(store.total()) / static_cast<double>(state.iterations());
  // The largest trip record: every consumed arrival with its details.
  int64_t record_bytes = 0;
  if (auto trips_listed = ListAll(memory, engine->layout().TripPrefix("b", "_")); trips_listed.ok()) {
    for (const auto& o : *trips_listed) record_bytes = std::max(record_bytes, o.size);
  }
  state.counters["trip_record_kb"] = static_cast<double>(record_bytes) / 1024.0;
  state.SetItemsProcessed(arrivals);
}

void BM_RequestsPerArrival_Warm(benchmark::State& state) { RunGenerations(state, state.range(0), 0, false); }
void BM_RequestsPerArrival_Cold(benchmark::State& state) { RunGenerations(state, state.range(0), 0, true); }
// The same without shards: every arrival lists every marker (the baseline for sharding).
void BM_RequestsPerArrival_Unsharded_Warm(benchmark::State& state) { RunGenerations(state, state.range(0), 0, false, 0); }
void BM_CountLatchRequestsPerArrival_Warm(benchmark::State& state) {
  RunGenerations(state, state.range(0), 0, false, EngineOptions{}.shard_size, true);
}
void BM_Cyclic1000TripsHistory_Warm(benchmark::State& state) { RunGenerations(state, 3, 1000, false); }
void BM_Cyclic1000TripsHistory_Cold(benchmark::State& state) { RunGenerations(state, 3, 1000, true); }

// The original design: on every event, HEAD every member (no memory of having fired).
void BM_NaiveHeadEveryMember(benchmark::State& state) {
  int members = state.range(0);
  FakeClock clock;
  MemoryStore memory(clock);
  test::CountingStore store(memory);
  int64_t arrivals = 0, complete = 0, requests = 0;
  int64_t gen = 0;
  for (auto _ : state) {
    for (int m = 0; m < members; ++m) {
      (void)store.Put("m" + std::to_string(m) + "/part", std::to_string(gen));
      store.Reset();  // the upload itself is not the barrier's request
      int present = 0;
      for (int k = 0; k < members; ++k) present += store.Get("m" + std::to_string(k) + "/part").ok() ? 1 : 0;
      complete += present == members;
      ++arrivals;
      requests += store.total();
      benchmark::DoNotOptimize(present);
    }
    ++gen;
  }
  state.counters["req_per_arrival"] = static_cast<double>(requests) / static_cast<double>(arrivals);
  state.counters["req_per_generation"] = static_cast<double>(requests) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(arrivals);
  state.counters["reported_complete_per_generation"] = static_cast<double>(complete) / static_cast<double>(state.iterations());
}

void BM_Throughput(benchmark::State& state, bool folder, bool fsync) {
  FakeClock clock;
  std::unique_ptr<ObjectStore> store;
  std::string dir;
  if (folder) {
    char tmpl[] = "/tmp/eb-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    store = std::make_unique<FolderStore>(dir, FolderStoreOptions{fsync});
  } else {
    store = std::make_unique<MemoryStore>(clock);
  }
  NoActions actions;
  ConfigParse parsed = ParseConfig(MembersConfig(3));
  Engine engine(parsed.config, *store, actions, clock, Logger::Null());
  int64_t arrivals = 0, gen = 0;
  for (auto _ : state) {
    for (int m = 0; m < 3; ++m) {
      benchmark::DoNotOptimize(engine.OnArrival(Upload(m, gen)));
      ++arrivals;
    }
    ++gen;
  }
  state.SetItemsProcessed(arrivals);
  if (!dir.empty()) std::system(("rm -rf " + dir).c_str());
}

BENCHMARK(BM_RequestsPerArrival_Warm)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RequestsPerArrival_Warm)->Arg(10000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RequestsPerArrival_Cold)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RequestsPerArrival_Cold)->Arg(10000)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RequestsPerArrival_Unsharded_Warm)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CountLatchRequestsPerArrival_Warm)->Arg(1000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CountLatchRequestsPerArrival_Warm)->Arg(10000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NaiveHeadEveryMember)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
// 10,000 x 10,000 HEADs a generation: one is enough to count them.
BENCHMARK(BM_NaiveHeadEveryMember)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Cyclic1000TripsHistory_Warm)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Cyclic1000TripsHistory_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Throughput, memory, false, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Throughput, folder_nofsync, true, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Throughput, folder_fsync, true, true)->Unit(benchmark::kMicrosecond)->Iterations(100);

}  // namespace
}  // namespace eb

BENCHMARK_MAIN();
