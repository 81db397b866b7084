// Golden tests: every SigV4 case of the published suites in ../shared/vectors
// (botocore aws4_testsuite, aws-c-auth v4 header and query cases, the
// historical post-unsigned-payload case, the S3 API reference examples).
#include <dirent.h>
#include <gtest/gtest.h>
#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/sigv4.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "fakes/vectors.h"

namespace eb::aws {
namespace {

using test::ReadFileOrEmpty;

constexpr TimeMs kSuiteTime = 1440938160000;  // 2015-08-30T12:36:00Z
const Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

// A request as written in the suites' request files: "METHOD target HTTP/1.1",
// "Name:value" lines (a line starting with whitespace continues the previous
// value), an empty line, the body.
struct ParsedRequest {
  std::string method, path;
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers;
  std::string body;
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start < q.size()) {
    size_t end = q.find('&', start);
    if (end == std::string_view::npos) end = q.size();
    std::string_view pair = q.substr(start, end - start);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    out.emplace_back(PercentDecode(name), PercentDecode(value));
    start = end + 1;
  }
  return out;
}

ParsedRequest ParseRequest(const std::string& text) {
  ParsedRequest r;
  size_t line_end = text.find('\n');
  std::string first = text.substr(0, line_end);
  size_t sp1 = first.find(' ');
  size_t sp2 = first.rfind(' ');
  r.method = first.substr(0, sp1);
  std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t qm = target.find('?');
  r.path = target.substr(0, qm);
  if (!r.path.empty() && r.path[0] != '/')
    r.path = "/" + r.path;  // "test$file.text" in the S3 docs
  if (qm != std::string::npos) r.query = ParseQuery(target.substr(qm + 1));
  size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      r.body = pos < text.size() ? text.substr(pos) : "";
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

// Removes the headers the signer adds itself; returns the last value removed.
std::string TakeHeader(HeaderList* headers, const std::string& lower_name) {
  std::string value;
  for (auto it = headers->begin(); it != headers->end();) {
    std::string n = it->first;
    std::transform(n.begin(), n.end(), n.begin(), ::tolower);
    if (n == lower_name) {
      value = it->second;
      it = headers->erase(it);
    } else {
      ++it;
    }
  }
  return value;
}

bool IsDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The value of the line "Name:value" (or "Name: value") in a signed request.
std::string SignedRequestHeader(const std::string& sreq, const std::string& name) {
  size_t pos = 0;
  while (pos < sreq.size()) {
    size_t end = sreq.find('\n', pos);
    if (end == std::string::npos) end = sreq.size();
    std::string line = sreq.substr(pos, end - pos);
    if (line.empty()) break;
    if (line.size() > name.size() && strncasecmp(line.c_str(), name.c_str(), name.size()) == 0 &&
        line[name.size()] == ':') {
      size_t v = line.find_first_not_of(' ', name.size() + 1);
      return v == std::string::npos ? "" : line.substr(v);
    }
    pos = end + 1;
  }
  return "";
}

// ---- botocore aws4_testsuite ----

void RunBotocoreCase(const std::string& dir, const std::string& name, int* cases) {
  SCOPED_TRACE("botocore " + name);
  ++*cases;
  std::string base = dir + "/" + name;
  ParsedRequest req = ParseRequest(ReadFileOrEmpty(base + ".req"));
  std::string sreq = ReadFileOrEmpty(base + ".sreq");
  Credentials creds = kSuiteCreds;
  SigningParams params{"us-east-1", "service", kSuiteTime, UriMode::kGeneric};
  // get-vanilla-with-session-token and post-sts-header-after: the token is the
  // harness's credential, seen only in .sreq; "after" adds it unsigned (see
  // post-sts-token/readme.txt). post-sts-header-before has it in .req already.
  std::string token = SignedRequestHeader(sreq, "X-Amz-Security-Token");
  bool token_in_req = std::any_of(req.headers.begin(), req.headers.end(), [](const auto& h) {
    return strcasecmp(h.first.c_str(), "X-Amz-Security-Token") == 0;
  });
  if (!token.empty() && !token_in_req) creds.session_token = token;
  params.omit_session_token = name == "post-sts-header-after";
  EXPECT_EQ(TakeHeader(&req.headers, "x-amz-date"), AmzDate(kSuiteTime));

  SigningRequest sr{req.method, req.path, req.query, req.headers, Sha256Hex(req.body)};
  Signature sig = SignV4(sr, creds, params);
  EXPECT_EQ(sig.canonical_request, ReadFileOrEmpty(base + ".creq"));
  EXPECT_EQ(sig.string_to_sign, ReadFileOrEmpty(base + ".sts"));
  EXPECT_EQ(sig.authorization, ReadFileOrEmpty(base + ".authz"));
  // (The .sreq's Authorization is not compared: upstream's copy for
  // get-vanilla-with-session-token carries get-vanilla's signature.)
  for (const auto& [h, v] : sig.headers_to_add) EXPECT_EQ(v, SignedRequestHeader(sreq, h)) << h;
}

void WalkBotocore(const std::string& dir, int* cases) {
  for (const std::string& entry : ListDir(dir)) {
    std::string path = dir + "/" + entry;
    if (IsDir(path)) {
      WalkBotocore(path, cases);
    } else if (entry.size() > 4 && entry.substr(entry.size() - 4) == ".req") {
      RunBotocoreCase(dir, entry.substr(0, entry.size() - 4), cases);
    }
  }
}

TEST(SigV4Vectors, BotocoreSuite) {
  EB_REQUIRE_VECTORS(vectors);
  int cases = 0;
  WalkBotocore(vectors + "/botocore-aws4_testsuite", &cases);
  EXPECT_EQ(cases, 34);
}

// ---- aws-c-auth aws-signing-test-suite (v4: header-* and query-* cases) ----

void RunAwsCAuthCase(const std::string& dir, const std::string& name, int* cases) {
  SCOPED_TRACE("aws-c-auth " + name);
  ++*cases;
  auto ctx = nlohmann::json::parse(ReadFileOrEmpty(dir + "/context.json"));
  ParsedRequest req = ParseRequest(ReadFileOrEmpty(dir + "/request.txt"));
  Credentials creds{ctx.at("credentials").at("access_key_id"),
                    ctx.at("credentials").at("secret_access_key"),
                    ctx.at("credentials").value("token", "")};
  TimeMs time = 0;
  ASSERT_TRUE(ParseIso8601(ctx.at("timestamp").get<std::string>(), &time));
  SigningParams params;
  params.region = ctx.at("region");
  params.service = ctx.at("service");
  params.time = time;
  // normalize=false is S3's rule: the path exactly as sent.
  params.uri_mode = ctx.value("normalize", true) ? UriMode::kGeneric : UriMode::kS3;
  params.omit_session_token = ctx.value("omit_session_token", false);
  std::string payload_hash = Sha256Hex(req.body);
  if (ctx.value("sign_body", false)) params.content_sha256_header = true;
  if (ctx.contains("signed_body_value")) {
    payload_hash = ctx.at("signed_body_value");
    params.content_sha256_header = true;
  }
  SigningRequest sr{req.method, req.path, req.query, req.headers, payload_hash};

  Signature sig = SignV4(sr, creds, params);
  EXPECT_EQ(sig.canonical_request, ReadFileOrEmpty(dir + "/header-canonical-request.txt"));
  EXPECT_EQ(sig.string_to_sign, ReadFileOrEmpty(dir + "/header-string-to-sign.txt"));
  EXPECT_EQ(sig.signature, ReadFileOrEmpty(dir + "/header-signature.txt"));
  std::string signed_req = ReadFileOrEmpty(dir + "/header-signed-request.txt");
  EXPECT_EQ(sig.authorization, SignedRequestHeader(signed_req, "Authorization"));
  for (const auto& [h, v] : sig.headers_to_add)
    EXPECT_EQ(v, SignedRequestHeader(signed_req, h)) << h;

  // Presigned URLs sign the body hash without the header, except for a
  // signed_body_value (the historical UNSIGNED-PAYLOAD case).
  params.content_sha256_header = ctx.contains("signed_body_value");
  Presigned pre = PresignV4(sr, creds, params, ctx.value("expiration_in_seconds", 3600));
  EXPECT_EQ(pre.canonical_request, ReadFileOrEmpty(dir + "/query-canonical-request.txt"));
  EXPECT_EQ(pre.string_to_sign, ReadFileOrEmpty(dir + "/query-string-to-sign.txt"));
  EXPECT_EQ(pre.signature, ReadFileOrEmpty(dir + "/query-signature.txt"));
  // The signed URL carries the same parameters (order aside).
  ParsedRequest qreq = ParseRequest(ReadFileOrEmpty(dir + "/query-signed-request.txt"));
  std::multiset<std::pair<std::string, std::string>> want(qreq.query.begin(), qreq.query.end());
  std::multiset<std::pair<std::string, std::string>> got(pre.query.begin(), pre.query.end());
  EXPECT_EQ(got, want);
}

void RunAwsCAuthSuite(const std::string& v4dir, int* cases) {
  for (const std::string& name : ListDir(v4dir)) {
    if (IsDir(v4dir + "/" + name)) RunAwsCAuthCase(v4dir + "/" + name, name, cases);
  }
}

TEST(SigV4Vectors, AwsCAuthSuite) {
  EB_REQUIRE_VECTORS(vectors);
  int cases = 0;
  RunAwsCAuthSuite(vectors + "/aws-c-auth-aws-signing-test-suite/v4", &cases);
  EXPECT_EQ(cases, 38);
}

TEST(SigV4Vectors, AwsCAuthHistoricalUnsignedPayload) {
  EB_REQUIRE_VECTORS(vectors);
  int cases = 0;
  RunAwsCAuthSuite(vectors + "/aws-c-auth-historical-post-unsigned-payload/v4", &cases);
  EXPECT_EQ(cases, 1);
}

// ---- The S3 API reference examples (S3 rules: path as sent, x-amz-content-sha256) ----

TEST(SigV4Vectors, S3DocumentationExamples) {
  EB_REQUIRE_VECTORS(vectors);
  std::string root = vectors + "/s3-docs-sigv4-examples";
  std::map<std::string, std::string> ctx;
  std::string context = ReadFileOrEmpty(root + "/context.txt");
  for (size_t pos = 0; pos < context.size();) {
    size_t end = context.find('\n', pos);
    if (end == std::string::npos) end = context.size();
    std::string line = context.substr(pos, end - pos);
    if (size_t eq = line.find('='); eq != std::string::npos)
      ctx[line.substr(0, eq)] = line.substr(eq + 1);
    pos = end + 1;
  }
  TimeMs time = 0;
  ASSERT_TRUE(ParseIso8601("2013-05-24T00:00:00Z", &time));
  ASSERT_EQ(AmzDate(time), ctx["x-amz-date"]);
  Credentials creds{ctx["access_key_id"], ctx["secret_access_key"], ""};
  int cases = 0;
  for (const std::string& name : ListDir(root)) {
    std::string base = root + "/" + name + "/" + name;
    if (!IsDir(root + "/" + name)) continue;
    SCOPED_TRACE(name);
    ++cases;
    ParsedRequest req = ParseRequest(ReadFileOrEmpty(base + ".req-as-documented.txt"));
    TakeHeader(&req.headers, "authorization");
    TakeHeader(&req.headers, "x-amz-date");
    std::string payload_hash = TakeHeader(&req.headers, "x-amz-content-sha256");
    while (!payload_hash.empty() && payload_hash[0] == ' ') payload_hash.erase(0, 1);
    std::string body = ReadFileOrEmpty(base + ".body");
    EXPECT_EQ(payload_hash, Sha256Hex(body)) << "the documented payload hash is the body's";
    SigningRequest sr{req.method, req.path, req.query, req.headers, payload_hash};
    Signature sig = SignV4(sr, creds, S3Params(ctx["region"], time));
    EXPECT_EQ(sig.canonical_request, ReadFileOrEmpty(base + ".creq"));
    EXPECT_EQ(sig.string_to_sign, ReadFileOrEmpty(base + ".sts"));
    // The documentation writes the header without spaces after the commas.
    std::string authz = sig.authorization;
    for (size_t p; (p = authz.find(", ")) != std::string::npos;) authz.erase(p + 1, 1);
    EXPECT_EQ(authz, ReadFileOrEmpty(base + ".authz"));
  }
  EXPECT_EQ(cases, 4);
}

}  // namespace
}  // namespace eb::aws
