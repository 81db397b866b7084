#include "core/status_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "core/keys.h"
#include "core/trip_log.h"

namespace eb {

namespace {

class InstanceReader {
 public:
  InstanceReader(ObjectStore& store, const KeyLayout& layout, const BarrierSpec& spec,
                 std::string instance, Bindings vars, TimeMs lease_ms)
      : store_(store), layout_(layout), spec_(spec), lease_ms_(lease_ms) {
    out_.barrier = spec.name;
    out_.instance = std::move(instance);
    out_.vars = std::move(vars);
    out_.mode = spec.mode;
    out_.needed = spec.needed();
  }

  Result<InstanceStatus> Read() {
    EB_ASSIGN_OR_RETURN(auto trips, ListAll(store_, layout_.TripPrefix(spec_.name, out_.instance)));
    auto gens = ScanTripKeys(layout_, trips);
    int64_t last = 0;
    for (const auto& [gen, g] : gens) {
      if (!g.record) continue;
      last = std::max(last, gen);
      if (!g.done) {
        out_.pending.push_back({gen, g.attempts, g.last_activity, g.failures, std::nullopt,
                                RedriveDueAt(lease_ms_, g.attempts, g.last_activity)});
        if (g.last_failed >= 0) EB_RETURN_IF_ERROR(ReadFailure(gen, g.last_failed));
        EB_RETURN_IF_ERROR(ReadInFlight(gen));
      }
    }
    std::optional<TripRecord> latest;
    if (last > 0) {
      EB_RETURN_IF_ERROR(ReadLatest(last, gens[last].done, &latest));
    }
    out_.generation = last + 1;
    if (spec_.mode == BarrierMode::kOnce && latest) {
      // A once instance trips at most once: show that trip, not leftovers.
      out_.finished = true;
      out_.generation = last;
      out_.missing = latest->missing;
      out_.have = latest->status == TripStatus::kComplete ? out_.needed
                  : spec_.is_count()                       ? latest->arrivals.size()
                                                           : out_.needed - std::min(out_.needed, latest->missing.size());
      std::set<std::string> arrived;
      for (const auto& c : latest->arrivals) {
        if (!spec_.is_count()) arrived.insert(RenderMember(c.member));
      }
      out_.arrived.assign(arrived.begin(), arrived.end());
      // Whatever arrived since is late: listed by no trip, never to be consumed.
      EB_RETURN_IF_ERROR(ReadMarkers(/*late_only=*/true));
      return out_;
    }
    EB_RETURN_IF_ERROR(ReadMarkers());
    return out_;
  }

 private:
  std::string RenderMember(const std::string& text) const {
    auto p = Pattern::Parse(text);
    return p.ok() ? p->Render(out_.vars) : text;
  }

  Result<TripRecord> ReadRecord(int64_t generation) {
    std::string key = layout_.Encode(StateKey::Trip(spec_.name, out_.instance, generation));
    auto body = store_.Get(key);
    if (!body.ok()) return body.status().WithContext("reading " + key);
    auto record = ParseTrip(*body);
    if (!record.ok()) return record.status().WithContext(key);
    return record;
  }

  // Why the newest failed attempt of an unfinished trip failed.
  Status ReadFailure(int64_t generation, int attempt) {
    std::string key =
        layout_.Encode(StateKey::TripFailed(spec_.name, out_.instance, generation, attempt));
    auto body = store_.Get(key);
    if (body.ok()) {
      out_.pending.back().last_failure = ParseFailure(*body);
    } else if (!body.status().IsNotFound()) {  // finished and compacted meanwhile: fine
      return body.status().WithContext("reading " + key);
    }
    return Status::Ok();
  }

  // An unfinished trip's arrivals are still in a/ but belong to it.
  Status ReadInFlight(int64_t generation) {
    EB_ASSIGN_OR_RETURN(auto record, ReadRecord(generation));
    for (const auto& c : record.arrivals) consumed_.insert(c.id);
    return Status::Ok();
  }

  Status ReadLatest(int64_t generation, bool done, std::optional<TripRecord>* latest) {
    EB_ASSIGN_OR_RETURN(auto record, ReadRecord(generation));
    for (const auto& c : record.arrivals) consumed_.insert(c.id);
    LastTripStatus trip;
    trip.generation = generation;
    trip.status = record.status;
    trip.claimed_at = record.claimed_at;
    trip.objects = record.arrivals.size();
    trip.missing = record.missing;
    trip.done = done;
    if (done) {
      std::string done_key = layout_.Encode(StateKey::TripDone(spec_.name, out_.instance, generation));
      auto done_body = store_.Get(done_key);
      if (done_body.ok()) {
        trip.done_record = ParseDone(*done_body);
      } else if (!done_body.status().IsNotFound()) {  // compacted meanwhile: fine
        return done_body.status().WithContext("reading " + done_key);
      }
    }
    out_.last_trip = std::move(trip);
    *latest = std::move(record);
    return Status::Ok();
  }

