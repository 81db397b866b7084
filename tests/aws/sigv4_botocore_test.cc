// Signs ~200 randomly generated requests (keys with spaces, '+', '%', unicode
// and emoji; query strings; odd header spacing; session tokens; unsigned
// payloads; S3 and generic services) with our signer and with botocore
// (botocore_sign.py, Debian's python3-botocore), and compares every step.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "aws/sigv4.h"
#include "base/crypto.h"
#include "fakes/python.h"
#include "fakes/vectors.h"

namespace eb::aws {
namespace {

using test::FindBotocorePython;
using test::RunPython;

using nlohmann::json;

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(int percent) { return static_cast<int>(Below(100)) < percent; }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

  std::string Piece(bool generic) {
    static const std::vector<std::string> kPieces = {
        "sales", "2026-11-24", "east.csv", "a b", "a+b", "100%", "%2F", "%20", "ü",  "日本", "😀",
        "🎉x",    "=",          "&",        "?",   "#",   "~",    "$",   "@",   ":",  ",",    ";",
        "'",     "(",          ")",        "*",   "!",   "_",    "-",   ".",   "  ", "Ω≈ç√", "x.y",
        "\"q\"", "[]",         "{}",       "^",   "`",   "|",    "\\",  "<>"};
    static const std::vector<std::string> kGenericPieces = {".", "..", ""};
    if (generic && Chance(15)) return Pick(kGenericPieces);
    return Pick(kPieces);
  }

  std::string Key(bool generic) {
    std::string key;
    size_t n = 1 + Below(5);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) key += Chance(85) ? "/" : "//";
      size_t parts = 1 + Below(3);
      for (size_t j = 0; j < parts; ++j) key += Piece(generic);
    }
    return key;
  }

  std::string Spacey(const std::string& v) {
    static const std::vector<std::string> kPad = {"", " ", "  ", "\t", " \t "};
    std::string inner = v;
    if (Chance(30)) {
      size_t at = Below(inner.size() + 1);
      inner.insert(at, Pick(kPad) + " ");
    }
    return Pick(kPad) + inner + Pick(kPad);
  }

  std::string Token() {
    static const char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    std::string s;
    size_t n = 20 + Below(60);
    for (size_t i = 0; i < n; ++i) s.push_back(kChars[Below(sizeof kChars - 1)]);
    return s;
  }

 private:
  std::mt19937 rng_;
};

json MakeCase(Gen& g) {
  bool generic = g.Chance(20);
  json c;
  c["mode"] = generic ? "generic" : "s3";
  c["method"] = g.Pick<std::string>({"GET", "PUT", "HEAD", "DELETE", "POST"});
  c["host"] =
      g.Pick<std::string>({"127.0.0.1:7480", "s3.eu-west-1.amazonaws.com", "localhost:9000"});
  c["bucket"] = g.Pick<std::string>({"bucket", "my.bucket-1", "data"});
  c["key"] = g.Key(generic);
  json query = json::array();
  size_t nq = g.Below(5);
  for (size_t i = 0; i < nq; ++i) {
    std::string name =
        g.Pick<std::string>({"prefix", "list-type", "continuation-token", "start-after", "max-keys",
                             "encoding-type", "uploads", "x y", "ü=&", "😀"});
    std::string value = g.Chance(20) ? "" : g.Key(false);
    query.push_back({name, value});
  }
  c["query"] = query;
  json headers = json::array();
  headers.push_back({"Host", c["host"]});
  if (g.Chance(40)) headers.push_back({"Content-Type", g.Spacey("application/octet-stream")});
  if (g.Chance(30)) headers.push_back({"If-None-Match", "*"});
  if (g.Chance(20)) headers.push_back({"Range", "bytes=0-9"});
  size_t nmeta = g.Below(3);
  for (size_t i = 0; i < nmeta; ++i) {
    headers.push_back(
        {"X-Amz-Meta-" + std::to_string(i) + g.Pick<std::string>({"a", "Mixed-Case", "z"}),
         g.Spacey(g.Pick<std::string>({"one two", "a  b   c", "x", "trailing ", "=+/&"}))});
  }
  c["headers"] = headers;
  c["body"] = g.Chance(50) ? "" : g.Key(false);
  c["unsigned_payload"] = !generic && g.Chance(25);
  c["access_key"] = "AKIA" + g.Token().substr(0, 16);
  c["secret_key"] = g.Token();
  c["token"] = g.Chance(30) ? g.Token() : "";
  c["region"] = g.Pick<std::string>({"us-east-1", "eu-west-1", "ap-southeast-2", "default"});
  c["service"] = generic ? g.Pick<std::string>({"service", "sqs", "execute-api"}) : "s3";
  TimeMs time = 1'420'070'400'000 + static_cast<TimeMs>(g.Below(500'000'000)) * 1000;  // 2015..2030
  c["time"] = time;
  c["amz_date"] = AmzDate(time);
  return c;
}

