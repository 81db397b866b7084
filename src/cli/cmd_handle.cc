#include <iostream>
#include <nlohmann/json.hpp>

#include "actions/local_actions.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/engine.h"
#include "sources/events.h"
#include "sources/invocation.h"

namespace eb::cli {

namespace {

constexpr size_t kMaxPayload = kMaxPayloadBytes;  // Lambda's own invocation payload limit

nlohmann::ordered_json TripsJson(const std::vector<TripSummary>& trips) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& t : trips) {
    out.push_back({{"barrier", t.barrier}, {"instance", t.instance}, {"generation", t.generation},
                   {"status", TripStatusName(t.status)}, {"objects", t.objects}, {"redriven", t.redriven}});
  }
  return out;
}

}  // namespace

Runner SetupHandle(CLI::App& sub) {
  struct Opts {
    std::string config, state, key_decoding = "auto";
    std::vector<std::string> files;
    LogSetup log;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state, "State location: a folder, file:///folder or s3://bucket/prefix[?endpoint=URL]; default: the config's state.url");
  sub.add_option("--key-decoding", o->key_decoding, "Object keys in notifications: auto (by eventSource), encoded, raw")
      ->check(CLI::IsMember({"auto", "encoded", "raw"}));
  sub.add_option("--log-format", o->log.format, "json (default) or text")->check(CLI::IsMember({"json", "text"}));
  sub.add_option("FILE", o->files, "Invocation payloads, one per file; - (default) reads one from stdin");
  sub.footer(
      "Each FILE is one invocation payload (an S3 notification, or SNS/SQS/EventBridge envelopes).\n"
      "Prints one JSON line per payload: arrivals, duplicates, ignored records and every trip claimed.\n"
      "An EventBridge scheduled event runs the sweeper; s3:TestEvent is acknowledged and ignored.\n"
      "For an SQS batch the line carries batchItemFailures ([{\"itemIdentifier\": messageId}]):\n"
      "only those messages failed, the others were processed.\n"
      "Exits 1 if any payload or SQS message failed (it would be retried by Lambda).\n"
      "A trip whose actions failed is not a failed payload: its arrivals are recorded, the line\n"
      "counts it in trip_failures, and the trip is re-driven with backoff by a later sweep or\n"
      "arrival (`eventbarrier status` shows the error and the next retry).");
  return [o] {
    auto opened = OpenCommandEngine(o->config, o->state, o->log);
    if (!opened) return static_cast<int>(kExitFailure);
    Engine& engine = *opened->engine;
    DecodeOptions decode;
    decode.key_decoding = o->key_decoding == "raw" ? KeyDecoding::kRaw
                          : o->key_decoding == "encoded" ? KeyDecoding::kEncoded
                                                         : KeyDecoding::kAuto;
    if (o->files.empty()) o->files.push_back("-");
    InvocationOptions invocation;
    invocation.decode = decode;
    int exit_code = kExitOk;
    for (const std::string& file : o->files) {
      nlohmann::ordered_json line{{"file", file}};
      auto payload = ReadInput(file, kMaxPayload);
      if (payload.ok()) {
        line.update(InvocationSummary(ProcessInvocation(engine, *payload, invocation)));
      } else {
        line.update(InvocationSummary(InvocationResult{payload.status()}));
      }
      if (!line.value("ok", false)) exit_code = kExitFailure;
      std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    }
    return exit_code;
  };
}

Runner SetupSweep(CLI::App& sub) {
  struct Opts {
    std::string config, state, time_limit;
    bool compact = false;
    int parallel = 8;
    LogSetup log;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state, "State location (see handle)");
  sub.add_flag("--compact", o->compact, "Also delete state older than the retention window (default 15d)");
  sub.add_option("--time-limit", o->time_limit,
                 "Start no instance after this long (e.g. 30s); the next sweep goes on where this "
                 "one stopped");
  sub.add_option("--parallel", o->parallel, "Instances looked at at once (default 8)")
      ->check(CLI::Range(1, 256));
  sub.add_option("--log-format", o->log.format, "json (default) or text")->check(CLI::IsMember({"json", "text"}));
  sub.footer(
      "Run it on a schedule (the Lambda runs it on an EventBridge schedule). Prints one JSON "
      "line.\n"
      "Example: eventbarrier sweep --config barriers.json --state s3://bucket/ --time-limit 50s");
  return [o] {
    SweepOptions sweep;
    sweep.compact = o->compact;
    sweep.parallel = o->parallel;
    TimeMs limit = 0;
    if (!o->time_limit.empty()) {
      auto parsed = ParseDuration(o->time_limit);
      if (!parsed || *parsed <= 0) {
        std::cerr << "error: --time-limit '" << o->time_limit
                  << "': use a positive duration, e.g. 30s, 2m\n";
        return static_cast<int>(kExitUsage);
      }
      limit = *parsed;
    }
    auto opened = OpenCommandEngine(o->config, o->state, o->log);
    if (!opened) return static_cast<int>(kExitFailure);
    Engine& engine = *opened->engine;
    SystemClock clock;
    if (limit > 0) sweep.deadline_ms = clock.NowMs() + limit;
    auto outcome = engine.Sweep(sweep);
    nlohmann::ordered_json line;
    line["ok"] = outcome.ok();
    if (outcome.ok()) {
      line["instances"] = outcome->instances;
      line["trips"] = TripsJson(outcome->trips);
      line["idle"] = outcome->idle;
      line["waiting"] = outcome->waiting;
      if (outcome->trip_failures > 0) line["trip_failures"] = outcome->trip_failures;
      line["removed_from_index"] = outcome->removed_from_index;
      line["left"] = outcome->left;
      line["reindexed"] = outcome->reindexed;
      line["not_visited"] = outcome->not_visited;
      line["laps"] = outcome->laps;
      line["compacted"] = outcome->compacted;
    } else {
      line["error"] = outcome.status().ToString();
    }
    std::cout << line.dump() << std::endl;
    return outcome.ok() ? static_cast<int>(kExitOk) : static_cast<int>(kExitFailure);
  };
}

}  // namespace eb::cli
