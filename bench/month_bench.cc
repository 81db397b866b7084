// month_bench: a month of one deployment in minutes (issue 14, "Proof": does
// anything grow or slow down once the retention window has filled?).
//
// 1,000 barriers on the in-memory store behind a simulated per-call latency
// (the simulated clock moves --latency_ms per store call, and a batch call by
// one latency per 32 keys, as S3Store sends them; no wall time is spent):
//   - 600 daily barriers of three named members ("d<k>/{date}/a.csv" ...),
//   - 300 daily count latches of five keys ("c<k>/{date}/part-<j>"),
//   - 3 daily barriers of --wide_members (1,000) named members,
//   - the rest cyclic two-member barriers ("y<k>/x", "y<k>/y") that take the
//     remainder of --per_day (100,000) arrivals,
// every arrival at a uniform time of its day, --dup (10%) of them delivered
// twice more (soon after, and up to 6 hours later) and 1 in 1,000 again up to
// 13 days later (inside the retention). The scheduled sweeper runs every
// --sweep_minutes (5); once a day the tombstones older
// than the template's lifecycle rule expire, as S3 would expire them; the
// sweeper runs as the Lambda's scheduled sweep does (one compacting lap a day).
//
// Per simulated day it prints: store requests (and per arrival), state objects
// and bytes, tombstones, the process's resident memory, the trips and their p99
// latency (last arrival's delivery -> trip, simulated). At the end the checker:
// every daily instance tripped exactly once, no arrival in two generations'
// manifests, every run of a generation's actions carried the same manifest,
// and every fresh arrival consumed (or pending in a cyclic barrier's open
// generation). Exit 1 if any check fails.
//
//   build/bench/month_bench [--days=30] [--per_day=100000] [--barriers=1000]
//                           [--wide_members=1000] [--latency_ms=15] [--dup=0.1]
//                           [--sweep_minutes=5] [--seed=1]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "bench_common.h"
#include "core/engine.h"
#include "core/keys.h"
#include "sources/invocation.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

constexpr TimeMs kMinute = 60 * 1000;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;
constexpr int64_t kTombstoneExpiryDays = 16;  // deploy/template.yaml's TombstoneExpiryDays

// The simulated clock; the sweeper's parallel probes read and move it from
// several threads.
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(TimeMs start) : now_(start) {}
  TimeMs NowMs() override { return now_.load(); }
  void SleepMs(TimeMs ms) override { now_ += ms; }
  void Advance(TimeMs ms) { now_ += ms; }
  void Set(TimeMs ms) { now_.store(ms); }

 private:
  std::atomic<TimeMs> now_;
};

// Store calls take simulated time: the clock moves, nothing sleeps.
class SimulatedLatencyStore : public test::StoreWrapper {
 public:
  SimulatedLatencyStore(ObjectStore& base, SimulatedClock& clock, TimeMs latency)
      : StoreWrapper(base), clock_(clock), latency_(latency) {}
  Result<std::string> Get(const std::string& key) override { return Wait(base_.Get(key)); }
  Status Put(const std::string& key, const std::string& body) override {
    return Wait(base_.Put(key, body));
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return Wait(base_.PutIfAbsent(key, body));
  }
  Result<ListPage> List(const ListOptions& options) override { return Wait(base_.List(options)); }
  Status Delete(const std::string& key) override { return Wait(base_.Delete(key)); }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Wait(base_.DeleteMany(keys));
  }
  // S3Store sends a batch over 32 connections.
  std::vector<Result<std::string>> GetMany(const std::vector<std::string>& keys) override {
    return Batch(keys.size(), base_.GetMany(keys));
  }
  std::vector<Status> PutIfAbsentMany(
      const std::vector<std::pair<std::string, std::string>>& items) override {
    return Batch(items.size(), base_.PutIfAbsentMany(items));
  }
  std::vector<Result<ListPage>> ListMany(const std::vector<ListOptions>& requests) override {
    return Batch(requests.size(), base_.ListMany(requests));
  }

 private:
  template <typename T>
  T Wait(T result) {
    clock_.Advance(latency_);
    return result;
  }
  template <typename T>
  T Batch(size_t n, T results) {
    clock_.Advance(latency_ * static_cast<TimeMs>((n + 31) / 32));
    return results;
  }
  SimulatedClock& clock_;
  TimeMs latency_;
};

