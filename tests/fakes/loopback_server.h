// A small HTTP/1.1 server on 127.0.0.1 for tests that want requests to cross
// a real socket: it records every request as it arrived (method, target,
// headers in order and case as sent, body) and answers from a handler.
// Keep-alive, Content-Length bodies only (what our curl client sends).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.h"

namespace eb::test {

// A raw TCP connection to 127.0.0.1:port; -1 if refused.
int ConnectLoopback(int port);

struct CapturedRequest {
  std::string method;
  std::string target;     // "/path?query" as on the request line
  http::Headers headers;  // as sent
  std::string body;

  // The first header named `name`, compared case-insensitively; "" if none.
  std::string Header(const std::string& name) const;
};

class LoopbackServer {
 public:
  using Handler = std::function<http::Response(const CapturedRequest&)>;

  explicit LoopbackServer(Handler handler);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  bool ok() const { return fd_ >= 0; }
  // "http://127.0.0.1:PORT".
  std::string endpoint() const;
  std::vector<CapturedRequest> requests() const;

 private:
  void Accept();
  void Serve(int fd);

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<CapturedRequest> requests_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace eb::test
