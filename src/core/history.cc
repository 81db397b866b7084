#include "core/history.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/barrier_shape.h"
#include "core/keys.h"
#include "core/trip_log.h"

namespace eb {

std::string GenerationHistory::Outcome() const {
  if (void_trip) return "void";
  if (!done) return "unfinished";
  return TripStatusName(status);
}

namespace {

// How many of `missing` (a timeout's or a forced trip's) turn up among `arrived`
// (rendered members; for a count latch, distinct keys).
size_t LateArrivals(const BarrierSpec& spec, const std::vector<std::string>& missing,
                    const std::set<std::string>& arrived) {
  if (missing.empty()) return 0;
  if (spec.is_count()) {  // "N more key(s) under P"
    size_t wanted = static_cast<size_t>(std::max(0L, std::atol(missing.front().c_str())));
    return std::min(wanted, arrived.size());
  }
  size_t n = 0;
  for (const auto& m : missing) n += arrived.count(m);
  return n;
}

std::string Render(const std::string& pattern, const Bindings& vars) {
  auto p = Pattern::Parse(pattern);
  return p.ok() ? p->Render(vars) : pattern;
}

}  // namespace

Result<std::vector<GenerationHistory>> ReadHistory(ObjectStore& store, const Config& config,
                                                   const std::string& barrier,
                                                   const std::string& instance, size_t last) {
  const BarrierSpec* spec = config.Find(barrier);
  if (spec == nullptr)
    return Status::NotFound("barrier '" + barrier + "' is not in the configuration");
  auto vars = ParseInstanceName(instance, spec->variables);
  if (!vars)
    return Status::InvalidArgument("instance '" + instance + "' does not fit barrier " + barrier +
                                   "'s variables");
  KeyLayout layout(config.state.prefix);
  auto listed = ListAll(store, layout.TripPrefix(barrier, instance));
  if (!listed.ok()) return listed.status();
  auto gens = ScanTripKeys(layout, *listed);
  std::vector<int64_t> shown;
  for (auto it = gens.rbegin(); it != gens.rend() && shown.size() < last; ++it) {
    if (it->second.record) shown.push_back(it->first);
  }
  // Every object of the generations shown, read at once.
  std::vector<std::string> keys;
  for (int64_t g : shown) {
    const GenerationKeys& k = gens[g];
    keys.push_back(layout.Encode(StateKey::Trip(barrier, instance, g)));
    keys.push_back(k.done ? layout.Encode(StateKey::TripDone(barrier, instance, g)) : "");
    keys.push_back(k.stale ? layout.Encode(StateKey::TripStale(barrier, instance, g)) : "");
    for (int r = 1; r <= k.reruns; ++r)
      keys.push_back(layout.Encode(StateKey::TripRerun(barrier, instance, g, r)));
  }
  std::vector<std::string> wanted;
  for (const auto& k : keys) {
    if (!k.empty()) wanted.push_back(k);
  }
  auto fetched = store.GetMany(wanted);
  std::map<std::string, Result<std::string>> bodies;
  for (size_t i = 0; i < wanted.size(); ++i) bodies.emplace(wanted[i], std::move(fetched[i]));
  auto body = [&](const std::string& key) -> const Result<std::string>* {
    auto it = bodies.find(key);
    return it == bodies.end() ? nullptr : &it->second;
  };

  std::vector<GenerationHistory> out;
  std::vector<std::set<std::string>>
      arrived_in;                    // per generation shown: rendered members (or keys)
  std::set<std::string> newest_ids;  // a once instance keeps its consumed markers
  for (int64_t g : shown) {
    const GenerationKeys& k = gens[g];
    GenerationHistory h;
    h.barrier = barrier;
    h.instance = instance;
    h.generation = g;
    h.attempts = k.attempts;
    const std::string record_key = layout.Encode(StateKey::Trip(barrier, instance, g));
    const Result<std::string>* rb = body(record_key);
    if (!rb->ok()) {
      if (rb->status().IsNotFound()) continue;  // compacted between the LIST and the GET
      return rb->status().WithContext("reading " + record_key);
    }
    auto record = ParseTrip(**rb);
    if (!record.ok()) return record.status().WithContext(record_key);
    std::set<std::string> stale;
    if (k.stale) {
      const Result<std::string>* sb =
          body(layout.Encode(StateKey::TripStale(barrier, instance, g)));
      if (sb->ok()) {
        auto verdict = ParseStale(**sb);
        if (verdict.ok()) {
          stale.insert(verdict->ids.begin(), verdict->ids.end());
          h.void_trip = verdict->void_trip;
        }
      }
    }
    if (k.done) {
      const Result<std::string>* db = body(layout.Encode(StateKey::TripDone(barrier, instance, g)));
      if (db->ok()) {
        DoneRecord done = ParseDone(**db);
        h.done = true;
        h.done_at = done.at;
        h.void_trip = h.void_trip || done.void_trip;
        h.actions = std::move(done.actions);
      } else if (!db->status().IsNotFound()) {
        return db->status();
      }
    }
    for (int r = 1; r <= k.reruns; ++r) {
      const Result<std::string>* rr =
          body(layout.Encode(StateKey::TripRerun(barrier, instance, g, r)));
      if (rr == nullptr || !rr->ok()) continue;  // a number skipped by a collision
      auto rerun = ParseRerun(**rr);
      if (rerun.ok()) h.reruns.push_back(std::move(*rerun));
    }
    h.status = record->status;
    h.first_arrival_at = record->first_arrival_at;
    h.claimed_at = record->claimed_at;
    h.missing = record->missing;
    h.forced_by = record->forced_by;
    h.reason = record->reason;
    h.stale = stale.size();
    std::set<std::string> arrived;
    for (const auto& c : record->arrivals) {
      if (out.empty()) newest_ids.insert(c.id);
      if (stale.count(c.id)) continue;
      ++h.objects;
      arrived.insert(spec->is_count() ? c.arrival.key : Render(c.member, *vars));
    }
    if (h.void_trip) h.objects = 0;
    arrived_in.push_back(std::move(arrived));
    out.push_back(std::move(h));
  }
  // Late arrivals: generation g's missing members found in generation g+1
  // (the entry before it: newest first), or for the newest in the open markers.
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].missing.empty()) continue;
    if (i > 0 && out[i - 1].generation == out[i].generation + 1) {
      out[i].late = LateArrivals(*spec, out[i].missing, arrived_in[i - 1]);
      continue;
    }
    if (i != 0 || !out[i].done) continue;  // unfinished: its own markers are still in a/
    auto markers = ListAll(store, layout.ArrivalPrefix(barrier, instance));
    if (!markers.ok()) return markers.status();
    BarrierShape shape(*spec, 1000);
    std::set<std::string> open;
    for (const auto& obj : *markers) {
      auto key = layout.Decode(obj.key);
      if (!key || key->kind != StateKeyKind::kArrival || newest_ids.count(key->id)) continue;
      open.insert(spec->is_count() ? key->tag : Render(shape.MemberOf(key->tag), *vars));
    }
    out[i].late = LateArrivals(*spec, out[i].missing, open);
  }
  return out;
}

Result<std::vector<std::string>> IndexedInstances(ObjectStore& store, const Config& config,
                                                  const std::string& barrier) {
  const BarrierSpec* spec = config.Find(barrier);
  if (spec == nullptr)
    return Status::NotFound("barrier '" + barrier + "' is not in the configuration");
  if (spec->variables.empty()) return std::vector<std::string>{"_"};
  KeyLayout layout(config.state.prefix);
  auto open = ListAll(store, layout.OpenPrefix() + barrier + "/");
  if (!open.ok()) return open.status();
  std::vector<std::string> out;
  for (const auto& entry : *open) {
    auto k = layout.Decode(entry.key);
    if (k && k->kind == StateKeyKind::kOpen && k->barrier == barrier) out.push_back(k->instance);
  }
  return out;
}

}  // namespace eb
