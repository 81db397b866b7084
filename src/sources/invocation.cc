#include "sources/invocation.h"

#include <nlohmann/json.hpp>
#include <set>

namespace eb {

Status InvocationResult::Overall() const {
  if (!error.ok()) return error;
  if (!failures.empty()) {
    return Status::InvalidArgument(std::to_string(failures.size()) +
                                   " SQS message(s) failed; see batchItemFailures");
  }
  return Status::Ok();
}

namespace {

class Deadline {
 public:
  explicit Deadline(const InvocationOptions& o) : o_(o) {}
  bool Near() const {
    return o_.clock != nullptr && o_.clock->NowMs() + o_.safety_margin_ms >= o_.deadline_ms;
  }
  TimeMs Left() const { return o_.clock == nullptr ? 0 : o_.deadline_ms - o_.clock->NowMs(); }

 private:
  const InvocationOptions& o_;
};

// Counts the rules that kept `arrival` out of some barrier, each once.
void NoteIgnored(const Arrival& arrival, const std::vector<IgnoredArrival>& why, InvocationResult* result) {
  std::set<std::string> rules;
  for (const IgnoredArrival& w : why) {
    if (rules.insert(w.rule).second) ++result->ignored_by[w.rule];
    if (result->ignored_examples.size() < InvocationResult::kMaxIgnoredExamples) {
      result->ignored_examples.push_back({arrival.key, w});
    }
  }
}

}  // namespace

InvocationResult ProcessInvocation(Engine& engine, std::string_view payload,
                                   const InvocationOptions& options) {
  auto decoded = DecodePayload(payload, options.decode);
  if (!decoded.ok()) {
    InvocationResult result;
    result.error = decoded.status();
    return result;
  }
  return ProcessDecoded(engine, *decoded, options);
}

InvocationResult ProcessDecoded(Engine& engine, const DecodedPayload& decoded,
                                const InvocationOptions& options) {
  InvocationResult result;
  result.is_sqs = decoded.is_sqs;
  result.records = decoded.records.size();
  result.failures = decoded.failures;
  std::set<std::string> failed;  // SQS message ids already reported
  for (const auto& f : result.failures) failed.insert(f.message_id);
  auto fail_message = [&](const std::string& message_id, std::string why) {
    if (failed.insert(message_id).second) result.failures.push_back({message_id, std::move(why)});
  };

  Deadline deadline(options);
  bool sweep = false;
  const auto& records = decoded.records;
  for (size_t i = 0; i < records.size(); ++i) {
    const DecodedRecord& rec = records[i];
    if (failed.count(rec.message_id) > 0) continue;
    if (rec.kind == RecordKind::kSchedule) {
      sweep = true;
      continue;
    }
    if (rec.kind != RecordKind::kArrival) {  // s3:TestEvent, other EventBridge events
      ++result.ignored;
      continue;
    }
    // Matching is pure; only an arrival that counts somewhere costs store
    // requests, so only such a record is held back by the deadline.
    std::vector<IgnoredArrival> why;
    if (engine.Match(rec.arrival, &why).empty()) {
      ++result.ignored;
      NoteIgnored(rec.arrival, why, &result);
      continue;
    }
    if (deadline.Near()) {
      std::string why = "deadline: not started, " + std::to_string(deadline.Left()) +
                        " ms left (safety margin " + std::to_string(options.safety_margin_ms) +
                        " ms)";
      for (size_t j = i; j < records.size(); ++j) {
        if (records[j].kind != RecordKind::kArrival || failed.count(records[j].message_id) > 0)
          continue;
        ++result.not_started;
        if (result.is_sqs) fail_message(records[j].message_id, why);
      }
      if (!result.is_sqs) {
        result.error = Status::Unavailable(std::to_string(result.not_started) + " of " +
                                           std::to_string(records.size()) + " record(s) " + why);
      }
      return result;
    }
    auto outcome = engine.OnArrival(rec.arrival);
    if (!outcome.ok()) {
      Status s = outcome.status().WithContext(rec.arrival.key);
      if (!result.is_sqs || !options.partial_batch) {
        result.error = s;
        return result;
      }
      fail_message(rec.message_id, s.ToString());
      continue;
    }
    result.arrivals += outcome->counted;
    result.duplicates += outcome->duplicates;
    result.trip_failures += outcome->trip_failures;
    result.late += outcome->late;
    result.ignored += outcome->ignored ? 1 : 0;
    NoteIgnored(rec.arrival, outcome->ignored_by, &result);
    result.trips.insert(result.trips.end(), outcome->trips.begin(), outcome->trips.end());
  }
  if (sweep) {  // an EventBridge schedule: run the sweeper
    if (deadline.Near()) {
      result.error = Status::Unavailable("deadline: sweep not started, " +
                                         std::to_string(deadline.Left()) + " ms left");
      return result;
    }
    // Deadline-bounded inside the walk; the next sweep goes on where this one stopped.
    SweepOptions sweep_options = options.sweep;
    if (options.clock != nullptr)
      sweep_options.deadline_ms = options.deadline_ms - options.safety_margin_ms;
    auto swept = engine.Sweep(sweep_options);
    result.swept = swept.ok();
    if (swept.ok()) {
      result.trips.insert(result.trips.end(), swept->trips.begin(), swept->trips.end());
      result.trip_failures += swept->trip_failures;
      result.sweep = std::move(*swept);
    } else {
      result.error = swept.status().WithContext("sweep");
    }
  }
  return result;
}

nlohmann::ordered_json InvocationSummary(const InvocationResult& r) {
  nlohmann::ordered_json line;
  if (r.swept) line["swept"] = *r.swept;
  if (r.sweep) {
    line["sweep"] = {{"instances", r.sweep->instances},
                     {"idle", r.sweep->idle},
                     {"waiting", r.sweep->waiting},
                     {"left", r.sweep->left},
                     {"not_visited", r.sweep->not_visited},
                     {"laps", r.sweep->laps}};
  }
  if (r.is_sqs) {
    auto items = nlohmann::ordered_json::array();
    auto reasons = nlohmann::ordered_json::array();
    for (const auto& f : r.failures) {
      items.push_back({{"itemIdentifier", f.message_id}});
      reasons.push_back({{"message_id", f.message_id}, {"error", f.error}});
    }
    line["batchItemFailures"] = items;
    if (!r.failures.empty()) line["message_errors"] = reasons;
  }
  Status overall = r.Overall();
  line["ok"] = overall.ok();
  line["arrivals"] = r.arrivals;
  line["duplicates"] = r.duplicates;
  line["ignored"] = r.ignored;
  if (r.late > 0) line["late"] = r.late;
  if (!r.ignored_by.empty()) line["ignored_by"] = r.ignored_by;
  if (r.not_started > 0) line["not_started"] = r.not_started;
  auto trips = nlohmann::ordered_json::array();
  for (const auto& t : r.trips) {
    trips.push_back({{"barrier", t.barrier},
                     {"instance", t.instance},
                     {"generation", t.generation},
                     {"status", TripStatusName(t.status)},
                     {"objects", t.objects},
                     {"redriven", t.redriven}});
  }
  line["trips"] = std::move(trips);
  if (r.trip_failures > 0) line["trip_failures"] = r.trip_failures;  // unfinished, re-driven later
  if (!overall.ok()) line["error"] = overall.ToString();
  return line;
}

std::string IgnoredByText(const InvocationResult& result) {
  std::string out;
  for (const auto& [rule, n] : result.ignored_by) out += (out.empty() ? "" : ", ") + rule + "=" + std::to_string(n);
  return out;
}

std::string BatchItemFailuresJson(const InvocationResult& result) {
  auto items = nlohmann::json::array();
  for (const auto& f : result.failures) items.push_back({{"itemIdentifier", f.message_id}});
  return nlohmann::json{{"batchItemFailures", items}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace eb
