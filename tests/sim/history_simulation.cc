#include "sim/history_simulation.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "base/log.h"
#include "core/config.h"
#include "core/engine.h"
#include "fakes/fault_store.h"
#include "sim/client_retries.h"
#include "sim/skewed_clock.h"
#include "stores/memory_store.h"

namespace eb::sim {

using test::Fault;
using test::FaultStore;
using test::SimulatedCrash;
using test::StoreOp;

namespace {

constexpr TimeMs kMinute = 60'000;

// Records every successful run of an action: idempotency key -> manifests.
class ManifestLog : public ActionRunner {
 public:
  Status Run(const ActionSpec&, const TripRecord& trip) override {
    if (fail_next) {
      fail_next = false;
      return Status::Unavailable("simulated action failure");
    }
    std::vector<std::string> ids;
    for (const auto& a : trip.arrivals) ids.push_back(a.id);
    std::sort(ids.begin(), ids.end());
    runs[trip.IdempotencyKey()].push_back(ids);
    return Status::Ok();
  }
  bool fail_next = false;
  std::map<std::string, std::vector<std::vector<std::string>>> runs;
};

struct Pending {
  Arrival arrival;
  bool late_copy = false;
  int attempts = 0;
};

Arrival Upload(const std::string& member, int generation, TimeMs when) {
  Arrival a;
  a.bucket = "hist";
  a.key = "c/" + member + "/f";
  a.size = 10;
  a.sequencer = "g" + std::to_string(generation);
  a.etag = "e-" + std::to_string(generation);
  a.event_name = "ObjectCreated:Put";
  a.event_time = FormatIso8601(when);
  a.source = "aws:s3";
  return a;
}

}  // namespace

std::string HistoryReport::Summary() const {
  std::ostringstream out;
  out << "history seed " << seed << ": " << trips << " trips, " << late_copies << " late copies ("
      << late_copies_near_edge << " in the retention's last tenth), " << faults << " faults, "
      << crashes << " crashes; at the end " << tombstones_at_end << " tombstones, "
      << state_objects_at_end << " state objects";
  for (const auto& v : violations) out << "\n  VIOLATION: " << v;
  return out.str();
}

HistoryReport RunHistorySimulation(const HistoryOptions& options) {
  HistoryReport report;
  report.seed = options.seed;
  std::mt19937_64 rng(options.seed * 0x2545F4914F6CDD1DULL + 3);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const std::string config_text = R"({"barriers": {"cyc": {"members": ["c/m0", "c/m1"],
      "on_complete": [{"type": "manifest", "key": "out/{generation}"}]}},
      "state": {"retention": ")" + options.retention +
                                  R"("}})";
  ConfigParse parsed = ParseConfig(config_text);
  if (!parsed.ok()) {
    report.violations.push_back("bad config: " + parsed.ErrorText());
    return report;
  }
  const Config& config = parsed.config;
  const TimeMs retention = config.state.retention_ms;

  FakeClock time;  // the store's clock
  MemoryStore memory(time);
  bool faults_on = true;
  FaultStore store(memory, [&](StoreOp op, const std::string&) {
    if (!faults_on) return Fault::kNone;
    time.Advance(std::uniform_int_distribution<int>(0, 30)(rng));
    double x = std::uniform_real_distribution<double>(0, 1)(rng);
    bool write = op != StoreOp::kGet && op != StoreOp::kList;
    if ((x -= options.p_crash) < 0) {
      ++report.crashes;
      return chance(0.5) ? Fault::kCrashAfter : Fault::kCrashBefore;
    }
    if ((x -= options.p_fault) < 0) {
      ++report.faults;
      int kind = std::uniform_int_distribution<int>(0, write ? 2 : 1)(rng);
      return kind == 0 ? Fault::kConflict : kind == 1 ? Fault::kUnavailable : Fault::kLostAnswer;
    }
    return Fault::kNone;
  });
  ClientRetries client(store);
  ManifestLog actions;

  // Three workers with production engine settings and skewed clocks.
  constexpr int kWorkers = 3;
  std::vector<std::unique_ptr<SkewedClock>> clocks;
  std::vector<EngineOptions> engine_options(kWorkers);
  std::vector<std::unique_ptr<Engine>> engines(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    TimeMs skew =
        std::uniform_int_distribution<TimeMs>(-options.max_skew_ms, options.max_skew_ms)(rng);
    clocks.push_back(std::make_unique<SkewedClock>(time, skew));
    engine_options[w].worker_id = "w" + std::to_string(w);
    if (options.prompt_arrival_ms >= 0)
      engine_options[w].prompt_arrival_ms = options.prompt_arrival_ms;
  }
  auto restart = [&](int w) {
    engines[w] = std::make_unique<Engine>(config, client, actions, *clocks[w], Logger::Null(),
                                          engine_options[w]);
  };
  for (int w = 0; w < kWorkers; ++w) restart(w);

  std::map<std::string, TimeMs>
      consumed_at;  // fresh id -> when its generation was delivered (store time)
  std::vector<std::pair<Arrival, TimeMs>> history;  // every fresh upload and when
  std::deque<Pending> queue;
  int dropped = 0;

  auto deliver_all = [&]() {
    while (!queue.empty()) {
      Pending p = queue.front();
      queue.pop_front();
      int w = std::uniform_int_distribution<int>(0, kWorkers - 1)(rng);
      bool ok = false;
      try {
        auto r = engines[w]->OnArrival(p.arrival);
        ok = r.ok();
        if (ok && p.late_copy && r->counted > 0 && options.prompt_arrival_ms < 0) {
          // A copy of an arrival whose generation ran its actions, delivered a
          // minute or more after its event (not prompt by default): its
          // tombstone, inside the retention, must have stopped it before it
          // wrote a marker. (A prompt copy writes its marker unread; the next
          // generation settles it stale, or the sweep deletes it before its
          // tombstone expires.)
          std::string id = ArrivalId(p.arrival);
          for (const auto& [key, runs] : actions.runs) {
            if (std::find(runs.front().begin(), runs.front().end(), id) != runs.front().end()) {
              report.violations.push_back("late copy of " + p.arrival.key + "@" +
                                          p.arrival.sequencer + ", consumed by " + key +
                                          ", wrote a marker");
            }
          }
        }
      } catch (const SimulatedCrash&) {
        restart(w);
      }
      if (!ok && ++p.attempts < 20) {
        queue.push_back(p);  // redelivered later
      } else if (!ok) {
        ++dropped;
      }
    }
  };
  // A compacting sweep that failed (or whose worker died) leaves compaction
  // pending for the next sweep, as the scheduled sweeps' cursor does
  // (expire_pending): tombstones are bounded by the retention plus one
  // compaction interval, not by luck.
  bool compact_pending = false;
  auto sweep = [&](bool compact) {
    compact_pending = compact_pending || compact;
    int w = std::uniform_int_distribution<int>(0, kWorkers - 1)(rng);
    try {
      // A failed sweep runs again next time.
      if (engines[w]->Sweep(compact_pending).ok()) compact_pending = false;
    } catch (const SimulatedCrash&) {
      restart(w);
    }
  };

  for (int g = 1; g <= options.generations; ++g) {
    for (const char* m : {"m0", "m1"}) {
      Arrival a = Upload(m, g, time.NowMs());
      history.push_back({a, time.NowMs()});
      int copies = chance(0.3) ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        queue.insert(queue.begin() + std::uniform_int_distribution<size_t>(0, queue.size())(rng),
                     {a, false, 0});
      }
    }
    if (g > 2 && chance(options.p_late_copy)) {
      // A copy of an older upload still inside the retention (measured from
      // its upload, which is before its trip): often from the last tenth.
      TimeMs now = time.NowMs();
      std::vector<size_t> inside;
      for (size_t i = 0; i + 2 < history.size(); ++i) {
        if (now - history[i].second < retention) inside.push_back(i);
      }
      if (!inside.empty()) {
        size_t pick = inside[std::uniform_int_distribution<size_t>(
            0, std::min<size_t>(inside.size() - 1, 5))(rng)];
        if (chance(0.5))
          pick = inside[std::uniform_int_distribution<size_t>(0, inside.size() - 1)(rng)];
        ++report.late_copies;
        if (now - history[pick].second > retention * 9 / 10) ++report.late_copies_near_edge;
        queue.push_back({history[pick].first, true, 0});
      }
    }
    if (chance(0.02)) actions.fail_next = true;
    deliver_all();
    time.Advance(kMinute);
    if (g % 10 == 0) sweep(g % 60 == 0);
  }

  // The scheduled sweeper, after every lease has run out. No fault, and no
  // action failure pending either: a trip these sweeps claim (all at one
  // instant) and whose action failed would wait for a re-drive after its
  // backoff, which they never reach.
  faults_on = false;
  actions.fail_next = false;
  time.Advance(10 * kMinute);
  for (int round = 0; round < 3; ++round) {
    for (int w = 0; w < kWorkers; ++w) restart(w);
    sweep(false);
  }

  // What the actions received.
  std::map<std::string, std::string> generation_of;  // id -> the idempotency key that consumed it
  for (const auto& [key, runs] : actions.runs) {
    ++report.trips;
    for (const auto& run : runs) {
      if (run != runs.front())
        report.violations.push_back(key + ": its actions ran with different manifests");
    }
    for (const auto& id : runs.front()) {
      auto [it, inserted] = generation_of.emplace(id, key);
      if (!inserted && it->second != key) {
        report.violations.push_back("arrival " + id + " consumed by both " + it->second + " and " +
                                    key);
      }
    }
  }
  std::map<std::string, int> unconsumed_per_member;
  for (const auto& [arrival, when] : history) {
    if (!generation_of.count(ArrivalId(arrival))) ++unconsumed_per_member[arrival.key];
  }
  if (dropped == 0 && unconsumed_per_member.size() > 1) {
    report.violations.push_back(
        "a complete set was never tripped: " + std::to_string(unconsumed_per_member["c/m0/f"]) +
        " m0 and " + std::to_string(unconsumed_per_member["c/m1/f"]) +
        " m1 uploads left unconsumed");
  }
  // Bounded state: tombstones of about the retention's window (plus the
  // tolerated skew and the compaction interval), never the whole history.
  auto all = ListAll(memory, "");
  if (all.ok()) {
    report.state_objects_at_end = all->size();
    for (const auto& o : *all) {
      if (o.key.find("/_consumed/") != std::string::npos) ++report.tombstones_at_end;
    }
  }
  const TimeMs window =
      retention + EngineOptions{}.max_clock_skew_ms + options.max_skew_ms + 70 * kMinute;
  const size_t bound = static_cast<size_t>(2 * (window / kMinute) + 10);
  if (report.tombstones_at_end > std::min(bound, static_cast<size_t>(2 * options.generations))) {
    report.violations.push_back(std::to_string(report.tombstones_at_end) +
                                " tombstones at the end, more than the " + std::to_string(bound) +
                                " of the retention's window");
  }
  return report;
}

}  // namespace eb::sim
