// The only file that includes <curl/curl.h>.
#include "http/curl_client.h"

#include <cstdlib>

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

namespace eb::http {

std::optional<std::string> Response::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Collects "Name: value" lines; a status line starts a new response (after a
// 100 Continue or a redirect), so earlier headers are dropped.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
  } else if (size_t colon = line.find(':'); colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    size_t start = line.find_first_not_of(" \t", colon + 1);
    headers->emplace_back(std::move(name), start == std::string::npos ? "" : line.substr(start));
  }
  return size * count;
}

class CurlClient : public Client {
 public:
  explicit CurlClient(const CurlOptions& options) : options_(options) { GlobalInitOnce(); }

  Result<Response> Send(const Request& request) override {
    EasyHandle handle = Borrow();
    if (!handle) return Status::Internal("curl_easy_init failed");
    Result<Response> result = Perform(handle.get(), request);
    // A handle whose transfer failed may hold a broken connection; curl
    // notices that itself on reuse, so it goes back into the pool either way.
    Return(std::move(handle));
    return result;
  }

 private:
  EasyHandle Borrow() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        EasyHandle h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    return EasyHandle(curl_easy_init());
  }

  void Return(EasyHandle handle) {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_handles)
      idle_.push_back(std::move(handle));
  }

  Result<Response> Perform(CURL* h, const Request& request) {
    curl_easy_reset(h);  // keeps the connection cache, forgets the last request's options
    Response response;
    HeaderList headers;
    for (const auto& [name, value] : request.headers) {
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
      if (grown == nullptr) return Status::Internal("curl_slist_append failed");
      headers.release();
      headers.reset(grown);
    }
    // Never wait for "100 Continue"; never let curl invent a Content-Type.
    for (const char* name : {"Expect", "Content-Type"}) {
      bool has = std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& kv) {
        return strcasecmp(kv.first.c_str(), name) == 0;
      });
      if (has) continue;
      curl_slist* grown = curl_slist_append(headers.get(), (std::string(name) + ":").c_str());
      if (grown == nullptr) return Status::Internal("curl_slist_append failed");
      headers.release();
      headers.reset(grown);
    }

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
    int64_t timeout = request.timeout_ms > 0 ? request.timeout_ms : options_.timeout_ms;
    if (request.timeout_ms == kNoTimeout) timeout = 0;  // curl: 0 waits forever
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout));
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);

    const std::string& m = request.method;
    if (m == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (m == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      // PUT/POST/DELETE with an in-memory body (possibly empty, sent with
      // Content-Length: 0 so servers that insist on a length are satisfied).
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
    }

    CURLcode rc = curl_easy_perform(h);
    // Nothing below may keep pointers into `request` or `response` in the handle.
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, nullptr);
    if (rc != CURLE_OK) {
      std::string what =
          std::string(curl_easy_strerror(rc)) + " (" + m + " " + HostOf(request.url) + ")";
      if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
        return Status::InvalidArgument(what);
      return Status::Unavailable(what);
    }
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    return response;
  }

  // "http://host:port" of a URL: error messages name the server, not the path.
  static std::string HostOf(const std::string& url) {
    size_t scheme = url.find("://");
    size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    size_t end = url.find_first_of("/?", start);
    return url.substr(0, end);
  }

  CurlOptions options_;
  std::mutex mu_;
  std::vector<EasyHandle> idle_;
};

}  // namespace

std::unique_ptr<Client> NewCurlClient(const CurlOptions& options) {
  CurlOptions resolved = options;
  if (const char* ca = std::getenv("SSL_CERT_FILE"); resolved.ca_file.empty() && ca != nullptr) {
    resolved.ca_file = ca;
  }
  return std::make_unique<CurlClient>(resolved);
}

}  // namespace eb::http
