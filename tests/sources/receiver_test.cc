// The HTTP receiver without a network: requests go straight to
// Receiver::Handle, which records arrivals with real engines on an in-memory
// store (wrapped in a FaultStore to make it unavailable). Auth, limits, every
// status code, SNS confirmation (a scripted HTTP client records what would
// have been fetched), metrics, and two "replicas" sharing one store.
#include "sources/receiver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "actions/local_actions.h"
#include "core/keys.h"
#include "core/trip.h"
#include "fakes/one_trip.h"
#include "fakes/fake_http.h"
#include "fakes/fault_store.h"
#include "sources/engine_pool.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using nlohmann::json;
using test::Fault;
using test::StoreOp;

constexpr char kToken[] = "s3cr3t-token-0123456789";

// What `serve` does with a decoded body: the whole body or nothing.
InvocationResult Deliver(Engine& engine, const DecodedPayload& payload) {
  return ProcessDecoded(engine, payload, {.partial_batch = false});
}

json CephRecord(const std::string& key, const std::string& sequencer) {
  return {{"eventVersion", "2.2"},
          {"eventSource", "ceph:s3"},
          {"awsRegion", ""},
          {"eventTime", "2026-11-24T21:40:16.065450Z"},
          {"eventName", "ObjectCreated:Put"},
          {"s3",
           {{"s3SchemaVersion", "1.0"},
            {"bucket", {{"name", "in"}, {"arn", "arn:aws:s3:::in"}}},
            {"object",
             {{"key", key},
              {"size", "6"},
              {"eTag", "e-" + sequencer},
              {"versionId", ""},
              {"sequencer", sequencer}}}}},
          {"eventId", "1795556416.068095." + sequencer},
          {"opaqueData", ""}};
}

std::string Records(std::initializer_list<json> records) {
  json list = json::array();
  for (const json& r : records) list.push_back(r);
  return json{{"Records", list}}.dump();
}

http::ServerRequest Post(const std::string& body,
                         const std::string& auth = std::string("Bearer ") + kToken) {
  http::ServerRequest r;
  r.method = "POST";
  r.path = "/";
  r.body = body;
  r.remote_addr = "127.0.0.1";
  if (!auth.empty()) r.headers.emplace_back("authorization", auth);
  return r;
}

