// A client of the AWS Lambda Runtime API (version 2018-06-01), the HTTP API a
// custom runtime (`provided.al2023`) talks to inside the execution environment,
// and the loop that drives a handler with it:
//
//   GET  /2018-06-01/runtime/invocation/next              -> the next event (blocks)
//   POST /2018-06-01/runtime/invocation/{id}/response     <- the handler's answer
//   POST /2018-06-01/runtime/invocation/{id}/error        <- a failed invocation
//   POST /2018-06-01/runtime/init/error                   <- initialization failed
//
// `next` answers with the payload as its body and the invocation's context in
// headers: Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms (Unix ms),
// Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id (X-Ray),
// Lambda-Runtime-Client-Context, Lambda-Runtime-Cognito-Identity. It is a
// long poll: the process may be frozen while it waits, so it has no timeout.
// Errors go out as {"errorMessage", "errorType", "stackTrace"} with the
// Lambda-Runtime-Function-Error-Type header ("Category.Reason").
//
// Everything here goes through an http::Client, so tests run it against a
// scripted client or a fake Runtime API server.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "http/http_client.h"

namespace eb::aws {

struct LambdaInvocation {
  std::string request_id;
  TimeMs deadline_ms = 0;
  std::string function_arn;
  std::string trace_id;  // empty when Lambda sent none
  std::string client_context, cognito_identity;
  std::string payload;
};

struct LambdaError {
  std::string type;  // "Category.Reason", e.g. "EventBarrier.ConfigInvalid"
  std::string message;
  std::vector<std::string> stack_trace;
};

// {"errorMessage":...,"errorType":...,"stackTrace":[...]} (invalid UTF-8 replaced).
std::string LambdaErrorJson(const LambdaError& error);

class LambdaRuntimeClient {
 public:
  // `endpoint` is AWS_LAMBDA_RUNTIME_API ("host:port"); `http` must outlive the client.
  LambdaRuntimeClient(http::Client& http, std::string endpoint);

  // Waits (without any timeout) for the next invocation. Unavailable when the
  // API cannot be reached or answers 5xx (the runtime should exit), Internal
  // when the answer lacks a request id or has a malformed deadline.
  Result<LambdaInvocation> Next();

  // Both expect 202. InvalidArgument for a 4xx (e.g. 413: response too large,
  // 400: unknown request id), Unavailable for 5xx or transport errors (exit).
  Status Respond(const std::string& request_id, const std::string& body);
  Status ReportError(const std::string& request_id, const LambdaError& error);
  // After a failed initialization; the runtime should exit afterwards.
  Status ReportInitError(const LambdaError& error);

  const std::string& base_url() const { return base_url_; }

 private:
  Status Post(const std::string& path, const std::string& body, const std::string& error_type);

  http::Client& http_;
  std::string base_url_;  // "http://host:port/2018-06-01"
};

// A handler's answer: a response body, or an error (reported to /error).
struct LambdaOutcome {
  bool ok = true;
  std::string body;
  LambdaError error;

  static LambdaOutcome Success(std::string body) { return {true, std::move(body), {}}; }
  static LambdaOutcome Failure(LambdaError error) { return {false, "", std::move(error)}; }
};

using LambdaHandler = std::function<LambdaOutcome(const LambdaInvocation&)>;

struct LambdaLoopOptions {
  // Called with each invocation's trace id before the handler runs (the real
  // one sets _X_AMZN_TRACE_ID in the process environment).
  std::function<void(const std::string& trace_id)> set_trace_id;
  // Stop after this many invocations (tests); < 0: until `next` fails.
  int max_invocations = -1;
};

// next -> handler -> response | error, until `next` fails or a post answers
// 5xx; returns that status (the caller exits non-zero, Lambda restarts the
// runtime). A handler that throws is reported as an error, never fatal. The
// logger's context is set to the request id ("requestId") for each invocation.
Status RunLambdaLoop(LambdaRuntimeClient& client, const LambdaHandler& handler,
                     const LambdaLoopOptions& options, Logger& log);

}  // namespace eb::aws
