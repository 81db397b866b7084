#include "sim/simulation.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "core/engine.h"
#include "core/trip_log.h"
#include "fakes/fault_store.h"
#include "sim/client_retries.h"
#include "sim/scheduler.h"
#include "sim/skewed_clock.h"
#include "stores/memory_store.h"

namespace eb::sim {

using test::Fault;
using test::FaultStore;
using test::SimulatedCrash;
using test::StoreOp;

namespace {

constexpr const char* kConfig = R"({
  "barriers": {
    "cyc":   {"members": ["c/m0", "c/m1", "c/m2"],
              "on_complete": [{"type": "manifest", "key": "out/cyc/{generation}"}]},
    "pair":  {"members": ["c/m0", "c/m1"],
              "on_complete": [{"type": "manifest", "key": "out/pair/{generation}"}]},
    "daily": {"members": ["d/{day}/east", "d/{day}/west"],
              "on_complete": [{"type": "manifest", "key": "out/daily/{day}"}]},
    "latch": {"count": 3, "prefix": "l/{day}", "mode": "cyclic",
              "on_complete": [{"type": "manifest", "key": "out/latch/{day}/{generation}"}]},
    "wide":  {"members": ["w/m0", "w/m1", "w/m2", "w/m3"],
              "on_complete": [{"type": "manifest", "key": "out/wide/{generation}"}]},
    "late":  {"members": ["t/{day}/a", "t/{day}/b", "t/{day}/c"], "timeout": "30s",
              "on_complete": [{"type": "manifest", "key": "out/late/{day}"}],
              "on_timeout": [{"type": "manifest", "key": "out/late/{day}.timeout"}]}
  },
  "state": {"lease": "5s"}
})";

struct Event {
  Arrival arrival;
  double order = 0;  // delivery order key
  bool acked = false;
};

struct Delivery {
  int event = -1;  // -1: a sweep
  int attempts = 0;
};

// Actions that fail at random (while faults are on) and record successes.
class SimActions : public ActionRunner {
 public:
  SimActions(Scheduler& sched, double p_fail, std::string failing_barrier)
      : sched_(sched), p_fail_(p_fail), failing_barrier_(std::move(failing_barrier)) {}
  Status Run(const ActionSpec&, const TripRecord& trip) override {
    if (failures_on && trip.barrier == failing_barrier_)
      return Status::Unavailable("simulated failing action");
    if (failures_on && std::bernoulli_distribution(p_fail_)(sched_.rng())) {
      return Status::Unavailable("simulated action failure");
    }
    succeeded[trip.IdempotencyKey()].push_back(trip);
    return Status::Ok();
  }
  bool failures_on = true;
  std::map<std::string, std::vector<TripRecord>> succeeded;

 private:
  Scheduler& sched_;
  double p_fail_;
  std::string failing_barrier_;
};

Arrival MakeArrival(const std::string& key, const std::string& sequencer) {
  Arrival a;
  a.bucket = "sim";
  a.key = key;
  a.size = static_cast<int64_t>(key.size());
  a.sequencer = sequencer;
  a.etag = "e-" + sequencer;
  a.event_name = "ObjectCreated:Put";
  a.event_time = "2026-11-24T06:00:00.000Z";
  a.source = "aws:s3";
  return a;
}

// Builds the event list for one seed.
std::vector<Event> MakeEvents(std::mt19937_64& rng) {
  std::vector<Event> events;
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto add = [&](const std::string& key, const std::string& seq, double round) {
    double jitter = std::uniform_real_distribution<double>(0, 1.5)(rng);
    events.push_back({MakeArrival(key, seq), round + jitter});
  };
  int rounds = uniform(1, 4);
  for (int r = 0; r < rounds; ++r) {
    for (int m = 0; m < 3; ++m) {
      int uploads = uniform(1, 2);
      for (int k = 0; k < uploads; ++k) add("c/m" + std::to_string(m) + "/f", "r" + std::to_string(r) + "k" + std::to_string(k), r);
    }
  }
  for (int day = 0; day < 2; ++day) {
    std::string d = "day" + std::to_string(day);
    if (uniform(0, 3) > 0) add("d/" + d + "/east", "1", day);
    add("d/" + d + "/west", "1", day);
    if (uniform(0, 4) == 0) add("d/" + d + "/west", "2", day + 1);  // a re-upload
  }
  int latch_keys = uniform(2, 7);
  for (int k = 0; k < latch_keys; ++k) add("l/x/k" + std::to_string(uniform(0, 4)), std::to_string(k), k / 3.0);
  add("t/x/a", "1", 0);
  add("t/x/b", "1", 1);
  if (uniform(0, 1)) add("t/x/c", "1", 2);
  return events;
}

