// The HTTP client the AWS code talks through: a request struct in, a response
// struct out. Abstract so it can be faked in tests (tests/fakes/fake_http.h
// records every request and answers from a script); the real one is libcurl
// (http/curl_client.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace eb::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";  // GET, PUT, POST, DELETE, HEAD
  std::string url;             // absolute, already percent-encoded
  Headers headers;             // sent as given (no Host: derived from url)
  std::string body;
  int64_t timeout_ms = 0;  // whole request; 0: the client's default; kNoTimeout: none
};

// Request::timeout_ms for a long poll that may legitimately wait forever (the
// Lambda Runtime API's "next": the process may be frozen between invocations).
inline constexpr int64_t kNoTimeout = -1;

struct Response {
  int status = 0;   // 200, 404, ...
  Headers headers;  // names lower-cased, in arrival order
  std::string body;

  // The first header named `name` (lower case), if any.
  std::optional<std::string> Header(const std::string& name) const;
};

class Client {
 public:
  virtual ~Client() = default;

  // Sends `request` and returns whatever HTTP status came back (a 404 or 503 is
  // a Response, not an error). Unavailable for transport failures: cannot
  // connect, reset, timeout. InvalidArgument for a malformed request (bad URL).
  // Thread-safe.
  virtual Result<Response> Send(const Request& request) = 0;
};

}  // namespace eb::http