// What the actions received, for the checker.
class ManifestLog : public ActionRunner {
 public:
  Status Run(const ActionSpec&, const TripRecord& trip) override {
    std::vector<std::string> ids;
    for (const auto& a : trip.arrivals) ids.push_back(a.id);
    std::sort(ids.begin(), ids.end());
    auto [it, first] = manifests_.emplace(trip.IdempotencyKey(), ids);
    if (!first && it->second != ids) mismatched_.push_back(trip.IdempotencyKey());
    if (first) {
      for (const auto& id : ids) {
        auto [where, fresh] = consumed_.emplace(id, trip.IdempotencyKey());
        if (!fresh)
          counted_twice_.push_back(id + " in " + where->second + " and " + trip.IdempotencyKey());
      }
      ++per_instance_[trip.barrier + "/" + trip.instance];
    }
    return Status::Ok();
  }
  std::map<std::string, std::vector<std::string>> manifests_;  // idempotency key -> ids
  std::map<std::string, std::string> consumed_;                // id -> idempotency key
  std::map<std::string, int> per_instance_;                    // barrier/instance -> generations
  std::vector<std::string> mismatched_, counted_twice_;
};

struct Delivery {
  TimeMs at = 0;
  Arrival arrival;
  bool fresh = true;  // false: a copy of one delivered before
};

int64_t ResidentKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

struct Mix {
  int daily = 600, counts = 300, wide = 3, cyclic = 97;
  int wide_members = 1000;
  int64_t cyclic_per_day = 0;  // per cyclic barrier
};

std::string ConfigJson(const Mix& mix) {
  std::string json = "{\"barriers\": {";
  const std::string action =
      ", \"on_complete\": [{\"type\": \"manifest\", \"key\": \"done/{barrier}.json\"}]";
  bool first = true;
  auto add = [&](const std::string& name, const std::string& body) {
    json += (first ? "\"" : ", \"") + name + "\": {" + body + action + "}";
    first = false;
  };
  for (int k = 0; k < mix.daily; ++k) {
    std::string p = "d" + std::to_string(k) + "/{date}/";
    add("d" + std::to_string(k),
        "\"members\": [\"" + p + "a.csv\", \"" + p + "b.csv\", \"" + p + "c.csv\"]");
  }
  for (int k = 0; k < mix.counts; ++k) {
    add("c" + std::to_string(k), "\"count\": 5, \"prefix\": \"c" + std::to_string(k) + "/{date}\"");
  }
  for (int k = 0; k < mix.wide; ++k) {
    std::string members;
    for (int j = 0; j < mix.wide_members; ++j) {
      members +=
          (j ? ", \"w" : "\"w") + std::to_string(k) + "/{date}/p" + std::to_string(j) + ".csv\"";
    }
    add("w" + std::to_string(k), "\"members\": [" + members + "]");
  }
  for (int k = 0; k < mix.cyclic; ++k) {
    add("y" + std::to_string(k),
        "\"members\": [\"y" + std::to_string(k) + "/x\", \"y" + std::to_string(k) + "/y\"]");
  }
  return json + "}}";
}