// Events of "wide" (four members: two shards of 3 + 1 at shard size 3),
// drawn from their own generator so that adding them left the other events
// of every seed as they were.
std::vector<Event> MakeWideEvents(std::mt19937_64& rng) {
  std::vector<Event> events;
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  // Mostly one generation, sometimes a second (a third of the seeds).
  int rounds = uniform(0, 2) == 0 ? 2 : 1;
  for (int r = 0; r < rounds; ++r) {
    for (int m = 0; m < 4; ++m) {
      double jitter = std::uniform_real_distribution<double>(0, 1.5)(rng);
      events.push_back({MakeArrival("w/m" + std::to_string(m) + "/f", "r" + std::to_string(r)), r + jitter});
    }
  }
  return events;
}

}  // namespace

std::string SimReport::Summary() const {
  std::ostringstream out;
  out << "seed " << seed << ": shard size " << shard_size << ", " << workers << " workers, "
      << events << " events, " << deliveries << " deliveries, " << faults << " faults, " << crashes
      << " crashes, " << trips << " trips, " << redrives << " re-drives, " << steps
      << " steps, tombstones read "
      << (tombstones_read_first ? "before every marker"
                                : "not by prompt arrivals of once barriers");
  for (const auto& v : violations) out << "\n  VIOLATION: " << v;
  return out.str();
}

struct EventView {
  const Arrival* arrival;
  bool acked;
};
// The checker (checker.cc): every promise of DESIGN section 4, read from the final store state.
void CheckWith(const Config& config, ObjectStore& store, const std::vector<EventView>& events,
               const std::map<std::string, std::vector<TripRecord>>& succeeded, SimReport* report);

