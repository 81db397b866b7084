#include "fakes/runtime_api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace eb::test {

namespace {

constexpr const char* kPrefix = "/2018-06-01/runtime/";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string HttpResponse(int status, const std::string& reason, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out +=
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  return out + "\r\n" + body;
}

std::string ErrorBody(const std::string& type, const std::string& message) {
  return "{\"errorMessage\":\"" + message + "\",\"errorType\":\"" + type + "\"}";
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FakeRuntimeApi::FakeRuntimeApi() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 64) != 0) {
    if (fd >= 0) ::close(fd);
    return;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeRuntimeApi::~FakeRuntimeApi() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (int c : client_fds_) ::shutdown(c, SHUT_RDWR);
  }
  changed_.notify_all();
  if (listen_fd_ >= 0) {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
  }
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& w : workers_) w.join();
  for (int c : client_fds_) ::close(c);
}

std::string FakeRuntimeApi::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

std::string FakeRuntimeApi::Enqueue(std::string payload, int64_t timeout_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  char id[64];
  std::snprintf(id, sizeof id, "8476a536-e9f4-11e8-9739-%012llx",
                static_cast<unsigned long long>(++next_id_));
  invocations_[id] = {id, std::move(payload), timeout_ms, 0, false};
  queue_.push_back(id);
  changed_.notify_all();
  return id;
}

void FakeRuntimeApi::AcceptLoop() {
  for (int connection = 1;; ++connection) {
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(c);
      return;
    }
    client_fds_.push_back(c);  // closed by the destructor
    workers_.emplace_back([this, c, connection] { Serve(c, connection); });
  }
}

void FakeRuntimeApi::Serve(int fd, int connection) {
  std::string buf;
  char chunk[65536];
  for (;;) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, head_end);
    std::map<std::string, std::string> headers;
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    for (size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
      size_t start = pos + 2;
      size_t end = head.find("\r\n", start);
      std::string line =
          head.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (size_t colon = line.find(':'); colon != std::string::npos) {
        size_t v = line.find_first_not_of(" \t", colon + 1);
        headers[Lower(line.substr(0, colon))] = v == std::string::npos ? "" : line.substr(v);
      }
      pos = end;
    }
    size_t length = headers.count("content-length") ? std::stoul(headers["content-length"]) : 0;
    while (buf.size() < head_end + 4 + length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
    }
    std::string body = buf.substr(head_end + 4, length);
    buf.erase(0, head_end + 4 + length);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.find(' ', sp1 + 1);
    std::string method = request_line.substr(0, sp1);
    std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    bool close = false;
    std::string response = Handle(method, target, headers, body, connection, &close);
    if (close) return;  // stopping while a GET next waited: drop the connection
    for (size_t sent = 0; sent < response.size();) {
      ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
}

std::string FakeRuntimeApi::Handle(const std::string& method, const std::string& target,
                                   const std::map<std::string, std::string>& headers,
                                   const std::string& body, int connection, bool* close) {
  std::string path =
      target.rfind(kPrefix, 0) == 0 ? target.substr(std::string(kPrefix).size()) : "";
  if (method == "GET" && path == "invocation/next") return HandleNext(connection, close);
  std::lock_guard<std::mutex> lock(mu_);
  auto header = [&](const char* name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  if (method == "POST" && path == "init/error") {
    init_errors_.push_back({header("lambda-runtime-function-error-type"), body});
    changed_.notify_all();
    return HttpResponse(202, "Accepted", "{\"status\":\"OK\"}");
  }
  const std::string kInv = "invocation/";
  if (method == "POST" && path.rfind(kInv, 0) == 0) {
    size_t slash = path.rfind('/');
    std::string id = path.substr(kInv.size(), slash - kInv.size());
    std::string what = path.substr(slash + 1);
    if (what == "response" || what == "error") {
      auto it = invocations_.find(id);
      bool handed_out = it != invocations_.end() && it->second.connection != 0;
      if (!handed_out || it->second.answered) {
        violations_.push_back(method + " " + target + ": " +
                              (handed_out ? "answered twice" : "unknown request id"));
        return HttpResponse(400, "Bad Request",
                            ErrorBody("InvalidRequestID", "Invalid request ID"));
      }
      it->second.answered = true;
      Answer a{
          id,   it->second.payload,   what == "error", header("lambda-runtime-function-error-type"),
          body, it->second.connection};
      answers_.push_back(std::move(a));
      changed_.notify_all();
      return HttpResponse(202, "Accepted", "{\"status\":\"OK\"}");
    }
  }
  violations_.push_back(method + " " + target + ": not part of the Runtime API");
  return HttpResponse(404, "Not Found", ErrorBody("NotFound", "no such resource"));
}

std::string FakeRuntimeApi::HandleNext(int connection, bool* close) {
  std::unique_lock<std::mutex> lock(mu_);
  next_times_.push_back(std::chrono::steady_clock::now());
  changed_.notify_all();
  changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (stopping_) {
    *close = true;
    return "";
  }
  Invocation& inv = invocations_[queue_.front()];
  queue_.pop_front();
  inv.connection = connection;
  uint64_t n = std::stoull(inv.request_id.substr(inv.request_id.rfind('-') + 1), nullptr, 16);
  char trace[96];
  std::snprintf(trace, sizeof trace, "Root=1-5bef4de7-%024llx;Parent=9a9197af755a6419;Sampled=1",
                static_cast<unsigned long long>(n));
  return HttpResponse(200, "OK", inv.payload,
                      {{"Lambda-Runtime-Aws-Request-Id", inv.request_id},
                       {"Lambda-Runtime-Deadline-Ms", std::to_string(UnixMs() + inv.timeout_ms)},
                       {"Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:eventbarrier-test"},
                       {"Lambda-Runtime-Trace-Id", trace}});
}

namespace {

template <typename Pred>
bool WaitFor(std::mutex& mu, std::condition_variable& cv, int64_t timeout_ms, Pred pred) {
  std::unique_lock<std::mutex> lock(mu);
  return cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), pred);
}

}  // namespace

bool FakeRuntimeApi::WaitForAnswers(size_t n, int64_t timeout_ms) {
  return WaitFor(mu_, changed_, timeout_ms, [&] { return answers_.size() >= n; });
}
bool FakeRuntimeApi::WaitForInitErrors(size_t n, int64_t timeout_ms) {
  return WaitFor(mu_, changed_, timeout_ms, [&] { return init_errors_.size() >= n; });
}
bool FakeRuntimeApi::WaitForNextRequests(size_t n, int64_t timeout_ms) {
  return WaitFor(mu_, changed_, timeout_ms, [&] { return next_times_.size() >= n; });
}

std::vector<FakeRuntimeApi::Answer> FakeRuntimeApi::answers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return answers_;
}
std::vector<FakeRuntimeApi::InitError> FakeRuntimeApi::init_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return init_errors_;
}
std::vector<std::string> FakeRuntimeApi::violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}
std::vector<FakeRuntimeApi::SteadyTime> FakeRuntimeApi::next_request_times() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_times_;
}

}  // namespace eb::test
