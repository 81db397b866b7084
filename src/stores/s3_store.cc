#include "stores/s3_store.h"

#include "base/parallel.h"
#include "http/http_client.h"

namespace eb {

struct S3Store::Owned {
  std::unique_ptr<http::Client> http;
  SystemClock clock;
  std::unique_ptr<aws::S3Client> client;
};

S3Store::S3Store(aws::S3Client& client, std::string bucket, std::string prefix)
    : S3Store(nullptr, client, std::move(bucket), std::move(prefix)) {}

S3Store::S3Store(std::unique_ptr<Owned> owned, aws::S3Client& client, std::string bucket,
                 std::string prefix)
    : owned_(std::move(owned)),
      client_(client),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)) {}

S3Store::~S3Store() = default;

Result<std::unique_ptr<S3Store>> S3Store::Open(const std::string& url, const EnvLookup& env) {
  EB_ASSIGN_OR_RETURN(auto location, aws::ParseS3Url(url));
  auto config = aws::ResolveS3Config(location, env);
  if (!config.ok()) return config.status().WithContext(url);
  auto owned = std::make_unique<Owned>();
  http::ClientOptions http_options = aws::HttpOptionsFromEnv(env);
  if (location.timeout_ms) http_options.timeout_ms = *location.timeout_ms;
  owned->http = http::NewClient(http_options);
  owned->client = std::make_unique<aws::S3Client>(std::move(*config), *owned->http, owned->clock);
  aws::S3Client& client = *owned->client;
  return std::unique_ptr<S3Store>(
      new S3Store(std::move(owned), client, location.bucket, location.prefix));
}

Status S3Store::CheckKey(const std::string& key) const {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (prefix_.size() + key.size() > 1024) {
    return Status::InvalidArgument("key '" + key +
                                   "' is longer than S3's 1024 bytes with the prefix");
  }
  return Status::Ok();
}

Result<std::string> S3Store::Get(const std::string& key) {
  EB_RETURN_IF_ERROR(CheckKey(key));
  return client_.GetObject(bucket_, prefix_ + key);
}

Status S3Store::Put(const std::string& key, const std::string& body) {
  EB_RETURN_IF_ERROR(CheckKey(key));
  auto etag = client_.PutObject(bucket_, prefix_ + key, body);
  return etag.ok() ? Status::Ok() : etag.status();
}

Status S3Store::PutIfAbsent(const std::string& key, const std::string& body) {
  EB_RETURN_IF_ERROR(CheckKey(key));
  aws::PutOptions options;
  options.if_none_match = true;
  auto etag = client_.PutObject(bucket_, prefix_ + key, body, options);
  return etag.ok() ? Status::Ok() : etag.status();
}

std::vector<Result<std::string>> S3Store::GetMany(const std::vector<std::string>& keys) {
  std::vector<Result<std::string>> out(keys.size(), Result<std::string>(Status::Internal("not run")));
  ParallelFor(keys.size(), kParallelRequests, [&](size_t i) { out[i] = Get(keys[i]); });
  return out;
}

std::vector<Status> S3Store::PutIfAbsentMany(const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<Status> out(items.size());
  ParallelFor(items.size(), kParallelRequests, [&](size_t i) { out[i] = PutIfAbsent(items[i].first, items[i].second); });
  return out;
}

std::vector<Result<ListPage>> S3Store::ListMany(const std::vector<ListOptions>& requests) {
  std::vector<Result<ListPage>> out(requests.size(), Result<ListPage>(Status::Internal("not run")));
  ParallelFor(requests.size(), kParallelRequests, [&](size_t i) { out[i] = List(requests[i]); });
  return out;
}

const ServerTimeOffset* S3Store::ServerTime() const { return &client_.server_time(); }

Result<ListPage> S3Store::List(const ListOptions& options) {
  aws::ListRequest request;
  request.prefix = prefix_ + options.prefix;
  if (!options.start_after.empty()) request.start_after = prefix_ + options.start_after;
  request.continuation_token = options.continuation;
  request.delimiter = options.delimiter;
  request.max_keys = options.max_keys > 0 ? options.max_keys : 1000;
  EB_ASSIGN_OR_RETURN(auto result, client_.ListObjectsV2(bucket_, request));
  ListPage page;
  page.objects.reserve(result.objects.size());
  for (auto& o : result.objects) {
    if (o.key.compare(0, prefix_.size(), prefix_) != 0)
      continue;  // cannot happen with a prefix LIST
    o.key.erase(0, prefix_.size());
    page.objects.push_back(std::move(o));
  }
  for (auto& folder : result.common_prefixes) {
    if (folder.compare(0, prefix_.size(), prefix_) != 0) continue;
    folder.erase(0, prefix_.size());
    page.common_prefixes.push_back(std::move(folder));
  }
  if (result.is_truncated) page.next_continuation = result.next_continuation_token;
  return page;
}

Status S3Store::Delete(const std::string& key) {
  EB_RETURN_IF_ERROR(CheckKey(key));
  return client_.DeleteObject(bucket_, prefix_ + key);
}

Status S3Store::DeleteMany(const std::vector<std::string>& keys) {
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const auto& key : keys) {
    EB_RETURN_IF_ERROR(CheckKey(key));
    full.push_back(prefix_ + key);
  }
  return client_.DeleteObjects(bucket_, full);
}

std::string S3Store::Describe() const {
  return "s3://" + bucket_ + "/" + prefix_ + " at " + client_.config().Describe();
}

}  // namespace eb
