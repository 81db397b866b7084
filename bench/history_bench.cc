// history_bench: does a long history slow the engine down or grow its state?
// (issue 13, "Speed", first bullet.)
//
// In memory, one cyclic barrier of --members (3), one engine (one core), the
// clock advancing one minute per generation, the default retention (14 days),
// the sweeper with compaction every --sweep_every generations (60: hourly).
// Times the arrivals of generations 1..W and of G-W+1..G (W = --window, 1,000;
// G = --generations, 100,000; the generations between run untimed, as fast as
// they go) and prints arrivals/s of both windows and their ratio, requests per
// arrival in each, and the state left in the store after G generations (object
// count, bytes, the largest object, by key kind).
//
// Baselines from the same run: the raw in-memory store's PUT-if-absent rate on
// distinct keys (the ceiling of any design that writes to it), and the naive
// HEAD-every-member design's arrivals/s (it keeps no state at all).
//
// --max_seconds=S stops the untimed middle once S seconds have passed and times
// the last window from where it got to (say so in the table): today's engine
// slows down with history, so a full 100,000 may not finish in a session.
//
//   build/bench/history_bench [--generations=100000] [--window=1000] [--members=3]
//                             [--sweep_every=60] [--max_seconds=0]
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "base/log.h"
#include "bench_common.h"
#include "core/engine.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using bench::SecondsSince;
using bench::SteadyClock;
using bench::MembersConfig;
using bench::Upload;

constexpr TimeMs kMinute = 60 * 1000;

struct Window {
  int64_t first = 0, last = 0;  // generations, inclusive
  int64_t arrivals = 0, trips = 0;
  double arrival_seconds = 0;   // inside OnArrival only
  double sweep_seconds = 0;     // the sweeps that fell in the window
  int sweeps = 0;
  bench::RequestMix requests;   // by the arrivals
  double rate() const { return arrival_seconds > 0 ? static_cast<double>(arrivals) / arrival_seconds : 0; }
};

struct Run {
  int members = 3;
  int64_t sweep_every = 60;
  FakeClock clock;
  MemoryStore memory{clock};
  bench::MixCountingStore store{memory};
  NoActions actions;
  ConfigParse parsed;
  std::unique_ptr<Engine> engine;
  int64_t generation = 0;  // the last one delivered
  int64_t trips = 0;
  int64_t sweep_trips = 0;
  int errors = 0;

  explicit Run(int m, int64_t sweep) : members(m), sweep_every(sweep), parsed(ParseConfig(MembersConfig(m))) {
    engine = std::make_unique<Engine>(parsed.config, store, actions, clock, Logger::Null());
  }

  // One generation: the clock moves a minute, every member arrives once.
  void Generation(Window* w) {
    ++generation;
    clock.Advance(kMinute);
    bench::RequestMix before = store.mix();
    auto start = SteadyClock::now();
    for (int m = 0; m < members; ++m) {
      auto r = engine->OnArrival(Upload(m, generation, clock.NowMs()));
      if (!r.ok()) {
        if (++errors <= 3) std::fprintf(stderr, "generation %lld: %s\n", static_cast<long long>(generation),
                                        r.status().ToString().c_str());
        continue;
      }
      trips += static_cast<int64_t>(r->trips.size());
      if (w) w->trips += static_cast<int64_t>(r->trips.size());
    }
    if (w) {
      w->arrival_seconds += SecondsSince(start);
      w->arrivals += members;
      w->requests += store.mix() - before;
    }
    if (sweep_every > 0 && generation % sweep_every == 0) {
      auto s = SteadyClock::now();
      auto swept = engine->Sweep(/*compact=*/true);
      if (swept.ok()) sweep_trips += static_cast<int64_t>(swept->trips.size());
      if (w) w->sweep_seconds += SecondsSince(s), ++w->sweeps;
    }
  }

  Window Timed(int64_t count) {
    Window w;
    w.first = generation + 1;
    for (int64_t i = 0; i < count; ++i) Generation(&w);
    w.last = generation;
    return w;
  }
};

// The raw store: PUT-if-absent of distinct keys, for about `seconds`.
double RawPutIfAbsentRate(double seconds) {
  FakeClock clock;
  MemoryStore store(clock);
  int64_t ops = 0;
  auto start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    for (int i = 0; i < 1000; ++i) (void)store.PutIfAbsent("raw/" + std::to_string(ops++), "x");
  }
  return static_cast<double>(ops) / SecondsSince(start);
}

