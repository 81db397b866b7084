#include "cli/operator_ops.h"

#include <unistd.h>

#include <cstdlib>

#include "core/engine.h"
#include "core/evaluator.h"
#include "core/keys.h"
#include "core/rerun.h"

namespace eb::cli {

namespace {

std::string Iso(TimeMs ms) { return ms == 0 ? "" : FormatIso8601(ms); }

ordered_json ActionsJson(const std::vector<DoneRecord::Action>& actions) {
  ordered_json out = ordered_json::array();
  for (const auto& a : actions) {
    ordered_json report = ordered_json::object();
    for (const auto& [k, v] : a.fields) report[k] = v;
    out.push_back({{"type", a.type}, {"report", std::move(report)}});
  }
  return out;
}

ordered_json RerunJson(const RerunRecord& r) {
  ordered_json actions = ordered_json::array();
  for (const auto& a : r.actions) {
    ordered_json report = ordered_json::object();
    for (const auto& [k, v] : a.report) report[k] = v;
    actions.push_back({{"index", a.index}, {"type", a.type}, {"report", std::move(report)}});
  }
  ordered_json j{
      {"rerun", r.number}, {"by", r.by}, {"reason", r.reason}, {"at", Iso(r.at)}, {"ok", r.ok}};
  if (!r.ok) j["error"] = r.error;
  if (r.only_action) j["only_action"] = *r.only_action;
  j["actions"] = std::move(actions);
  return j;
}

}  // namespace

std::string Dump(const ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DefaultOperator() {
  const char* user = std::getenv("USER");
  if (user == nullptr || *user == '\0') user = std::getenv("LOGNAME");
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  std::string who = user != nullptr && *user != '\0' ? user : "operator";
  return host[0] != '\0' ? who + "@" + host : who;
}

Result<std::string> ResolveInstance(ObjectStore& store, const Config& config,
                                    const std::string& barrier, const std::string& instance) {
  const BarrierSpec* spec = config.Find(barrier);
  if (spec == nullptr) {
    std::string names;
    for (const auto& b : config.barriers) names += (names.empty() ? "" : ", ") + b.name;
    return Status::NotFound("barrier '" + barrier +
                            "' is not in the configuration (it has: " + names + ")");
  }
  if (!instance.empty()) {
    if (!ParseInstanceName(instance, spec->variables)) {
      std::string vars;
      for (const auto& v : spec->variables) vars += (vars.empty() ? "{" : ",{") + v + "}";
      return Status::InvalidArgument(
          "instance '" + instance + "' does not fit barrier " + barrier + ": " +
          (spec->variables.empty()
               ? std::string("it has no variables (omit INSTANCE, or pass _)")
               : "it names " + vars + ", values joined by ',' in that order, as `status` shows"));
    }
    return instance;
  }
  if (spec->variables.empty()) return std::string("_");
  auto open = IndexedInstances(store, config, barrier);
  std::string listing;
  if (open.ok()) {
    for (size_t i = 0; i < open->size() && i < 5; ++i) listing += (i ? ", " : "") + (*open)[i];
    if (open->size() > 5) listing += ", ...";
  }
  return Status::InvalidArgument("INSTANCE: barrier " + barrier +
                                 " has variables, so name the instance as `status` shows it" +
                                 (listing.empty() ? std::string() : " (open: " + listing + ")"));
}

Result<ordered_json> ForceTrip(OperatorContext& ctx, const ForceArgs& args) {
  if (args.reason.empty())
    return Status::InvalidArgument(
        "--reason: say why the generation is forced (it goes into the trip record)");
  auto instance = ResolveInstance(ctx.store, ctx.config, args.barrier, args.instance);
  if (!instance.ok()) return instance.status();
  EngineOptions options;
  options.worker_id = ctx.worker_id;
  Engine engine(ctx.config, ctx.store, ctx.actions, ctx.clock, ctx.log, options);
  ForceRequest request;
  request.by = args.by.empty() ? DefaultOperator() : args.by;
  request.reason = args.reason;
  request.dry_run = args.dry_run;
  auto trips = engine.Force(args.barrier, *instance, &request);
  if (!trips.ok()) return trips.status();
  const std::string what = args.barrier + "/" + *instance;
  if (!request.claim) {
    return Status::FailedPrecondition(
        what + ": nothing to force: no arrival waits in its open generation" +
        std::string(ctx.config.Find(args.barrier)->mode == BarrierMode::kOnce
                        ? " (a once barrier that tripped never trips again)"
                        : ""));
  }
  const TripRecord& claim = *request.claim;
  if (request.lost) {
    return Status::FailedPrecondition(
        what + ": not forced: generation " + std::to_string(claim.generation) +
        " was claimed first by " + claim.claimed_by + " (status " + TripStatusName(claim.status) +
        "); see `eventbarrier history`");
  }
  ordered_json objects = ordered_json::array();
  for (const auto& c : claim.arrivals) objects.push_back(c.arrival.key);
  ordered_json out{{"barrier", args.barrier},
                   {"instance", *instance},
                   {"generation", claim.generation},
                   {"status", TripStatusName(claim.status)},
                   {"dry_run", args.dry_run},
                   {"forced", claim.status == TripStatus::kForced},
                   {"objects", std::move(objects)},
                   {"missing", claim.missing},
                   {"by", request.by},
                   {"reason", request.reason}};
  if (!args.dry_run) {
    bool finished = false;
    for (const auto& t : *trips) finished = finished || t.generation == claim.generation;
    out["finished"] = finished;
  }
  return out;
}

Result<ordered_json> RerunTrip(OperatorContext& ctx, const RerunArgs& args) {
  auto instance = ResolveInstance(ctx.store, ctx.config, args.barrier, args.instance);
  if (!instance.ok()) return instance.status();
  RerunRequest request{args.barrier,
                       *instance,
                       args.generation,
                       args.action,
                       args.by.empty() ? DefaultOperator() : args.by,
                       args.reason};
  auto rerun = Rerun(ctx.store, ctx.config, ctx.actions, ctx.clock, ctx.log, request);
  if (!rerun.ok()) return rerun.status();
  ordered_json out{{"barrier", args.barrier},
                   {"instance", *instance},
                   {"generation", args.generation},
                   {"idempotency_key", rerun->idempotency_key}};
  out.update(RerunJson(*rerun));
  if (!rerun->ok)
    return Status::Unavailable(rerun->error + " (rerun " + std::to_string(rerun->number) +
                               " recorded)");
  return out;
}

ordered_json HistoryJson(const GenerationHistory& h) {
  ordered_json reruns = ordered_json::array();
  for (const auto& r : h.reruns) reruns.push_back(RerunJson(r));
  ordered_json j{{"barrier", h.barrier},
                 {"instance", h.instance},
                 {"generation", h.generation},
                 {"outcome", h.Outcome()},
                 {"status", TripStatusName(h.status)},
                 {"first_arrival_at", Iso(h.first_arrival_at)},
                 {"tripped_at", Iso(h.claimed_at)},
                 {"tripped_at_ms", h.claimed_at},
                 {"latency_ms", h.LatencyMs()},
                 {"done_at", Iso(h.done_at)},
                 {"objects", h.objects},
                 {"stale", h.stale},
                 {"missing", h.missing},
                 {"late", h.late},
                 {"redrives", h.attempts},
                 {"actions", ActionsJson(h.actions)},
                 {"reruns", std::move(reruns)}};
  if (h.status == TripStatus::kForced) {
    j["forced_by"] = h.forced_by;
    j["reason"] = h.reason;
  }
  return j;
}

Result<ordered_json> History(ObjectStore& store, const Config& config, const HistoryArgs& args) {
  if (config.Find(args.barrier) == nullptr) {
    auto s = ResolveInstance(store, config, args.barrier, "");
    return s.status();
  }
  std::vector<std::string> instances;
  if (!args.instance.empty()) {
    auto instance = ResolveInstance(store, config, args.barrier, args.instance);
    if (!instance.ok()) return instance.status();
    instances.push_back(*instance);
  } else {
    auto indexed = IndexedInstances(store, config, args.barrier);
    if (!indexed.ok()) return indexed.status();
    instances = std::move(*indexed);
  }
  ordered_json generations = ordered_json::array();
  for (const auto& instance : instances) {
    auto history = ReadHistory(store, config, args.barrier, instance, args.last);
    if (!history.ok()) return history.status().WithContext(args.barrier + "/" + instance);
    for (const auto& h : *history) generations.push_back(HistoryJson(h));
  }
  return ordered_json{{"barrier", args.barrier}, {"generations", std::move(generations)}};
}

ordered_json InstanceJson(const InstanceStatus& s) {
  ordered_json j{{"barrier", s.barrier},
                 {"instance", s.instance},
                 {"vars", s.vars},
                 {"mode", ModeName(s.mode)},
                 {"generation", s.generation},
                 {"finished", s.finished},
                 {"progress", std::to_string(s.have) + "/" + std::to_string(s.needed)},
                 {"have", s.have},
                 {"needed", s.needed},
                 {"arrived", s.arrived},
                 {"missing", s.missing},
                 {"arrivals", s.arrivals},
                 {"first_arrival_at", Iso(s.first_arrival_at)},
                 {"deadline", s.deadline ? Iso(*s.deadline) : ""},
                 {"deadline_ms", s.deadline ? *s.deadline : 0}};
  if (s.last_trip) {
    const LastTripStatus& t = *s.last_trip;
    j["last_trip"] = {{"generation", t.generation},
                      {"status", TripStatusName(t.status)},
                      {"tripped_at", Iso(t.claimed_at)},
                      {"objects", t.objects},
                      {"missing", t.missing},
                      {"done", t.done},
                      {"done_by", t.done_record.by},
                      {"done_at", Iso(t.done_record.at)},
                      {"actions", ActionsJson(t.done_record.actions)}};
  } else {
    j["last_trip"] = nullptr;
  }
  ordered_json pending = ordered_json::array();
  for (const auto& p : s.pending) {
    ordered_json trip = {{"generation", p.generation},
                         {"attempts", p.attempts},
                         {"since", Iso(p.last_activity)},
                         {"failures", p.failures},
                         {"next_attempt", Iso(p.next_attempt_at)}};
    if (p.last_failure) {
      trip["last_error"] = p.last_failure->error;
      trip["last_failed"] = Iso(p.last_failure->at);
    }
    pending.push_back(std::move(trip));
  }
  j["pending_redrives"] = pending;
  j["late_arrivals"] = s.late_arrivals;
  return j;
}

Result<ordered_json> StatusJson(ObjectStore& store, const Config& config, const StatusArgs& args,
                                TimeMs now) {
  auto report = BuildStatusReport(store, config, {.all_instances = args.all});
  if (!report.ok()) return report.status();
  ordered_json out{{"generated_at", Iso(now)},
                   {"generated_at_ms", now},
                   {"instances", ordered_json::array()},
                   {"warnings", report->warnings}};
  for (const auto& s : report->instances) {
    ordered_json j = InstanceJson(s);
    if (args.trips > 0) {
      auto history = ReadHistory(store, config, s.barrier, s.instance, args.trips);
      if (!history.ok()) return history.status().WithContext(s.barrier + "/" + s.instance);
      ordered_json trips = ordered_json::array();
      size_t late = 0;
      for (const auto& h : *history) {
        trips.push_back({{"generation", h.generation},
                         {"outcome", h.Outcome()},
                         {"tripped_at", Iso(h.claimed_at)},
                         {"latency_ms", h.LatencyMs()},
                         {"objects", h.objects},
                         {"late", h.late}});
        late += h.late;
      }
      j["recent_trips"] = std::move(trips);
      j["late_arrivals"] = std::max(late, s.late_arrivals);
    }
    out["instances"].push_back(std::move(j));
  }
  return out;
}

}  // namespace eb::cli