http::ServerRequest Get(const std::string& path) {
  http::ServerRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

std::string Basic(const std::string& user_password) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < user_password.size(); i += 3) {
    uint32_t n = (uint8_t(user_password[i]) << 16) | (uint8_t(user_password[i + 1]) << 8) |
                 uint8_t(user_password[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (size_t rest = user_password.size() - i; rest > 0) {
    uint32_t n = uint8_t(user_password[i]) << 16;
    if (rest == 2) n |= uint8_t(user_password[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return "Basic " + out;
}

json Body(const http::ServerResponse& r) { return json::parse(r.body, nullptr, false); }

std::optional<std::string> HeaderOf(const http::ServerResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return std::nullopt;
}

// The metric line `name` (with labels, if any) and its value.
double Metric(const std::string& text, const std::string& name) {
  size_t pos = text.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + name.size() + 2));
}

class ReceiverTest : public ::testing::Test {
 protected:
  ~ReceiverTest() override { std::fclose(log_file_); }

  // A receiver over `store_` (through the fault policy) with `options`.
  void Start(ReceiverOptions options = {},
             const std::string& config = R"({"pair": ["in/a", "in/b"]})") {
    if (options.token.empty() && !no_token_) options.token = kToken;
    parsed_ = ParseConfig(config);
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
    engine_ = std::make_unique<Engine>(parsed_.config, faulty_, actions_, clock_, Logger::Null());
    receiver_ = std::make_unique<Receiver>(
        std::move(options),
        [this](const DecodedPayload& p) {
          if (deliver_hook_) return deliver_hook_(p);
          return Deliver(*engine_, p);
        },
        &confirm_http_, metrics_, clock_, log_);
  }
  http::ServerResponse Handle(const http::ServerRequest& r) { return receiver_->Handle(r); }
  std::string Logs() {
    std::fflush(log_file_);
    std::rewind(log_file_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, log_file_)) > 0) out.append(buf, n);
    return out;
  }

  FakeClock clock_;
  MemoryStore store_{clock_};
  std::atomic<bool> store_down_{false};
  test::FaultStore faulty_{store_, [this](StoreOp, const std::string&) {
                             return store_down_ ? Fault::kUnavailable : Fault::kNone;
                           }};
  test::RecordingActions actions_;  // succeeds unless a test sets `fail`
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
  std::FILE* log_file_ = std::tmpfile();
  Logger log_{log_file_, Logger::Format::kJson, nullptr};
  ReceiverMetrics metrics_;
  test::ScriptedHttp confirm_http_;
  std::function<InvocationResult(const DecodedPayload&)> deliver_hook_;
  std::unique_ptr<Receiver> receiver_;
  bool no_token_ = false;
};

TEST_F(ReceiverTest, CephRecordsTripOnceAndDuplicatesAreCounted) {
  Start();
  auto r1 = Handle(Post(Records({CephRecord("in/a/x.csv", "01")})));
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(Body(r1)["arrivals"], 1);
  EXPECT_TRUE(Body(r1)["trips"].empty());
  auto dup = Handle(Post(Records({CephRecord("in/a/x.csv", "01")})));
  ASSERT_EQ(dup.status, 200) << dup.body;
  EXPECT_EQ(Body(dup)["duplicates"], 1);
  auto r2 = Handle(Post(Records({CephRecord("in/b/y.csv", "02"), CephRecord("in/a/x.csv", "01")})));
  ASSERT_EQ(r2.status, 200) << r2.body;
  ASSERT_EQ(Body(r2)["trips"].size(), 1u) << r2.body;
  EXPECT_EQ(Body(r2)["trips"][0]["barrier"], "pair");
  EXPECT_EQ(Body(r2)["trips"][0]["generation"], 1);

  std::string text = Handle(Get("/metrics")).body;
  // The copy of in/a after the trip re-creates its consumed marker (counted as an
  // arrival, dropped before any claim: see the engine); 4 deliveries in all.
  EXPECT_EQ(
      Metric(text, "eventbarrier_arrivals_total") + Metric(text, "eventbarrier_duplicates_total"),
      4)
      << text;
  EXPECT_EQ(Metric(text, "eventbarrier_trips_total"), 1) << text;
  EXPECT_EQ(Metric(text, "eventbarrier_timeouts_total"), 0) << text;
  EXPECT_EQ(Metric(text, "eventbarrier_notifications_total{code=\"200\"}"), 3) << text;
  EXPECT_EQ(Metric(text, "eventbarrier_request_duration_seconds_count"), 3) << text;
  EXPECT_EQ(Logs().find(kToken), std::string::npos) << "the token is never logged";
}

TEST_F(ReceiverTest, LateArrivalsAreCountedInTheMetrics) {
  // Issue 14: a re-upload into a once-mode instance that tripped is late.
  Start({}, R"({"barriers": {"d": {"members": ["in/{day}/a", "in/{day}/b"], "mode": "once"}}})");
  auto trip = Handle(Post(Records({CephRecord("in/1/a", "01"), CephRecord("in/1/b", "02")})));
  ASSERT_EQ(trip.status, 200) << trip.body;
  ASSERT_EQ(Body(trip)["trips"].size(), 1u) << trip.body;
  EXPECT_EQ(Body(trip)["late"], 0);
  EXPECT_EQ(Metric(metrics_.RenderPrometheus(), "eventbarrier_late_arrivals_total"), 0);
  auto late = Handle(Post(Records({CephRecord("in/1/a", "03")})));
  ASSERT_EQ(late.status, 200) << late.body;
  EXPECT_EQ(Body(late)["arrivals"], 1);
  EXPECT_EQ(Body(late)["late"], 1);
  std::string text = Handle(Get("/metrics")).body;
  EXPECT_EQ(Metric(text, "eventbarrier_late_arrivals_total"), 1) << text;
  EXPECT_EQ(metrics_.late(), 1);
}

TEST_F(ReceiverTest, TokenIsRequiredAsBearerOrAsBasicPassword) {
  Start();
  const std::string body = Records({CephRecord("in/a/x.csv", "01")});
  auto none = Handle(Post(body, ""));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(HeaderOf(none, "WWW-Authenticate"), "Bearer realm=\"eventbarrier\"");
  EXPECT_FALSE(Body(none)["ok"].get<bool>());
  EXPECT_EQ(Handle(Post(body, "Bearer wrong-token-0123456789")).status, 401);
  EXPECT_EQ(Handle(Post(body, std::string("Bearer ") + kToken + "x")).status, 401)
      << "a longer token";
  EXPECT_EQ(Handle(Post(body, std::string("Bearer ") + std::string(kToken).substr(1))).status, 401);
  EXPECT_EQ(Handle(Post(body, kToken)).status, 401) << "no scheme";
  EXPECT_EQ(Handle(Post(body, "Bearer ")).status, 401);
  EXPECT_EQ(Handle(Post(body, Basic(std::string("eventbarrier:") + "nope"))).status, 401);
  EXPECT_EQ(Handle(Post(body, "Basic !!!not-base64")).status, 401);
  EXPECT_EQ(Handle(Post(body, Basic(kToken))).status, 401) << "Basic without user:";
  EXPECT_EQ(metrics_.arrivals(), 0) << "nothing recorded without the token";
  EXPECT_EQ(metrics_.errors(ErrorKind::kUnauthorized), 9);

  EXPECT_EQ(Handle(Post(body, std::string("bearer ") + kToken)).status, 200)
      << "scheme is case-insensitive";
  EXPECT_EQ(Handle(Post(body, Basic(std::string("ceph:") + kToken))).status, 200);
  EXPECT_EQ(Handle(Post(body, Basic(std::string(":") + kToken))).status, 200);
  std::string logs = Logs();
  EXPECT_NE(logs.find("no valid token"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(kToken), std::string::npos)
      << "neither the token nor what was presented is logged";
  EXPECT_EQ(logs.find("wrong-token"), std::string::npos);
}

TEST_F(ReceiverTest, WithoutATokenEveryPostIsAccepted) {
  no_token_ = true;
  Start();
  EXPECT_EQ(Handle(Post(Records({CephRecord("in/a/x.csv", "01")}), "")).status, 200);
}

TEST_F(ReceiverTest, BadBodiesAre400WithTheFieldNamed) {
  Start();
  auto empty = Handle(Post(""));
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Body(empty)["error"], "body: empty");

  auto not_json = Handle(Post("{\"Records\": [1, 2"));
  EXPECT_EQ(not_json.status, 400) << not_json.body;

  json no_key = CephRecord("in/a/x.csv", "01");
  no_key["s3"]["object"].erase("key");
  auto missing = Handle(Post(Records({CephRecord("in/b/ok.csv", "02"), no_key})));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(Body(missing)["error"].get<std::string>().find("Records[1].s3.object.key"),
            std::string::npos)
      << missing.body;
  EXPECT_EQ(metrics_.arrivals(), 0) << "a body that fails to decode records nothing";

  auto other = Handle(Post(R"({"hello": "world"})"));
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(Body(other)["error"].get<std::string>().find("not a recognized event"),
            std::string::npos);

  // An SQS batch whose second message is broken: refused whole, naming the message.
  json sqs = {{"Records",
               {{{"messageId", "m1"},
                 {"body", Records({CephRecord("in/a/x.csv", "01")})},
                 {"eventSource", "aws:sqs"}},
                {{"messageId", "m2"}, {"body", "{"}, {"eventSource", "aws:sqs"}}}}};
  auto batch = Handle(Post(sqs.dump()));
  EXPECT_EQ(batch.status, 400);
  EXPECT_NE(Body(batch)["error"].get<std::string>().find("SQS message m2"), std::string::npos)
      << batch.body;
  EXPECT_EQ(metrics_.errors(ErrorKind::kBadRequest), 5);
}

TEST_F(ReceiverTest, BodyOverTheLimitIs413) {
  ReceiverOptions options;
  options.max_body_bytes = 100;
  Start(options);
  auto r = Handle(Post(std::string(101, ' ')));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(Body(r)["error"].get<std::string>().find("larger than 100 bytes"), std::string::npos);
}

TEST_F(ReceiverTest, StoreUnavailableIs503AndTheResentBodyTrips) {
  Start();
  ASSERT_EQ(Handle(Post(Records({CephRecord("in/a/x.csv", "01")}))).status, 200);
  store_down_ = true;
  const std::string second = Records({CephRecord("in/b/y.csv", "02")});
  auto down = Handle(Post(second));
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(HeaderOf(down, "Retry-After"), "1");
  EXPECT_NE(Body(down)["error"].get<std::string>().find("unavailable"), std::string::npos)
      << down.body;
  EXPECT_EQ(metrics_.errors(ErrorKind::kStore), 1);
  store_down_ = false;
  auto again = Handle(Post(second));  // what Ceph's persistent topic does
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Body(again)["trips"].size(), 1u) << "the resent event completes the barrier";
}

