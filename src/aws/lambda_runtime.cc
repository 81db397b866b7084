#include "aws/lambda_runtime.h"

#include <charconv>
#include <exception>
#include <nlohmann/json.hpp>

#include "aws/sigv4.h"

namespace eb::aws {

namespace {

constexpr const char* kApiVersion = "2018-06-01";

std::string Body(const http::Response& r) {
  return r.body.size() > 300 ? r.body.substr(0, 300) + "..." : r.body;
}

// 4xx: the request was wrong (report and go on); 5xx: the environment is
// broken (Lambda documents that the runtime should exit).
Status StatusOf(const http::Response& r, const std::string& what) {
  std::string m = what + ": HTTP " + std::to_string(r.status) + " " + Body(r);
  if (r.status >= 500) return Status::Unavailable(m);
  return Status::InvalidArgument(m);
}

}  // namespace

std::string LambdaErrorJson(const LambdaError& error) {
  nlohmann::ordered_json j;
  j["errorMessage"] = error.message;
  j["errorType"] = error.type;
  j["stackTrace"] = error.stack_trace;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

LambdaRuntimeClient::LambdaRuntimeClient(http::Client& http, std::string endpoint)
    : http_(http), base_url_("http://" + std::move(endpoint) + "/" + kApiVersion) {}

Result<LambdaInvocation> LambdaRuntimeClient::Next() {
  http::Request request;
  request.method = "GET";
  request.url = base_url_ + "/runtime/invocation/next";
  request.timeout_ms = http::kNoTimeout;  // frozen between invocations: never give up
  auto response = http_.Send(request);
  if (!response.ok()) return response.status().WithContext("runtime API next");
  if (response->status != 200) {
    // No event to handle: a 5xx means exit (Unavailable); a 4xx is a bug of ours (Internal).
    Status s = StatusOf(*response, "runtime API next");
    return s.code() == Code::kUnavailable ? s : Status::Internal(s.message());
  }
  LambdaInvocation inv;
  inv.request_id = response->Header("lambda-runtime-aws-request-id").value_or("");
  if (inv.request_id.empty()) {
    return Status::Internal("runtime API next: no Lambda-Runtime-Aws-Request-Id header");
  }
  std::string deadline = response->Header("lambda-runtime-deadline-ms").value_or("");
  auto [end, ec] =
      std::from_chars(deadline.data(), deadline.data() + deadline.size(), inv.deadline_ms);
  if (deadline.empty() || ec != std::errc() || end != deadline.data() + deadline.size()) {
    return Status::Internal("runtime API next: Lambda-Runtime-Deadline-Ms '" + deadline +
                            "' is not a number of milliseconds");
  }
  inv.function_arn = response->Header("lambda-runtime-invoked-function-arn").value_or("");
  inv.trace_id = response->Header("lambda-runtime-trace-id").value_or("");
  inv.client_context = response->Header("lambda-runtime-client-context").value_or("");
  inv.cognito_identity = response->Header("lambda-runtime-cognito-identity").value_or("");
  inv.payload = std::move(response->body);
  return inv;
}

Status LambdaRuntimeClient::Post(const std::string& path, const std::string& body,
                                 const std::string& error_type) {
  http::Request request;
  request.method = "POST";
  request.url = base_url_ + path;
  request.headers = {{"Content-Type", "application/json"}};
  if (!error_type.empty())
    request.headers.emplace_back("Lambda-Runtime-Function-Error-Type", error_type);
  request.body = body;
  auto response = http_.Send(request);
  if (!response.ok()) return response.status().WithContext("runtime API POST " + path);
  if (response->status != 202) return StatusOf(*response, "runtime API POST " + path);
  return Status::Ok();
}

Status LambdaRuntimeClient::Respond(const std::string& request_id, const std::string& body) {
  return Post("/runtime/invocation/" + UriEncode(request_id, false) + "/response", body, "");
}

Status LambdaRuntimeClient::ReportError(const std::string& request_id, const LambdaError& error) {
  return Post("/runtime/invocation/" + UriEncode(request_id, false) + "/error",
              LambdaErrorJson(error), error.type);
}

Status LambdaRuntimeClient::ReportInitError(const LambdaError& error) {
  return Post("/runtime/init/error", LambdaErrorJson(error), error.type);
}

Status RunLambdaLoop(LambdaRuntimeClient& client, const LambdaHandler& handler,
                     const LambdaLoopOptions& options, Logger& log) {
  for (int n = 0; options.max_invocations < 0 || n < options.max_invocations; ++n) {
    log.SetContext("", "");
    EB_ASSIGN_OR_RETURN(auto inv, client.Next());
    log.SetContext("requestId", inv.request_id);
    if (options.set_trace_id) options.set_trace_id(inv.trace_id);
    LambdaOutcome outcome;
    try {
      outcome = handler(inv);
    } catch (const std::exception& e) {
      outcome = LambdaOutcome::Failure({"Runtime.UnhandledException", e.what(), {}});
    } catch (...) {
      outcome = LambdaOutcome::Failure({"Runtime.UnhandledException", "unknown exception", {}});
    }
    Status posted = outcome.ok ? client.Respond(inv.request_id, outcome.body)
                               : client.ReportError(inv.request_id, outcome.error);
    if (!posted.ok() && outcome.ok && posted.code() == Code::kInvalidArgument) {
      // E.g. 413: the response is too large. Lambda still needs an answer.
      log.Error("runtime API refused the response; reporting an error instead",
                {{"error", posted.ToString()}});
      posted =
          client.ReportError(inv.request_id, {"Runtime.ResponseRefused", posted.message(), {}});
    }
    if (!posted.ok()) {
      log.Error("posting the invocation result failed", {{"error", posted.ToString()}});
      if (posted.code() != Code::kInvalidArgument) return posted;
    }
  }
  log.SetContext("", "");
  return Status::Ok();
}

}  // namespace eb::aws
