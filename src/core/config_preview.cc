#include "core/config_preview.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "core/barrier_shape.h"
#include "core/keys.h"
#include "core/marker_details.h"
#include "core/trip_log.h"

namespace eb {

const char* PreviewOutcomeName(PreviewOutcome outcome) {
  switch (outcome) {
    case PreviewOutcome::kOrphaned:
      return "orphaned";
    case PreviewOutcome::kUnfit:
      return "unfit";
    case PreviewOutcome::kFinished:
      return "finished";
    case PreviewOutcome::kTrips:
      return "trips";
    case PreviewOutcome::kTimesOut:
      return "times-out";
    case PreviewOutcome::kWaits:
      return "waits";
    case PreviewOutcome::kIdle:
      return "idle";
  }
  return "idle";
}

namespace {

std::string Plural(size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// One instance's state as the index, a/ and t/ show it.
class InstanceState {
 public:
  InstanceState(ObjectStore& store, const KeyLayout& layout, std::string barrier,
                std::string instance)
      : store_(store),
        layout_(layout),
        barrier_(std::move(barrier)),
        instance_(std::move(instance)) {}

  Status Read() {
    EB_ASSIGN_OR_RETURN(auto trips, ListAll(store_, layout_.TripPrefix(barrier_, instance_)));
    for (const auto& [gen, g] : ScanTripKeys(layout_, trips)) {
      if (!g.record) continue;
      last_ = std::max(last_, gen);
      generations_++;
      if (!g.done) unfinished_.push_back(gen);
    }
    EB_ASSIGN_OR_RETURN(markers_, ListAll(store_, layout_.ArrivalPrefix(barrier_, instance_)));
    return Status::Ok();
  }

  Result<TripRecord> Record(int64_t generation) const {
    std::string key = layout_.Encode(StateKey::Trip(barrier_, instance_, generation));
    EB_ASSIGN_OR_RETURN(auto body, store_.Get(key));
    auto record = ParseTrip(body);
    if (!record.ok()) return record.status().WithContext(key);
    return record;
  }

  // Markers neither an unfinished trip nor the latest one lists (a once
  // instance keeps its consumed markers), one per arrival id.
  Result<std::vector<std::pair<ObjectInfo, StateKey>>> Open() const {
    std::unordered_set<std::string> in_flight;
    std::vector<int64_t> listing = unfinished_;
    if (last_ > 0) listing.push_back(last_);
    for (int64_t gen : listing) {
      EB_ASSIGN_OR_RETURN(auto record, Record(gen));
      for (const auto& c : record.arrivals) in_flight.insert(c.id);
    }
    std::vector<std::pair<ObjectInfo, StateKey>> out;
    std::set<std::string> ids;
    for (const auto& obj : markers_) {
      auto k = layout_.Decode(obj.key);
      if (!k || k->kind != StateKeyKind::kArrival || in_flight.count(k->id) ||
          !ids.insert(k->id).second)
        continue;
      out.emplace_back(obj, std::move(*k));
    }
    return out;
  }

  int64_t last() const { return last_; }
  int64_t generations() const { return generations_; }
  const std::vector<int64_t>& unfinished() const { return unfinished_; }
  size_t markers() const { return markers_.size(); }

 private:
  ObjectStore& store_;
  const KeyLayout& layout_;
  std::string barrier_;
  std::string instance_;
  int64_t last_ = 0;
  int64_t generations_ = 0;
  std::vector<int64_t> unfinished_;
  std::vector<ObjectInfo> markers_;
};

std::string Leftovers(const InstanceState& state) {
  std::string out = Plural(state.markers(), "arrival marker") + " will never trip";
  if (!state.unfinished().empty()) {
    out += ", " + Plural(state.unfinished().size(), "unfinished trip") + " will never be re-driven";
  }
  return out;
}

// The members the last trip names (every member for a complete one) against
// the new ones: what was added or removed since.
Status CompareMembers(const InstanceState& state, const BarrierSpec& spec, const Bindings& vars,
                      InstancePreview* p) {
  if (state.last() == 0 || spec.is_count()) return Status::Ok();
  EB_ASSIGN_OR_RETURN(auto last, state.Record(state.last()));
  if (last.status != TripStatus::kComplete) return Status::Ok();
  std::set<std::string> before;
  for (const auto& c : last.arrivals) before.insert(c.member);
  std::set<std::string> now;
  for (const auto& m : spec.members) now.insert(m.text());
  std::vector<std::string> added, removed;
  for (const auto& m : spec.members) {
    if (!before.count(m.text())) added.push_back(m.Render(vars));
  }
  for (const auto& m : before) {
    if (!now.count(m) && !m.empty()) {
      auto pattern = Pattern::Parse(m);
      removed.push_back(pattern.ok() ? pattern->Render(vars) : m);
    }
  }
  std::string since = " since generation " + std::to_string(state.last()) + ": ";
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (!added.empty()) {
    p->notes.push_back(Plural(added.size(), "member") + " added" + since + join(added) +
                       ": the open generation needs them too");
  }
  if (!removed.empty()) {
    p->notes.push_back(Plural(removed.size(), "member") + " removed" + since + join(removed) +
                       ": no longer needed");
  }
  p->affected = p->affected || !added.empty() || !removed.empty();
  return Status::Ok();
}

Result<InstancePreview> PreviewInstance(ObjectStore& store, const KeyLayout& layout,
                                        const Config& next, const std::string& barrier,
                                        const std::string& instance, TimeMs now, int shard_size) {
  InstancePreview p;
  p.barrier = barrier;
  p.instance = instance;
  InstanceState state(store, layout, barrier, instance);
  EB_RETURN_IF_ERROR(state.Read());
  p.generation = state.last() + 1;
  const std::string folder = layout.InstancePrefix(barrier, instance);
  const BarrierSpec* spec = next.Find(barrier);
  if (spec == nullptr) {
    p.outcome = PreviewOutcome::kOrphaned;
    p.arrivals = state.markers();
    p.affected = true;
    p.notes.push_back(
        "barrier " + barrier + " is not in the configuration: " + Leftovers(state) +
        "; the sweeper logs it and `status` warns, nothing is deleted. Keep the barrier "
        "until the instance settles, or delete " +
        folder + " and its index entry");
    return p;
  }
  auto vars = ParseInstanceName(instance, spec->variables);
  if (!vars) {
    p.outcome = PreviewOutcome::kUnfit;
    p.arrivals = state.markers();
    p.affected = true;
    p.notes.push_back("the instance name does not fit the barrier's variables any more: " +
                      Leftovers(state) + "; left alone and reported as an orphan is");
    return p;
  }
  if (spec->mode == BarrierMode::kOnce && state.last() >= 1) {
    p.outcome = PreviewOutcome::kFinished;
    p.generation = state.last();
    if (state.generations() > 1) {
      p.affected = true;
      p.notes.push_back(
          "mode once: tripped " + Plural(static_cast<size_t>(state.generations()), "generation") +
          " as a cyclic barrier and never trips again; arrivals after its last trip stay");
    }
    if (!state.unfinished().empty()) {
      p.affected = true;
      p.notes.push_back(Plural(state.unfinished().size(), "unfinished trip") +
                        " re-driven with the new configuration's actions");
    }
    return p;
  }
  EB_RETURN_IF_ERROR(CompareMembers(state, *spec, *vars, &p));
  BarrierShape shape(*spec, shard_size);
  EB_ASSIGN_OR_RETURN(auto open, state.Open());
  std::vector<std::string> tags;
  std::vector<std::string>
      strangers;  // object keys (or marker keys) of arrivals that match no member now
  size_t moved = 0;
  TimeMs first = 0;
  for (const auto& [obj, k] : open) {
    tags.push_back(k.tag);
    if (first == 0 || obj.last_modified < first) first = obj.last_modified;
    if (k.shard != shape.plan().ShardOf(k.tag)) ++moved;
    Arrival arrival;
    bool known_key = !k.details.empty() && DecodeMarkerDetails(k.details, &arrival);
    bool member = spec->is_count() ? !known_key || spec->prefix->Match(arrival.key).has_value()
                                   : !shape.MemberOf(k.tag).empty();
    if (!member) strangers.push_back(known_key ? arrival.key : obj.key);
  }
  p.arrivals = open.size();
  if (!strangers.empty()) {
    p.affected = true;
    std::string keys;
    for (size_t i = 0; i < strangers.size() && i < 3; ++i) keys += (i ? ", " : "") + strangers[i];
    if (strangers.size() > 3) keys += ", ...";
    p.notes.push_back(
        Plural(strangers.size(), "arrival") + " of members no longer in the barrier (" + keys +
        "): they complete nothing; the next trip consumes them with the rest (member \"\" in "
        "its manifest)");
  }
  if (moved > 0) {
    p.affected = true;
    p.notes.push_back(
        Plural(moved, "marker") +
        " lie in another shard than the new member list puts them in: a wide barrier's members "
        "change only between generations (let this one trip first)");
  }
  if (!state.unfinished().empty()) {
    p.affected = true;
    std::string gens;
    for (int64_t g : state.unfinished()) gens += (gens.empty() ? "" : ", ") + std::to_string(g);
    p.notes.push_back(
        Plural(state.unfinished().size(), "unfinished trip") + " (generation " + gens +
        ") keep their records (arrivals, status) and run the new configuration's actions when "
        "re-driven");
  }
  if (open.empty()) {
    p.outcome = PreviewOutcome::kIdle;
    return p;
  }
  if (shape.Covers(tags)) {
    p.outcome = PreviewOutcome::kTrips;
    p.affected = true;
    p.notes.push_back("complete under the new configuration: generation " +
                      std::to_string(p.generation) + " trips at the next arrival or sweep");
    return p;
  }
  p.missing = shape.Missing(tags, *vars);
  if (spec->timeout_ms && now - first >= *spec->timeout_ms) {
    p.outcome = PreviewOutcome::kTimesOut;
    p.affected = true;
    p.notes.push_back("its first arrival is " + FormatDuration((now - first) / 1000 * 1000) +
                      " old, past the timeout of " + FormatDuration(*spec->timeout_ms) +
                      ": generation " + std::to_string(p.generation) +
                      " times out at the next sweep");
    return p;
  }
  p.outcome = PreviewOutcome::kWaits;
  if (spec->timeout_ms) {
    p.notes.push_back("times out at " + FormatIso8601(first + *spec->timeout_ms) + " (timeout " +
                      FormatDuration(*spec->timeout_ms) + " from its first arrival)");
  }
  return p;
}

}  // namespace

Result<ConfigPreview> PreviewConfiguration(ObjectStore& store, const Config& next, TimeMs now,
                                           int shard_size) {
  KeyLayout layout(next.state.prefix);
  ConfigPreview out;
  out.state_prefix = layout.state_prefix();
  EB_ASSIGN_OR_RETURN(auto entries, ListAll(store, layout.OpenPrefix()));
  std::vector<std::pair<std::string, std::string>> open;
  for (const auto& entry : entries) {
    auto k = layout.Decode(entry.key);
    if (k && k->kind == StateKeyKind::kOpen) open.emplace_back(k->barrier, k->instance);
  }
  // The one instance of a cyclic barrier without variables is indexed by the
  // sweeper, not by its arrivals (SweeperKeepsIndexed): until the first sweep,
  // its markers say it is open. (`next` may have made it once-mode.)
  for (const auto& spec : next.barriers) {
    const std::pair<std::string, std::string> fixed{spec.name, InstanceName({})};
    if (!spec.variables.empty() || std::find(open.begin(), open.end(), fixed) != open.end())
      continue;
    ListOptions first;
    first.prefix = layout.ArrivalPrefix(spec.name, fixed.second);
    first.max_keys = 1;
    EB_ASSIGN_OR_RETURN(auto page, store.List(first));
    if (!page.objects.empty()) open.push_back(fixed);
  }
  for (const auto& [barrier, instance] : open) {
    ++out.open;
    auto p = PreviewInstance(store, layout, next, barrier, instance, now, shard_size);
    if (!p.ok()) return p.status().WithContext(barrier + "/" + instance);
    out.instances.push_back(std::move(*p));
  }
  return out;
}

}  // namespace eb
