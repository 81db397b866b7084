// http::Server over cpp-httplib (its single header from Debian's 0.11 source package, compiled
// in). With httplib_client.cc, the only file that includes <httplib.h> (through
// http/cpp_httplib.h); nothing of it leaks out.
#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "http/cpp_httplib.h"
#include "http/server.h"

namespace eb::http {

std::optional<std::string> ServerRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

namespace {

const char* Reason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "body too large";
    case 414:
      return "URI too long";
    case 416:
      return "range not satisfiable";
    default:
      return status >= 500 ? "server error" : "request refused";
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// cpp-httplib's own ThreadPool queues without bound; this one holds at most
// `max_queued` accepted connections. enqueue() blocks while it is full, which
// stops the accept loop: further connections wait in the kernel's backlog.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(int workers, int max_queued)
      : max_queued_(static_cast<size_t>(std::max(1, max_queued))) {
    for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [this] { return jobs_.size() < max_queued_; });
    jobs_.push_back(std::move(fn));
    not_empty_.notify_one();
  }

  // Runs every job already queued (each is a connection: it must be closed), then joins.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    not_empty_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      not_full_.notify_one();
      job();
    }
  }

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class HttplibServer : public Server {
 public:
  HttplibServer(ServerOptions options, RequestHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {
    const int workers = options_.workers, queued = options_.max_queued;
    server_.new_task_queue = [workers, queued] { return new BoundedPool(workers, queued); };
    auto seconds = [](int64_t ms) { return static_cast<time_t>(ms / 1000); };
    auto micros = [](int64_t ms) { return static_cast<time_t>((ms % 1000) * 1000); };
    server_.set_read_timeout(seconds(options_.read_timeout_ms), micros(options_.read_timeout_ms));
    server_.set_write_timeout(seconds(options_.write_timeout_ms),
                              micros(options_.write_timeout_ms));
    server_.set_keep_alive_timeout(std::max<time_t>(1, seconds(options_.keep_alive_timeout_ms)));
    server_.set_keep_alive_max_count(
        static_cast<size_t>(std::max(1, options_.keep_alive_max_requests)));
    server_.set_payload_max_length(options_.max_body_bytes);
    server_.set_tcp_nodelay(true);
    // cpp-httplib's default also sets SO_REUSEPORT, which would let a second
    // process bind the same port and silently take half the connections.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });

    auto route = [this](const httplib::Request& req, httplib::Response& res) {
      Dispatch(req, res);
    };
    server_.Get(".*", route);
    server_.Post(".*", route);
    server_.Put(".*", route);
    server_.Patch(".*", route);
    server_.Delete(".*", route);
    server_.Options(".*", route);
    // cpp-httplib answers some requests itself (413, 400, 404 for HEAD...):
    // give those a JSON body too.
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      res.set_content("{\"ok\":false,\"error\":\"" + std::string(Reason(res.status)) + "\"}",
                      "application/json");
    });
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content("{\"ok\":false,\"error\":\"internal error\"}", "application/json");
        });
  }

  ~HttplibServer() override { Shutdown(); }

  Status Bind() override {
    if (options_.port == 0) {
      int port = server_.bind_to_any_port(options_.host);
      if (port <= 0) return Status::Unavailable("cannot listen on " + options_.host + ":0");
      port_ = port;
    } else {
      if (!server_.bind_to_port(options_.host, options_.port)) {
        return Status::Unavailable("cannot listen on " + options_.host + ":" +
                                   std::to_string(options_.port) +
                                   " (in use, or not an address of this host)");
      }
      port_ = options_.port;
    }
    bound_ = true;
    return Status::Ok();
  }

  int port() const override { return port_; }

  Status Serve() override {
    if (!bound_) return Status::Internal("Serve before Bind");
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shutdown_) return Status::Ok();
      serving_ = true;
    }
    bool ok = server_.listen_after_bind();
    std::lock_guard<std::mutex> lock(mu_);
    serving_ = false;
    if (!ok && !shutdown_) return Status::Unavailable("the listening socket failed");
    return Status::Ok();
  }

  void Shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shutdown_) return;
      shutdown_ = true;
      if (!serving_) return;  // Serve() will not start now
    }
    // cpp-httplib's stop() does nothing until its accept loop runs: wait for it.
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!serving_) return;
      }
      if (server_.is_running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server_.stop();
  }

 private:
  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    ServerRequest request;
    request.method = req.method;
    request.path = req.path;
    request.remote_addr = req.remote_addr;
    request.body = req.body;
    for (const auto& [name, value] : req.headers) {
      std::string lower = Lower(name);
      // cpp-httplib adds the peer and local addresses as pseudo-headers.
      if (lower == "remote_addr" || lower == "remote_port" || lower == "local_addr" ||
          lower == "local_port")
        continue;
      request.headers.emplace_back(std::move(lower), value);
    }
    ServerResponse response = handler_(request);
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    if (response.close_connection) res.set_header("Connection", "close");
    res.set_content(response.body, response.content_type);
  }

  ServerOptions options_;
  RequestHandler handler_;
  httplib::Server server_;
  int port_ = 0;
  bool bound_ = false;
  std::mutex mu_;
  bool serving_ = false;  // inside listen_after_bind()
  bool shutdown_ = false;
};

}  // namespace

std::unique_ptr<Server> NewServer(ServerOptions options, RequestHandler handler) {
  return std::make_unique<HttplibServer>(std::move(options), std::move(handler));
}

}  // namespace eb::http
