// The Runtime API client: the requests it sends (scripted HTTP records them),
// how it reads the documented headers, and the loop against the fake Runtime
// API server over real HTTP (the cpp-httplib client).
#include "aws/lambda_runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fakes/fake_http.h"
#include "fakes/runtime_api_server.h"
#include "http/http_client.h"

namespace eb::aws {
namespace {

using nlohmann::json;
using test::MakeResponse;
using test::ScriptedHttp;

constexpr const char* kBase = "http://127.0.0.1:9001/2018-06-01";

http::Response EventResponse(const std::string& payload) {
  return MakeResponse(
      200, payload,
      {{"lambda-runtime-aws-request-id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"},
       {"lambda-runtime-deadline-ms", "1542409706888"},
       {"lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime"},
       {"lambda-runtime-trace-id",
        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"},
       {"lambda-runtime-client-context", "ctx"},
       {"lambda-runtime-cognito-identity", "cog"}});
}

TEST(LambdaRuntimeClient, NextIsALongPollWithoutTimeoutAndReadsEveryDocumentedHeader) {
  ScriptedHttp http;
  http.Push(EventResponse(R"({"Records":[]})"));
  LambdaRuntimeClient client(http, "127.0.0.1:9001");
  auto inv = client.Next();
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(inv->deadline_ms, 1542409706888);
  EXPECT_EQ(inv->function_arn, "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime");
  EXPECT_EQ(inv->trace_id,
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
  EXPECT_EQ(inv->client_context, "ctx");
  EXPECT_EQ(inv->cognito_identity, "cog");
  EXPECT_EQ(inv->payload, R"({"Records":[]})");
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "GET");
  EXPECT_EQ(sent[0].url, std::string(kBase) + "/runtime/invocation/next");
  EXPECT_EQ(sent[0].timeout_ms, http::kNoTimeout) << "the process may be frozen while next waits";
}

TEST(LambdaRuntimeClient, NextRefusesAnAnswerItCannotRespondTo) {
  ScriptedHttp http;
  http.Push(MakeResponse(200, "{}", {{"lambda-runtime-deadline-ms", "1"}}));
  http.Push(MakeResponse(
      200, "{}", {{"lambda-runtime-aws-request-id", "r"}, {"lambda-runtime-deadline-ms", "soon"}}));
  http.Push(MakeResponse(500, R"({"errorType":"ContainerError"})"));
  http.Push(MakeResponse(403, "{}"));
  http.Push(Status::Unavailable("connection refused"));
  LambdaRuntimeClient client(http, "127.0.0.1:9001");
  auto no_id = client.Next();
  EXPECT_EQ(no_id.status().code(), Code::kInternal);
  EXPECT_NE(no_id.status().message().find("Lambda-Runtime-Aws-Request-Id"), std::string::npos);
  auto bad_deadline = client.Next();
  EXPECT_EQ(bad_deadline.status().code(), Code::kInternal);
  EXPECT_NE(bad_deadline.status().message().find("'soon'"), std::string::npos);
  EXPECT_EQ(client.Next().status().code(), Code::kUnavailable) << "5xx: the runtime should exit";
  EXPECT_EQ(client.Next().status().code(), Code::kInternal);
  EXPECT_EQ(client.Next().status().code(), Code::kUnavailable);
}

TEST(LambdaRuntimeClient, ResponseAndErrorsGoWhereTheDocumentationSays) {
  ScriptedHttp http;
  http.SetFallback(MakeResponse(202, R"({"status":"OK"})"));
  LambdaRuntimeClient client(http, "127.0.0.1:9001");
  ASSERT_TRUE(client.Respond("req-1", R"({"ok":true})").ok());
  ASSERT_TRUE(
      client.ReportError("req/2 x", {"EventBarrier.InvalidEvent", "Records[0]: bad", {}}).ok());
  ASSERT_TRUE(
      client.ReportInitError({"EventBarrier.ConfigInvalid", "b: members: empty", {"at x"}}).ok());
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, std::string(kBase) + "/runtime/invocation/req-1/response");
  EXPECT_EQ(sent[0].body, R"({"ok":true})");
  EXPECT_EQ(sent[1].url, std::string(kBase) + "/runtime/invocation/req%2F2%20x/error")
      << "a request id is one path segment";
  auto header = [](const http::Request& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return std::string("<absent>");
  };
  EXPECT_EQ(header(sent[0], "Lambda-Runtime-Function-Error-Type"), "<absent>");
  EXPECT_EQ(header(sent[1], "Lambda-Runtime-Function-Error-Type"), "EventBarrier.InvalidEvent");
  EXPECT_EQ(
      json::parse(sent[1].body),
      json::parse(
          R"({"errorMessage":"Records[0]: bad","errorType":"EventBarrier.InvalidEvent","stackTrace":[]})"));
  EXPECT_EQ(sent[2].url, std::string(kBase) + "/runtime/init/error");
  EXPECT_EQ(header(sent[2], "Lambda-Runtime-Function-Error-Type"), "EventBarrier.ConfigInvalid");
  EXPECT_EQ(json::parse(sent[2].body)["stackTrace"], json::array({"at x"}));
}

TEST(LambdaRuntimeClient, PostStatusesMapToWhatTheCallerDoesNext) {
  ScriptedHttp http;
  http.Push(MakeResponse(413, R"({"errorType":"RequestEntityTooLarge"})"));
  http.Push(MakeResponse(400, R"({"errorType":"InvalidRequestID"})"));
  http.Push(MakeResponse(500, ""));
  LambdaRuntimeClient client(http, "h:1");
  EXPECT_EQ(client.Respond("r", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(client.ReportError("r", {"T", "m", {}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(client.ReportInitError({"T", "m", {}}).code(), Code::kUnavailable);
}

TEST(LambdaRuntimeClient, ErrorJsonReplacesInvalidUtf8) {
  std::string j = LambdaErrorJson({"T", std::string("key \xff\xfe"), {}});
  EXPECT_TRUE(json::accept(j)) << j;
}

// Captures a Logger's lines.
struct LogCapture {
  char* data = nullptr;
  size_t size = 0;
  FILE* file = ::open_memstream(&data, &size);
  Logger log{file, Logger::Format::kJson, nullptr};
  ~LogCapture() {
    std::fclose(file);
    std::free(data);
  }
  std::string text() {
    std::fflush(file);
    return std::string(data, size);
  }
};

TEST(LambdaLoop, AgainstTheFakeRuntimeApiEveryInvocationIsAnsweredOnce) {
  test::FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  std::string ok_id = api.Enqueue("ok");
  std::string throws_id = api.Enqueue("throw");
  std::string fails_id = api.Enqueue("fail");
  auto http = http::NewClient();
  LambdaRuntimeClient client(*http, api.endpoint());
  LogCapture capture;
  std::vector<std::string> traces;
  LambdaLoopOptions options;
  options.max_invocations = 3;
  options.set_trace_id = [&](const std::string& t) { traces.push_back(t); };
  Status s = RunLambdaLoop(
      client,
      [&](const LambdaInvocation& inv) {
        capture.log.Info("handling " + inv.payload);
        if (inv.payload == "throw") throw std::runtime_error("boom");
        if (inv.payload == "fail")
          return LambdaOutcome::Failure({"EventBarrier.Unavailable", "503", {}});
        return LambdaOutcome::Success("done:" + inv.payload);
      },
      options, capture.log);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(api.WaitForAnswers(3, 5000));
  auto answers = api.answers();
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].request_id, ok_id);
  EXPECT_FALSE(answers[0].error);
  EXPECT_EQ(answers[0].body, "done:ok");
  EXPECT_EQ(answers[1].request_id, throws_id);
  EXPECT_TRUE(answers[1].error) << "a handler that throws is an error, not a crash";
  EXPECT_EQ(answers[1].error_type, "Runtime.UnhandledException");
  EXPECT_EQ(json::parse(answers[1].body)["errorMessage"], "boom");
  EXPECT_EQ(answers[2].request_id, fails_id);
  EXPECT_EQ(answers[2].error_type, "EventBarrier.Unavailable");
  EXPECT_EQ(
      json::parse(answers[2].body),
      json::parse(
          R"({"errorMessage":"503","errorType":"EventBarrier.Unavailable","stackTrace":[]})"));
  EXPECT_TRUE(api.violations().empty());
  ASSERT_EQ(traces.size(), 3u);
  EXPECT_EQ(traces[0].rfind("Root=1-", 0), 0u);
  EXPECT_NE(traces[0], traces[1]) << "each invocation has its own trace id";
  std::string logs = capture.text();
  EXPECT_NE(logs.find(R"("message":"handling ok","requestId":")" + ok_id + "\""), std::string::npos)
      << logs;
}

TEST(LambdaLoop, ARefusedResponseIsReportedAsAnError) {
  ScriptedHttp http;
  http.Push(EventResponse("{}"));
  http.Push(MakeResponse(413, R"({"errorType":"RequestEntityTooLarge"})"));
  http.Push(MakeResponse(202, "{}"));
  LambdaRuntimeClient client(http, "127.0.0.1:9001");
  LambdaLoopOptions options;
  options.max_invocations = 1;
  Status s = RunLambdaLoop(
      client, [](const LambdaInvocation&) { return LambdaOutcome::Success(std::string(100, 'x')); },
      options, Logger::Null());
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_NE(sent[2].url.find("/error"), std::string::npos);
  EXPECT_EQ(json::parse(sent[2].body)["errorType"], "Runtime.ResponseRefused");
}

TEST(LambdaLoop, EndsWhenTheRuntimeApiGoesAway) {
  ScriptedHttp http;
  http.Push(Status::Unavailable("connection refused"));
  LambdaRuntimeClient client(http, "127.0.0.1:9001");
  int calls = 0;
  Status s = RunLambdaLoop(
      client,
      [&](const LambdaInvocation&) {
        ++calls;
        return LambdaOutcome::Success("");
      },
      {}, Logger::Null());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(calls, 0);
}

TEST(FakeRuntimeApi, RefusesAnswersForUnknownOrAnsweredIds) {
  test::FakeRuntimeApi api;
  ASSERT_TRUE(api.ok());
  auto http = http::NewClient();
  LambdaRuntimeClient client(*http, api.endpoint());
  EXPECT_EQ(client.Respond("never-handed-out", "x").code(), Code::kInvalidArgument);
  api.Enqueue("e");
  auto inv = client.Next();
  ASSERT_TRUE(inv.ok());
  EXPECT_GT(inv->deadline_ms, 0);
  EXPECT_TRUE(client.Respond(inv->request_id, "1").ok());
  EXPECT_EQ(client.Respond(inv->request_id, "2").code(), Code::kInvalidArgument);
  EXPECT_EQ(api.violations().size(), 2u);
}

}  // namespace
}  // namespace eb::aws