// The run's own store at its current size: one arrival's worth of raw calls
// (GET of a missing key, PUT-if-absent of a new one, a LIST of a small
// prefix, a DELETE) per round, no protocol. Beside the early and late
// windows it tells how much of a slowdown is the in-memory map growing (the
// retention's ~100,000 objects) rather than the protocol.
double RawRoundsOnStore(MemoryStore& store, double seconds) {
  int64_t rounds = 0;
  ListOptions list;
  list.prefix = "raw-probe/";
  auto start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    for (int i = 0; i < 100; ++i, ++rounds) {
      std::string key = "raw-probe/" + std::to_string(rounds);
      (void)store.Get(".eventbarrier/_consumed/b/_/missing-" + std::to_string(rounds));
      (void)store.PutIfAbsent(key, "x");
      (void)store.List(list);
      (void)store.Delete(key);
    }
  }
  return static_cast<double>(rounds) / SecondsSince(start);
}

// The naive design: on every event, GET (HEAD) every member.
double NaiveRate(int members, double seconds) {
  FakeClock clock;
  MemoryStore store(clock);
  int64_t arrivals = 0, complete = 0;
  auto start = SteadyClock::now();
  while (SecondsSince(start) < seconds) {
    for (int g = 0; g < 100; ++g) {
      for (int m = 0; m < members; ++m) {
        (void)store.Put("m" + std::to_string(m) + "/part", std::to_string(g));  // the producer, untimed below
        int present = 0;
        for (int k = 0; k < members; ++k) present += store.Get("m" + std::to_string(k) + "/part").ok() ? 1 : 0;
        complete += present == members;
        ++arrivals;
      }
    }
  }
  return static_cast<double>(arrivals) / SecondsSince(start);
}

// ".eventbarrier/b/_/t/00000000000000000042" -> ".eventbarrier/b/_/t/#": digit runs
// and 32-hex ids folded, so the state groups by kind whatever the layout.
std::string KindOf(const std::string& key) {
  std::string dir = key.substr(0, key.rfind('/') + 1);
  std::string leaf = key.substr(dir.size());
  std::string kind;
  for (size_t i = 0; i < leaf.size();) {
    if (std::isxdigit(static_cast<unsigned char>(leaf[i]))) {
      size_t j = i;
      while (j < leaf.size() && std::isxdigit(static_cast<unsigned char>(leaf[j]))) ++j;
      bool digits = true;
      for (size_t k = i; k < j; ++k) digits &= std::isdigit(static_cast<unsigned char>(leaf[k])) != 0;
      if (digits || j - i >= 16) {
        kind += '#';
        i = j;
        continue;
      }
    }
    kind += leaf[i++];
  }
  return dir + kind;
}

void PrintState(MemoryStore& memory) {
  struct Kind {
    int64_t objects = 0, bytes = 0, largest = 0;
  };
  std::map<std::string, Kind> kinds;
  Kind all;
  std::string largest_key;
  for (const auto& [key, body] : memory.Snapshot()) {
    Kind& k = kinds[KindOf(key)];
    int64_t size = static_cast<int64_t>(body.size());
    ++k.objects, k.bytes += size, k.largest = std::max(k.largest, size);
    ++all.objects, all.bytes += size;
    if (size > all.largest) all.largest = size, largest_key = key;
  }
  std::printf("\nstate in the store (one instance): %lld objects, %.1f KB; largest %.1f KB (%s)\n\n",
              static_cast<long long>(all.objects), static_cast<double>(all.bytes) / 1024.0,
              static_cast<double>(all.largest) / 1024.0, largest_key.c_str());
  std::printf("| key kind | objects | KB | largest KB |\n| --- | --- | --- | --- |\n");
  for (const auto& [name, k] : kinds) {
    std::printf("| `%s` | %lld | %.1f | %.1f |\n", name.c_str(), static_cast<long long>(k.objects),
                static_cast<double>(k.bytes) / 1024.0, static_cast<double>(k.largest) / 1024.0);
  }
}

