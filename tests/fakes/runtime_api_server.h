// A Lambda Runtime API server for tests and the cold-start benchmark. It
// follows AWS's documented protocol, version 2018-06-01
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
//
//   GET  /2018-06-01/runtime/invocation/next   blocks until an event is queued, then
//        200 with the payload as body and the headers Lambda-Runtime-Aws-Request-Id,
//        Lambda-Runtime-Deadline-Ms (Unix ms), Lambda-Runtime-Invoked-Function-Arn,
//        Lambda-Runtime-Trace-Id;
//   POST /2018-06-01/runtime/invocation/{id}/response   202 {"status":"OK"};
//   POST /2018-06-01/runtime/invocation/{id}/error      202; the body is
//        {"errorMessage","errorType","stackTrace"}, the type also in the
//        Lambda-Runtime-Function-Error-Type header;
//   POST /2018-06-01/runtime/init/error                 202 (Lambda then stops the runtime).
// An answer for a request id that was never handed out, or a second answer
// for one, is refused with 400 (errorType InvalidRequestID) and recorded as a
// protocol violation, as is any other path (404).
//
// HTTP/1.1 with keep-alive, one thread per connection. Records everything it
// was sent, for tests to assert on (after ninja's FakeCommandRunner).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace eb::test {

class FakeRuntimeApi {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // Listens on 127.0.0.1 on a free port. Check ok().
  FakeRuntimeApi();
  ~FakeRuntimeApi();
  FakeRuntimeApi(const FakeRuntimeApi&) = delete;
  FakeRuntimeApi& operator=(const FakeRuntimeApi&) = delete;

  bool ok() const { return listen_fd_ >= 0; }
  // What AWS_LAMBDA_RUNTIME_API holds: "127.0.0.1:PORT".
  std::string endpoint() const;

  // Queues one invocation and returns its request id. Its deadline is set
  // when a runtime takes it: then + `timeout_ms`.
  std::string Enqueue(std::string payload, int64_t timeout_ms = 60'000);

  struct Answer {
    std::string request_id;
    std::string payload;     // the invocation's
    bool error = false;      // /error instead of /response
    std::string error_type;  // Lambda-Runtime-Function-Error-Type
    std::string body;        // the response, or the error JSON
    int connection = 0;      // which connection took the invocation (for spread checks)
  };
  struct InitError {
    std::string error_type;
    std::string body;
  };

  // Each waits up to `timeout_ms` for the count to reach `n`; returns whether it did.
  bool WaitForAnswers(size_t n, int64_t timeout_ms);
  bool WaitForInitErrors(size_t n, int64_t timeout_ms);
  bool WaitForNextRequests(size_t n, int64_t timeout_ms);

  std::vector<Answer> answers() const;
  std::vector<InitError> init_errors() const;
  std::vector<std::string> violations() const;
  // When each GET next arrived (the cold-start benchmark measures to the first).
  std::vector<SteadyTime> next_request_times() const;

 private:
  struct Invocation {
    std::string request_id;
    std::string payload;
    int64_t timeout_ms = 0;
    int connection = 0;
    bool answered = false;
  };

  void AcceptLoop();
  void Serve(int fd, int connection);
  // Builds the raw HTTP response for one request (may block: GET next).
  std::string Handle(const std::string& method, const std::string& target,
                     const std::map<std::string, std::string>& headers, const std::string& body,
                     int connection, bool* close);
  std::string HandleNext(int connection, bool* close);

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  uint64_t next_id_ = 0;
  std::deque<std::string> queue_;                  // request ids not yet handed out
  std::map<std::string, Invocation> invocations_;  // every id ever queued
  std::vector<Answer> answers_;
  std::vector<InitError> init_errors_;
  std::vector<std::string> violations_;
  std::vector<SteadyTime> next_times_;
  std::vector<int> client_fds_;
  std::vector<std::thread> workers_;
};

}  // namespace eb::test
