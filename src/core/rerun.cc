#include "core/rerun.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/keys.h"
#include "core/trip_log.h"

namespace eb {

namespace {
using ordered_json = nlohmann::ordered_json;
constexpr int kRerunNumberTries = 8;  // two operators rerunning one trip at once
}  // namespace

std::string SerializeRerun(const RerunRecord& r) {
  ordered_json actions = ordered_json::array();
  for (const auto& a : r.actions) {
    ordered_json report = ordered_json::object();
    for (const auto& [k, v] : a.report) report[k] = v;
    actions.push_back({{"index", a.index}, {"type", a.type}, {"report", std::move(report)}});
  }
  ordered_json j{{"format", kStateFormat}, {"rerun", r.number}, {"by", r.by},
                 {"reason", r.reason},     {"at", r.at},        {"ok", r.ok},
                 {"error", r.error}};
  if (r.only_action) j["only_action"] = *r.only_action;
  j["actions"] = std::move(actions);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<RerunRecord> ParseRerun(const std::string& text) {
  try {
    ordered_json j = ordered_json::parse(text);
    RerunRecord r;
    r.number = j.value("rerun", 0);
    r.by = j.value("by", "");
    r.reason = j.value("reason", "");
    r.at = j.value("at", TimeMs{0});
    r.ok = j.value("ok", false);
    r.error = j.value("error", "");
    if (j.contains("only_action")) r.only_action = j.at("only_action").get<size_t>();
    if (auto actions = j.find("actions"); actions != j.end() && actions->is_array()) {
      for (const auto& a : *actions) {
        RerunRecord::Action action;
        action.index = a.value("index", size_t{0});
        action.type = a.value("type", "");
        if (auto report = a.find("report"); report != a.end() && report->is_object()) {
          for (const auto& [k, v] : report->items()) {
            action.report.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
          }
        }
        r.actions.push_back(std::move(action));
      }
    }
    return r;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt rerun record: ") + e.what());
  }
}

Result<RerunPlan> PlanRerun(ObjectStore& store, const Config& config, const RerunRequest& req) {
  const BarrierSpec* spec = config.Find(req.barrier);
  if (spec == nullptr)
    return Status::NotFound("barrier '" + req.barrier + "' is not in the configuration");
  if (!ParseInstanceName(req.instance, spec->variables)) {
    return Status::InvalidArgument("instance '" + req.instance + "' does not fit barrier " +
                                   req.barrier + "'s variables");
  }
  if (req.generation < 1) return Status::InvalidArgument("generation must be 1 or more");
  KeyLayout layout(config.state.prefix);
  const std::string what =
      req.barrier + "/" + req.instance + " generation " + std::to_string(req.generation);
  auto body = store.Get(layout.Encode(StateKey::Trip(req.barrier, req.instance, req.generation)));
  if (!body.ok()) {
    if (body.status().IsNotFound())
      return Status::NotFound(what + " has no trip record (never claimed, or compacted)");
    return body.status();
  }
  auto record = ParseTrip(*body);
  if (!record.ok()) return record.status();
  if (record->format < kStateFormat) return NeedsMigration(what);
  auto done =
      store.Get(layout.Encode(StateKey::TripDone(req.barrier, req.instance, req.generation)));
  if (!done.ok()) {
    if (done.status().IsNotFound()) {
      return Status::FailedPrecondition(
          what +
          " is not finished: its actions have not succeeded yet and it is "
          "re-driven (see `eventbarrier status`); rerun only finished trips");
    }
    return done.status();
  }
  if (ParseDone(*done).void_trip) {
    return Status::FailedPrecondition(
        what + " is void (its arrivals were stale duplicates): no trip, no action to rerun");
  }
  std::set<std::string> stale;
  auto verdict =
      store.Get(layout.Encode(StateKey::TripStale(req.barrier, req.instance, req.generation)));
  if (verdict.ok()) {
    auto parsed = ParseStale(*verdict);
    if (!parsed.ok()) return parsed.status();
    stale.insert(parsed->ids.begin(), parsed->ids.end());
  } else if (!verdict.status().IsNotFound()) {
    return verdict.status();
  }
  if (record->epoch_from_witness) {
    // Its finisher settled the epoch and, when not 0, wrote it in a key
    // before the actions ran (docs/PROTOCOL.md, "Epochs").
    auto keys =
        ListAll(store, layout.Encode(StateKey::Trip(req.barrier, req.instance, req.generation)) +
                           ".epoch-");
    if (!keys.ok()) return keys.status();
    record->epoch = ScanTripKeys(layout, *keys)[req.generation].epoch;
  }
  RerunPlan plan;
  plan.consumed = *record;
  plan.consumed.arrivals.clear();
  for (const auto& c : record->arrivals) {
    if (!stale.count(c.id)) plan.consumed.arrivals.push_back(c);
  }
  const bool timeout = record->status == TripStatus::kTimeout;
  const auto& list = timeout ? spec->on_timeout : spec->on_complete;
  const char* field = timeout ? "on_timeout" : "on_complete";
  if (list.empty()) {
    return Status::FailedPrecondition("barrier " + req.barrier + " has no " + field +
                                      " actions: nothing to rerun");
  }
  if (req.action) {
    if (*req.action >= list.size()) {
      return Status::InvalidArgument("--action " + std::to_string(*req.action) + ": barrier " +
                                     req.barrier + " has " + std::to_string(list.size()) + " " +
                                     field + " action(s), " + field + "[0.." +
                                     std::to_string(list.size() - 1) + "]");
    }
    plan.actions.push_back(list[*req.action]);
    plan.indexes.push_back(*req.action);
  } else {
    plan.actions = list;
    for (size_t i = 0; i < list.size(); ++i) plan.indexes.push_back(i);
  }
  return plan;
}

Result<RerunRecord> Rerun(ObjectStore& store, const Config& config, ActionRunner& actions,
                          Clock& clock, Logger& log, const RerunRequest& req) {
  auto plan = PlanRerun(store, config, req);
  if (!plan.ok()) return plan.status();
  RerunRecord rerun;
  rerun.by = req.by;
  rerun.reason = req.reason;
  rerun.only_action = req.action;
  rerun.idempotency_key = plan->consumed.IdempotencyKey();
  for (size_t i = 0; i < plan->actions.size(); ++i) {
    ActionReport report;
    Status s = actions.RunReporting(plan->actions[i], plan->consumed, &report);
    if (!s.ok()) {
      rerun.ok = false;
      rerun.error = plan->actions[i].type + " (action " + std::to_string(plan->indexes[i]) +
                    "): " + s.ToString();
      break;
    }
    rerun.actions.push_back({plan->indexes[i], plan->actions[i].type, std::move(report.fields)});
  }
  rerun.at = clock.NowMs();
  // The next free rerun number: LIST the generation's keys, PUT-if-absent,
  // and on a collision with a concurrent rerun take the next one.
  KeyLayout layout(config.state.prefix);
  auto listed = ListAll(
      store, layout.Encode(StateKey::Trip(req.barrier, req.instance, req.generation)) + ".rerun-");
  if (!listed.ok()) return listed.status();
  int next = ScanTripKeys(layout, *listed)[req.generation].reruns + 1;
  for (int tries = 0;; ++tries, ++next) {
    rerun.number = next;
    Status s = store.PutIfAbsent(
        layout.Encode(StateKey::TripRerun(req.barrier, req.instance, req.generation, next)),
        SerializeRerun(rerun));
    if (s.ok()) break;
    if (!s.IsAlreadyExists() && s.code() != Code::kConflict)
      return s.WithContext("recording the rerun");
    if (tries + 1 >= kRerunNumberTries)
      return Status::Unavailable("recording the rerun: every number taken");
  }
  log.Info(rerun.ok ? "trip rerun" : "trip rerun failed",
           {{"barrier", req.barrier},
            {"instance", req.instance},
            {"generation", std::to_string(req.generation)},
            {"rerun", std::to_string(rerun.number)},
            {"by", req.by},
            {"error", rerun.error}});
  return rerun;
}

}  // namespace eb
