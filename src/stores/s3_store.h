// An ObjectStore in an S3 bucket (AWS S3, Ceph RGW, MinIO, R2) under a base
// prefix: store key "a/b" is object "<prefix>a/b". PUT-if-absent is
// `If-None-Match: *`; LIST is ListObjectsV2. Retries and error mapping are
// the S3 client's (aws/s3_client.h). Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "aws/s3_client.h"
#include "core/store.h"
#include "http/http_client.h"

namespace eb {

class S3Store : public ObjectStore {
 public:
  // `client` must outlive the store. `prefix` is "" or ends with '/'.
  S3Store(aws::S3Client& client, std::string bucket, std::string prefix);
  ~S3Store() override;

  // Opens "s3://bucket/prefix?endpoint=...&region=...&path_style=..." with
  // credentials, region and endpoint from `env` (aws/s3_config.h), trusted
  // CAs for https from SSL_CERT_FILE when set. The store owns its HTTP client.
  static Result<std::unique_ptr<S3Store>> Open(const std::string& url, const EnvLookup& env);

  Result<std::string> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& body) override;
  Status PutIfAbsent(const std::string& key, const std::string& body) override;
  Result<ListPage> List(const ListOptions& options) override;
  Status Delete(const std::string& key) override;
  Status DeleteMany(const std::vector<std::string>& keys) override;  // one DeleteObjects
  // Over up to kParallelRequests connections at once (AWS S3 takes 3,500
  // writes/s per prefix; at ~20 ms a request, 32 connections make ~1,600/s).
  std::vector<Result<std::string>> GetMany(const std::vector<std::string>& keys) override;
  std::vector<Status> PutIfAbsentMany(const std::vector<std::pair<std::string, std::string>>& items) override;
  std::vector<Result<ListPage>> ListMany(const std::vector<ListOptions>& requests) override;
  const ServerTimeOffset* ServerTime() const override;
  static constexpr size_t kParallelRequests = 32;
  // "s3://bucket/prefix at http://host (region, addressing, key AKIA...MPLE)".
  std::string Describe() const override;

  aws::S3Client& client() { return client_; }
  const std::string& bucket() const { return bucket_; }
  const std::string& prefix() const { return prefix_; }

 private:
  struct Owned;
  S3Store(std::unique_ptr<Owned> owned, aws::S3Client& client, std::string bucket,
          std::string prefix);
  Status CheckKey(const std::string& key) const;

  std::unique_ptr<Owned> owned_;  // the HTTP client, clock and S3 client of Open()
  aws::S3Client& client_;
  std::string bucket_;
  std::string prefix_;
};

}  // namespace eb
