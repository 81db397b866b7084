// The HTTP server on loopback, driven by the HTTP client and raw sockets:
// requests reach the handler whole, the body limit answers 413 without the
// handler, stalled connections are cut by the timeouts, the worker pool is
// bounded, and Shutdown lets a request in progress finish while new
// connections are refused.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "fakes/loopback_server.h"
#include "fakes/wait.h"
#include "http/http_client.h"

namespace eb::http {
namespace {

using Clock = std::chrono::steady_clock;

// A server running on its own thread for the length of a test.
class Running {
 public:
  Running(ServerOptions options, RequestHandler handler)
      : server_(NewServer(std::move(options), std::move(handler))) {
    Status bound = server_->Bind();
    EXPECT_TRUE(bound.ok()) << bound.ToString();
    thread_ = std::thread([this] { served_ = server_->Serve(); });
  }
  ~Running() { Stop(); }
  void Stop() {
    server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  int port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status served_;
};

Result<Response> Send(const std::string& method, const std::string& url,
                      const std::string& body = "", Headers headers = {}) {
  static auto client = NewClient();
  Request r;
  r.method = method;
  r.url = url;
  r.body = body;
  r.headers = std::move(headers);
  r.timeout_ms = 10'000;
  return client->Send(r);
}

// Seconds until the server closes `fd` (reads until EOF); gives up after 10 s.
double SecondsUntilClosed(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto start = Clock::now();
  char buf[256];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(ServerTest, HandlerGetsTheWholeRequestAndShapesTheResponse) {
  ServerRequest seen;
  Running s({}, [&](const ServerRequest& r) {
    seen = r;
    ServerResponse res;
    res.status = 202;
    res.body = "{\"ok\":true}";
    res.headers.emplace_back("X-Thing", "yes");
    return res;
  });
  auto r = Send("POST", s.url("/events/in?x=1"), "{\"Records\":[]}",
                {{"Content-Type", "application/json"}, {"X-Mixed-Case", "v"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "{\"ok\":true}");
  EXPECT_EQ(r->Header("x-thing"), "yes");
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/events/in");
  EXPECT_EQ(seen.body, "{\"Records\":[]}");
  EXPECT_EQ(seen.Header("x-mixed-case"), "v") << "header names are lower-cased";
  EXPECT_EQ(seen.remote_addr, "127.0.0.1");
  EXPECT_FALSE(seen.Header("remote_addr").has_value())
      << "cpp-httplib's pseudo-headers are dropped";
}

TEST(ServerTest, BodyOverTheLimitIs413WithoutTheHandler) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  std::atomic<int> calls{0};
  Running s(o, [&](const ServerRequest&) {
    ++calls;
    return ServerResponse{};
  });
  auto big = Send("POST", s.url("/"), std::string(1001, 'x'));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("body too large"), std::string::npos) << big->body;
  EXPECT_EQ(calls, 0);
  auto fits = Send("POST", s.url("/"), std::string(1000, 'x'));
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(calls, 1);
}

TEST(ServerTest, StalledConnectionsAreClosedByTheTimeouts) {
  ServerOptions o;
  o.read_timeout_ms = 300;
  o.keep_alive_timeout_ms = 1000;
  Running s(o, [](const ServerRequest&) { return ServerResponse{}; });
  // Half a request, then nothing: cut after the read timeout.
  int half = test::ConnectLoopback(s.port());
  ASSERT_GE(half, 0);
  std::string partial = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"Rec";
  ASSERT_EQ(::send(half, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  double t = SecondsUntilClosed(half);
  ::close(half);
  EXPECT_LT(t, 3.0) << "a stalled body is cut by the read timeout";
  // Connected, never a byte: closed after the keep-alive timeout.
  int idle = test::ConnectLoopback(s.port());
  ASSERT_GE(idle, 0);
  double i = SecondsUntilClosed(idle);
  ::close(idle);
  EXPECT_GE(i, 0.5);
  EXPECT_LT(i, 4.0);
}

TEST(ServerTest, AtMostWorkersRequestsRunAtOnce) {
  ServerOptions o;
  o.workers = 2;
  o.max_queued = 2;
  std::atomic<int> running{0}, peak{0};
  Running s(o, [&](const ServerRequest&) {
    int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    // Busy until a second request runs beside this one (or 150 ms, for the last one alone).
    test::WaitUntil([&] { return running.load() >= 2; }, 150);
    --running;
    return ServerResponse{};
  });
  std::vector<std::future<int>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async, [&] {
      auto r = Send("POST", s.url("/"), "x", {{"Connection", "close"}});
      return r.ok() ? r->status : -1;
    }));
  }
  for (auto& a : answers)
    EXPECT_EQ(a.get(), 200) << "connections beyond workers+queue wait, none is dropped";
  EXPECT_EQ(peak.load(), 2);
}

TEST(ServerTest, ShutdownFinishesTheRequestInProgressAndRefusesNewOnes) {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future();
  Running s({}, [&](const ServerRequest&) {
    entered.set_value();
    released.wait_for(std::chrono::seconds(10));  // in progress until the test has looked
    ServerResponse r;
    r.body = "done";
    return r;
  });
  auto slow = std::async(std::launch::async, [&] { return Send("POST", s.url("/"), "x"); });
  entered.get_future().wait();
  auto start = Clock::now();
  std::thread stopper([&] { s.Stop(); });
  bool refused = test::WaitUntil(
      [&] {
        int fd = test::ConnectLoopback(s.port());
        if (fd >= 0) ::close(fd);
        return fd < 0;
      },
      5000);
  EXPECT_TRUE(refused) << "the listening socket is closed: new connections are refused";
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "while the request in progress still runs";
  release.set_value();
  auto r = slow.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  stopper.join();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
}

TEST(ServerTest, ShutdownBeforeServeReturnsAtOnce) {
  auto server = NewServer({}, [](const ServerRequest&) { return ServerResponse{}; });
  ASSERT_TRUE(server->Bind().ok());
  server->Shutdown();
  EXPECT_TRUE(server->Serve().ok());
}

TEST(ServerTest, PortInUseIsUnavailable) {
  Running first({}, [](const ServerRequest&) { return ServerResponse{}; });
  ServerOptions o;
  o.port = first.port();
  auto second = NewServer(o, [](const ServerRequest&) { return ServerResponse{}; });
  Status s = second->Bind();
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
}

}  // namespace
}  // namespace eb::http
