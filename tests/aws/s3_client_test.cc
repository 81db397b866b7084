// The S3 client over scripted HTTP answers: retries, backoff, error mapping,
// request shape. No network, no sleeping.
#include "aws/s3_client.h"

#include <gtest/gtest.h>

#include "fakes/fake_http.h"

namespace eb::aws {
namespace {

using test::MakeResponse;
using test::S3ErrorXml;
using test::ScriptedHttp;

const Credentials kCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", ""};

class S3ClientTest : public ::testing::Test {
 protected:
  S3ClientTest() : client_(Config(), http_, clock_, RetryPolicy{}, Hooks()) {}

  static S3Config Config() {
    S3Config c;
    c.scheme = "http";
    c.host = "127.0.0.1:7480";
    c.region = "us-east-1";
    c.path_style = true;
    c.credentials = kCreds;
    return c;
  }
  RetryHooks Hooks() {
    return {[this](TimeMs ms) { sleeps_.push_back(ms); }, [] { return 1.0; }};
  }
  // Every message the client produced must be free of the secret.
  void ExpectNoSecret(const Status& s) {
    EXPECT_EQ(s.message().find(kCreds.secret_access_key), std::string::npos) << s.ToString();
  }

  ScriptedHttp http_;
  FakeClock clock_{1440938160000};
  std::vector<TimeMs> sleeps_;
  S3Client client_;
};

TEST_F(S3ClientTest, PathStyleUrlEncodesTheKeyOnceAndSigns) {
  http_.Push(MakeResponse(200, "body"));
  auto r = client_.GetObject("bucket", "dir/a b+c%d/ü😀.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(http_.calls(), 1u);
  const std::vector<http::Request> sent = http_.requests();
  const http::Request& req = sent[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, "http://127.0.0.1:7480/bucket/dir/a%20b%2Bc%25d/%C3%BC%F0%9F%98%80.json");
  auto header = [&](const std::string& name) {
    for (const auto& [n, v] : req.headers) {
      if (n == name) return v;
    }
    return std::string("(missing)");
  };
  EXPECT_EQ(header("host"), "127.0.0.1:7480");
  EXPECT_EQ(header("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(header("x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(header("authorization")
                .rfind("AWS4-HMAC-SHA256 "
                       "Credential=AKIAIOSFODNN7EXAMPLE/20150830/us-east-1/s3/aws4_request, "
                       "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=",
                       0),
            0u);
}

TEST_F(S3ClientTest, VirtualHostedStyle) {
  S3Config c = Config();
  c.path_style = false;
  c.scheme = "https";
  c.host = "s3.eu-west-1.amazonaws.com";
  S3Client client(c, http_, clock_, RetryPolicy{}, Hooks());
  http_.Push(MakeResponse(200, "x"));
  ASSERT_TRUE(client.GetObject("bucket", "k/ey").ok());
  EXPECT_EQ(http_.requests()[0].url, "https://bucket.s3.eu-west-1.amazonaws.com/k/ey");
}

TEST_F(S3ClientTest, PutIfAbsentSendsIfNoneMatchAndMaps412ToAlreadyExists) {
  http_.Push(MakeResponse(
      412, S3ErrorXml("PreconditionFailed",
                      "At least one of the pre-conditions you specified did not hold", "req-1")));
  PutOptions o;
  o.if_none_match = true;
  auto r = client_.PutObject("bucket", "t/1", "claim", o);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsAlreadyExists()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("PreconditionFailed"), std::string::npos);
  EXPECT_NE(r.status().message().find("req-1"), std::string::npos);
  EXPECT_TRUE(sleeps_.empty()) << "412 is never retried";
  bool has = false;
  for (const auto& [n, v] : http_.requests()[0].headers) has |= n == "if-none-match" && v == "*";
  EXPECT_TRUE(has);
}

// A conditional PUT whose first answer was lost (the write landed, then a
// 503 or a timeout) meets its own object on the retry: 412. Read back, the
// body is ours: success. Another writer's body: "already exists". Unreadable:
// Unavailable (the caller must not decide that it lost).
TEST_F(S3ClientTest, PutIfAbsentRetriedAfterALostAnswerRecognisesItsOwnWrite) {
  PutOptions if_absent;
  if_absent.if_none_match = true;
  http_.Push(Status::Unavailable("timed out"));
  http_.Push(MakeResponse(412, S3ErrorXml("PreconditionFailed", "", "r1")));
  http_.Push(MakeResponse(200, "our claim"));
  EXPECT_TRUE(client_.PutObject("b", "t/1", "our claim", if_absent).ok());
  ASSERT_EQ(http_.calls(), 3u);
  EXPECT_EQ(http_.requests()[2].method, "GET");

  http_.Push(MakeResponse(503, S3ErrorXml("SlowDown", "", "r2")));
  http_.Push(MakeResponse(412, S3ErrorXml("PreconditionFailed", "", "r3")));
  http_.Push(MakeResponse(200, "their claim"));
  EXPECT_TRUE(client_.PutObject("b", "t/1", "our claim", if_absent).status().IsAlreadyExists());

  http_.Push(Status::Unavailable("timed out"));
  http_.Push(MakeResponse(412, S3ErrorXml("PreconditionFailed", "", "r4")));
  http_.Push(MakeResponse(403, S3ErrorXml("AccessDenied", "", "r5")));
  EXPECT_EQ(client_.PutObject("b", "t/1", "our claim", if_absent).status().code(), Code::kUnavailable);

  // A 412 on the first attempt is another's write: nothing is read.
  size_t before = http_.calls();
  http_.Push(MakeResponse(412, S3ErrorXml("PreconditionFailed", "", "r6")));
  EXPECT_TRUE(client_.PutObject("b", "t/1", "our claim", if_absent).status().IsAlreadyExists());
  EXPECT_EQ(http_.calls(), before + 1);
}

TEST_F(S3ClientTest, RetriesServerErrorsSlowDownConflictsAndTransportErrors) {
  http_.Push(MakeResponse(500, S3ErrorXml("InternalError", "", "r1")));
  http_.Push(MakeResponse(503, S3ErrorXml("SlowDown", "Please reduce your request rate.", "r2")));
  http_.Push(MakeResponse(409, S3ErrorXml("ConditionalRequestConflict", "", "r3")));
  http_.Push(Status::Unavailable("Couldn't connect to server"));
  http_.Push(MakeResponse(200, "", {{"etag", "\"abc\""}}));
  auto r = client_.PutObject("bucket", "k", "v");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "\"abc\"");
  EXPECT_EQ(http_.calls(), 5u);
  // Full jitter with uniform01 = 1: the caps themselves, doubling from 25 ms.
  EXPECT_EQ(sleeps_, (std::vector<TimeMs>{25, 50, 100, 200}));
  EXPECT_EQ(client_.requests_sent(), 5);
}

TEST_F(S3ClientTest, GivesUpAfterMaxAttemptsWithTheLastStatus) {
  http_.SetFallback(MakeResponse(409, S3ErrorXml("ConditionalRequestConflict", "", "r9")));
  PutOptions o;
  o.if_none_match = true;
  auto r = client_.PutObject("bucket", "t/1", "x", o);
  EXPECT_EQ(r.status().code(), Code::kConflict) << r.status().ToString();
  EXPECT_EQ(http_.calls(), 6u);
  EXPECT_EQ(sleeps_.size(), 5u);

  http_.SetFallback(
      MakeResponse(503, S3ErrorXml("SlowDown", "Please reduce your request rate.", "r10")));
  auto g = client_.GetObject("bucket", "k");
  EXPECT_EQ(g.status().code(), Code::kUnavailable);
  EXPECT_NE(g.status().message().find("SlowDown"), std::string::npos);

  http_.SetFallback(Status::Unavailable("Timeout was reached (GET http://127.0.0.1:7480)"));
  auto t = client_.GetObject("bucket", "k");
  EXPECT_EQ(t.status().code(), Code::kUnavailable);
  EXPECT_NE(t.status().message().find("Timeout"), std::string::npos);
}

TEST_F(S3ClientTest, NeverRetries403Or404) {
  http_.Push(MakeResponse(404, S3ErrorXml("NoSuchKey", "The specified key does not exist.", "r4")));
  auto g = client_.GetObject("bucket", "missing");
  EXPECT_TRUE(g.status().IsNotFound());
  EXPECT_NE(g.status().message().find("NoSuchKey"), std::string::npos);
  http_.Push(MakeResponse(403, S3ErrorXml("AccessDenied", "Access Denied", "r5")));
  auto d = client_.GetObject("bucket", "secret");
  EXPECT_EQ(d.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(http_.calls(), 2u);
}

TEST_F(S3ClientTest, ForbiddenNamesTheCredentialProblemWithoutTheSecret) {
  // AWS echoes the string to sign and the signature for SignatureDoesNotMatch.
  http_.Push(MakeResponse(
      403,
      "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does "
      "not match the signature you provided. Check your key and signing "
      "method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</"
      "AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256...</StringToSign><SignatureProvided>0123</"
      "SignatureProvided><RequestId>r6</RequestId></Error>"));
  auto s = client_.GetObject("bucket", "k").status();
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("r6"), std::string::npos);
  ExpectNoSecret(s);

  http_.Push(
      MakeResponse(403, S3ErrorXml("InvalidAccessKeyId", "", "r7")));  // Ceph: empty <Message>
  s = client_.PutObject("bucket", "k", "v").status();
  EXPECT_NE(s.message().find("InvalidAccessKeyId"), std::string::npos);
  EXPECT_NE(s.message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << s.message();
  ExpectNoSecret(s);

  http_.Push(MakeResponse(403, "", {{"x-amz-request-id", "r8"}}));  // HEAD: no body
  auto h = client_.HeadObject("bucket", "k");
  EXPECT_EQ(h.status().code(), Code::kPermissionDenied);
  EXPECT_NE(h.status().message().find("r8"), std::string::npos);
  ExpectNoSecret(h.status());
}

TEST_F(S3ClientTest, NoSuchBucketIsNotAMissingKey) {
  http_.Push(MakeResponse(404, S3ErrorXml("NoSuchBucket", "", "r")));
  auto g = client_.GetObject("nope", "k");
  EXPECT_EQ(g.status().code(), Code::kInvalidArgument) << g.status().ToString();
  http_.Push(MakeResponse(404, S3ErrorXml("NoSuchKey", "", "r")));
  EXPECT_TRUE(client_.DeleteObject("bucket", "k").ok()) << "deleting a missing key is ok";
}

TEST_F(S3ClientTest, ListObjectsV2SendsTheQueryAndParsesThePage) {
  http_.Push(MakeResponse(200, R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
<Contents><Key>p/a+b%2Bc</Key><LastModified>2026-11-24T06:00:00.123Z</LastModified><ETag>&quot;e&quot;</ETag><Size>12</Size></Contents>
<Contents><Key>p/%C3%BC</Key><LastModified>2026-11-24T06:00:01.000Z</LastModified><Size>0</Size></Contents>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>)"));
  ListRequest req;
  req.prefix = "p/";
  req.start_after = "p/0";
  req.continuation_token = "tok+/=";
  req.max_keys = 2;
  auto r = client_.ListObjectsV2("bucket", req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(http_.requests()[0].url,
            "http://127.0.0.1:7480/bucket/"
            "?continuation-token=tok%2B%2F%3D&encoding-type=url&list-type=2&max-keys=2&prefix=p%2F&"
            "start-after=p%2F0");
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "p/a b+c");
  EXPECT_EQ(r->objects[0].size, 12);
  EXPECT_EQ(r->objects[0].last_modified, 1795500000123);
  EXPECT_EQ(r->objects[1].key, "p/ü");
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_F(S3ClientTest, HeadObjectReadsTheHeaders) {
  http_.Push(MakeResponse(200, "",
                          {{"etag", "\"e1\""},
                           {"content-length", "42"},
                           {"last-modified", "Tue, 24 Nov 2026 06:00:00 GMT"},
                           {"date", "Tue, 24 Nov 2026 06:00:07 GMT"}}));
  auto h = client_.HeadObject("bucket", "k");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size, 42);
  EXPECT_EQ(h->etag, "\"e1\"");
  EXPECT_EQ(h->last_modified, 1795500000000);
  EXPECT_EQ(h->server_date, 1795500007000);
  http_.Push(MakeResponse(404));
  EXPECT_TRUE(client_.HeadObject("bucket", "missing").status().IsNotFound());
  http_.Push(MakeResponse(200, "", {{"date", "not a date"}}));
  auto no_date = client_.HeadObject("bucket", "k");
  ASSERT_TRUE(no_date.ok());
  EXPECT_EQ(no_date->server_date, 0);
}

TEST(Backoff, FullJitterStaysUnderTheDoublingCap) {
  RetryPolicy p;
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), 0);
  EXPECT_EQ(BackoffDelay(p, 1, 1.0), 25);
  EXPECT_EQ(BackoffDelay(p, 3, 0.5), 50);
  EXPECT_EQ(BackoffDelay(p, 30, 1.0), 2000);
}

}  // namespace
}  // namespace eb::aws
