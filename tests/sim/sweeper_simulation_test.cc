// The sweeper under load (issue 14): hundreds of open instances, sweeps every
// minute cut short by a deadline that lets each visit only part of the index,
// a store whose every call costs simulated time, three arrival processes with
// their own caches of the index, cyclic instances that go idle, leave the
// index and come back. Per seed the checker asks:
//   - every instance in the index is visited within a bounded number of
//     sweeps (the rotation goes on where the last sweep stopped);
//   - no timeout trips later than one sweep interval (plus one sweep's
//     deadline) after it was due, and no generation is left overdue;
//   - idle instances leave the index, and arrivals bring them back.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "fakes/latency_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

// Every call costs `ms` of the simulated clock; the sweeper's LISTs of an
// instance's prefix are recorded per sweep.
class TimedStore : public test::FakeLatencyStore {
 public:
  using FakeLatencyStore::FakeLatencyStore;
  Result<ListPage> List(const ListOptions& options) override {
    if (recording_) ++lists_[options.prefix];
    return FakeLatencyStore::List(options);
  }

  void Record(bool on) {
    recording_ = on;
    if (on) lists_.clear();
  }
  const std::map<std::string, int>& lists() const { return lists_; }

 private:
  bool recording_ = false;
  std::map<std::string, int> lists_;
};

struct SimResult {
  int sweeps = 0;
  int timeouts = 0;
  int left = 0;
  int reindexed = 0;
  int max_sweeps_between_visits = 0;
  int cut_sweeps = 0;  // sweeps the deadline cut short
  int fewest_visits_when_cut = 1 << 30;
  int largest_index = 0;
  std::vector<std::string> violations;
};

constexpr TimeMs kMinute = 60 * 1000;

