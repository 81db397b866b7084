#include "actions/webhook_action.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "actions/local_actions.h"
#include "base/crypto.h"
#include "fakes/env.h"
#include "fakes/fake_http.h"
#include "fakes/loopback_server.h"
#include "fakes/sample_trip.h"
#include "http/http_client.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::MapEnv;

ActionSpec Hook(const std::string& url, bool signed_ = true) {
  ActionSpec a;
  a.type = "webhook";
  a.fields["url"] = url;
  if (signed_) a.fields["secret_env"] = "HOOK_SECRET";
  return a;
}

TEST(WebhookUrlTest, HttpsAnywhereHttpOnlyToLoopback) {
  EXPECT_TRUE(CheckWebhookUrl("https://hooks.example.com/x").ok());
  EXPECT_TRUE(CheckWebhookUrl("http://127.0.0.1:8080/x").ok());
  EXPECT_TRUE(CheckWebhookUrl("http://localhost/x").ok());
  EXPECT_TRUE(CheckWebhookUrl("http://[::1]:9/x").ok());
  EXPECT_FALSE(CheckWebhookUrl("http://hooks.example.com/x").ok());
  EXPECT_FALSE(CheckWebhookUrl("http://127.0.0.1.evil.com/x").ok());
  EXPECT_FALSE(CheckWebhookUrl("http://127.0.0.1@evil.com/x").ok());
  EXPECT_FALSE(CheckWebhookUrl("http://user@example.com/x").ok());
  EXPECT_FALSE(CheckWebhookUrl("ftp://example.com/x").ok());
  EXPECT_FALSE(CheckWebhookUrl("https:///x").ok());
}

