#include "aws/s3_client.h"

#include <ctime>

#include "aws/signed_request.h"
#include "base/crypto.h"

namespace eb::aws {

namespace {

std::string Describe(const std::string& method, const std::string& bucket, const std::string& key) {
  return "S3 " + method + " " + bucket + (key.empty() ? "" : "/" + key);
}

// What to tell a person about a 403, by S3 error code.
std::string CredentialAdvice(const std::string& code, const Credentials& creds) {
  std::string id = creds.RedactedForLog();
  if (code == "SignatureDoesNotMatch") {
    return "the signature does not match: the secret access key is wrong for access key " + id +
           " (check AWS_SECRET_ACCESS_KEY)";
  }
  if (code == "InvalidAccessKeyId") {
    return "the access key id " + id + " is unknown to the server (check AWS_ACCESS_KEY_ID)";
  }
  if (code == "InvalidToken" || code == "ExpiredToken" || code == "TokenRefreshRequired") {
    return "the session token is invalid or expired (check AWS_SESSION_TOKEN)";
  }
  if (code == "RequestTimeTooSkewed") return "this machine's clock is too far from the server's";
  if (code == "AccessDenied")
    return "access denied for access key " + id + " (check the bucket policy and IAM role)";
  return "permission denied for access key " + id;
}

// An RFC 1123 date ("Sun, 06 Dec 2026 11:29:18 GMT") to the second; 0 if it does not parse.
TimeMs ParseHttpDate(const std::string& text) {
  std::tm tm{};
  if (::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<TimeMs>(::timegm(&tm)) * 1000;
}

}  // namespace

S3Client::S3Client(S3Config config, http::Client& http, Clock& clock, RetryPolicy policy,
                   RetryHooks hooks)
    : config_(std::move(config)),
      http_(http),
      clock_(clock),
      policy_(policy),
      hooks_(WithDefaultHooks(std::move(hooks))) {}

http::Request S3Client::Build(const Call& call) {
  std::string host = config_.host;
  std::string path;
  if (config_.path_style) {
    path = S3Path(call.bucket, call.key);
  } else {
    host = call.bucket + "." + config_.host;
    path = S3Path("", call.key);
  }
  return SignRequest({call.method, config_.scheme, std::move(host), std::move(path), call.query,
                      call.headers, call.body},
                     config_.credentials, S3Params(config_.region, clock_.NowMs()));
}

Result<http::Response> S3Client::Execute(const Call& call, int64_t* attempts) {
  std::atomic<int64_t> sent{0};
  const TimeMs started = clock_.NowMs();
  auto res = SendWithRetries(
      http_, policy_, hooks_, [&] { return Build(call); },
      [](const http::Response& r) { return IsRetryableHttpStatus(r.status); }, &sent);
  requests_ += sent.load();
  if (attempts != nullptr) *attempts = sent.load();
  if (res.ok()) {
    if (auto date = res->Header("date")) server_time_.Observe(started, clock_.NowMs(), ParseHttpDate(*date));
  }
  return res;
}

Status S3Client::ErrorStatus(const Call& call, const http::Response& response) const {
  S3Error e = ParseS3Error(response.body);
  if (e.request_id.empty()) e.request_id = response.Header("x-amz-request-id").value_or("");
  int status = response.status;
  if (e.code.empty()) {  // HEAD responses have no body
    e.code = status == 404   ? "NotFound"
             : status == 403 ? "Forbidden"
             : status == 412 ? "PreconditionFailed"
                             : "";
  }
  std::string text = Describe(call.method, call.bucket, call.key) + ": " + std::to_string(status);
  if (!e.code.empty()) text += " " + e.code;
  std::string detail = e.message;
  if (status == 403) detail = CredentialAdvice(e.code, config_.credentials);
  if (!detail.empty()) text += ": " + detail;
  if (!e.request_id.empty()) text += " (request id " + e.request_id + ")";

  if (status == 404) {
    if (e.code == "NoSuchBucket") {
      return Status::InvalidArgument(text + " - bucket '" + call.bucket + "' does not exist at " +
                                     config_.scheme + "://" + config_.host);
    }
    return Status::NotFound(text);
  }
  if (status == 412) return Status::AlreadyExists(text);
  if (status == 409) return Status::Conflict(text);
  if (status == 403) return Status::PermissionDenied(text);
  if (status == 429 || status >= 500) return Status::Unavailable(text);
  if (status == 400 && (e.code == "RequestTimeout" || e.code == "SlowDown"))
    return Status::Unavailable(text);
  if (status == 301 || status == 307 || e.code == "AuthorizationHeaderMalformed") {
    return Status::InvalidArgument(text + " - wrong region or endpoint? (region " + config_.region +
                                   ")");
  }
  return Status::InvalidArgument(text);
}

Result<std::string> S3Client::GetObject(const std::string& bucket, const std::string& key) {
  Call call{"GET", bucket, key, {}, {}, ""};
  auto res = Execute(call);
  if (!res.ok()) return res.status().WithContext(Describe(call.method, bucket, key));
  if (res->status != 200) return ErrorStatus(call, *res);
  return std::move(res->body);
}

Result<std::string> S3Client::PutObject(const std::string& bucket, const std::string& key,
                                        const std::string& body, const PutOptions& options) {
  Call call{"PUT", bucket, key, {}, {}, body};
  if (!options.content_type.empty())
    call.headers.emplace_back("content-type", options.content_type);
  if (options.if_none_match) call.headers.emplace_back("if-none-match", "*");
  int64_t attempts = 0;
  auto res = Execute(call, &attempts);
  if (!res.ok()) return res.status().WithContext(Describe(call.method, bucket, key));
  if (res->status == 412 && options.if_none_match && attempts > 1) {
    // An earlier attempt's answer was lost (a timeout, a 5xx after the
    // write): the object there may be that attempt's. It is ours if it holds
    // our bytes (PutIfAbsent's contract: "already exists" means another's).
    auto there = GetObject(bucket, key);
    if (!there.ok()) {
      return Status::Unavailable(Describe(call.method, bucket, key) +
                                 ": 412 after a retry, and the object could not be read back to tell whose it is: " +
                                 there.status().ToString());
    }
    if (*there == body) return res->Header("etag").value_or("");
  }
  if (res->status != 200) return ErrorStatus(call, *res);
  return res->Header("etag").value_or("");
}

Result<ListObjectsResult> S3Client::ListObjectsV2(const std::string& bucket,
                                                  const ListRequest& request) {
  Call call{"GET", bucket, "", {{"list-type", "2"}, {"encoding-type", "url"}}, {}, ""};
  call.query.emplace_back("prefix", request.prefix);
  if (!request.start_after.empty()) call.query.emplace_back("start-after", request.start_after);
  if (!request.continuation_token.empty())
    call.query.emplace_back("continuation-token", request.continuation_token);
  if (!request.delimiter.empty()) call.query.emplace_back("delimiter", request.delimiter);
  if (request.max_keys > 0) call.query.emplace_back("max-keys", std::to_string(request.max_keys));
  auto res = Execute(call);
  if (!res.ok()) return res.status().WithContext(Describe("LIST", bucket, request.prefix));
  if (res->status != 200) return ErrorStatus(call, *res);
  auto parsed = ParseListObjectsV2(res->body);
  if (!parsed.ok())
    return Status::Unavailable(parsed.status().message());  // a cut-off body: try again
  return parsed;
}

Status S3Client::DeleteObject(const std::string& bucket, const std::string& key) {
  Call call{"DELETE", bucket, key, {}, {}, ""};
  auto res = Execute(call);
  if (!res.ok()) return res.status().WithContext(Describe(call.method, bucket, key));
  if (res->status == 200 || res->status == 204 || res->status == 404) {
    if (res->status == 404 && ParseS3Error(res->body).code == "NoSuchBucket")
      return ErrorStatus(call, *res);
    return Status::Ok();
  }
  return ErrorStatus(call, *res);
}

Status S3Client::DeleteObjects(const std::string& bucket, const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  if (keys.size() > 1000) return Status::InvalidArgument("DeleteObjects takes at most 1000 keys");
  std::string body = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const auto& key : keys) body += "<Object><Key>" + XmlEscape(key) + "</Key></Object>";
  body += "</Delete>";
  Call call{"POST", bucket, "", {{"delete", ""}},
            {{"content-md5", Md5Base64(body)}, {"content-type", "application/xml"}}, body};
  auto res = Execute(call);
  std::string what = "DeleteObjects s3://" + bucket + " (" + std::to_string(keys.size()) + " keys)";
  if (!res.ok()) return res.status().WithContext(what);
  if (res->status != 200) return ErrorStatus(call, *res);
  // Quiet mode lists only the keys that failed.
  auto failures = ParseDeleteObjectsErrors(res->body);
  if (!failures.empty()) {
    const DeleteFailure& f = failures.front();
    return Status::Unavailable(what + ": could not delete '" + (f.key.empty() ? "?" : f.key) +
                               "': " + (f.code.empty() ? "?" : f.code));
  }
  return Status::Ok();
}

Result<HeadResult> S3Client::HeadObject(const std::string& bucket, const std::string& key) {
  Call call{"HEAD", bucket, key, {}, {}, ""};
  auto res = Execute(call);
  if (!res.ok()) return res.status().WithContext(Describe(call.method, bucket, key));
  if (res->status != 200) return ErrorStatus(call, *res);
  HeadResult head;
  head.etag = res->Header("etag").value_or("");
  std::string length = res->Header("content-length").value_or("0");
  head.size = std::strtoll(length.c_str(), nullptr, 10);
  if (auto lm = res->Header("last-modified")) head.last_modified = ParseHttpDate(*lm);
  if (auto date = res->Header("date")) head.server_date = ParseHttpDate(*date);
  return head;
}

}  // namespace eb::aws
