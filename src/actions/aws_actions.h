// The actions that run on AWS: `eventbridge` (PutEvents), `sns` (Publish),
// `sqs` (SendMessage), `lambda` (Invoke, asynchronous) and `stepfunctions`
// (StartExecution), signed with our SigV4 signer (aws/aws_service.h), plus
// `manifest` written to S3. Any other action type goes to a fallback runner
// (the local one: exec, webhook, a manifest in the state store).
//
// Every request carries the trip's idempotency key "barrier/instance/generation":
//   eventbridge    Detail is the manifest, whose "idempotency_key" field holds it
//   sns, sqs       message attribute "idempotency_key" (plus "barrier", "status");
//                  FIFO topics/queues also get MessageDeduplicationId = SHA-256(key)
//   lambda         the payload is the manifest (its "idempotency_key" field)
//   stepfunctions  the execution name is derived from it (StepFunctionsExecutionName)
//                  and the input is the manifest
//
// Wire formats, as each service documents them:
//   eventbridge    AWS JSON 1.1, X-Amz-Target: AWSEvents.PutEvents
//   sns            AWS query protocol, Action=Publish&Version=2010-03-31
//   sqs            AWS JSON 1.0, X-Amz-Target: AmazonSQS.SendMessage
//   lambda         REST-JSON, POST /2015-03-31/functions/NAME/invocations,
//                  X-Amz-Invocation-Type: Event
//   stepfunctions  AWS JSON 1.0, X-Amz-Target: AWSStepFunctions.StartExecution
//
// Payload limits. Each target refuses a request over its documented limit, as
// it counts the size (AwsPayloadLimit, AwsPayloadSize):
//   eventbridge    the entry: Source + DetailType + Detail, less than 256 KiB
//   sns, sqs       the message plus its attributes (names, types, values): 256 KiB
//                  (an SQS queue may allow up to 1 MiB; 256 KiB is the default)
//   lambda         the payload: 1 MB for an asynchronous Invoke since 2025, 256 KiB
//                  before; we keep 256 KiB, which every endpoint accepts
//   stepfunctions  the input: 256 KiB
// A manifest that fits goes inline. A larger one (about 1,000 objects) is
// written first to S3, next to the state, at
//   s3://<state bucket>/<state prefix>_manifests/<barrier>/<instance>/<generation>.json
// and the message is ManifestSummaryJson: the key, the counts, the location,
// "truncated": true. Without an S3 state there is no such place: the action
// fails, naming the reason (`validate` warns of it).
//
// Retries are the S3 client's (aws/retry.h). A StartExecution answered with
// ExecutionAlreadyExists counts as done: the name is the idempotency key's, so
// an earlier attempt of ours started it (the caveat: a state prefix wiped and
// rebuilt within 90 days re-uses keys, and Step Functions keeps names 90 days).
// A PutEvents entry that failed is an error (retried if throttled).
#pragma once

#include <memory>
#include <string>

#include "aws/aws_service.h"
#include "aws/s3_client.h"
#include "base/log.h"
#include "core/action_runner.h"

namespace eb {

// True for the action types AwsActionRunner sends to an AWS service.
bool IsAwsServiceAction(const std::string& type);

// The request for one eventbridge/sns/sqs/lambda/stepfunctions action of
// `trip`, ready to sign. `default_region` is used when neither the action's
// "region" field nor its target's ARN or URL names one.
Result<aws::ServiceRequest> BuildAwsActionRequest(const ActionSpec& action, const TripRecord& trip,
                                                  const std::string& default_region);

// The same with `payload` (the manifest, or its summary) as the message.
Result<aws::ServiceRequest> BuildAwsActionRequest(const ActionSpec& action, const TripRecord& trip,
                                                  const std::string& default_region,
                                                  const std::string& payload);

// The documented payload limit of an AWS action type's target, in bytes (0
// for a type that is not an AWS service action).
size_t AwsPayloadLimit(const std::string& type);
// The size of what `action` sends with `payload` for `trip`, as its target counts it.
size_t AwsPayloadSize(const ActionSpec& action, const TripRecord& trip, const std::string& payload);
// Roughly how many objects a manifest holds before it exceeds `limit`
// (~220 bytes an object): for `validate`.
size_t ObjectsWithin(size_t limit);

// Where the full manifest of a message over its target's limit goes, under
// `key_prefix` (the state bucket's "<store prefix><state prefix>_manifests/").
std::string OverflowManifestKey(const std::string& key_prefix, const TripRecord& trip);

// The bounded message sent instead of a manifest over the limit: barrier,
// instance, generation, status, idempotency_key, vars, tripped_at,
// object_count, missing_count and the first kSummaryMissing missing members,
// "truncated": true, and "manifest": `manifest_url` (s3://bucket/key of the
// full manifest), "manifest_bytes".
inline constexpr size_t kSummaryMissing = 50;
std::string ManifestSummaryJson(const TripRecord& trip, const std::string& manifest_url,
                                size_t manifest_bytes);

// Where AwsActionRunner writes manifests over a target's limit.
struct ManifestOverflow {
  std::string bucket;      // empty: nowhere (the state is not on S3)
  std::string key_prefix;  // "<store prefix><state prefix>_manifests/"
};

// A Step Functions execution name for `idempotency_key`: at most 80 characters
// of [0-9A-Za-z_-], the readable part of the key followed by '-' and 16 hex
// digits of its SHA-256, so different keys give different names.
std::string StepFunctionsExecutionName(const std::string& idempotency_key);

class AwsActionRunner : public ReportingActionRunner {
 public:
  // `services`, `fallback` and `log` must outlive the runner. With `s3`
  // (not owned, may be null), manifest actions are written to S3: to the
  // action's "bucket", or else to the bucket the trip's objects came from;
  // without it they go to `fallback`.
  AwsActionRunner(aws::ServiceClient& services, aws::S3Client* s3, std::string default_region,
                  ActionRunner& fallback, Logger& log);
  // Where messages over their target's limit put the full manifest (through `s3`).
  void set_overflow(ManifestOverflow overflow) { overflow_ = std::move(overflow); }

  // Reports what the `.done` record keeps: for a service call the HTTP status
  // and AWS request id, for a manifest its s3:// location; local actions
  // report through `fallback`.
  Status RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) override;

 private:
  Status RunService(const ActionSpec& action, const TripRecord& trip, ActionReport* report);
  Status WriteManifest(const ActionSpec& action, const TripRecord& trip, ActionReport* report);
  // The manifest if it fits the target, else the summary after the full
  // manifest is written to the overflow location (reported as "manifest").
  Result<std::string> Payload(const ActionSpec& action, const TripRecord& trip,
                              ActionReport* report);

  aws::ServiceClient& services_;
  aws::S3Client* s3_;
  std::string default_region_;
  ActionRunner& fallback_;
  Logger& log_;
  ManifestOverflow overflow_;
};

// An AwsActionRunner with its own HTTP client and clock. Credentials, region
// and endpoints come from `env` (AWS_ACCESS_KEY_ID, ..., AWS_REGION,
// AWS_ENDPOINT_URL_<SERVICE>); missing credentials are reported when an AWS
// action runs, so local actions work without them. Manifests go through
// `manifest_s3` (e.g. the S3 state store's client; not owned, may be null).
std::unique_ptr<ActionRunner> NewAwsActionRunner(const EnvLookup& env, aws::S3Client* manifest_s3,
                                                 ActionRunner& fallback, Logger& log,
                                                 ManifestOverflow overflow = {});

}  // namespace eb