// Issue 14: {vars} come from object keys. Substituted into a webhook URL they
// are percent-encoded after the host and refused before it, so no value can
// change the scheme, the host or the port, or add a segment, query or fragment.
TEST(WebhookUrlTest, VarsNeverChangeSchemeOrHost) {
  TripRecord trip = test::SampleTrip();
  for (std::string hostile :
       {"evil.com", "x/../../admin", "a?b=c#d", "@evil.com:443", "%2F..", "ü ok"}) {
    trip.bindings["date"] = hostile;
    auto url =
        WebhookUrl("https://hooks.example.com:8443/b/{date}?d={date}&g={generation}#{date}", trip);
    ASSERT_TRUE(url.ok()) << hostile << ": " << url.status().ToString();
    EXPECT_EQ(url->rfind("https://hooks.example.com:8443/b/", 0), 0u) << *url;
    std::string rest = url->substr(std::string("https://hooks.example.com:8443/b/").size());
    EXPECT_EQ(rest.find_first_of("/?#@:"), rest.find('?'))
        << "only the template's own '?': " << *url;
    EXPECT_EQ(std::count(url->begin(), url->end(), '#'), 1) << *url;
    EXPECT_EQ(std::count(url->begin(), url->end(), '/'), 4) << *url;
  }
  trip.bindings["date"] = "2026-11-24";
  EXPECT_EQ(*WebhookUrl("https://h.example/in/{date}/{barrier}?k={idempotency_key}", trip),
            "https://h.example/in/2026-11-24/sales?k=sales%2F2026-11-24%2F1");
  EXPECT_EQ(*WebhookUrl("https://h.example/{unknown}", trip), "https://h.example/{unknown}")
      << "an unknown name stays as written";
  for (std::string bad :
       {"https://{date}.example.com/x", "https://h.example:{port}/x", "https://{user}@h.example/x",
        "{scheme}://h.example/x", "http{s}://h.example/x"}) {
    Status s = CheckWebhookUrl(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("only after the host"), std::string::npos) << s.message();
    EXPECT_FALSE(WebhookUrl(bad, trip).ok()) << bad;
    EXPECT_FALSE(BuildWebhookRequest(Hook(bad, false), trip, MapEnv({})).ok()) << bad;
  }
  auto r = BuildWebhookRequest(Hook("https://h.example/in/{date}", false), trip, MapEnv({}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->url, "https://h.example/in/2026-11-24") << "the request goes to the substituted URL";
}

TEST(WebhookRequestTest, HeadersAndSignature) {
  auto r = BuildWebhookRequest(Hook("https://h.example/x"), test::SampleTrip(),
                               MapEnv({{"HOOK_SECRET", "s3cr3t"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, ManifestJson(test::SampleTrip()));
  EXPECT_EQ(r->method, "POST");
  std::map<std::string, std::string> h(r->headers.begin(), r->headers.end());
  EXPECT_EQ(h["Idempotency-Key"], "sales/2026-11-24/1");
  EXPECT_EQ(h["Content-Type"], "application/json");
  EXPECT_EQ(h[kDefaultSignatureHeader], "sha256=" + HexEncode(HmacSha256("s3cr3t", r->body)));
}

TEST(WebhookRequestTest, UnsignedAndCustomHeader) {
  auto r = BuildWebhookRequest(Hook("https://h.example/x", false), test::SampleTrip(), MapEnv({}));
  ASSERT_TRUE(r.ok());
  for (const auto& [k, v] : r->headers) EXPECT_NE(k, kDefaultSignatureHeader);
  ActionSpec a = Hook("https://h.example/x");
  a.fields["signature_header"] = "X-Hub-Signature-256";
  r = BuildWebhookRequest(a, test::SampleTrip(), MapEnv({{"HOOK_SECRET", "k"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->headers.back().first, "X-Hub-Signature-256");
}

TEST(WebhookRequestTest, MissingSecretIsAnError) {
  auto r = BuildWebhookRequest(Hook("https://h.example/x"), test::SampleTrip(), MapEnv({}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("HOOK_SECRET"), std::string::npos);
  EXPECT_FALSE(BuildWebhookRequest(Hook("https://h.example/x"), test::SampleTrip(),
                                   MapEnv({{"HOOK_SECRET", ""}}))
                   .ok());
}

TEST(CheckLocalActionsTest, NamesEveryProblem) {
  auto parsed = ParseConfig(R"({"barriers": {"b": {"members": ["x"], "on_complete": [
      {"type": "webhook", "url": "http://example.com/x", "secret_env": "NOPE"},
      {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:1:t"},
      {"type": "manifest", "key": "m"}]}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  Status s = CheckLocalActions(parsed.config, MapEnv({}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("b: on_complete[0].url"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("b: on_complete[0].secret_env"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("b: on_complete[1].type: 'sns'"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("on_complete[2]"), std::string::npos) << s.message();
}

TEST(WebhookActionTest, ReportsStatusAndFailsOnNon2xx) {
  test::ScriptedHttp http;
  http.Push(test::MakeResponse(204));
  http.Push(test::MakeResponse(503, "busy"));
  http.Push(Status::Unavailable("connection refused"));
  ActionReport report;
  ASSERT_TRUE(
      RunWebhook(Hook("https://h.example/x", false), test::SampleTrip(), http, MapEnv({}), &report)
          .ok());
  std::vector<std::pair<std::string, std::string>> want = {{"http_status", "204"}, {"url", "https://h.example/x"}};
  EXPECT_EQ(report.fields, want);
  Status s =
      RunWebhook(Hook("https://h.example/x", false), test::SampleTrip(), http, MapEnv({}), &report);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("HTTP 503: busy"), std::string::npos) << s.message();
  EXPECT_FALSE(
      RunWebhook(Hook("https://h.example/x", false), test::SampleTrip(), http, MapEnv({}), &report)
          .ok());
  ASSERT_EQ(http.calls(), 3u);
  EXPECT_EQ(http.requests()[0].url, "https://h.example/x");
  EXPECT_EQ(http.requests()[0].body, ManifestJson(test::SampleTrip()));
}

// Answers 200, or the given statuses in order and then 200.
test::LoopbackServer::Handler Answers(std::vector<int> statuses = {}) {
  auto next = std::make_shared<std::pair<std::mutex, std::vector<int>>>();
  next->second.assign(statuses.rbegin(), statuses.rend());
  return [next](const test::CapturedRequest&) {
    std::lock_guard<std::mutex> lock(next->first);
    int status = 200;
    if (!next->second.empty()) {
      status = next->second.back();
      next->second.pop_back();
    }
    return test::MakeResponse(status, "ok");
  };
}

// Through the HTTP client to a real socket: what a receiver sees.
TEST(CurlWebhookTest, LoopbackReceiverChecksHeadersAndSignature) {
  test::LoopbackServer server(Answers());
  ASSERT_TRUE(server.ok());
  std::string url = server.endpoint() + "/hook";
  auto client = http::NewClient();
  ActionReport report;
  Status s = RunWebhook(Hook(url), test::SampleTrip(), *client, MapEnv({{"HOOK_SECRET", "s3cr3t"}}),
                        &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.Header("idempotency-key"), "sales/2026-11-24/1");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("expect"), "");
  // The receiver's side: recompute the HMAC over the raw body, compare in constant time.
  EXPECT_TRUE(ConstantTimeEquals(r.Header("x-eventbarrier-signature"),
                                 "sha256=" + HexEncode(HmacSha256("s3cr3t", r.body))));
  auto manifest = nlohmann::json::parse(r.body);
  EXPECT_EQ(manifest.at("idempotency_key"), "sales/2026-11-24/1");
  EXPECT_EQ(manifest.at("objects").at(0).at("key"), "sales/2026-11-24/east.csv");
  std::vector<std::pair<std::string, std::string>> want = {{"http_status", "200"}, {"url", url}};
  EXPECT_EQ(report.fields, want);
}

TEST(CurlWebhookTest, Non2xxFailsTheActionAndEveryAttemptCarriesTheSameKey) {
  test::LoopbackServer server(Answers({500, 404}));
  std::string url = server.endpoint() + "/hook";
  auto client = http::NewClient();
  ActionReport report;
  Status s = RunWebhook(Hook(url, false), test::SampleTrip(), *client, MapEnv({}), &report);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 500"), std::string::npos) << s.message();
  EXPECT_FALSE(RunWebhook(Hook(url, false), test::SampleTrip(), *client, MapEnv({}), &report).ok());
  EXPECT_TRUE(RunWebhook(Hook(url, false), test::SampleTrip(), *client, MapEnv({}), &report).ok());
  EXPECT_EQ(server.requests().size(), 3u);
  for (const auto& r : server.requests()) EXPECT_EQ(r.Header("idempotency-key"), "sales/2026-11-24/1");
}

TEST(CurlWebhookTest, NoAnswerIsUnavailable) {
  std::string url;
  {
    test::LoopbackServer gone(Answers());
    url = gone.endpoint() + "/gone";
  }
  auto client = http::NewClient();
  ActionReport report;
  Status s = RunWebhook(Hook(url, false), test::SampleTrip(), *client, MapEnv({}), &report);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
}

TEST(LocalActionRunnerTest, WebhookThroughTheRunner) {
  test::LoopbackServer server(Answers());
  auto client = http::NewClient();
  FakeClock clock;
  MemoryStore store(clock);
  LocalActionRunner runner(store, Logger::Null(), client.get(), MapEnv({{"HOOK_SECRET", "k"}}));
  ActionReport report;
  ASSERT_TRUE(
      runner.RunReporting(Hook(server.endpoint() + "/hook"), test::SampleTrip(), &report).ok());
  EXPECT_EQ(server.requests().size(), 1u);
  LocalActionRunner no_client(store, Logger::Null());
  EXPECT_FALSE(no_client.Run(Hook(server.endpoint() + "/hook"), test::SampleTrip()).ok());
}

}  // namespace
}  // namespace eb
