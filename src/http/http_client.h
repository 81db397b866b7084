// The HTTP client the whole program talks through: a request struct in, a
// response struct out. Abstract so it can be faked in tests (tests/fakes/fake_http.h
// records every request and answers from a script); the real one, NewClient, is
// cpp-httplib's client over OpenSSL (http/httplib_client.cc).
#pragma once

#include <cstdint>
#include <memory>
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
  Headers headers;  // names lower-cased; repeated names in arrival order
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

struct ClientOptions {
  int64_t connect_timeout_ms = 3'000;
  // When the request sets none: how long the server may stay silent while a
  // request is sent or its response read (reset by every byte that moves).
  int64_t timeout_ms = 30'000;
  // Connections kept open for reuse (keep-alive), over all servers. Calls
  // beyond this many at once still work; their connections are then closed.
  int max_idle_connections = 16;
  // PEM file of trusted CAs for https; empty: OpenSSL's default locations
  // (which honour $SSL_CERT_FILE). Callers pass the environment's value here.
  std::string ca_file;
};

// A thread-safe client that keeps connections alive from one call to the
// next (a pool per scheme, host and port); https verifies the server's
// certificate and name. It adds no header but Host when the request has none,
// Content-Length, and cpp-httplib's Accept and User-Agent.
std::unique_ptr<Client> NewClient(const ClientOptions& options = {});

}  // namespace eb::http