struct Ours {
  std::string path;
  Signature sig;
};

Ours SignOurs(const json& c) {
  bool s3 = c["mode"] == "s3";
  std::string path = s3 ? S3Path(c["bucket"].get<std::string>(), c["key"].get<std::string>())
                        : S3Path("", c["key"].get<std::string>());
  SigningRequest r;
  r.method = c["method"];
  r.path = path;
  for (const auto& q : c["query"]) r.query.emplace_back(q[0], q[1]);
  for (const auto& h : c["headers"]) r.headers.emplace_back(h[0], h[1]);
  r.payload_hash = c["unsigned_payload"].get<bool>() ? kUnsignedPayload
                                                     : Sha256Hex(c["body"].get<std::string>());
  Credentials creds{c["access_key"], c["secret_key"], c["token"]};
  SigningParams params;
  if (s3) {
    params = S3Params(c["region"], c["time"]);
  } else {
    params = SigningParams{c["region"], c["service"], c["time"], UriMode::kGeneric};
  }
  return {path, SignV4(r, creds, params)};
}

TEST(SigV4Botocore, TwoHundredRandomRequestsMatchBotocore) {
  std::string python = FindBotocorePython();
  if (python.empty()) {
    if (test::InCi())
      FAIL() << "CI=true but no python3 with botocore (apt-get install python3-botocore)";
    GTEST_SKIP() << "python3-botocore not installed: comparison with botocore skipped";
  }
  Gen g(20261124);
  json cases = json::array();
  for (int i = 0; i < 200; ++i) cases.push_back(MakeCase(g));
  std::string out =
      RunPython(python, std::string(EB_SOURCE_DIR) + "/tests/aws/botocore_sign.py", cases.dump());
  json theirs = json::parse(out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(theirs.is_array()) << "botocore_sign.py printed: " << out.substr(0, 2000);
  ASSERT_EQ(theirs.size(), cases.size());
  int s3_cases = 0, token_cases = 0, unsigned_cases = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.dump());
    Ours ours = SignOurs(c);
    EXPECT_EQ(ours.path, theirs[i]["path"].get<std::string>());
    EXPECT_EQ(ours.sig.canonical_request, theirs[i]["canonical_request"].get<std::string>());
    EXPECT_EQ(ours.sig.string_to_sign, theirs[i]["string_to_sign"].get<std::string>());
    EXPECT_EQ(ours.sig.signature, theirs[i]["signature"].get<std::string>());
    EXPECT_EQ(ours.sig.authorization, theirs[i]["authorization"].get<std::string>());
    s3_cases += c["mode"] == "s3";
    token_cases += !c["token"].get<std::string>().empty();
    unsigned_cases += c["unsigned_payload"].get<bool>();
  }
  // The generator really covered what it claims to.
  EXPECT_GT(s3_cases, 120);
  EXPECT_GT(200 - s3_cases, 20);
  EXPECT_GT(token_cases, 30);
  EXPECT_GT(unsigned_cases, 20);
}

}  // namespace
}  // namespace eb::aws