SimReport RunSimulation(const SimOptions& options) {
  SimReport report;
  report.seed = options.seed;
  std::mt19937_64 setup_rng(options.seed * 0x9E3779B97F4A7C15ULL + 1);
  ConfigParse parsed = ParseConfig(kConfig);
  if (!parsed.ok()) {
    report.violations.push_back("bad simulation config: " + parsed.ErrorText());
    return report;
  }
  const Config& config = parsed.config;
  std::vector<Event> events = MakeEvents(setup_rng);
  int workers = std::uniform_int_distribution<int>(2, 16)(setup_rng);
  // Small intervals so head hints happen in every run.
  static const int64_t kIntervals[] = {1, 2, 3, 64};
  int64_t head_every = kIntervals[std::uniform_int_distribution<int>(0, 3)(setup_rng)];
  // Sometimes resume at once, sometimes after a grace shorter than the lease.
  TimeMs resume_grace_ms = std::uniform_int_distribution<int>(0, 1)(setup_rng) ? 0 : 1000;
  // Wide barriers: shards of 2 make every barrier above two members sharded
  // (named members in shards of 2 + 1, the count latch in three, the timeout
  // barrier); shards of 3 only "wide", whose events exist only then (they
  // would cost time and cover nothing new at the other sizes); 0 keeps every
  // barrier unsharded as before sharding existed.
  std::mt19937_64 shard_rng(options.seed * 0xD1B54A32D192ED03ULL + 7);
  static const int kShardSizes[] = {2, 3, 0, 0};
  int shard_size = kShardSizes[std::uniform_int_distribution<int>(0, 3)(shard_rng)];
  int wide_first = static_cast<int>(events.size());
  if (shard_size == 3) {  // the only size at which "wide" differs from the other barriers
    for (Event& e : MakeWideEvents(shard_rng)) events.push_back(std::move(e));
  }
  report.shard_size = shard_size;
  report.workers = workers;
  report.events = static_cast<int>(events.size());

  // Deliveries: each event 1-3 times, mostly in round order with overlap,
  // spread over the workers; one more worker runs the sweeper now and then.
  std::vector<std::pair<double, int>> order;
  for (int i = 0; i < wide_first; ++i) {
    int copies = std::uniform_int_distribution<int>(1, 3)(setup_rng);
    for (int c = 0; c < copies; ++c) {
      order.push_back({events[i].order + std::uniform_real_distribution<double>(0, 1)(setup_rng), i});
    }
  }
  std::sort(order.begin(), order.end());
  report.deliveries = static_cast<int>(order.size());
  std::vector<std::deque<Delivery>> queues(workers + 1);
  for (const auto& [when, ev] : order) {
    queues[std::uniform_int_distribution<int>(0, workers - 1)(setup_rng)].push_back({ev, 0});
  }
  for (int s = std::uniform_int_distribution<int>(1, 4)(setup_rng); s > 0; --s) queues[workers].push_back({-1, 0});
  // The wide events' deliveries, placed by their time among each queue's.
  for (int i = wide_first; i < static_cast<int>(events.size()); ++i) {
    for (int c = std::uniform_int_distribution<int>(1, 3)(shard_rng); c > 0; --c) {
      double when = events[i].order + std::uniform_real_distribution<double>(0, 1)(shard_rng);
      auto& queue = queues[std::uniform_int_distribution<int>(0, workers - 1)(shard_rng)];
      auto pos = std::find_if(queue.begin(), queue.end(), [&](const Delivery& d) { return events[d.event].order > when; });
      queue.insert(pos, {i, 0});
      ++report.deliveries;
    }
  }

  Scheduler sched(options.seed, workers + 1);
  FakeClock clock;
  MemoryStore memory(clock);
  std::unique_ptr<ObjectStore> sabotaged;
  ObjectStore* base = &memory;
  if (options.sabotage) {
    sabotaged = options.sabotage(memory);
    base = sabotaged.get();
  }
  bool faults_on = true;
  FaultStore store(*base, [&](StoreOp op, const std::string&) {
    int w = CurrentWorker();
    if (w < 0 || !faults_on) return Fault::kNone;
    sched.Yield(w);
    clock.Advance(std::uniform_int_distribution<int>(0, 40)(sched.rng()));
    double x = std::uniform_real_distribution<double>(0, 1)(sched.rng());
    bool write = op != StoreOp::kGet && op != StoreOp::kList;
    Fault f = Fault::kNone;
    if ((x -= options.p_crash) < 0) f = std::bernoulli_distribution(0.5)(sched.rng()) ? Fault::kCrashAfter : Fault::kCrashBefore;
    else if ((x -= options.p_conflict) < 0) f = Fault::kConflict;
    else if ((x -= options.p_unavailable) < 0) f = Fault::kUnavailable;
    else if (write && (x -= options.p_lost_answer) < 0) f = Fault::kLostAnswer;
    if (f == Fault::kCrashAfter || f == Fault::kCrashBefore) ++report.crashes;
    else if (f != Fault::kNone) ++report.faults;
    return f;
  });
  SimActions actions(sched, options.p_action_failure, options.failing_barrier);
  ClientRetries client(store);

  int dropped = 0;
  // Half the seeds: every worker's clock off the store's by up to 30 s.
  std::mt19937_64 skew_rng(options.seed * 0x94D049BB133111EBULL + 11);
  const bool skewed = std::bernoulli_distribution(0.5)(skew_rng);
  std::vector<std::unique_ptr<SkewedClock>> worker_clocks;
  for (int w = 0; w <= workers; ++w) {
    TimeMs skew = skewed ? std::uniform_int_distribution<TimeMs>(-30'000, 30'000)(skew_rng) : 0;
    worker_clocks.push_back(std::make_unique<SkewedClock>(clock, skew));
  }
  // Half the seeds read every arrival's tombstone before its marker; in the
  // other half every event is prompt (the run takes seconds of store time),
  // so arrivals of once-mode barriers without a timeout ("daily") read none:
  // a copy's PUT-if-absent finds the marker its trip kept.
  std::mt19937_64 prompt_rng(options.seed * 0xD6E8FEB86659FD93ULL + 17);
  const TimeMs prompt_arrival_ms =
      std::bernoulli_distribution(0.5)(prompt_rng) ? 0 : 1000LL * 60 * 60 * 24 * 365 * 10;
  report.tombstones_read_first = prompt_arrival_ms == 0;
  auto worker = [&](int w) {
    SetCurrentWorker(w);
    sched.Yield(w);  // park before doing anything, so the run is deterministic
    EngineOptions eo;
    eo.worker_id = "w" + std::to_string(w);
    eo.head_every = head_every;
    eo.resume_grace_ms = resume_grace_ms;
    eo.shard_size = shard_size;
    eo.prompt_arrival_ms = prompt_arrival_ms;
    Logger& log = options.log != nullptr ? *options.log : Logger::Null();
    Clock& own_clock = *worker_clocks[w];
    auto engine = std::make_unique<Engine>(config, client, actions, own_clock, log, eo);
    std::deque<Delivery>& queue = queues[w];
    while (!queue.empty()) {
      Delivery d = queue.front();
      queue.pop_front();
      bool ok = false;
      try {
        if (d.event < 0) {
          auto r = engine->Sweep();
          ok = r.ok();
        } else {
          auto r = engine->OnArrival(events[d.event].arrival);
          ok = r.ok();
          if (ok) events[d.event].acked = true;
          if (!ok) log.Warn("delivery failed", {{"key", events[d.event].arrival.key}, {"error", r.status().ToString()}});
        }
      } catch (const SimulatedCrash&) {
        engine = std::make_unique<Engine>(config, client, actions, own_clock, log, eo);  // a cold restart
      }
      // A failed or crashed invocation is delivered again later (Lambda's retries);
      // after 30 attempts it would go to the dead-letter queue.
      if (!ok && ++d.attempts < 30) {
        size_t pos = std::uniform_int_distribution<size_t>(0, queue.size())(sched.rng());
        queue.insert(queue.begin() + static_cast<long>(pos), d);
      } else if (!ok) {
        ++dropped;  // to the dead-letter queue: the sweeper is its backstop
      }
    }
    sched.Finish(w);
    SetCurrentWorker(-1);
  };
  std::vector<std::thread> threads;
  for (int w = 0; w <= workers; ++w) threads.emplace_back(worker, w);
  sched.RunToCompletion();
  for (auto& t : threads) t.join();
  report.steps = sched.steps();

  if (!options.failing_barrier.empty()) {
    KeyLayout layout(config.state.prefix);
    auto listed = ListAll(memory, layout.TripPrefix(options.failing_barrier, "_"));
    if (listed.ok()) {
      for (const auto& [gen, g] : ScanTripKeys(layout, *listed))
        report.failing_unfinished += g.record && !g.done;
    }
  }
  // The scheduled sweeper, after every lease, timeout and backoff has run out.
  faults_on = false;
  actions.failures_on = false;
  clock.Advance(kMaxRedriveBackoffMs + 60'000);  // the longest backoff of a re-drive, and a margin
  EngineOptions sweeper_options;
  sweeper_options.head_every = head_every;
  sweeper_options.shard_size = shard_size;
  Engine sweeper(config, store, actions, clock, Logger::Null(), sweeper_options);
  std::vector<TripSummary> swept;
  for (int round = 0; round < 5; ++round) {
    auto r = sweeper.Sweep();
    if (!r.ok()) {
      report.violations.push_back("final sweep failed: " + r.status().ToString());
      break;
    }
    swept.insert(swept.end(), r->trips.begin(), r->trips.end());
    if (r->trips.empty()) break;
  }
  std::vector<EventView> views;
  bool all_acked = true;
  for (const auto& e : events) {
    views.push_back({&e.arrival, e.acked});
    all_acked = all_acked && e.acked;
  }
  // Never stuck: the sweeper is the backstop for crashes only. Without one,
  // and with every event acknowledged, each complete generation was tripped
  // by an arrival (or the concurrent sweeper), not left for the final sweep.
  if (report.crashes == 0 && all_acked && dropped == 0) {
    for (const auto& t : swept) {
      if (t.status == TripStatus::kComplete && !t.redriven) {
        report.violations.push_back(t.barrier + "/" + t.instance + "/" + std::to_string(t.generation) +
                                    ": complete, yet tripped only by the final sweep without any crash");
      }
    }
  }
  CheckWith(config, memory, views, actions.succeeded, &report);
  return report;
}

}  // namespace eb::sim