TEST_F(ReceiverTest, NonRetryableEngineFailureIs500) {
  Start();
  deliver_hook_ = [](const DecodedPayload&) {
    return InvocationResult{Status::PermissionDenied("403 AccessDenied")};
  };
  auto r = Handle(Post(Records({CephRecord("in/a/x.csv", "01")})));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(metrics_.errors(ErrorKind::kInternal), 1);
  deliver_hook_ = [](const DecodedPayload&) -> InvocationResult {
    throw std::runtime_error("boom");
  };
  EXPECT_EQ(Handle(Post(Records({CephRecord("in/a/x.csv", "01")}))).status, 500);
}

TEST_F(ReceiverTest, RoutesMethodsHealthAndDraining) {
  Start();
  EXPECT_EQ(Handle(Get("/healthz")).status, 200);
  EXPECT_EQ(Body(Handle(Get("/healthz")))["status"], "ok");
  EXPECT_EQ(Handle(Get("/")).status, 404);
  http::ServerRequest put = Post("{}");
  put.method = "PUT";
  auto r = Handle(put);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "Allow"), "GET, POST");
  auto metrics = Handle(Get("/metrics"));
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(metrics.body.find("# TYPE eventbarrier_request_duration_seconds histogram"),
            std::string::npos);

  receiver_->BeginDrain();
  EXPECT_EQ(Handle(Get("/healthz")).status, 503);
  auto refused = Handle(Post(Records({CephRecord("in/a/x.csv", "01")})));
  EXPECT_EQ(refused.status, 503);
  EXPECT_TRUE(refused.close_connection);
  EXPECT_EQ(metrics_.arrivals(), 0);
}

