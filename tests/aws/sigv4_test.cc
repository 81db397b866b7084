// Unit tests of the SigV4 building blocks; the suites are in sigv4_vectors_test.cc.
#include "aws/sigv4.h"

#include <gtest/gtest.h>

namespace eb::aws {
namespace {

TEST(SigV4, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b+c%d/e", false), "a%20b%2Bc%25d%2Fe");
  EXPECT_EQ(UriEncode("a b+c%d/e", true), "a%20b%2Bc%25d/e");
  EXPECT_EQ(UriEncode("ü😀", false), "%C3%BC%F0%9F%98%80");
  EXPECT_EQ(UriEncode("=&?#*!'()$,;:@", false), "%3D%26%3F%23%2A%21%27%28%29%24%2C%3B%3A%40");
}

TEST(SigV4, S3PathEncodesTheKeyOnceAndKeepsSlashes) {
  EXPECT_EQ(S3Path("bucket", "sales/2026 11/east+west%.csv"),
            "/bucket/sales/2026%2011/east%2Bwest%25.csv");
  EXPECT_EQ(S3Path("bucket", "a//b/./c/../d"), "/bucket/a//b/./c/../d");
  EXPECT_EQ(S3Path("", "key"), "/key");
}

TEST(SigV4, NormalizePath) {
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath("//example//"), "/example/");
  EXPECT_EQ(NormalizePath("/example/.."), "/");
  EXPECT_EQ(NormalizePath("/example1/example2/../.."), "/");
  EXPECT_EQ(NormalizePath("/./a/./b"), "/a/b");
  EXPECT_EQ(NormalizePath("/../a"), "/a");
}

TEST(SigV4, AmzDate) {
  EXPECT_EQ(AmzDate(1440938160000), "20150830T123600Z");
  EXPECT_EQ(AmzDate(1440938160999), "20150830T123600Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
}

TEST(SigV4, CanonicalQueryStringSortsEncodedNamesThenValues) {
  EXPECT_EQ(CanonicalQueryString(
                {{"prefix", "a b"}, {"list-type", "2"}, {"b", "2"}, {"b", "1"}, {"empty", ""}}),
            "b=1&b=2&empty=&list-type=2&prefix=a%20b");
  EXPECT_EQ(CanonicalQueryString({}), "");
}

SigningRequest GetRoot() {
  return SigningRequest{"GET", "/", {}, {{"Host", "example.amazonaws.com"}}, std::string(64, '0')};
}

TEST(SigV4, S3ModeSignsContentSha256AndTheToken) {
  Credentials creds{"AKID", "secret", "token"};
  Signature sig = SignV4(GetRoot(), creds, S3Params("eu-west-1", 1440938160000));
  EXPECT_EQ(sig.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(sig.canonical_request.find("\nx-amz-content-sha256:" + std::string(64, '0') + "\n"),
            std::string::npos);
  EXPECT_EQ(sig.authorization.rfind(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/s3/aws4_request, ", 0),
            0u);
  ASSERT_EQ(sig.headers_to_add.size(), 3u);
}

TEST(SigV4, OmittedTokenIsAddedButNotSigned) {
  Credentials creds{"AKID", "secret", "token"};
  SigningParams params{"us-east-1",       "service", 0,
                       UriMode::kGeneric, false,     /*omit_session_token=*/true};
  Signature sig = SignV4(GetRoot(), creds, params);
  EXPECT_EQ(sig.signed_headers, "host;x-amz-date");
  EXPECT_EQ(sig.headers_to_add.back(),
            (std::pair<std::string, std::string>{"x-amz-security-token", "token"}));
}

TEST(SigV4, HeaderValuesAreTrimmedAndDuplicatesJoined) {
  SigningRequest r = GetRoot();
  r.headers.push_back({"X-Amz-Meta-A", "  one   two\t three  "});
  r.headers.push_back({"x-amz-meta-a", "four"});
  Signature sig = SignV4(r, {"AKID", "secret", ""}, S3Params("us-east-1", 0));
  EXPECT_NE(sig.canonical_request.find("\nx-amz-meta-a:one two three,four\n"), std::string::npos);
}

TEST(SigV4, S3ModeNeverDoubleEncodes) {
  SigningRequest r = GetRoot();
  r.path = "/bucket/a%20b/%2B/%e2%82%ac/raw space";
  Signature s3 = SignV4(r, {"AKID", "secret", ""}, S3Params("us-east-1", 0));
  EXPECT_EQ(s3.canonical_request.substr(0, s3.canonical_request.find('\n', 4)),
            "GET\n/bucket/a%20b/%2B/%E2%82%AC/raw%20space");
  SigningParams generic{"us-east-1", "service", 0, UriMode::kGeneric};
  Signature g = SignV4(r, {"AKID", "secret", ""}, generic);
  EXPECT_EQ(g.canonical_request.substr(0, g.canonical_request.find('\n', 4)),
            "GET\n/bucket/a%2520b/%252B/%25e2%2582%25ac/raw%20space");
}

TEST(SigV4, RedactedCredentialsNeverShowTheSecret) {
  Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "tok"};
  std::string shown = creds.RedactedForLog();
  EXPECT_EQ(shown, "AKIA...MPLE (session)");
  EXPECT_EQ(shown.find(creds.secret_access_key), std::string::npos);
}

}  // namespace
}  // namespace eb::aws
