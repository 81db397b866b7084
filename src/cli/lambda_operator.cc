#include "cli/lambda_operator.h"

namespace eb::cli {

namespace {

using json = nlohmann::json;

aws::LambdaOutcome Invalid(const std::string& message) {
  return aws::LambdaOutcome::Failure({"EventBarrier.InvalidOperatorPayload", message, {}});
}

// A string field: empty when absent; error text when of another type.
std::optional<std::string> StringField(const json& op, const char* name, std::string* out) {
  auto it = op.find(name);
  if (it == op.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return std::string("eventbarrier.") + name + ": must be a string";
  *out = it->get<std::string>();
  return std::nullopt;
}

std::optional<std::string> IntField(const json& op, const char* name, int64_t min,
                                    std::optional<int64_t>* out) {
  auto it = op.find(name);
  if (it == op.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<int64_t>() < min) {
    return std::string("eventbarrier.") + name + ": must be an integer >= " + std::to_string(min);
  }
  *out = it->get<int64_t>();
  return std::nullopt;
}

}  // namespace

std::optional<aws::LambdaOutcome> HandleOperatorPayload(const std::string& payload, bool enabled,
                                                        OperatorContext& ctx) {
  // Cheap test first: notification batches are large and never carry the key.
  if (payload.find("\"eventbarrier\"") == std::string::npos) return std::nullopt;
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("eventbarrier")) return std::nullopt;
  if (!enabled) {
    ctx.log.Warn("operator payload refused: EVENTBARRIER_OPERATOR_PAYLOADS is not true");
    return aws::LambdaOutcome::Failure(
        {"EventBarrier.OperatorRefused",
         "operator payloads are disabled for this function: set its environment variable "
         "EVENTBARRIER_OPERATOR_PAYLOADS=true (the template's OperatorPayloads parameter) to allow "
         "them",
         {}});
  }
  const json& op = j["eventbarrier"];
  if (!op.is_object()) return Invalid("eventbarrier: must be an object with \"op\"");
  std::string name, barrier, instance, reason, by;
  for (auto [field, out] : {std::pair{"op", &name},
                            {"barrier", &barrier},
                            {"instance", &instance},
                            {"reason", &reason},
                            {"by", &by}}) {
    if (auto bad = StringField(op, field, out)) return Invalid(*bad);
  }
  std::optional<int64_t> generation, action, last;
  if (auto bad = IntField(op, "generation", 1, &generation)) return Invalid(*bad);
  if (auto bad = IntField(op, "action", 0, &action)) return Invalid(*bad);
  if (auto bad = IntField(op, "last", 1, &last)) return Invalid(*bad);
  auto flag = [&](const char* field) {
    return op.contains(field) && op[field].is_boolean() && op[field].get<bool>();
  };
  if (by.empty()) by = kPayloadOperator;
  const bool needs_barrier = name == "trip" || name == "rerun" || name == "history";
  if (needs_barrier && barrier.empty())
    return Invalid("eventbarrier.barrier: required for op " + name);

  Result<ordered_json> result = Status::Internal("no operation");
  if (name == "status") {
    result = StatusJson(ctx.store, ctx.config, {.all = flag("all")}, ctx.clock.NowMs());
  } else if (name == "history") {
    result =
        History(ctx.store, ctx.config, {barrier, instance, static_cast<size_t>(last.value_or(20))});
  } else if (name == "trip") {
    if (reason.empty())
      return Invalid("eventbarrier.reason: required for op trip (it goes into the trip record)");
    result = ForceTrip(ctx, {barrier, instance, reason, by, flag("dry_run")});
  } else if (name == "rerun") {
    if (!generation) return Invalid("eventbarrier.generation: required for op rerun");
    RerunArgs args{barrier, instance, *generation, std::nullopt, by, reason};
    if (action) args.action = static_cast<size_t>(*action);
    result = RerunTrip(ctx, args);
  } else {
    return Invalid("eventbarrier.op: '" + name + "' is not one of status, history, trip, rerun");
  }
  ctx.log.Info("operator payload", {{"op", name},
                                    {"barrier", barrier},
                                    {"instance", instance},
                                    {"by", by},
                                    {"ok", result.ok() ? "true" : "false"},
                                    {"error", result.ok() ? "" : result.status().ToString()}});
  if (!result.ok()) {
    return aws::LambdaOutcome::Failure(
        {"EventBarrier.OperatorFailed", result.status().message(), {}});
  }
  return aws::LambdaOutcome::Success(
      Dump(ordered_json{{"ok", true}, {"op", name}, {"result", std::move(*result)}}));
}

}  // namespace eb::cli
