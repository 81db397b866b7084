// A small HTTP/1.1 server behind a narrow interface: one handler function gets
// every request, already read whole (headers and a size-limited body), and
// returns the response. The implementation is cpp-httplib, and
// http/httplib_server.cc is the only file that includes it.
//
// Limits, all enforced before the handler runs:
//   - a body over max_body_bytes is answered 413 (the handler never sees it);
//   - each read and each write of a connection times out (read/write_timeout_ms;
//     cpp-httplib 0.11 has no deadline for a whole request, so a peer that
//     trickles bytes is bounded only by these per-read timeouts and the body limit);
//   - at most `workers` connections are served at once; up to `max_queued` more
//     wait for a worker; beyond that the accept loop waits, and new connections
//     wait in the kernel's listen backlog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "http/http_client.h"

namespace eb::http {

struct ServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  Headers headers;     // names lower-cased
  std::string body;
  std::string remote_addr;  // the peer's IP address

  // The first header named `name` (lower case), if any.
  std::optional<std::string> Header(const std::string& name) const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;                // extra headers
  bool close_connection = false;  // answer with "Connection: close"
};

// Called from the worker threads, several at once.
using RequestHandler = std::function<ServerResponse(const ServerRequest&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (Server::port() says which)
  size_t max_body_bytes = 6 * 1024 * 1024;
  int64_t read_timeout_ms = 10'000;
  int64_t write_timeout_ms = 10'000;
  int64_t keep_alive_timeout_ms = 2'000;  // an idle connection is closed after this (>= 1 s)
  int keep_alive_max_requests = 100;
  int workers = 8;
  int max_queued = 64;
};

class Server {
 public:
  virtual ~Server() = default;

  // Binds and listens. Unavailable when the address cannot be bound (in use,
  // not an address of this host).
  virtual Status Bind() = 0;

  // The port bound; REQUIRES: Bind() succeeded.
  virtual int port() const = 0;

  // Serves until Shutdown(); returns once every accepted connection is done.
  // REQUIRES: Bind() succeeded.
  virtual Status Serve() = 0;

  // Closes the listening socket (new connections are refused); requests in
  // progress finish and Serve() returns after them. An idle keep-alive
  // connection closes within keep_alive_timeout_ms. Thread-safe, idempotent,
  // and safe to call before Serve() (which then returns at once).
  virtual void Shutdown() = 0;
};

std::unique_ptr<Server> NewServer(ServerOptions options, RequestHandler handler);

}  // namespace eb::http