int Main(int argc, char** argv) {
  const int days = static_cast<int>(bench::IntFlag(argc, argv, "days", 30));
  const int64_t per_day = bench::IntFlag(argc, argv, "per_day", 100000);
  const int barriers = static_cast<int>(bench::IntFlag(argc, argv, "barriers", 1000));
  const TimeMs latency = bench::IntFlag(argc, argv, "latency_ms", 15);
  const double dup = bench::DoubleFlag(argc, argv, "dup", 0.1);
  const TimeMs sweep_every = bench::IntFlag(argc, argv, "sweep_minutes", 5) * kMinute;
  std::mt19937_64 rng(static_cast<uint64_t>(bench::IntFlag(argc, argv, "seed", 1)));

  Mix mix;
  mix.wide_members = static_cast<int>(bench::IntFlag(argc, argv, "wide_members", 1000));
  // The mix at 1,000 barriers; scaled for other counts.
  mix.daily = barriers * 6 / 10, mix.counts = barriers * 3 / 10,
  mix.wide = std::max(1, barriers * 3 / 1000);
  mix.cyclic = std::max(1, barriers - mix.daily - mix.counts - mix.wide);
  const int64_t fixed_per_day =
      mix.daily * 3 + mix.counts * 5 + int64_t{mix.wide} * mix.wide_members;
  mix.cyclic_per_day = std::max<int64_t>(2, (per_day - fixed_per_day) / mix.cyclic);

  SimulatedClock clock(1'780'000'000'000 / kDay * kDay);  // a midnight, UTC
  const TimeMs start = clock.NowMs();
  MemoryStore memory(clock);
  bench::MixCountingStore counted(memory);
  SimulatedLatencyStore store(counted, clock, latency);
  ManifestLog actions;
  ConfigParse parsed = ParseConfig(ConfigJson(mix));
  if (!parsed.ok()) {
    std::fprintf(stderr, "configuration: %s\n", parsed.ErrorText().c_str());
    return 1;
  }
  Engine engine(parsed.config, store, actions, clock, Logger::Null());
  // As the Lambda's scheduled sweep runs (sources/invocation.h): one
  // compacting lap a day, 16 probes at once; tombstones expire by the
  // bucket's lifecycle rule (below).
  const SweepOptions sweep_options = InvocationOptions::DefaultScheduledSweep();
  const KeyLayout layout(parsed.config.state.prefix);

  std::printf(
      "month_bench: %d barriers (%d daily x3, %d count latches x5, %d daily x%d, %d cyclic x2 at "
      "%lld/day "
      "each), %lld arrivals/day, %.0f%% duplicated, %lld ms a store call (simulated), sweep every "
      "%lld min; "
      "load average %s\n\n",
      barriers, mix.daily, mix.counts, mix.wide, mix.wide_members, mix.cyclic,
      static_cast<long long>(mix.cyclic_per_day), static_cast<long long>(per_day), dup * 100,
      static_cast<long long>(latency), static_cast<long long>(sweep_every / kMinute),
      bench::LoadAverage().c_str());
  std::printf(
      "| day | arrivals | store requests | per arrival | state objects | state MB | tombstones | "
      "RSS MB | "
      "trips | p99 trip latency s | sweep requests | wall s |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");

  std::vector<Delivery> later;  // copies due on a later day
  std::set<std::string> fresh_ids;
  int64_t sequencer = 0, errors = 0;
  std::uniform_real_distribution<double> u01(0, 1);
  auto upload = [&](const std::string& key) {
    Arrival a;
    a.bucket = "month";
    a.key = key;
    a.sequencer = std::to_string(++sequencer);
    a.etag = "e" + a.sequencer;
    a.size = 1000;
    a.event_name = "ObjectCreated:Put";
    a.source = "aws:s3";
    return a;
  };

  for (int day = 0; day < days; ++day) {
    const TimeMs day_start = start + day * kDay;
    auto wall = bench::SteadyClock::now();
    char date[16];
    std::snprintf(date, sizeof date, "2026%04d", day + 1);
    std::vector<Delivery> today;
    auto deliver = [&](Arrival a) {
      TimeMs at = day_start + static_cast<TimeMs>(u01(rng) * (kDay - kHour));
      a.event_time = FormatIso8601(at);  // its copies keep it: the later ones are not prompt
      fresh_ids.insert(ArrivalId(a));
      if (u01(rng) < dup) {
        today.push_back({at + static_cast<TimeMs>(u01(rng) * 5 * kMinute), a, false});
        Delivery late{at + static_cast<TimeMs>(u01(rng) * 6 * kHour), a, false};
        (late.at < day_start + kDay ? today : later).push_back(late);
      }
      if (u01(rng) < 0.001)
        later.push_back({at + static_cast<TimeMs>(u01(rng) * 13 * kDay), a, false});
      today.push_back({at, std::move(a), true});
    };
    for (int k = 0; k < mix.daily; ++k) {
      for (const char* m : {"a", "b", "c"})
        deliver(upload("d" + std::to_string(k) + "/" + date + "/" + m + ".csv"));
    }
    for (int k = 0; k < mix.counts; ++k) {
      for (int j = 0; j < 5; ++j)
        deliver(upload("c" + std::to_string(k) + "/" + date + "/part-" + std::to_string(j)));
    }
    for (int k = 0; k < mix.wide; ++k) {
      for (int j = 0; j < mix.wide_members; ++j) {
        deliver(upload("w" + std::to_string(k) + "/" + date + "/p" + std::to_string(j) + ".csv"));
      }
    }
    for (int k = 0; k < mix.cyclic; ++k) {
      for (int64_t j = 0; j < mix.cyclic_per_day; ++j) {
        deliver(upload("y" + std::to_string(k) + (j % 2 ? "/y" : "/x")));
      }
    }
    for (auto it = later.begin(); it != later.end();) {
      if (it->at < day_start + kDay) {
        today.push_back(std::move(*it));
        it = later.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(today.begin(), today.end(),
              [](const Delivery& a, const Delivery& b) { return a.at < b.at; });

    bench::RequestMix before = counted.mix();
    int64_t sweep_requests = 0, trips = 0;
    std::vector<double> latencies;
    TimeMs next_sweep = day_start + sweep_every;
    auto sweep_until = [&](TimeMs until) {
      while (next_sweep <= until) {
        clock.Set(std::max(clock.NowMs(), next_sweep));
        next_sweep += sweep_every;
        bench::RequestMix s0 = counted.mix();
        auto swept = engine.Sweep(sweep_options);
        if (!swept.ok()) ++errors;
        if (swept.ok()) trips += static_cast<int64_t>(swept->trips.size());
        sweep_requests += (counted.mix() - s0).total();
      }
    };
    for (auto& d : today) {
      sweep_until(d.at);
      clock.Set(std::max(clock.NowMs(), d.at));
      TimeMs t0 = clock.NowMs();
      auto outcome = engine.OnArrival(d.arrival);
      if (!outcome.ok()) {
        ++errors;
        continue;
      }
      if (!outcome->trips.empty()) {
        trips += static_cast<int64_t>(outcome->trips.size());
        latencies.push_back(static_cast<double>(clock.NowMs() - t0) / 1000);
      }
    }
    sweep_until(day_start + kDay - 1);
    clock.Set(std::max(clock.NowMs(), day_start + kDay));
    // The lifecycle rule: tombstones expire after 15 days (by their store time).
    auto tombstones = ListAll(memory, layout.TombstoneRoot());
    std::vector<std::string> expired;
    for (const auto& o : tombstones.ok() ? *tombstones : std::vector<ObjectInfo>{}) {
      if (o.last_modified < clock.NowMs() - kTombstoneExpiryDays * kDay) expired.push_back(o.key);
    }
    for (const auto& key : expired) (void)memory.Delete(key);
    auto state = ListAll(memory, "");
    int64_t objects = 0, bytes = 0, tombstone_count = 0;
    for (const auto& o : state.ok() ? *state : std::vector<ObjectInfo>{}) {
      ++objects, bytes += o.size + static_cast<int64_t>(o.key.size());
      if (o.key.rfind(layout.TombstoneRoot(), 0) == 0) ++tombstone_count;
    }
    bench::RequestMix used = counted.mix() - before;
    int64_t arrivals = static_cast<int64_t>(today.size());
    std::printf(
        "| %d | %lld | %lld | %.2f | %lld | %.1f | %lld | %.0f | %lld | %.2f | %lld | %.1f |\n",
        day + 1, static_cast<long long>(arrivals), static_cast<long long>(used.total()),
        static_cast<double>(used.total()) / std::max<int64_t>(1, arrivals),
        static_cast<long long>(objects), static_cast<double>(bytes) / 1e6,
        static_cast<long long>(tombstone_count), static_cast<double>(ResidentKb()) / 1024,
        static_cast<long long>(trips), bench::Percentile(latencies, 0.99),
        static_cast<long long>(sweep_requests), bench::SecondsSince(wall));
    std::fflush(stdout);
  }

  // A last sweep finishes whatever is unfinished; then the checker.
  clock.Advance(kHour);
  (void)engine.Sweep(true);
  std::vector<std::string> violations;
  for (const auto& k : actions.mismatched_) violations.push_back("two manifests for " + k);
  for (const auto& c : actions.counted_twice_) violations.push_back("counted twice: " + c);
  for (int day = 0; day < days; ++day) {
    char date[16];
    std::snprintf(date, sizeof date, "2026%04d", day + 1);
    auto once = [&](const std::string& instance_key) {
      auto it = actions.per_instance_.find(instance_key);
      int n = it == actions.per_instance_.end() ? 0 : it->second;
      if (n != 1)
        violations.push_back(instance_key + " tripped " + std::to_string(n) + " times, not once");
    };
    for (int k = 0; k < mix.daily; ++k) once("d" + std::to_string(k) + "/" + date);
    for (int k = 0; k < mix.counts; ++k) once("c" + std::to_string(k) + "/" + date);
    for (int k = 0; k < mix.wide; ++k) once("w" + std::to_string(k) + "/" + date);
  }
  int64_t unconsumed = 0;
  for (const auto& id : fresh_ids) unconsumed += actions.consumed_.count(id) ? 0 : 1;
  // A cyclic barrier's open generation may hold arrivals of one member only.
  if (unconsumed > mix.cyclic_per_day * mix.cyclic) {
    violations.push_back(std::to_string(unconsumed) + " fresh arrivals never consumed");
  }
  if (errors > 0) violations.push_back(std::to_string(errors) + " calls failed");
  std::printf(
      "\nchecker: %zu generations, %zu arrivals consumed of %zu fresh (%lld pending in open cyclic "
      "generations); %s\n",
      actions.manifests_.size(), actions.consumed_.size(), fresh_ids.size(),
      static_cast<long long>(unconsumed),
      violations.empty() ? "every promise kept" : "VIOLATIONS:");
  for (size_t i = 0; i < violations.size() && i < 20; ++i)
    std::printf("  %s\n", violations[i].c_str());
  return violations.empty() ? 0 : 1;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