TEST_F(ReceiverTest, LatencyHistogramBucketsTheRequestTime) {
  Start();
  deliver_hook_ = [this](const DecodedPayload& p) {
    clock_.Advance(300);  // the store takes 300 ms
    return Deliver(*engine_, p);
  };
  ASSERT_EQ(Handle(Post(Records({CephRecord("in/a/x.csv", "01")}))).status, 200);
  std::string text = metrics_.RenderPrometheus();
  EXPECT_EQ(Metric(text, "eventbarrier_request_duration_seconds_bucket{le=\"0.25\"}"), 0) << text;
  EXPECT_EQ(Metric(text, "eventbarrier_request_duration_seconds_bucket{le=\"0.5\"}"), 1) << text;
  EXPECT_EQ(Metric(text, "eventbarrier_request_duration_seconds_bucket{le=\"+Inf\"}"), 1) << text;
  EXPECT_DOUBLE_EQ(Metric(text, "eventbarrier_request_duration_seconds_sum"), 0.3) << text;
}

// A trip whose action fails: the notification is recorded (200, nothing for
// the sender to resend) and eventbarrier_trip_failures_total counts it.
TEST_F(ReceiverTest, AFailingActionIsCountedNotRefused) {
  Start({}, R"({"barriers": {"pair": {"members": ["in/a", "in/b"],
                 "on_complete": [{"type": "manifest", "key": "out"}]}}})");
  actions_.fail = [](const ActionSpec&, const TripRecord&) { return true; };
  auto r = Handle(Post(Records({CephRecord("in/a/x.csv", "01"), CephRecord("in/b/y.csv", "02")})));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(metrics_.trip_failures(), 1);
  std::string text = metrics_.RenderPrometheus();
  EXPECT_EQ(Metric(text, "eventbarrier_trip_failures_total"), 1) << text;
  EXPECT_EQ(Metric(text, "eventbarrier_trips_total"), 0) << text;
}

