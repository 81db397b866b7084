#include "actions/aws_actions.h"

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "actions/aws_api_calls.h"
#include "actions/local_actions.h"
#include "aws/sigv4.h"
#include "base/crypto.h"
#include "http/http_client.h"

namespace eb {

namespace {

using json = nlohmann::json;

// Signing name, endpoint prefix, AWS_ENDPOINT_URL_<ID> of each service.
constexpr aws::ServiceId kEventBridge{"events", "events", "EVENTBRIDGE"};
constexpr aws::ServiceId kSns{"sns", "sns", "SNS"};
constexpr aws::ServiceId kSqs{"sqs", "sqs", "SQS"};
constexpr aws::ServiceId kLambda{"lambda", "lambda", "LAMBDA"};
constexpr aws::ServiceId kStepFunctions{"states", "states", "SFN"};

const char* DetailType(const TripRecord& trip) {
  if (trip.status == TripStatus::kLate) return "Barrier Late Arrival";
  return trip.status == TripStatus::kTimeout ? "Barrier Timed Out" : "Barrier Tripped";
}

// The manifest without indentation (the services bill and limit by size).
std::string CompactManifest(const TripRecord& trip) {
  return nlohmann::ordered_json::parse(ManifestJson(trip)).dump();
}

std::string Field(const ActionSpec& action, const std::string& name) {
  auto it = action.fields.find(name);
  return it == action.fields.end() ? "" : it->second;
}

// The region field of "arn:partition:service:region:account:resource", or "".
std::string RegionFromArn(const std::string& arn) {
  if (arn.rfind("arn:", 0) != 0) return "";
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    start = arn.find(':', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  size_t end = arn.find(':', start);
  return end == std::string::npos ? "" : arn.substr(start, end - start);
}

// sqs.REGION.amazonaws.com/... or the legacy REGION.queue.amazonaws.com/...
std::string RegionFromQueueUrl(const std::string& url) {
  size_t sep = url.find("://");
  if (sep == std::string::npos) return "";
  std::string host = url.substr(sep + 3, url.find('/', sep + 3) - (sep + 3));
  auto label = [&](size_t i) {
    size_t start = 0;
    for (size_t k = 0; k < i; ++k) {
      start = host.find('.', start);
      if (start == std::string::npos) return std::string();
      ++start;
    }
    return host.substr(start, host.find('.', start) - start);
  };
  if (host.find(".amazonaws.com") == std::string::npos) return "";
  if (label(0) == "sqs") return label(1);
  if (label(1) == "queue") return label(0);
  return "";
}

std::string PickRegion(const ActionSpec& action, const std::string& from_target,
                       const std::string& default_region) {
  std::string r = Field(action, "region");
  if (!r.empty()) return r;
  return from_target.empty() ? default_region : from_target;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The string message attributes of sns and sqs messages.
std::vector<std::pair<std::string, std::string>> MessageAttributes(const TripRecord& trip) {
  return {{"idempotency_key", trip.IdempotencyKey()},
          {"barrier", trip.barrier},
          {"status", TripStatusName(trip.status)}};
}

// SNS/SQS FIFO deduplication id: at most 128 characters; a hex SHA-256 is 64.
std::string DeduplicationId(const TripRecord& trip) { return Sha256Hex(trip.IdempotencyKey()); }

aws::ServiceRequest JsonRequest(const aws::ServiceId& service, const std::string& region,
                                const std::string& operation, const std::string& target,
                                const std::string& version, const json& body) {
  aws::ServiceRequest r;
  r.service = service;
  r.region = region;
  r.operation = operation;
  r.headers = {{"content-type", "application/x-amz-json-" + version}, {"x-amz-target", target}};
  r.body = body.dump();
  return r;
}

Result<aws::ServiceRequest> EventBridgeRequest(const ActionSpec& action, const TripRecord& trip,
                                               const std::string& default_region,
                                               const std::string& payload) {
  std::string bus = Field(action, "event_bus");
  std::string source = Field(action, "source");
  json entry = {{"Source", source.empty() ? "eventbarrier" : source},
                {"DetailType", DetailType(trip)},
                {"Detail", payload}};
  if (!bus.empty()) entry["EventBusName"] = bus;
  return JsonRequest(kEventBridge, PickRegion(action, RegionFromArn(bus), default_region),
                     "PutEvents", "AWSEvents.PutEvents", "1.1",
                     json{{"Entries", json::array({entry})}});
}

Result<aws::ServiceRequest> SnsRequest(const ActionSpec& action, const TripRecord& trip,
                                       const std::string& default_region,
                                       const std::string& payload) {
  std::string topic = Field(action, "topic_arn");
  if (topic.rfind("arn:", 0) != 0) {
    return Status::InvalidArgument("sns action: topic_arn '" + topic + "' is not an ARN");
  }
  std::vector<std::pair<std::string, std::string>> form = {
      {"Action", "Publish"}, {"Version", "2010-03-31"}, {"TopicArn", topic}, {"Message", payload}};
  int n = 0;
  for (const auto& [name, value] : MessageAttributes(trip)) {
    std::string p = "MessageAttributes.entry." + std::to_string(++n) + ".";
    form.emplace_back(p + "Name", name);
    form.emplace_back(p + "Value.DataType", "String");
    form.emplace_back(p + "Value.StringValue", value);
  }
  if (EndsWith(topic, ".fifo")) {
    form.emplace_back("MessageGroupId", trip.barrier);
    form.emplace_back("MessageDeduplicationId", DeduplicationId(trip));
  }
  aws::ServiceRequest r;
  r.service = kSns;
  r.region = PickRegion(action, RegionFromArn(topic), default_region);
  r.operation = "Publish";
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = aws::CanonicalQueryString(form);
  return r;
}

Result<aws::ServiceRequest> SqsRequest(const ActionSpec& action, const TripRecord& trip,
                                       const std::string& default_region,
                                       const std::string& payload) {
  std::string queue = Field(action, "queue_url");
  if (queue.rfind("https://", 0) != 0 && queue.rfind("http://", 0) != 0) {
    return Status::InvalidArgument(
        "sqs action: queue_url '" + queue +
        "' is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)");
  }
  auto attribute = [](const std::string& value) {
    return json{{"DataType", "String"}, {"StringValue", value}};
  };
  json attributes = json::object();
  for (const auto& [name, value] : MessageAttributes(trip)) attributes[name] = attribute(value);
  json body = {{"QueueUrl", queue}, {"MessageBody", payload}, {"MessageAttributes", attributes}};
  if (EndsWith(queue, ".fifo")) {
    body["MessageGroupId"] = trip.barrier;
    body["MessageDeduplicationId"] = DeduplicationId(trip);
  }
  return JsonRequest(kSqs, PickRegion(action, RegionFromQueueUrl(queue), default_region),
                     "SendMessage", "AmazonSQS.SendMessage", "1.0", body);
}

Result<aws::ServiceRequest> LambdaRequest(const ActionSpec& action, const TripRecord& /*trip*/,
                                          const std::string& default_region,
                                          const std::string& payload) {
  std::string function = Field(action, "function");
  if (function.empty()) return Status::InvalidArgument("lambda action: empty function");
  aws::ServiceRequest r;
  r.service = kLambda;
  r.region = PickRegion(action, RegionFromArn(function), default_region);
  r.operation = "Invoke";
  r.path =
      "/2015-03-31/functions/" + aws::UriEncode(function, /*keep_slash=*/false) + "/invocations";
  r.headers = {{"content-type", "application/json"}, {"x-amz-invocation-type", "Event"}};
  r.body = payload;
  return r;
}

Result<aws::ServiceRequest> StepFunctionsRequest(const ActionSpec& action, const TripRecord& trip,
                                                 const std::string& default_region,
                                                 const std::string& payload) {
  std::string machine = Field(action, "state_machine_arn");
  if (machine.rfind("arn:", 0) != 0) {
    return Status::InvalidArgument("stepfunctions action: state_machine_arn '" + machine +
                                   "' is not an ARN");
  }
  json body = {{"stateMachineArn", machine},
               {"name", StepFunctionsExecutionName(trip.IdempotencyKey())},
               {"input", payload}};
  auto r = JsonRequest(kStepFunctions, PickRegion(action, RegionFromArn(machine), default_region),
                       "StartExecution", "AWSStepFunctions.StartExecution", "1.0", body);
  r.done_error_codes = {"ExecutionAlreadyExists"};
  return r;
}

// PutEvents answers 200 even when its entry failed: look inside.
Status CheckPutEvents(const http::Response& response) {
  auto j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Unavailable("PutEvents: unreadable answer");
  if (j.value("FailedEntryCount", 0) == 0) return Status::Ok();
  std::string code = "?", message;
  if (j.contains("Entries") && j["Entries"].is_array()) {
    for (const auto& e : j["Entries"]) {
      if (e.is_object() && e.contains("ErrorCode")) {
        code = e.value("ErrorCode", "?");
        message = e.value("ErrorMessage", "");
        break;
      }
    }
  }
  std::string text =
      "PutEvents: the event was not accepted: " + code + (message.empty() ? "" : ": " + message);
  if (aws::IsThrottlingError(code) || code == "InternalFailure" || code == "InternalException")
    return Status::Unavailable(text);
  return Status::InvalidArgument(text);
}

}  // namespace

bool IsAwsServiceAction(const std::string& type) {
  return type == "eventbridge" || type == "sns" || type == "sqs" || type == "lambda" ||
         type == "stepfunctions";
}

std::string StepFunctionsExecutionName(const std::string& idempotency_key) {
  constexpr size_t kMax = 80, kHash = 16;
  std::string readable;
  for (char c : idempotency_key) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '_';
    readable.push_back(ok ? c : '-');
    if (readable.size() == kMax - kHash - 1) break;
  }
  return readable + "-" + Sha256Hex(idempotency_key).substr(0, kHash);
}

Result<aws::ServiceRequest> BuildAwsActionRequest(const ActionSpec& action, const TripRecord& trip,
                                                  const std::string& default_region,
                                                  const std::string& payload) {
  if (action.type == "eventbridge")
    return EventBridgeRequest(action, trip, default_region, payload);
  if (action.type == "sns") return SnsRequest(action, trip, default_region, payload);
  if (action.type == "sqs") return SqsRequest(action, trip, default_region, payload);
  if (action.type == "lambda") return LambdaRequest(action, trip, default_region, payload);
  if (action.type == "stepfunctions") {
    return StepFunctionsRequest(action, trip, default_region, payload);
  }
  return Status::InvalidArgument("'" + action.type + "' is not an AWS service action");
}

Result<aws::ServiceRequest> BuildAwsActionRequest(const ActionSpec& action, const TripRecord& trip,
                                                  const std::string& default_region) {
  return BuildAwsActionRequest(action, trip, default_region, CompactManifest(trip));
}

size_t AwsPayloadLimit(const std::string& type) {
  constexpr size_t k256KiB = 256 * 1024;
  if (type == "eventbridge") return k256KiB - 1;  // "must be less than 256KB"
  if (IsAwsServiceAction(type)) return k256KiB;
  return 0;
}

size_t AwsPayloadSize(const ActionSpec& action, const TripRecord& trip,
                      const std::string& payload) {
  if (action.type == "eventbridge") {
    std::string source = Field(action, "source");
    return (source.empty() ? std::strlen("eventbarrier") : source.size()) +
           std::strlen(DetailType(trip)) + payload.size();
  }
  if (action.type == "sns" || action.type == "sqs") {
    size_t size = payload.size();
    for (const auto& [name, value] : MessageAttributes(trip)) {
      size += name.size() + std::strlen("String") + value.size();
    }
    return size;
  }
  return payload.size();  // lambda's payload, stepfunctions' input
}

size_t ObjectsWithin(size_t limit) { return limit / 220; }

std::string OverflowManifestKey(const std::string& key_prefix, const TripRecord& trip) {
  char generation[24];
  std::snprintf(generation, sizeof generation, "%010lld", static_cast<long long>(trip.generation));
  return key_prefix + trip.barrier + "/" + trip.instance + "/" + generation + ".json";
}

std::string ManifestSummaryJson(const TripRecord& trip, const std::string& manifest_url,
                                size_t manifest_bytes) {
  // The manifest's own first fields, in its order, then the counts and where the rest is.
  auto full = nlohmann::ordered_json::parse(CompactManifest(trip));
  nlohmann::ordered_json j;
  for (const char* field : {"barrier", "instance", "generation", "status", "idempotency_key",
                            "vars", "tripped_at", "forced_by", "reason"}) {
    if (full.contains(field)) j[field] = full[field];
  }
  j["truncated"] = true;
  j["object_count"] = trip.arrivals.size();
  j["missing_count"] = trip.missing.size();
  auto missing = nlohmann::ordered_json::array();
  for (size_t i = 0; i < trip.missing.size() && i < kSummaryMissing; ++i) {
    missing.push_back(full["missing"][i]);
  }
  j["missing"] = std::move(missing);
  j["manifest"] = manifest_url;
  j["manifest_bytes"] = manifest_bytes;
  return j.dump();
}

AwsActionRunner::AwsActionRunner(aws::ServiceClient& services, aws::S3Client* s3,
                                 std::string default_region, ActionRunner& fallback, Logger& log)
    : services_(services),
      s3_(s3),
      default_region_(std::move(default_region)),
      fallback_(fallback),
      log_(log) {}

Status AwsActionRunner::RunReporting(const ActionSpec& action, const TripRecord& trip,
                                     ActionReport* report) {
  if (IsAwsServiceAction(action.type)) return RunService(action, trip, report);
  if (action.type == "manifest" && s3_ != nullptr) return WriteManifest(action, trip, report);
  return fallback_.RunReporting(action, trip, report);
}

Status AwsActionRunner::RunService(const ActionSpec& action, const TripRecord& trip,
                                   ActionReport* report) {
  EB_ASSIGN_OR_RETURN(std::string payload, Payload(action, trip, report));
  EB_ASSIGN_OR_RETURN(auto request, BuildAwsActionRequest(action, trip, default_region_, payload));
  const std::string what = action.type + " action";
  aws::ResponseCheck check;
  if (action.type == "eventbridge") check = CheckPutEvents;
  auto res = services_.Call(request, check);
  if (!res.ok()) {
    Status s = res.status();
    if (s.code() == Code::kPermissionDenied) {
      s = s.WithContext(std::string("the role needs ") +
                        IamActionFor(what.c_str(), request.operation.c_str()));
    }
    return s.WithContext(what);
  }
  report->Add("http_status", std::to_string(res->status));
  if (auto id = res->Header("x-amzn-requestid"); id) report->Add("request_id", *id);
  if (res->status >= 300) {
    // StartExecution's ExecutionAlreadyExists: the name is the idempotency key's,
    // so an earlier attempt of ours already started this execution.
    log_.Warn("execution already exists; taken as started by an earlier attempt",
              {{"barrier", trip.barrier},
               {"instance", trip.instance},
               {"generation", std::to_string(trip.generation)},
               {"idempotency_key", trip.IdempotencyKey()}});
    return Status::Ok();
  }
  log_.Info("action sent", {{"type", action.type},
                            {"barrier", trip.barrier},
                            {"instance", trip.instance},
                            {"generation", std::to_string(trip.generation)},
                            {"idempotency_key", trip.IdempotencyKey()}});
  return Status::Ok();
}

Result<std::string> AwsActionRunner::Payload(const ActionSpec& action, const TripRecord& trip,
                                             ActionReport* report) {
  std::string manifest = CompactManifest(trip);
  const size_t limit = AwsPayloadLimit(action.type);
  const size_t size = AwsPayloadSize(action, trip, manifest);
  if (size <= limit) return manifest;
  std::string what = action.type + " action: the manifest (" +
                     std::to_string(trip.arrivals.size()) + " objects, " + std::to_string(size) +
                     " bytes) exceeds the target's limit of " + std::to_string(limit) + " bytes";
  if (s3_ == nullptr || overflow_.bucket.empty()) {
    return Status::FailedPrecondition(
        what + ", and with the state not on S3 there is nowhere to put it (docs/LAMBDA.md)");
  }
  // Written before the message that names it, on every attempt (the same bytes).
  std::string key = OverflowManifestKey(overflow_.key_prefix, trip);
  std::string url = "s3://" + overflow_.bucket + "/" + key;
  aws::PutOptions options;
  options.content_type = "application/json";
  auto etag = s3_->PutObject(overflow_.bucket, key, ManifestJson(trip), options);
  if (!etag.ok()) return etag.status().WithContext(what + ": writing it to " + url);
  std::string summary = ManifestSummaryJson(trip, url, manifest.size());
  if (AwsPayloadSize(action, trip, summary) > limit) {
    return Status::InvalidArgument(what + ", and so does its summary");
  }
  report->Add("manifest", url);
  log_.Warn("manifest over the target's limit: sent a summary naming the full manifest",
            {{"type", action.type},
             {"barrier", trip.barrier},
             {"instance", trip.instance},
             {"generation", std::to_string(trip.generation)},
             {"bytes", std::to_string(size)},
             {"limit", std::to_string(limit)},
             {"manifest", url}});
  return summary;
}

Status AwsActionRunner::WriteManifest(const ActionSpec& action, const TripRecord& trip,
                                      ActionReport* report) {
  std::string key = SubstituteTripVars(Field(action, "key"), trip);
  if (key.empty()) return Status::InvalidArgument("manifest action without a key");
  std::string bucket = Field(action, "bucket");
  if (bucket.empty()) {
    for (const auto& c : trip.arrivals) {
      if (bucket.empty()) bucket = c.arrival.bucket;
      if (c.arrival.bucket != bucket) {
        return Status::InvalidArgument("manifest action: the trip's objects come from buckets '" +
                                       bucket + "' and '" + c.arrival.bucket +
                                       "': set the action's \"bucket\"");
      }
    }
  }
  if (bucket.empty()) {
    return Status::InvalidArgument("manifest action: no \"bucket\" and no object to take it from");
  }
  aws::PutOptions options;
  options.content_type = "application/json";
  auto etag = s3_->PutObject(bucket, key, ManifestJson(trip), options);
  if (!etag.ok()) return etag.status().WithContext("manifest action");
  report->Add("key", "s3://" + bucket + "/" + key);
  log_.Info("manifest written", {{"barrier", trip.barrier},
                                 {"instance", trip.instance},
                                 {"generation", std::to_string(trip.generation)},
                                 {"bucket", bucket},
                                 {"key", key}});
  return Status::Ok();
}

namespace {

// NewAwsActionRunner's result: owns what the runner borrows.
class OwnedAwsActionRunner : public ReportingActionRunner {
 public:
  OwnedAwsActionRunner(const EnvLookup& env, aws::S3Client* manifest_s3, ActionRunner& fallback,
                       Logger& log, ManifestOverflow overflow)
      : http_(http::NewClient(aws::HttpOptionsFromEnv(env))), fallback_(fallback) {
    auto creds = aws::CredentialsFromEnv(env);
    if (!creds.ok()) {
      init_ = creds.status();
      manifest_to_s3_ = manifest_s3 != nullptr;
      return;
    }
    services_ = std::make_unique<aws::ServiceClient>(*creds, env, *http_, clock_);
    runner_ = std::make_unique<AwsActionRunner>(*services_, manifest_s3, aws::DefaultRegion(env),
                                                fallback, log);
    runner_->set_overflow(std::move(overflow));
  }

  Status RunReporting(const ActionSpec& action, const TripRecord& trip,
                      ActionReport* report) override {
    if (runner_) return runner_->RunReporting(action, trip, report);
    if (IsAwsServiceAction(action.type) || (manifest_to_s3_ && action.type == "manifest"))
      return init_.WithContext(action.type + " action");
    return fallback_.RunReporting(action, trip, report);
  }

 private:
  SystemClock clock_;
  std::unique_ptr<http::Client> http_;
  ActionRunner& fallback_;
  bool manifest_to_s3_ = false;
  Status init_;
  std::unique_ptr<aws::ServiceClient> services_;
  std::unique_ptr<AwsActionRunner> runner_;
};

}  // namespace

std::unique_ptr<ActionRunner> NewAwsActionRunner(const EnvLookup& env, aws::S3Client* manifest_s3,
                                                 ActionRunner& fallback, Logger& log,
                                                 ManifestOverflow overflow) {
  return std::make_unique<OwnedAwsActionRunner>(env, manifest_s3, fallback, log,
                                                std::move(overflow));
}

}  // namespace eb
