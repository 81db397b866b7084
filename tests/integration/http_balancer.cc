#include "integration/http_balancer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <string>

#include "fakes/loopback_server.h"

namespace eb::test {

namespace {

int ListenLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request (headers and Content-Length body); rewrites its headers
// to drop Expect/Connection and add "Connection: close". Empty on failure.
std::string ReadRequest(int fd) {
  std::string data;
  char buf[8192];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || data.size() > 65536) return "";
    data.append(buf, static_cast<size_t>(n));
  }
  std::string head = data.substr(0, header_end + 2), rewritten;
  size_t content_length = 0;
  bool expect_continue = false;
  for (size_t pos = 0; pos < head.size();) {
    size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    std::string name = Lower(line.substr(0, line.find(':')));
    if (name == "content-length") content_length = std::stoul(line.substr(line.find(':') + 1));
    if (name == "expect") expect_continue = true;
    if (name == "expect" || name == "connection") continue;
    rewritten += line + "\r\n";
  }
  if (expect_continue && !SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return "";
  std::string body = data.substr(header_end + 4);
  while (body.size() < content_length) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    body.append(buf, static_cast<size_t>(n));
  }
  return rewritten + "Connection: close\r\n\r\n" + body;
}

}  // namespace

HttpBalancer::HttpBalancer(std::vector<int> backend_ports)
    : backends_(std::move(backend_ports)), forwarded_(new std::atomic<int>[backends_.size()]) {
  for (size_t i = 0; i < backends_.size(); ++i) forwarded_[i] = 0;
  listen_fd_ = ListenLoopback(&port_);
  acceptor_ = std::thread([this] { Accept(); });
}

HttpBalancer::~HttpBalancer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : connections_) t.join();
}

void HttpBalancer::Accept() {
  while (!stop_) {
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
      if (stop_) return;
      continue;
    }
    timeval tv{10, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace_back([this, client] { Serve(client); });
  }
}

void HttpBalancer::Serve(int client) {
  std::string request = ReadRequest(client);
  if (!request.empty()) {
    size_t i = next_++ % backends_.size();
    int backend = ConnectLoopback(backends_[i]);
    if (backend < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ++refused_;
      SendAll(client,
              "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else {
      ++forwarded_[i];
      timeval tv{30, 0};
      ::setsockopt(backend, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (SendAll(backend, request)) {
        char buf[8192];
        ssize_t n;
        while ((n = ::recv(backend, buf, sizeof buf, 0)) > 0) {
          if (!SendAll(client, std::string(buf, static_cast<size_t>(n)))) break;
        }
      }
      ::close(backend);
    }
  }
  ::shutdown(client, SHUT_WR);
  ::close(client);
}

}  // namespace eb::test