TEST_F(ReceiverTest, SnsNotificationAndEventBridgeEventsAreRecorded) {
  Start();
  json sns = {{"Type", "Notification"},
              {"MessageId", "m-1"},
              {"TopicArn", "arn:aws:sns:us-east-1:123456789012:t"},
              {"Message", Records({CephRecord("in/a/x.csv", "01")})},
              {"Timestamp", "2026-11-24T06:00:00.000Z"}};
  http::ServerRequest r = Post(sns.dump());
  r.headers.emplace_back("x-amz-sns-message-type", "Notification");
  auto a = Handle(r);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(Body(a)["arrivals"], 1);

  json eventbridge = {
      {"version", "0"},
      {"id", "e-1"},
      {"detail-type", "Object Created"},
      {"source", "aws.s3"},
      {"time", "2026-11-24T06:00:00Z"},
      {"region", "us-east-1"},
      {"detail",
       {{"bucket", {{"name", "in"}}},
        {"object", {{"key", "in/b/y.csv"}, {"size", 5}, {"etag", "e2"}, {"sequencer", "02"}}},
        {"reason", "PutObject"}}}};
  auto b = Handle(Post(eventbridge.dump()));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(Body(b)["trips"].size(), 1u) << b.body;

  json schedule = {{"version", "0"},
                   {"detail-type", "Scheduled Event"},
                   {"source", "aws.events"},
                   {"detail", json::object()}};
  auto s = Handle(Post(schedule.dump()));
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_TRUE(Body(s)["swept"].get<bool>());
}

// --- SNS subscription confirmation ---

