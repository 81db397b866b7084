// A small S3 client: the five object calls the barrier needs, signed with
// SigV4, over any http::Client, with retries.
//
// Status codes follow base/status.h:
//   404 -> NotFound; 412 (If-None-Match: * lost) -> AlreadyExists;
//   409 -> Conflict; 5xx, 429, 503 SlowDown, transport errors -> Unavailable;
//   403 -> PermissionDenied naming the credential problem
//   (SignatureDoesNotMatch: the secret; InvalidAccessKeyId: the key id; ...).
// Messages carry the S3 error code, message and request id; never a secret.
//
// Retries (aws/retry.h): 5xx, 429, 409 and transport errors are retried with
// exponential backoff and full jitter; 403/404/412 never. Note that a
// PUT-if-absent whose first answer was lost may see its own write on the retry
// (412): callers of PutIfAbsent must tolerate "AlreadyExists" for their own
// object, as the barrier protocol does (it reads the trip record back).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "aws/retry.h"
#include "aws/s3_config.h"
#include "aws/s3_xml.h"
#include "base/clock.h"
#include "base/server_time.h"
#include "http/http_client.h"

namespace eb::aws {

struct PutOptions {
  bool if_none_match = false;  // If-None-Match: * (create only)
  std::string content_type = "application/octet-stream";
};

struct HeadResult {
  int64_t size = 0;
  std::string etag;
  TimeMs last_modified = 0;  // Last-Modified, to the second
  TimeMs server_date = 0;    // the response's Date header (the server's clock), to the second; 0 if none
};

struct ListRequest {
  std::string prefix;
  std::string start_after;
  std::string continuation_token;
  std::string delimiter;  // non-empty: keys past it come back as common prefixes
  int max_keys = 1000;
};

class S3Client {
 public:
  // `http` and `clock` must outlive the client.
  S3Client(S3Config config, http::Client& http, Clock& clock, RetryPolicy policy = {},
           RetryHooks hooks = {});

  Result<std::string> GetObject(const std::string& bucket, const std::string& key);
  // Returns the ETag.
  Result<std::string> PutObject(const std::string& bucket, const std::string& key,
                                const std::string& body, const PutOptions& options = {});
  Result<ListObjectsResult> ListObjectsV2(const std::string& bucket, const ListRequest& request);
  // Deleting a missing key is ok.
  Status DeleteObject(const std::string& bucket, const std::string& key);
  // DeleteObjects (POST ?delete, quiet mode): up to 1000 keys in one request;
  // missing keys are not errors. Fails naming the first key S3 could not delete.
  Status DeleteObjects(const std::string& bucket, const std::vector<std::string>& keys);
  Result<HeadResult> HeadObject(const std::string& bucket, const std::string& key);

  // HTTP requests sent so far, retries included (for benchmarks).
  int64_t requests_sent() const { return requests_.load(); }
  const S3Config& config() const { return config_; }
  // The server's clock minus this client's clock, from the Date header of
  // every answer (base/server_time.h).
  const ServerTimeOffset& server_time() const { return server_time_; }

 private:
  struct Call {
    std::string method;
    std::string bucket;
    std::string key;  // "" for bucket-level calls
    std::vector<std::pair<std::string, std::string>> query;
    http::Headers headers;  // extra headers, signed
    std::string body;
  };

  http::Request Build(const Call& call);
  // Sends with retries; returns the final response (any status) or a transport error.
  // `attempts` (may be null) receives how many requests the call took.
  Result<http::Response> Execute(const Call& call, int64_t* attempts = nullptr);
  // The Status for a non-2xx response.
  Status ErrorStatus(const Call& call, const http::Response& response) const;

  S3Config config_;
  http::Client& http_;
  Clock& clock_;
  RetryPolicy policy_;
  RetryHooks hooks_;
  std::atomic<int64_t> requests_{0};
  ServerTimeOffset server_time_;
};

}  // namespace eb::aws
