#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "actions/aws_actions.h"
#include "actions/local_actions.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/engine.h"
#include "sources/events.h"
#include "stores/s3_store.h"

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

// AWS actions (eventbridge, sns, sqs, lambda, stepfunctions) over the local
// ones; with S3 state, manifests go to S3 through the state store's client.
std::unique_ptr<ActionRunner> AwsActions(ObjectStore& store, ActionRunner& local, Logger& log) {
  auto* s3 = dynamic_cast<S3Store*>(&store);
  return NewAwsActionRunner(aws::ProcessEnv(), s3 != nullptr ? &s3->client() : nullptr, local, log);
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
      "Exits 1 if any payload or SQS message failed (it would be retried by Lambda).");
  return [o] {
    auto parsed = LoadConfig(o->config);
    if (!parsed) return static_cast<int>(kExitFailure);
    const Config& config = parsed->config;
    auto store = OpenStateStore(o->state, config);
    if (!store.ok()) {
      std::cerr << "error: " << store.status().message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    SystemClock clock;
    auto log = MakeLogger(o->log, clock);
    LocalActionRunner local(**store, *log);
    auto actions = AwsActions(**store, local, *log);
    EngineOptions options;
    options.worker_id = WorkerId();
    Engine engine(config, **store, *actions, clock, *log, options);
    DecodeOptions decode;
    decode.key_decoding = o->key_decoding == "raw" ? KeyDecoding::kRaw
                          : o->key_decoding == "encoded" ? KeyDecoding::kEncoded
                                                         : KeyDecoding::kAuto;
    if (o->files.empty()) o->files.push_back("-");
    int exit_code = kExitOk;
    for (const std::string& file : o->files) {
      nlohmann::ordered_json line{{"file", file}};
      int arrivals = 0, duplicates = 0, ignored = 0;
      std::vector<TripSummary> trips;
      Status error;
      auto payload = ReadInput(file, kMaxPayload);
      if (!payload.ok()) {
        error = payload.status();
      } else if (auto decoded = DecodePayload(*payload, decode); !decoded.ok()) {
        error = decoded.status();
      } else {
        // SQS: a message that failed (to decode, or in the engine) is reported in
        // batchItemFailures and retried by Lambda; the other messages go on.
        std::vector<DecodedPayload::Failure> failures = decoded->failures;
        std::set<std::string> failed;
        for (const auto& f : failures) failed.insert(f.message_id);
        bool sweep = false;
        for (const auto& rec : decoded->records) {
          if (failed.count(rec.message_id) > 0) continue;
          if (rec.kind == RecordKind::kSchedule) {
            sweep = true;
            continue;
          }
          if (rec.kind != RecordKind::kArrival) {  // s3:TestEvent, other EventBridge events
            ++ignored;
            continue;
          }
          auto outcome = engine.OnArrival(rec.arrival);
          if (!outcome.ok() && decoded->is_sqs) {
            failed.insert(rec.message_id);
            failures.push_back({rec.message_id, outcome.status().WithContext(rec.arrival.key).ToString()});
            continue;
          }
          if (!outcome.ok()) {
            error = outcome.status().WithContext(rec.arrival.key);
            break;
          }
          arrivals += outcome->counted;
          duplicates += outcome->duplicates;
          ignored += outcome->ignored ? 1 : 0;
          trips.insert(trips.end(), outcome->trips.begin(), outcome->trips.end());
        }
        if (sweep && error.ok()) {  // an EventBridge schedule: run the sweeper
          auto swept = engine.Sweep();
          if (swept.ok()) {
            trips.insert(trips.end(), swept->trips.begin(), swept->trips.end());
          } else {
            error = swept.status().WithContext("sweep");
          }
          line["swept"] = swept.ok();
        }
        if (decoded->is_sqs) {
          auto items = nlohmann::ordered_json::array();
          auto reasons = nlohmann::ordered_json::array();
          for (const auto& f : failures) {
            items.push_back({{"itemIdentifier", f.message_id}});
            reasons.push_back({{"message_id", f.message_id}, {"error", f.error}});
          }
          line["batchItemFailures"] = items;
          if (!failures.empty()) {
            line["message_errors"] = reasons;
            if (error.ok()) {
              error = Status::InvalidArgument(std::to_string(failures.size()) +
                                              " SQS message(s) failed; see batchItemFailures");
            }
          }
        }
      }
      line["ok"] = error.ok();
      line["arrivals"] = arrivals;
      line["duplicates"] = duplicates;
      line["ignored"] = ignored;
      line["trips"] = TripsJson(trips);
      if (!error.ok()) {
        line["error"] = error.ToString();
        exit_code = kExitFailure;
      }
      std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    }
    return exit_code;
  };
}

Runner SetupSweep(CLI::App& sub) {
  struct Opts {
    std::string config, state;
    bool compact = false;
    LogSetup log;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state, "State location (see handle)");
  sub.add_flag("--compact", o->compact, "Also delete state older than the retention window (default 14d)");
  sub.add_option("--log-format", o->log.format, "json (default) or text")->check(CLI::IsMember({"json", "text"}));
  sub.footer("Run it on a schedule (the Lambda runs it on an EventBridge schedule). Prints one JSON line.");
  return [o] {
    auto parsed = LoadConfig(o->config);
    if (!parsed) return static_cast<int>(kExitFailure);
    auto store = OpenStateStore(o->state, parsed->config);
    if (!store.ok()) {
      std::cerr << "error: " << store.status().message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    SystemClock clock;
    auto log = MakeLogger(o->log, clock);
    LocalActionRunner local(**store, *log);
    auto actions = AwsActions(**store, local, *log);
    EngineOptions options;
    options.worker_id = WorkerId();
    Engine engine(parsed->config, **store, *actions, clock, *log, options);
    auto outcome = engine.Sweep(o->compact);
    nlohmann::ordered_json line;
    line["ok"] = outcome.ok();
    if (outcome.ok()) {
      line["instances"] = outcome->instances;
      line["trips"] = TripsJson(outcome->trips);
      line["removed_from_index"] = outcome->removed_from_index;
      line["compacted"] = outcome->compacted;
    } else {
      line["error"] = outcome.status().ToString();
    }
    std::cout << line.dump() << std::endl;
    return outcome.ok() ? static_cast<int>(kExitOk) : static_cast<int>(kExitFailure);
  };
}

}  // namespace eb::cli