void PrintWindow(const char* name, const Window& w) {
  double a = static_cast<double>(std::max<int64_t>(w.arrivals, 1));
  std::printf("| %s | %lld–%lld | %lld | %lld | **%.0f** | %.2f | %.2f | %d sweeps, %.1f ms each |\n", name,
              static_cast<long long>(w.first), static_cast<long long>(w.last), static_cast<long long>(w.arrivals),
              static_cast<long long>(w.trips), w.rate(), static_cast<double>(w.requests.total()) / a,
              static_cast<double>(w.requests.get) / a, w.sweeps,
              w.sweeps ? 1000.0 * w.sweep_seconds / w.sweeps : 0.0);
}

int Main(int argc, char** argv) {
  const int64_t generations = bench::IntFlag(argc, argv, "generations", 100000);
  const int64_t window = std::min(bench::IntFlag(argc, argv, "window", 1000), generations / 2);
  const int members = static_cast<int>(bench::IntFlag(argc, argv, "members", 3));
  const int64_t sweep_every = bench::IntFlag(argc, argv, "sweep_every", 60);
  const double max_seconds = bench::DoubleFlag(argc, argv, "max_seconds", 0);
  std::printf("history_bench: %d-member cyclic barrier, in memory, one engine (one thread), clock +1 min a "
              "generation, retention %lld days, sweep+compaction every %lld generations; load average %s\n",
              members, static_cast<long long>(Config{}.state.retention_ms / (24 * 3600 * 1000)),
              static_cast<long long>(sweep_every), bench::LoadAverage().c_str());

  double raw = RawPutIfAbsentRate(0.5);
  double naive = NaiveRate(members, 0.5);

  Run run(members, sweep_every);
  auto start = SteadyClock::now();
  Window early = run.Timed(window);
  const size_t early_objects = run.memory.Snapshot().size();
  const double early_raw = RawRoundsOnStore(run.memory, 0.3);
  std::fprintf(stderr, "early window: %.0f arrivals/s\n", early.rate());
  const int64_t middle_end = generations - window;
  bool cut = false;
  for (int64_t last_report = 0; run.generation < middle_end;) {
    run.Generation(nullptr);
    if (run.generation - last_report >= 1000) {
      last_report = run.generation;
      double s = SecondsSince(start);
      std::fprintf(stderr, "  generation %lld, %.0f s\n", static_cast<long long>(run.generation), s);
      if (max_seconds > 0 && s > max_seconds) {
        cut = true;
        break;
      }
    }
  }
  Window late = run.Timed(window);
  double total_seconds = SecondsSince(start);
  const size_t late_objects = run.memory.Snapshot().size();
  const double late_raw = RawRoundsOnStore(run.memory, 0.3);

  std::printf("\n| window | generations | arrivals | trips | arrivals/s | requests/arrival | GETs/arrival | sweeps |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  PrintWindow("early", early);
  PrintWindow("late", late);
  std::printf("\nlate/early arrivals/s: **%.2f** (target >= 0.9); early %.0f/s, late %.0f/s (target >= 20,000/s)\n",
              early.rate() > 0 ? late.rate() / early.rate() : 0, early.rate(), late.rate());
  if (cut) {
    std::printf("NOTE: --max_seconds=%.0f cut the run: the late window is generations %lld–%lld, not the last "
                "%lld of %lld\n",
                max_seconds, static_cast<long long>(late.first), static_cast<long long>(late.last),
                static_cast<long long>(window), static_cast<long long>(generations));
  }
  std::printf("the store itself, same run: raw rounds (GET + PUT-if-absent + LIST + DELETE) on the run's store "
              "at %zu objects after the early window %.0f/s, at %zu after the late one %.0f/s: **%.2f** "
              "(late/early of the store alone)\n",
              early_objects, early_raw, late_objects, late_raw, early_raw > 0 ? late_raw / early_raw : 0);
  std::printf("baselines, same run: raw memory store PUT-if-absent %.0f/s on distinct keys; naive "
              "HEAD-every-member %.0f arrivals/s\n",
              raw, naive);
  std::printf("whole run: %lld generations, %lld trips by arrivals (+%lld by the sweeper), %d errors, %.1f s\n",
              static_cast<long long>(run.generation), static_cast<long long>(run.trips),
              static_cast<long long>(run.sweep_trips), run.errors, total_seconds);
  PrintState(run.memory);
  bool exact = run.trips + run.sweep_trips == run.generation && run.errors == 0;
  if (!exact) std::printf("FAILED: expected exactly one trip per generation and no errors\n");
  std::printf("load average at end: %s\n", bench::LoadAverage().c_str());
  return exact ? 0 : 1;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
