// A tiny HTTP load balancer for the integration tests, standing where a real
// one (haproxy, nginx, a cloud LB) stands in front of `serve` replicas:
//   - one request per client connection (it adds Connection: close), so every
//     request goes to the next backend in turn even when the client (RGW)
//     keeps its connections alive;
//   - when that backend refuses the connection (stopped, restarting) the
//     client gets 503 after 200 ms, as a balancer answers after its connect
//     retries: the sender retries later.
// Plain blocking sockets, a thread per connection; requests with a
// Content-Length body only (what RGW, MinIO and SNS send).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace eb::test {

class HttpBalancer {
 public:
  explicit HttpBalancer(std::vector<int> backend_ports);
  ~HttpBalancer();

  int port() const { return port_; }
  // Requests forwarded to backend `i` (any answer) and answered 503 because it refused.
  int forwarded(size_t i) const { return forwarded_[i].load(); }
  int refused() const { return refused_.load(); }

 private:
  void Accept();
  void Serve(int client);

  std::vector<int> backends_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> next_{0};
  std::unique_ptr<std::atomic<int>[]> forwarded_;
  std::atomic<int> refused_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
};

}  // namespace eb::test
