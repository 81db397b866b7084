// State URLs and the AWS environment: parsing, precedence, and no secret in any message.
#include "aws/s3_config.h"

#include <gtest/gtest.h>

#include <map>

#include "fakes/env.h"

namespace eb::aws {
namespace {

using test::MapEnv;

const std::map<std::string, std::string> kCreds = {
    {"AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"},
    {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}};

TEST(S3Url, BucketPrefixAndOptions) {
  auto loc = ParseS3Url(
      "s3://my-bucket/state/dir?endpoint=http://127.0.0.1:7480&region=eu-west-1&path_style=false");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->bucket, "my-bucket");
  EXPECT_EQ(loc->prefix, "state/dir/");
  EXPECT_EQ(*loc->endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(*loc->region, "eu-west-1");
  EXPECT_EQ(*loc->path_style, "false");
  EXPECT_FALSE(loc->timeout_ms.has_value()) << "unset: the HTTP client's default";

  auto timed = ParseS3Url("s3://b/p?timeout_ms=2500");
  ASSERT_TRUE(timed.ok()) << timed.status().ToString();
  EXPECT_EQ(*timed->timeout_ms, 2500);

  auto bare = ParseS3Url("s3://b");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->prefix, "");
  auto encoded = ParseS3Url("s3://b/p/?endpoint=http%3A%2F%2Flocalhost%3A9000");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded->endpoint, "http://localhost:9000");
  EXPECT_EQ(encoded->prefix, "p/");
}

TEST(S3Url, ProblemsAreNamed) {
  EXPECT_NE(ParseS3Url("s3:///prefix").status().message().find("no bucket"), std::string::npos);
  EXPECT_NE(ParseS3Url("s3://Bad_Bucket/x").status().message().find("bucket name"),
            std::string::npos);
  EXPECT_NE(ParseS3Url("s3://b/x?endpoit=x").status().message().find("unknown option 'endpoit'"),
            std::string::npos);
  EXPECT_NE(ParseS3Url("s3://b/x?path_style=yes").status().message().find("path_style"),
            std::string::npos);
  for (const char* bad : {"s3://b/x?timeout_ms=", "s3://b/x?timeout_ms=0", "s3://b/x?timeout_ms=5s",
                          "s3://b/x?timeout_ms=-1"}) {
    EXPECT_NE(ParseS3Url(bad).status().message().find("timeout_ms"), std::string::npos) << bad;
  }
  EXPECT_FALSE(ParseS3Url("file:///x").ok());
}

TEST(S3Config, AwsDefaults) {
  auto vars = kCreds;
  vars["AWS_REGION"] = "eu-central-1";
  auto c = ResolveS3Config(*ParseS3Url("s3://bucket/p"), MapEnv(vars));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scheme, "https");
  EXPECT_EQ(c->host, "s3.eu-central-1.amazonaws.com");
  EXPECT_FALSE(c->path_style);
  EXPECT_EQ(c->region, "eu-central-1");
  EXPECT_EQ(c->credentials.access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_TRUE(c->credentials.session_token.empty());

  auto d = ResolveS3Config(*ParseS3Url("s3://bucket/p"), MapEnv(kCreds));
  EXPECT_EQ(d->region, "us-east-1");
}

TEST(S3Config, EndpointPrecedenceUrlThenS3VariableThenGeneric) {
  auto vars = kCreds;
  vars["AWS_ENDPOINT_URL"] = "http://generic:1";
  auto c = ResolveS3Config(*ParseS3Url("s3://b"), MapEnv(vars));
  EXPECT_EQ(c->host, "generic:1");
  EXPECT_TRUE(c->path_style) << "a custom endpoint defaults to path-style";
  vars["AWS_ENDPOINT_URL_S3"] = "http://s3only:2/";
  c = ResolveS3Config(*ParseS3Url("s3://b"), MapEnv(vars));
  EXPECT_EQ(c->host, "s3only:2");
  c = ResolveS3Config(*ParseS3Url("s3://b?endpoint=https://url:3&path_style=false&region=r"),
                      MapEnv(vars));
  EXPECT_EQ(c->scheme, "https");
  EXPECT_EQ(c->host, "url:3");
  EXPECT_FALSE(c->path_style);
  EXPECT_EQ(c->region, "r");
  vars["AWS_ENDPOINT_URL_S3"] = "127.0.0.1:7480";
  EXPECT_NE(ResolveS3Config(*ParseS3Url("s3://b"), MapEnv(vars)).status().message().find("scheme"),
            std::string::npos);
}

TEST(S3Config, SessionTokenAndMissingCredentials) {
  auto vars = kCreds;
  vars["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzEXAMPLETOKEN";
  auto c = CredentialsFromEnv(MapEnv(vars));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->session_token, "FwoGZXIvYXdzEXAMPLETOKEN");

  auto none = CredentialsFromEnv(MapEnv({}));
  EXPECT_EQ(none.status().code(), Code::kPermissionDenied);
  EXPECT_NE(none.status().message().find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
            std::string::npos);
  auto half =
      CredentialsFromEnv(MapEnv({{"AWS_ACCESS_KEY_ID", "AKIA"}, {"AWS_SECRET_ACCESS_KEY", ""}}));
  EXPECT_NE(half.status().message().find("set AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(S3Config, DescribeNeverShowsTheSecretOrToken) {
  auto vars = kCreds;
  vars["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzEXAMPLETOKEN";
  auto c = ResolveS3Config(*ParseS3Url("s3://b?endpoint=http://127.0.0.1:7480"), MapEnv(vars));
  std::string d = c->Describe();
  EXPECT_EQ(d, "http://127.0.0.1:7480 (us-east-1, path-style, key AKIA...MPLE (session))");
  EXPECT_EQ(d.find("wJalr"), std::string::npos);
  EXPECT_EQ(d.find("FwoG"), std::string::npos);
}

}  // namespace
}  // namespace eb::aws
