// One invocation payload, processed: decoded (every envelope of events.h),
// each arrival fed to the engine, the sweeper run for a scheduled event, and
// a summary of what happened. The one implementation behind
// `eventbarrier handle`, the Lambda function and the HTTP receiver.
//
// Failure model (what the caller reports, so that the event is retried):
//   - a payload that cannot be decoded, or an engine error outside SQS:
//     `error` is set; the whole invocation failed and is retried;
//   - SQS: a message that failed to decode or in the engine is listed in
//     `failures` (batchItemFailures); its remaining records are skipped and
//     the other messages go on;
//   - the deadline: no record (and no sweep) starts once less than the
//     safety margin is left. Outside SQS that is an Unavailable `error` (the
//     event is retried); with SQS every message not finished is a failure.
// Records already processed stay processed: a retry is a duplicate, which
// the barrier protocol absorbs.
//
// Cheap when there is nothing to do: s3:TestEvent, EventBridge events from
// other sources and keys that match no barrier reach no store.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "core/engine.h"
#include "sources/events.h"

namespace eb {

struct InvocationOptions {
  DecodeOptions decode;
  // An SQS batch: true (Lambda's partial batch response): a message that fails
  // in the engine is listed in `failures` and the other messages go on.
  // false (a sender that resends the whole body, as over HTTP): the first
  // engine failure ends the payload with `error`, as for any other payload.
  bool partial_batch = true;
  // When `clock` is set: stop before starting a record (or the sweep) once
  // clock->NowMs() + safety_margin_ms >= deadline_ms.
  Clock* clock = nullptr;
  TimeMs deadline_ms = 0;
  TimeMs safety_margin_ms = 0;
  // A scheduled sweep: its deadline is the one above less the safety margin
  // (set here, from the clock); compaction and parallel probes as given.
  SweepOptions sweep = DefaultScheduledSweep();
  static SweepOptions DefaultScheduledSweep() {
    SweepOptions s;
    s.compact_every_ms = 24LL * 3600 * 1000;  // one compacting lap a day
    s.parallel = 16;
    return s;
  }
};

struct InvocationResult {
  Status error;  // the invocation as a whole failed (see the header comment)
  bool is_sqs = false;
  size_t records = 0;         // records decoded from the payload
  int arrivals = 0;           // markers written (arrival x barrier instance)
  int duplicates = 0;         // markers that already existed
  int ignored = 0;            // records that count for no barrier (and test/other events)
  int late = 0;  // of `arrivals`: for an instance that tripped for good (ArrivalOutcome::late)
  // Records whose key a barrier's member matched but that a rule kept out of
  // it (arrival_filter.h), by rule ("_*", "**/", "events", "min_size"): each
  // record counts once per rule, whether or not another barrier counted it.
  std::map<std::string, int> ignored_by;
  // The first kMaxIgnoredExamples of them, for the log.
  struct IgnoredRecord {
    std::string key;
    IgnoredArrival why;
  };
  static constexpr size_t kMaxIgnoredExamples = 20;
  std::vector<IgnoredRecord> ignored_examples;
  std::optional<bool> swept;  // a scheduled event ran the sweeper: did it succeed
  std::optional<SweepOutcome> sweep;  // what it did, when it succeeded
  int not_started = 0;        // records left alone because the deadline was near
  std::vector<TripSummary> trips;
  // Trips whose actions failed (arrivals and the sweep): unfinished, re-driven with backoff.
  int trip_failures = 0;
  std::vector<DecodedPayload::Failure> failures;  // SQS messages to report

  // `error`, or for an SQS batch with failures an InvalidArgument saying how many.
  Status Overall() const;
  bool ok() const { return Overall().ok(); }
};

// Processes `payload` with `engine`. Never throws.
InvocationResult ProcessInvocation(Engine& engine, std::string_view payload,
                                   const InvocationOptions& options = {});
// The same for a payload already decoded (the HTTP receiver decodes first, to
// refuse a bad body before it takes an engine); options.decode is unused.
InvocationResult ProcessDecoded(Engine& engine, const DecodedPayload& payload,
                                const InvocationOptions& options = {});

// The summary line: ok, arrivals, duplicates, ignored, "late" (when any arrival
// was for an instance that tripped for good), "ignored_by" (rule ->
// records, when a rule kept any record out), trips (barrier, instance,
// generation, status, objects, redriven), plus for an SQS batch
// batchItemFailures and message_errors, "swept" after a sweep (and "sweep":
// instances, idle, left, not_visited, laps), "error".
nlohmann::ordered_json InvocationSummary(const InvocationResult& result);

// "_*=2, events=1": ignored_by for a log field ("" when empty).
std::string IgnoredByText(const InvocationResult& result);

// An SQS partial batch response: {"batchItemFailures":[{"itemIdentifier":"<messageId>"}, ...]}.
std::string BatchItemFailuresJson(const InvocationResult& result);

}  // namespace eb
