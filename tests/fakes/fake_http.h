// HTTP fakes for the AWS code (after ninja's FakeCommandRunner: they record
// what happened and tests assert on the record).
//   ScriptedHttp  answers from a queue of canned responses / transport errors.
//   FakeS3        a tiny S3 server in memory (path-style GET/PUT/DELETE/HEAD,
//                 If-None-Match: *, ListObjectsV2 with pagination and
//                 encoding-type=url) that checks every request's SigV4
//                 signature against the credentials it knows.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "http/http_client.h"

namespace eb::test {

http::Response MakeResponse(int status, std::string body = "", http::Headers headers = {});
// "<Error><Code>code</Code><Message>message</Message><RequestId>id</RequestId></Error>".
std::string S3ErrorXml(const std::string& code, const std::string& message,
                       const std::string& request_id);

class ScriptedHttp : public http::Client {
 public:
  // Answers in order; once the queue is empty, every call gets `fallback`.
  void Push(Result<http::Response> answer);
  void SetFallback(Result<http::Response> answer);
  Result<http::Response> Send(const http::Request& request) override;

  std::vector<http::Request> requests() const;
  size_t calls() const;

 private:
  mutable std::mutex mu_;
  std::deque<Result<http::Response>> queue_;
  Result<http::Response> fallback_ = Status::Internal("ScriptedHttp: no answer scripted");
  std::vector<http::Request> requests_;
};

class FakeS3 : public http::Client {
 public:
  // Accepts requests signed with `credentials` for `region`; creates `bucket`.
  FakeS3(aws::Credentials credentials, std::string region, std::string bucket);

  Result<http::Response> Send(const http::Request& request) override;

  size_t calls() const;
  std::map<std::string, std::string> objects() const;  // key -> body, for assertions

 private:
  http::Response Handle(const http::Request& request, const std::string& key,
                        const std::vector<std::pair<std::string, std::string>>& query);
  http::Response List(const std::vector<std::pair<std::string, std::string>>& query);
  // Empty when the signature is right; otherwise the S3 error code.
  std::string CheckSignature(const http::Request& request, const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& query) const;

  aws::Credentials credentials_;
  std::string region_;
  std::string bucket_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;
  size_t calls_ = 0;
};

}  // namespace eb::test
