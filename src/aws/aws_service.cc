#include "aws/aws_service.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "aws/s3_xml.h"
#include "aws/signed_request.h"

namespace eb::aws {

namespace {

// "aws.protocols#ThrottlingException" / "ThrottlingException:http://..." -> "ThrottlingException".
std::string BareCode(std::string code) {
  if (size_t hash = code.rfind('#'); hash != std::string::npos) code.erase(0, hash + 1);
  if (size_t colon = code.find(':'); colon != std::string::npos) code.erase(colon);
  return code;
}

bool IsCredentialError(const std::string& code) {
  static const char* const kCodes[] = {"AccessDenied",
                                       "AccessDeniedException",
                                       "UnrecognizedClientException",
                                       "InvalidClientTokenId",
                                       "SignatureDoesNotMatch",
                                       "InvalidSignatureException",
                                       "IncompleteSignature",
                                       "ExpiredToken",
                                       "ExpiredTokenException",
                                       "AuthorizationError",
                                       "AuthFailure",
                                       "MissingAuthenticationToken",
                                       "KMSAccessDeniedException"};
  return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

bool IsNotFoundError(const std::string& code) {
  return code.find("NotFound") != std::string::npos ||
         code.find("DoesNotExist") != std::string::npos ||
         code.find("NonExistent") != std::string::npos;
}

bool IsTransientError(const std::string& code) {
  return IsThrottlingError(code) || code == "RequestTimeout" || code == "RequestTimeoutException" ||
         code == "InternalFailure" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "ServiceException";
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

bool IsDone(const ServiceRequest& request, const http::Response& response) {
  if (request.done_error_codes.empty()) return false;
  std::string code = ParseServiceError(response).code;
  return std::find(request.done_error_codes.begin(), request.done_error_codes.end(), code) !=
         request.done_error_codes.end();
}

}  // namespace

std::string DefaultRegion(const EnvLookup& env) {
  if (auto r = NonEmptyEnv(env, "AWS_REGION")) return *r;
  if (auto r = NonEmptyEnv(env, "AWS_DEFAULT_REGION")) return *r;
  return "us-east-1";
}

Result<Endpoint> ResolveEndpoint(const ServiceId& service, const std::string& region,
                                 const EnvLookup& env) {
  Endpoint e;
  auto override_url = NonEmptyEnv(env, std::string("AWS_ENDPOINT_URL_") + service.env_id);
  if (!override_url) override_url = NonEmptyEnv(env, "AWS_ENDPOINT_URL");
  if (override_url) {
    EB_RETURN_IF_ERROR(ParseEndpoint(*override_url, &e.scheme, &e.host));
    return e;
  }
  if (region.empty() ||
      region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return Status::InvalidArgument("'" + region + "' is not an AWS region name");
  }
  e.host = std::string(service.endpoint_prefix) + "." + region +
           (region.rfind("cn-", 0) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com");
  return e;
}

bool IsThrottlingError(const std::string& code) {
  static const char* const kCodes[] = {"Throttling",
                                       "ThrottlingException",
                                       "ThrottledException",
                                       "RequestThrottledException",
                                       "TooManyRequestsException",
                                       "ProvisionedThroughputExceededException",
                                       "TransactionInProgressException",
                                       "RequestLimitExceeded",
                                       "BandwidthLimitExceeded",
                                       "RequestThrottled",
                                       "SlowDown",
                                       "PriorRequestNotComplete",
                                       "EC2ThrottledException"};
  return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

ServiceError ParseServiceError(const http::Response& response) {
  ServiceError e;
  e.request_id = response.Header("x-amzn-requestid")
                     .value_or(response.Header("x-amz-request-id").value_or(""));
  if (auto type = response.Header("x-amzn-errortype")) e.code = BareCode(*type);
  const std::string& body = response.body;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && body[first] == '{') {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      for (const char* key : {"__type", "code", "Code"}) {
        if (e.code.empty() && j.contains(key) && j[key].is_string())
          e.code = BareCode(j[key].get<std::string>());
      }
      for (const char* key : {"message", "Message", "errorMessage"}) {
        if (e.message.empty() && j.contains(key) && j[key].is_string())
          e.message = j[key].get<std::string>();
      }
    }
  } else if (first != std::string::npos && body[first] == '<') {
    // Query protocol: <ErrorResponse><Error><Code>..</Code><Message>..</Message></Error>
    // <RequestId>..</RequestId></ErrorResponse>.
    auto errors = XmlElements(body, "Error");
    std::string_view scope = errors.empty() ? std::string_view(body) : errors.front();
    auto code = XmlElements(scope, "Code");
    auto message = XmlElements(scope, "Message");
    if (e.code.empty() && !code.empty()) e.code = XmlUnescape(code.front());
    if (!message.empty()) e.message = XmlUnescape(message.front());
    auto id = XmlElements(body, "RequestId");
    if (e.request_id.empty() && !id.empty()) e.request_id = XmlUnescape(id.front());
  }
  return e;
}

ServiceClient::ServiceClient(Credentials credentials, EnvLookup env, http::Client& http,
                             Clock& clock, RetryPolicy policy, RetryHooks hooks)
    : credentials_(std::move(credentials)),
      env_(std::move(env)),
      http_(http),
      clock_(clock),
      policy_(policy),
      hooks_(WithDefaultHooks(std::move(hooks))) {}

Result<http::Request> ServiceClient::Build(const ServiceRequest& request, TimeMs time) const {
  EB_ASSIGN_OR_RETURN(Endpoint endpoint, ResolveEndpoint(request.service, request.region, env_));
  SigningParams params{request.region, request.service.signing_name, time, UriMode::kGeneric};
  return SignRequest({request.method, endpoint.scheme, endpoint.host, request.path, request.query,
                      request.headers, request.body},
                     credentials_, params);
}

Result<http::Response> ServiceClient::Call(const ServiceRequest& request,
                                           const ResponseCheck& check) {
  // Resolve once up front, so a bad endpoint or region is reported, not retried.
  EB_ASSIGN_OR_RETURN(auto first, Build(request, clock_.NowMs()));
  auto retryable = [&](const http::Response& r) {
    if (IsSuccess(r.status)) return check && check(r).code() == Code::kUnavailable;
    if (IsDone(request, r)) return false;
    if (IsRetryableHttpStatus(r.status)) return true;
    return IsTransientError(ParseServiceError(r).code);
  };
  bool used_first = false;
  auto build = [&]() -> http::Request {
    if (!used_first) {
      used_first = true;
      return first;
    }
    return *Build(request, clock_.NowMs());  // the same endpoint: cannot fail now
  };
  std::string what = std::string(request.service.endpoint_prefix) + " " + request.operation;
  auto res = SendWithRetries(http_, policy_, hooks_, build, retryable, &requests_);
  if (!res.ok()) return res.status().WithContext(what);
  if (!IsSuccess(res->status)) {
    if (IsDone(request, *res)) return res;
    return ErrorStatus(request, *res);
  }
  if (check) {
    Status s = check(*res);
    if (!s.ok()) return s.WithContext(what);
  }
  return res;
}

Status ServiceClient::ErrorStatus(const ServiceRequest& request,
                                  const http::Response& response) const {
  ServiceError e = ParseServiceError(response);
  int status = response.status;
  std::string text = std::string(request.service.endpoint_prefix) + " " + request.operation + ": " +
                     std::to_string(status);
  if (!e.code.empty()) text += " " + e.code;
  if (!e.message.empty()) text += ": " + e.message;
  if (!e.request_id.empty()) text += " (request id " + e.request_id + ")";
  if (status == 403 || IsCredentialError(e.code)) {
    return Status::PermissionDenied(text + " - check the IAM role / access key " +
                                    credentials_.RedactedForLog() +
                                    " allows this call on this resource");
  }
  if (status == 404 || IsNotFoundError(e.code)) return Status::NotFound(text);
  if (IsRetryableHttpStatus(status) || IsTransientError(e.code)) return Status::Unavailable(text);
  return Status::InvalidArgument(text);
}

}  // namespace eb::aws
