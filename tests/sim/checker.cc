// The simulation's checker: the promises of DESIGN section 4, verified on the
// final state of the store and the record of actions that succeeded.
#include <map>
#include <set>

#include "base/log.h"
#include "core/engine.h"
#include "sim/simulation.h"

namespace eb::sim {

namespace {

struct InstanceState {
  std::map<int64_t, TripRecord> trips;
  std::set<int64_t> done;
  std::set<int64_t> void_trips;                     // done, consumed nothing
  std::set<int64_t> verdict_void;                   // its t/<gen>.stale says void
  std::map<int64_t, std::set<std::string>> stale;  // t/<gen>.stale: listed, not consumed
  std::map<std::string, std::string> markers;  // id -> tag (a/)
};

// Events as the barrier sees them: per instance, id -> tag, and which were acknowledged.
struct Expected {
  std::map<std::string, std::string> tags;
  std::set<std::string> acked;
};

bool CoversTags(const BarrierSpec& spec, const std::set<std::string>& tags) {
  if (spec.is_count()) return tags.size() >= static_cast<size_t>(spec.count);
  for (const auto& m : spec.members) {
    if (!tags.count(MemberTag(m.text()))) return false;
  }
  return true;
}

}  // namespace

struct EventView {
  const Arrival* arrival;
  bool acked;
};

void CheckWith(const Config& config, ObjectStore& store, const std::vector<EventView>& events,
               const std::map<std::string, std::vector<TripRecord>>& succeeded, SimReport* report) {
  auto fail = [&](const std::string& what) { report->violations.push_back(what); };
  KeyLayout layout(config.state.prefix);
  std::map<std::pair<std::string, std::string>, InstanceState> state;
  auto all = ListAll(store, config.state.prefix);
  if (!all.ok()) {
    fail("cannot list the final state: " + all.status().ToString());
    return;
  }
  for (const auto& obj : *all) {
    auto k = layout.Decode(obj.key);
    if (!k || k->kind == StateKeyKind::kFormat) continue;
    InstanceState& s = state[{k->barrier, k->instance}];
    if (k->kind == StateKeyKind::kTrip) {
      auto body = store.Get(obj.key);
      auto rec = body.ok() ? ParseTrip(*body) : Result<TripRecord>(body.status());
      if (!rec.ok()) {
        fail("unreadable trip record " + obj.key);
        continue;
      }
      s.trips[k->generation] = *rec;
    } else if (k->kind == StateKeyKind::kTripDone) {
      s.done.insert(k->generation);
      auto body = store.Get(obj.key);
      if (body.ok() && ParseDone(*body).void_trip) s.void_trips.insert(k->generation);
    } else if (k->kind == StateKeyKind::kTripStale) {
      auto body = store.Get(obj.key);
      auto verdict = body.ok() ? ParseStale(*body) : Result<StaleVerdict>(body.status());
      if (!verdict.ok()) {
        fail("unreadable stale list " + obj.key);
        continue;
      }
      s.stale[k->generation].insert(verdict->ids.begin(), verdict->ids.end());
      if (verdict->void_trip) s.verdict_void.insert(k->generation);
    } else if (k->kind == StateKeyKind::kArrival) {
      s.markers[k->id] = k->tag;
    }
  }

  // What each instance should have seen.
  FakeClock clock;
  NoActions none;
  Engine matcher(config, store, none, clock, Logger::Null());
  std::map<std::pair<std::string, std::string>, Expected> expected;
  for (const auto& ev : events) {
    std::string id = ArrivalId(*ev.arrival);
    for (const auto& m : matcher.Match(*ev.arrival)) {
      Expected& e = expected[{m.barrier->name, m.instance}];
      e.tags[id] = m.tag;
      if (ev.acked) e.acked.insert(id);
    }
  }

  for (const auto& [bi, s] : state) {
    const auto& [barrier, instance] = bi;
    std::string where = barrier + "/" + instance;
    const BarrierSpec* spec = config.Find(barrier);
    if (spec == nullptr) {
      fail(where + ": state for an unknown barrier");
      continue;
    }
    const Expected& exp = expected[bi];
    // Promise 1: generations 1..K, each claimed once; once-mode at most one.
    int64_t g = 0;
    for (const auto& [gen, rec] : s.trips) {
      if (gen != ++g) fail(where + ": trip generations have a gap before " + std::to_string(gen));
    }
    if (spec->mode == BarrierMode::kOnce && s.trips.size() - s.void_trips.size() > 1) fail(where + ": once-mode instance tripped " + std::to_string(s.trips.size()) + " times");
    std::map<std::string, int64_t> consumed_by;
    for (const auto& [gen, rec] : s.trips) {
      std::string key = rec.IdempotencyKey();
      std::set<std::string> tags;
      static const std::set<std::string> kNone;
      auto listed_stale = s.stale.find(gen);
      const std::set<std::string>& stale = listed_stale == s.stale.end() ? kNone : listed_stale->second;
      // A stale id must really have been consumed by an earlier generation.
      for (const auto& id : stale) {
        auto earlier = consumed_by.find(id);
        if (earlier == consumed_by.end() || earlier->second >= gen) fail(key + ": called " + id + " stale, but no earlier generation consumed it");
      }
      bool is_void = s.void_trips.count(gen) > 0;
      if (is_void != (s.verdict_void.count(gen) > 0)) fail(key + ": .done and the verdict disagree on void");
      if (is_void) {
        if (stale.empty()) fail(key + ": void without a stale arrival");
        auto runs = succeeded.find(key);
        if (runs != succeeded.end()) fail(key + ": actions ran for a void generation");
        if (!s.done.count(gen)) fail(key + ": trip never finished (no .done)");
        continue;
      }
      for (const auto& c : rec.arrivals) {
        if (stale.count(c.id)) continue;  // listed, but consumed by an earlier generation
        tags.insert(c.tag);
        auto it = exp.tags.find(c.id);
        if (it == exp.tags.end()) fail(key + ": consumed an arrival that never happened: " + c.id);
        else if (it->second != c.tag) fail(key + ": arrival " + c.id + " counted for the wrong member");
        // Promise 2: no arrival consumed twice.
        auto [prev, inserted] = consumed_by.emplace(c.id, gen);
        if (!inserted) fail(where + ": arrival " + c.arrival.key + " (" + c.id + ") consumed by generations " + std::to_string(prev->second) + " and " + std::to_string(gen));
      }
      if (rec.status == TripStatus::kComplete && !CoversTags(*spec, tags)) fail(key + ": tripped complete without every member");
      if (rec.status == TripStatus::kTimeout && !spec->timeout_ms) fail(key + ": timed out without a timeout");
      // Promise 3 and 4: every trip finished, its actions ran at least once with this record.
      if (!s.done.count(gen)) fail(key + ": trip never finished (no .done)");
      const auto& actions = rec.status == TripStatus::kComplete ? spec->on_complete : spec->on_timeout;
      auto runs = succeeded.find(key);
      if (!actions.empty() && runs == succeeded.end()) fail(key + ": actions never ran");
      if (runs != succeeded.end()) {
        for (const auto& seen : runs->second) {
          if (seen.claimed_by != rec.claimed_by) fail(key + ": an action ran with a record that lost the claim");
          for (const auto& c : seen.arrivals) {
            if (stale.count(c.id)) fail(key + ": an action's manifest named the stale duplicate " + c.id);
          }
        }
      }
    }
    for (const auto& [key, runs] : succeeded) {
      if (key.rfind(where + "/", 0) == 0 && !s.trips.count(std::stoll(key.substr(where.size() + 1)))) {
        fail(key + ": actions ran for a generation that was never claimed");
      }
    }
    // Promise 2: an acknowledged arrival is consumed or still pending, never lost.
    std::set<std::string> pending_tags;
    for (const auto& [id, tag] : s.markers) {
      // A consumed id back in a/ is a stale duplicate re-created after its
      // deletion: harmless, as long as no trip counts it again (checked above).
      if (consumed_by.count(id)) continue;
      if (!exp.tags.count(id)) fail(where + ": marker for an arrival that never happened: " + id);
      pending_tags.insert(tag);
    }
    for (const auto& id : exp.acked) {
      if (!consumed_by.count(id) && !s.markers.count(id)) fail(where + ": acknowledged arrival " + id + " lost");
    }
    // Promise 1 (never zero): nothing complete is left untripped after the sweep.
    bool can_trip = spec->mode == BarrierMode::kCyclic || s.trips.empty();
    if (can_trip && CoversTags(*spec, pending_tags)) fail(where + ": a complete generation was never tripped");
    if (can_trip && spec->timeout_ms && !pending_tags.empty()) fail(where + ": an overdue generation never timed out");
    report->trips += static_cast<int>(s.trips.size());
  }
  for (const auto& [key, runs] : succeeded) report->redrives += static_cast<int>(runs.size()) - 1;
}

}  // namespace eb::sim