SimResult RunSweeperSimulation(uint64_t seed) {
  SimResult result;
  std::mt19937_64 rng(seed);
  const int instances = 800;
  const TimeMs interval = kMinute, timeout = 20 * kMinute, latency = 20;
  // A sweep may run 3 s: about 150 probes of idle instances (or 10 timeout
  // trips), less than the index holds: a lap takes several sweeps.
  const TimeMs sweep_budget = 3000;
  auto parsed = ParseConfig(R"({"barriers": {"d": {"members": ["in/{day}/a.csv", "in/{day}/b.csv",
      "in/{day}/c.csv"], "timeout": "20m", "mode": "cyclic"}}})");
  if (!parsed.ok()) return {.violations = {parsed.ErrorText()}};
  FakeClock clock;
  MemoryStore memory(clock);
  TimedStore store(memory, clock, latency);
  test::RecordingActions actions;
  EngineOptions options;
  options.open_cache_ttl_ms = 10 * kMinute;
  options.max_clock_skew_ms = 0;
  options.leave_recheck_after_ms = 2 * kMinute;
  std::vector<std::unique_ptr<Engine>> workers;
  for (int w = 0; w < 3; ++w) {
    options.worker_id = "w" + std::to_string(w);
    workers.push_back(
        std::make_unique<Engine>(parsed.config, store, actions, clock, Logger::Null(), options));
  }
  options.worker_id = "sweeper";
  Engine sweeper(parsed.config, store, actions, clock, Logger::Null(), options);

  // The arrivals: each instance gets bursts at random times over four hours;
  // a burst uploads one to three of the members (three trips it, fewer waits
  // for the timeout). Arrivals go to a random worker.
  struct Upload {
    TimeMs at;
    std::string key;
    std::string sequencer;
  };
  std::vector<Upload> uploads;
  const TimeMs start = clock.NowMs(), horizon = 4 * 60 * kMinute;
  for (int i = 0; i < instances; ++i) {
    std::string day = "d" + std::to_string(10000 + i);
    int bursts = 1 + static_cast<int>(rng() % 3);
    for (int b = 0; b < bursts; ++b) {
      TimeMs at = start + static_cast<TimeMs>(rng() % static_cast<uint64_t>(horizon * 3 / 4));
      int members = 1 + static_cast<int>(rng() % 3);
      for (int m = 0; m < members; ++m) {
        uploads.push_back({at + m * 1000,
                           "in/" + day + "/" + std::string(1, static_cast<char>('a' + m)) + ".csv",
                           std::to_string(b + 1)});
      }
    }
  }
  std::sort(uploads.begin(), uploads.end(),
            [](const Upload& x, const Upload& y) { return x.at < y.at; });

  std::map<std::string, int> last_visit;  // open key -> sweep number
  std::set<std::string> was_indexed;      // the index before the previous sweep
  size_t next = 0;
  TimeMs next_sweep = start + interval;
  for (int s = 0; clock.NowMs() < start + horizon + 40 * kMinute; ++s) {
    // Arrivals due before this sweep.
    while (next < uploads.size() && uploads[next].at <= next_sweep) {
      clock.Set(std::max(clock.NowMs(), uploads[next].at));
      auto& worker = *workers[rng() % workers.size()];
      auto r = worker.OnArrival(test::Upload(uploads[next].key, uploads[next].sequencer));
      if (!r.ok()) result.violations.push_back("arrival failed: " + r.status().ToString());
      ++next;
    }
    clock.Set(std::max(clock.NowMs(), next_sweep));
    auto indexed = ListAll(memory, ".eventbarrier/_open/");
    store.Record(true);
    SweepOptions o;
    o.deadline_ms = clock.NowMs() + sweep_budget;
    o.compact_every_ms = 60 * kMinute;
    auto swept = sweeper.Sweep(o);
    store.Record(false);
    ++result.sweeps;
    if (!swept.ok()) {
      result.violations.push_back("sweep failed: " + swept.status().ToString());
      continue;
    }
    result.left += swept->left;
    if (swept->deadline_reached) {
      ++result.cut_sweeps;
      result.fewest_visits_when_cut = std::min(result.fewest_visits_when_cut, swept->instances);
    }
    if (indexed.ok())
      result.largest_index = std::max(result.largest_index, static_cast<int>(indexed->size()));
    result.reindexed += swept->reindexed;
    for (const auto& t : swept->trips) {
      if (t.status != TripStatus::kTimeout) continue;
      ++result.timeouts;
      TimeMs late = t.claimed_at - (t.first_arrival_at + timeout);
      if (late > interval + sweep_budget) {
        result.violations.push_back(t.instance + " generation " + std::to_string(t.generation) +
                                    ": timed out " + std::to_string(late / 1000) +
                                    " s after it was due");
      }
    }
    // Visits: the sweeper's LISTs of an instance's prefix. An idle instance
    // costs one; none is listed more than once by the probe.
    for (const auto& [prefix, n] : store.lists()) {
      if (prefix.rfind(".eventbarrier/d/", 0) != 0) continue;
      std::string instance = prefix.substr(std::string(".eventbarrier/d/").size());
      // The probe lists the instance's whole prefix (evaluations list a/ and t/).
      if (instance.empty() || instance.find('/') != instance.size() - 1) continue;
      instance.pop_back();
      last_visit[".eventbarrier/_open/d/" + instance] = s;
    }
    if (indexed.ok()) {
      std::set<std::string> now_indexed;
      for (const auto& e : *indexed) {
        now_indexed.insert(e.key);
        // Indexed since the last sweep: counted from the sweep before this one.
        if (!was_indexed.count(e.key) && last_visit[e.key] < s)
          last_visit[e.key] = std::max(last_visit[e.key], s - 1);
        int since = s - last_visit[e.key];
        result.max_sweeps_between_visits = std::max(result.max_sweeps_between_visits, since);
      }
      was_indexed = std::move(now_indexed);
    }
    next_sweep += interval;
  }
  // Nothing overdue is left: every marker still waiting is younger than its timeout + one interval.
  auto markers = ListAll(memory, ".eventbarrier/d/");
  if (markers.ok()) {
    for (const auto& obj : *markers) {
      if (obj.key.find("/a/") == std::string::npos) continue;
      if (clock.NowMs() - obj.last_modified > timeout + interval + sweep_budget) {
        result.violations.push_back("overdue marker left: " + obj.key);
      }
    }
  }
  return result;
}

class SweeperSimulation : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SweeperSimulation, EveryInstanceVisitedNoTimeoutLate) {
  SimResult r = RunSweeperSimulation(GetParam());
  for (const auto& v : r.violations) ADD_FAILURE() << "seed " << GetParam() << ": " << v;
  EXPECT_GT(r.timeouts, 20) << "the seed must exercise timeouts";
  EXPECT_GT(r.left, 0) << "idle instances must leave the index";
  EXPECT_GT(r.cut_sweeps, r.sweeps / 10) << "the deadline must cut sweeps short";
  // The bound: a lap of the largest index at the fewest visits a cut sweep
  // made, plus the sweep in which the instance was indexed.
  int lap =
      (r.largest_index + r.fewest_visits_when_cut - 1) / std::max(1, r.fewest_visits_when_cut);
  EXPECT_LE(r.max_sweeps_between_visits, lap + 1);
  std::cout << "seed " << GetParam() << ": sweeps " << r.sweeps << ", timeouts " << r.timeouts
            << ", left " << r.left << ", reindexed " << r.reindexed
            << ", most sweeps between visits " << r.max_sweeps_between_visits << " (bound "
            << lap + 1 << "), cut sweeps " << r.cut_sweeps << " (fewest visits "
            << r.fewest_visits_when_cut << "), largest index " << r.largest_index << "\n";
}

INSTANTIATE_TEST_SUITE_P(Seeds, SweeperSimulation, ::testing::Values(1, 2, 3, 4, 5));

}  // namespace
}  // namespace eb
