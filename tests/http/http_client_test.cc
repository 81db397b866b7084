// The HTTP client (cpp-httplib's) against tiny loopback servers: requests go out as
// given, any HTTP status comes back as a Response, connections are reused,
// transport failures and timeouts are Unavailable.
#include "http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace eb::http {
namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
int Listen(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0)
    return -1;
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Answers every request on a keep-alive connection with a canned response;
// records the raw requests and counts connections.
class CannedServer {
 public:
  explicit CannedServer(int status, int delay_ms = 0) : status_(status), delay_ms_(delay_ms) {
    fd_ = Listen(&port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~CannedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int c : clients_) ::shutdown(c, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    for (int c : clients_) ::close(c);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_.load(); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      clients_.push_back(c);
      workers_.emplace_back([this, c] { Serve(c); });  // closed by the destructor
    }
  }
  void Serve(int c) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      size_t length = 0;
      if (size_t cl = buf.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
        length = std::stoul(buf.substr(cl + 16));
      }
      while (buf.size() < head_end + 4 + length) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      std::string request = buf.substr(0, head_end + 4 + length);
      buf.erase(0, request.size());
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      bool head = request.rfind("HEAD ", 0) == 0;
      std::string body = "answer";
      std::string response = "HTTP/1.1 " + std::to_string(status_) +
                             " Whatever\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nX-Amz-Request-Id: req-7\r\n\r\n" + (head ? "" : body);
      ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
    }
  }

  int status_;
  int delay_ms_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
  std::thread thread_;
};

TEST(HttpClient, SendsTheRequestAsGivenAndReusesTheConnection) {
  CannedServer server(200);
  auto client = NewClient();
  Request put;
  put.method = "PUT";
  put.url = server.url("/bucket/a%20b");
  put.headers = {{"host", "example:1"}, {"x-amz-date", "20150830T123600Z"}};
  put.body = "payload";
  auto r = client->Send(put);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "answer");
  EXPECT_EQ(r->Header("x-amz-request-id").value_or(""), "req-7") << "header names are lower-cased";

  Request get;
  get.url = server.url("/bucket/k?list-type=2");
  ASSERT_TRUE(client->Send(get).ok());
  Request head;
  head.method = "HEAD";
  head.url = server.url("/bucket/k");
  auto h = client->Send(head);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->body, "");
  Request del;
  del.method = "DELETE";
  del.url = server.url("/bucket/k");
  ASSERT_TRUE(client->Send(del).ok());

  EXPECT_EQ(server.connections(), 1) << "one keep-alive connection for all four requests";
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].rfind("PUT /bucket/a%20b HTTP/1.1\r\n", 0), 0u) << seen[0];
  EXPECT_NE(seen[0].find("\r\nhost: example:1\r\n"), std::string::npos)
      << "the given Host, as given (no second one derived from the URL)\n"
      << seen[0];
  EXPECT_EQ(seen[0].find("127.0.0.1"), std::string::npos) << seen[0];
  EXPECT_NE(seen[0].find("\r\nContent-Length: 7\r\n"), std::string::npos);
  EXPECT_EQ(seen[0].find("Expect:"), std::string::npos) << "no 100-continue round trip";
  EXPECT_EQ(seen[0].find("Content-Type:"), std::string::npos) << "no invented form content type";
  EXPECT_EQ(seen[0].substr(seen[0].size() - 7), "payload");
  EXPECT_EQ(seen[1].rfind("GET /bucket/k?list-type=2 HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(seen[2].rfind("HEAD /bucket/k HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(seen[3].rfind("DELETE /bucket/k HTTP/1.1\r\n", 0), 0u);
}

TEST(HttpClient, ErrorStatusesAreResponsesNotErrors) {
  CannedServer server(503);
  auto client = NewClient();
  Request get;
  get.url = server.url("/x");
  auto r = client->Send(get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
}

TEST(HttpClient, ConnectionRefusedIsUnavailable) {
  int port = 0;
  int fd = Listen(&port);
  ::close(fd);  // nothing listens there now
  auto client = NewClient();
  // https too: its first request initialises OpenSSL (nothing of it runs before main).
  for (std::string scheme : {"http", "https"}) {
    Request get;
    get.url = scheme + "://127.0.0.1:" + std::to_string(port) + "/x";
    auto r = client->Send(get);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
    EXPECT_NE(r.status().message().find(scheme + "://127.0.0.1"), std::string::npos)
        << r.status().ToString();
  }
}

TEST(HttpClient, SilentServerTimesOut) {
  int port = 0;
  int fd = Listen(&port);  // the kernel accepts the connection; nobody ever answers
  auto client = NewClient();
  Request get;
  get.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  get.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  auto r = client->Send(get);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(3));
  ::close(fd);
}

TEST(HttpClient, NoTimeoutWaitsPastTheClientDefault) {
  CannedServer server(200, /*delay_ms=*/700);
  ClientOptions options;
  options.timeout_ms = 200;
  auto client = NewClient(options);
  Request get;
  get.url = server.url("/long-poll");
  auto defaulted = client->Send(get);
  ASSERT_FALSE(defaulted.ok()) << "the client's 200 ms default applies when the request sets none";
  EXPECT_EQ(defaulted.status().code(), Code::kUnavailable);
  get.timeout_ms = kNoTimeout;
  auto r = client->Send(get);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpClient, BadUrlIsInvalidArgument) {
  auto client = NewClient();
  Request get;
  get.url = "ftp://127.0.0.1/x";
  EXPECT_EQ(client->Send(get).status().code(), Code::kInvalidArgument);
}

TEST(HttpClient, HostAndPortComeFromTheUrl) {
  CannedServer server(200);
  auto client = NewClient();
  Request get;  // no Host header given: the client derives it from the URL
  get.url = server.url("/x");
  get.url.replace(get.url.find("127.0.0.1"), 9, "localhost");
  ASSERT_TRUE(client->Send(get).ok());
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  std::string port = server.url("").substr(server.url("").rfind(':') + 1);
  EXPECT_NE(seen[0].find("\r\nHost: localhost:" + port + "\r\n"), std::string::npos) << seen[0];

  for (const char* bad : {"http://127.0.0.1:/x", "http://127.0.0.1:99999/x", "http://h:8x/x",
                          "http://[::1/x", "http://[::1]8080/x", "https://:443/x"}) {
    get.url = bad;
    auto r = client->Send(get);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad << ": " << r.status().ToString();
  }
}

TEST(HttpClient, ConcurrentCallsAreSafe) {
  CannedServer server(200);
  auto client = NewClient();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        Request get;
        get.url = server.url("/x");
        if (auto r = client->Send(get); r.ok() && r->status == 200) ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace eb::http