  // Unconsumed markers: what the open generation has so far (with
  // `late_only`, of a once instance that tripped: only how many there are).
  Status ReadMarkers(bool late_only = false) {
    std::string prefix = layout_.ArrivalPrefix(spec_.name, out_.instance);
    EB_ASSIGN_OR_RETURN(auto markers, ListAll(store_, prefix));
    std::set<std::string> tags;
    std::map<std::string, size_t> per_tag;  // unconsumed arrivals of each member
    for (const auto& obj : markers) {
      if (obj.key.compare(0, prefix.size(), prefix) != 0) continue;
      StateKey marker;
      if (!ParseArrivalName(std::string_view(obj.key).substr(prefix.size()), &marker)) continue;
      // Listed by an unfinished or the latest trip. (A stale duplicate of an
      // older one is counted until the next claim's tombstones drop it.)
      if (consumed_.count(marker.id)) continue;
      if (late_only) {
        ++out_.late_arrivals;
        continue;
      }
      ++per_tag[marker.tag];
      tags.insert(marker.tag);
      ++out_.arrivals;
      if (out_.first_arrival_at == 0 || obj.last_modified < out_.first_arrival_at) {
        out_.first_arrival_at = obj.last_modified;
      }
    }
    if (late_only) return Status::Ok();
    if (spec_.is_count()) {
      out_.have = std::min(tags.size(), out_.needed);
      if (tags.size() < out_.needed) {
        out_.missing.push_back(std::to_string(out_.needed - tags.size()) + " more key(s) under " +
                               spec_.prefix->Render(out_.vars));
      }
    } else {
      for (size_t i = 0; i < spec_.members.size(); ++i) {
        std::string rendered = spec_.members[i].Render(out_.vars);
        if (tags.count(spec_.member_tags[i])) {
          out_.arrived.push_back(rendered);
          ++out_.have;
          // Stragglers: members the last (timeout) trip went without.
          const auto& last = out_.last_trip;
          if (last && last->status == TripStatus::kTimeout &&
              std::find(last->missing.begin(), last->missing.end(), rendered) != last->missing.end()) {
            out_.late_arrivals += per_tag[spec_.member_tags[i]];
          }
        } else {
          out_.missing.push_back(rendered);
        }
      }
    }
    if (spec_.timeout_ms && out_.first_arrival_at != 0) out_.deadline = out_.first_arrival_at + *spec_.timeout_ms;
    return Status::Ok();
  }

  ObjectStore& store_;
  const KeyLayout& layout_;
  const BarrierSpec& spec_;
  const TimeMs lease_ms_;
  InstanceStatus out_;
  std::unordered_set<std::string> consumed_;
};

}  // namespace

Result<StatusReport> BuildStatusReport(ObjectStore& store, const Config& config, StatusOptions options) {
  KeyLayout layout(config.state.prefix);
  StatusReport report;
  std::map<std::pair<std::string, std::string>, const BarrierSpec*> wanted;
  for (const auto& spec : config.barriers) {
    if (spec.variables.empty()) wanted[{spec.name, "_"}] = &spec;
  }
  EB_ASSIGN_OR_RETURN(auto open, ListAll(store, layout.OpenPrefix()));
  for (const auto& entry : open) {
    auto k = layout.Decode(entry.key);
    if (!k || k->kind != StateKeyKind::kOpen) continue;
    const BarrierSpec* spec = config.Find(k->barrier);
    if (spec == nullptr) {
      report.warnings.push_back("open instance " + k->barrier + "/" + k->instance + ": barrier not configured");
      continue;
    }
    wanted[{k->barrier, k->instance}] = spec;
  }
  if (options.all_instances) {
    for (const auto& spec : config.barriers) {
      auto keys = ListAll(store, layout.state_prefix() + spec.name + "/");
      if (!keys.ok()) return keys.status();
      for (const auto& obj : *keys) {
        auto k = layout.Decode(obj.key);
        if (k && k->kind != StateKeyKind::kOpen && k->barrier == spec.name) wanted[{spec.name, k->instance}] = &spec;
      }
    }
  }
  for (const auto& [name, spec] : wanted) {
    auto vars = ParseInstanceName(name.second, spec->variables);
    if (!vars) {
      report.warnings.push_back("open instance " + name.first + "/" + name.second +
                                ": does not fit the barrier's variables");
      continue;
    }
    InstanceReader reader(store, layout, *spec, name.second, *vars, config.state.lease_ms);
    auto status = reader.Read();
    if (!status.ok()) return status.status().WithContext(name.first + "/" + name.second);
    report.instances.push_back(std::move(*status));
  }
  return report;
}

}  // namespace eb
