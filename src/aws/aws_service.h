// Signed requests to the AWS services other than S3 (EventBridge, SNS, SQS,
// Lambda, Step Functions): endpoint resolution, SigV4 in generic-service mode
// (aws/sigv4.h), retries as for S3 (aws/retry.h), and one reading of the
// three error formats these services answer with (JSON "__type", the
// x-amzn-ErrorType header, query-protocol XML).
//
// Status codes follow base/status.h:
//   403 and credential errors -> PermissionDenied (stop, say which key);
//   404 and "...NotFound"/"NonExistentQueue"/"...DoesNotExist" -> NotFound;
//   5xx, 429, throttling and timeouts -> Unavailable (retried first);
//   anything else -> InvalidArgument naming the service's error code.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "aws/retry.h"
#include "aws/s3_config.h"
#include "aws/sigv4.h"
#include "base/clock.h"
#include "http/http_client.h"

namespace eb::aws {

// Where one AWS service lives and how it signs.
struct ServiceId {
  const char* signing_name;     // "events": the credential scope's service
  const char* endpoint_prefix;  // "events": events.REGION.amazonaws.com
  const char* env_id;           // "EVENTBRIDGE": AWS_ENDPOINT_URL_EVENTBRIDGE
};

struct ServiceRequest {
  ServiceId service;
  std::string region;
  std::string operation;  // "PutEvents", for messages
  std::string method = "POST";
  std::string path = "/";  // as it goes on the wire (percent-encoded)
  std::vector<std::pair<std::string, std::string>> query;  // not encoded
  http::Headers headers;                                   // signed; no host
  std::string body;
  // Error codes that mean an earlier attempt already took effect (a repeat of
  // an idempotent call): Call returns such an answer as it is, not as an error.
  std::vector<std::string> done_error_codes;
};

struct Endpoint {
  std::string scheme = "https";
  std::string host;  // "sns.eu-west-1.amazonaws.com" or "127.0.0.1:4566"
};

// The endpoint for `service` in `region`: AWS_ENDPOINT_URL_<ENV_ID>, then
// AWS_ENDPOINT_URL, then https://PREFIX.REGION.amazonaws.com (".com.cn" in
// China regions). InvalidArgument for a malformed override.
Result<Endpoint> ResolveEndpoint(const ServiceId& service, const std::string& region,
                                 const EnvLookup& env);

// The region the actions use unless an action names one: AWS_REGION, then
// AWS_DEFAULT_REGION, then us-east-1.
std::string DefaultRegion(const EnvLookup& env);

struct ServiceError {
  std::string code;  // "ThrottlingException", without any "prefix#"
  std::string message;
  std::string request_id;
};

// Reads the error code and message from any of the three formats; empty code
// if the body says nothing (the status then speaks for itself).
ServiceError ParseServiceError(const http::Response& response);

// Error codes that mean "slow down and try again" whatever the status.
bool IsThrottlingError(const std::string& code);

// Optional check of a 2xx answer: Ok, or a Status; Unavailable retries the
// request (EventBridge's FailedEntryCount, for instance).
using ResponseCheck = std::function<Status(const http::Response&)>;

class ServiceClient {
 public:
  // `http` and `clock` must outlive the client. Endpoints come from `env`.
  ServiceClient(Credentials credentials, EnvLookup env, http::Client& http, Clock& clock,
                RetryPolicy policy = {}, RetryHooks hooks = {});

  // Signs and sends `request`, retrying as described above. Returns the 2xx
  // response (or an answer with one of request.done_error_codes), or the Status of the last answer,
  // naming the service, the operation, the error code and the request id.
  Result<http::Response> Call(const ServiceRequest& request, const ResponseCheck& check = {});

  // The signed HTTP request, as Call sends it at `time` (for tests).
  Result<http::Request> Build(const ServiceRequest& request, TimeMs time) const;

  int64_t requests_sent() const { return requests_.load(); }

 private:
  Status ErrorStatus(const ServiceRequest& request, const http::Response& response) const;

  Credentials credentials_;
  EnvLookup env_;
  http::Client& http_;
  Clock& clock_;
  RetryPolicy policy_;
  RetryHooks hooks_;
  std::atomic<int64_t> requests_{0};
};

}  // namespace eb::aws