json Confirmation(const std::string& url,
                  const std::string& topic = "arn:aws:sns:us-east-1:123456789012:t") {
  return {
      {"Type", "SubscriptionConfirmation"},
      {"MessageId", "c-1"},
      {"Token", "2336412f37"},
      {"TopicArn", topic},
      {"Message", "You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL."},
      {"SubscribeURL", url},
      {"Timestamp", "2026-11-24T06:00:00.000Z"},
      {"SignatureVersion", "1"},
      {"Signature", "EXAMPLE"},
      {"SigningCertURL", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem"}};
}

constexpr char kSubscribeUrl[] =
    "https://sns.us-east-1.amazonaws.com/"
    "?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:t"
    "&Token=2336412f37";

TEST_F(ReceiverTest, SnsConfirmationIsOffByDefaultAndNothingIsFetched) {
  Start();
  http::ServerRequest r = Post(Confirmation(kSubscribeUrl).dump());
  r.headers.emplace_back("x-amz-sns-message-type", "SubscriptionConfirmation");
  auto a = Handle(r);
  EXPECT_EQ(a.status, 403);
  EXPECT_NE(Body(a)["error"].get<std::string>().find("confirmation is off"), std::string::npos);
  EXPECT_EQ(confirm_http_.calls(), 0u);
  EXPECT_NE(Logs().find("Action=ConfirmSubscription"), std::string::npos)
      << "logged for a manual confirmation";
}

TEST_F(ReceiverTest, SnsConfirmationFetchesOnlyAllowedUrls) {
  ReceiverOptions options;
  options.sns.enabled = true;
  options.sns.allowed_hosts = {"sns.us-east-1.amazonaws.com"};
  Start(options);
  confirm_http_.Push(test::MakeResponse(200, "<ConfirmSubscriptionResponse/>"));
  auto ok = Handle(Post(Confirmation(kSubscribeUrl).dump()));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(Body(ok)["confirmed"].get<bool>());
  ASSERT_EQ(confirm_http_.calls(), 1u);
  EXPECT_EQ(confirm_http_.requests()[0].method, "GET");
  EXPECT_EQ(confirm_http_.requests()[0].url, kSubscribeUrl);
  EXPECT_GT(confirm_http_.requests()[0].timeout_ms, 0);

  for (const std::string url : {
           "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",        // plain http
           "https://169.254.169.254/latest/meta-data/?Action=ConfirmSubscription",  // metadata
                                                                                    // service
           "https://sns.us-east-1.amazonaws.com@evil.example/?Action=ConfirmSubscription",  // userinfo
                                                                                            // trick
           "https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription",
           "https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription",  // another port
           "https://sns.us-east-1.amazonaws.com/?Action=Publish&Message=x",  // another action
           "file:///etc/passwd",
       }) {
    auto refused = Handle(Post(Confirmation(url).dump()));
    EXPECT_EQ(refused.status, 403) << url << " " << refused.body;
  }
  EXPECT_EQ(confirm_http_.calls(), 1u) << "no refused URL was fetched";

  confirm_http_.Push(test::MakeResponse(500, "oops"));
  EXPECT_EQ(Handle(Post(Confirmation(kSubscribeUrl).dump())).status, 502);
  confirm_http_.Push(Status::Unavailable("connection refused"));
  EXPECT_EQ(Handle(Post(Confirmation(kSubscribeUrl).dump())).status, 502);

  auto unsubscribed = json(Confirmation(kSubscribeUrl));
  unsubscribed["Type"] = "UnsubscribeConfirmation";
  EXPECT_EQ(Handle(Post(unsubscribed.dump())).status, 200);
  EXPECT_EQ(confirm_http_.calls(), 3u) << "an unsubscribe confirmation fetches nothing";

  auto bad = json(Confirmation(kSubscribeUrl));
  bad.erase("SubscribeURL");
  auto r = Handle(Post(bad.dump()));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "SubscribeURL: missing");
}

// Two receivers ("replicas"), each with its own engine, share one store;
// eight threads deliver every event to both, twice: each barrier trips once.
TEST(ReceiverReplicasTest, TwoReplicasSharingAStoreTripEachBarrierOnce) {
  FakeClock clock;
  MemoryStore store(clock);
  NoActions actions;
  std::string config = "{";
  constexpr int kBarriers = 20;
  for (int b = 0; b < kBarriers; ++b) {
    config += (b ? "," : "") + std::string("\"b") + std::to_string(b) + "\": [\"in/" +
              std::to_string(b) + "/x\", \"in/" + std::to_string(b) + "/y\", \"in/" +
              std::to_string(b) + "/z\"]";
  }
  config += "}";
  ConfigParse parsed = ParseConfig(config);
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  ReceiverMetrics metrics[2];
  std::vector<std::unique_ptr<EnginePool>> pools;
  std::vector<std::unique_ptr<Receiver>> replicas;
  for (int r = 0; r < 2; ++r) {
    pools.push_back(std::make_unique<EnginePool>(4, [&, r](int i) {
      EngineOptions o;
      o.worker_id = "replica" + std::to_string(r) + "-" + std::to_string(i);
      return std::make_unique<Engine>(parsed.config, store, actions, clock, Logger::Null(), o);
    }));
    ReceiverOptions options;
    options.token = kToken;
    EnginePool* pool = pools.back().get();
    replicas.push_back(std::make_unique<Receiver>(
        options,
        [pool](const DecodedPayload& p) {
          return pool->With([&](Engine& e) { return Deliver(e, p); });
        },
        nullptr, metrics[r], clock, Logger::Null()));
  }
  std::vector<std::string> bodies;
  int seq = 0;
  for (int b = 0; b < kBarriers; ++b) {
    for (const char* m : {"x", "y", "z"}) {
      bodies.push_back(
          Records({CephRecord("in/" + std::to_string(b) + "/" + m + "/f", std::to_string(++seq))}));
    }
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < bodies.size(); ++i) {
        size_t k = (i * 7 + static_cast<size_t>(t) * 13) % bodies.size();
        if (replicas[t % 2]->Handle(Post(bodies[k])).status != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(metrics[0].trips() + metrics[1].trips(), kBarriers);
  EXPECT_EQ(metrics[0].arrivals() + metrics[1].arrivals() + metrics[0].duplicates() +
                metrics[1].duplicates(),
            8 * static_cast<int64_t>(bodies.size()));
  for (int b = 0; b < kBarriers; ++b) {
    test::ExpectOneTripAnyOtherVoid(store, ".eventbarrier/b" + std::to_string(b) + "/_/t/", "b" + std::to_string(b));
  }
}

}  // namespace
}  // namespace eb
