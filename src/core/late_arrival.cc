#include "core/late_arrival.h"

namespace eb {

namespace {

std::string Why(const LateArrival& late) {
  std::string g = std::to_string(late.record.generation);
  switch (late.tripped_as) {
    case TripStatus::kTimeout:
      return "the once-mode instance timed out (generation " + g + ") without it";
    case TripStatus::kForced:
      return "the once-mode instance was forced (generation " + g + ") without it";
    default:
      return "the once-mode instance tripped (generation " + g + ") without it";
  }
}

}  // namespace

Status HandleLateArrival(const EngineContext& ctx, const BarrierSpec& spec, const LateArrival& late,
                         bool duplicate) {
  const TripRecord& r = late.record;
  const ConsumedArrival& arrival = r.arrivals.front();
  if (!duplicate) {
    ctx.log.Warn("late arrival: the instance tripped for good and never consumes it",
                 {{"barrier", r.barrier},
                  {"instance", r.instance},
                  {"key", arrival.arrival.key},
                  {"generation", std::to_string(r.generation)},
                  {"why", Why(late)}});
  }
  if (spec.on_late.empty()) return Status::Ok();
  const StateKey ran = StateKey::LateRun(r.barrier, r.instance, arrival.id);
  if (duplicate) {
    // Only a redelivery can find them run: the first delivery wrote the marker.
    auto body = ctx.store.Get(ctx.layout.Encode(ran));
    if (body.ok()) return Status::Ok();
    if (!body.status().IsNotFound())
      return body.status().WithContext("reading " + ctx.layout.Encode(ran));
  }
  DoneRecord done;
  done.by = ctx.options.worker_id;
  for (const ActionSpec& action : spec.on_late) {
    ActionReport report;
    Status s = ctx.actions.RunReporting(action, r, &report);
    if (!s.ok()) {
      ctx.log.Error(
          "action failed (on_late); the arrival fails and its redelivery runs on_late again",
          {{"barrier", r.barrier},
           {"instance", r.instance},
           {"key", arrival.arrival.key},
           {"action", action.type},
           {"error", s.ToString()}});
      return s.WithContext("on_late action " + action.type + " for " + r.IdempotencyKey());
    }
    done.actions.push_back({action.type, std::move(report.fields)});
  }
  done.at = ctx.clock.NowMs();
  Status s = ctx.Put(ran, SerializeDone(done), /*if_absent=*/true);
  return s.IsAlreadyExists() ? Status::Ok() : s;
}

}  // namespace eb
