// `eventbarrier serve` as a process on loopback with a folder store: the
// command-line refusals (no token, --insecure-no-token off loopback, a short
// token), and a whole life: bind, authenticated POSTs, /healthz and /metrics,
// then SIGTERM while a trip's action is running: that request still gets its
// 200, new connections are refused, the process exits 0, the token is never printed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "fakes/loopback_server.h"
#include "fakes/temp_dir.h"
#include "fakes/wait.h"
#include "http/http_client.h"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kToken[] = "cli-test-token-0123456789";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Starts the binary with `args` and `env` added; stdout and stderr go to `out`.
pid_t Start(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const fs::path& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::fopen(out.c_str(), "w");
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
    ::unsetenv("EVENTBARRIER_TOKEN");
    for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv{const_cast<char*>(EB_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(EB_BINARY, argv.data());
    std::_Exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "state");
    // The trip's action says it started, then takes a second: long enough to stop the
    // server meanwhile.
    std::ofstream(dir_ / "barriers.json")
        << R"({"barriers": {"pair": {"members": ["in/a", "in/b"],
        "on_complete": [{"type": "exec", "command": ["sh", "-c", "touch ')"
        << (dir_ / "action-started").string() << R"(' && sleep 1"]}]}}})";
  }

  // Runs serve to completion (for the refusals): exit code and output.
  std::pair<int, std::string> Run(std::vector<std::string> args,
                                  const std::vector<std::string>& env = {}) {
    std::vector<std::string> all = {"serve", "--config", (dir_ / "barriers.json").string(),
                                    "--state", (dir_ / "state").string()};
    all.insert(all.end(), args.begin(), args.end());
    pid_t pid = Start(all, env, dir_ / "out.txt");
    int code = Wait(pid);
    return {code, ReadAll(dir_ / "out.txt")};
  }

  eb::test::TempDir dir_{"serve-cli"};
};

TEST_F(ServeCliTest, RefusesToRunWithoutAToken) {
  auto [code, out] = Run({"--listen", "127.0.0.1:0"});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("no token: set $EVENTBARRIER_TOKEN or pass --token-file"), std::string::npos)
      << out;
}

TEST_F(ServeCliTest, RefusesInsecureNoTokenOffLoopback) {
  auto [code, out] = Run({"--listen", "0.0.0.0:0", "--insecure-no-token"});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--insecure-no-token is refused on '0.0.0.0'"), std::string::npos) << out;
  auto [code6, out6] = Run({"--listen", "[::]:0", "--insecure-no-token"});
  EXPECT_EQ(code6, 2) << out6;
}

TEST_F(ServeCliTest, RefusesAShortTokenAndABadListenAddress) {
  auto [code, out] = Run({"--listen", "127.0.0.1:0"}, {"EVENTBARRIER_TOKEN=short"});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("shorter than 16 bytes"), std::string::npos) << out;
  EXPECT_EQ(out.find("short\n"), std::string::npos);
  auto [code2, out2] =
      Run({"--listen", "127.0.0.1:http"}, {std::string("EVENTBARRIER_TOKEN=") + kToken});
  EXPECT_EQ(code2, 2) << out2;
  EXPECT_NE(out2.find("expected ADDR:PORT"), std::string::npos) << out2;
}

TEST_F(ServeCliTest, ServesThenStopsGracefullyOnSigterm) {
  std::ofstream(dir_ / "token") << kToken << "\n";
  fs::permissions(dir_ / "token", fs::perms::owner_read | fs::perms::owner_write);
  pid_t pid = Start(
      {"serve", "--config", (dir_ / "barriers.json").string(), "--state", (dir_ / "state").string(),
       "--listen", "127.0.0.1:0", "--token-file", (dir_ / "token").string(), "--sweep-every", "0"},
      {}, dir_ / "out.txt");
  ASSERT_GT(pid, 0);
  int port = 0;
  eb::test::WaitUntil(
      [&] {
        std::string out = ReadAll(dir_ / "out.txt");
        size_t at = out.find("{\"listening\":\"127.0.0.1:");
        if (at != std::string::npos) port = std::stoi(out.substr(at + 24));
        return port != 0;
      },
      10'000);
  ASSERT_GT(port, 0) << ReadAll(dir_ / "out.txt");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto client = eb::http::NewClient();
  auto send = [&](const std::string& method, const std::string& path, const std::string& body,
                  bool auth) {
    eb::http::Request r;
    r.method = method;
    r.url = base + path;
    r.body = body;
    r.timeout_ms = 15'000;
    if (auth) r.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
    return client->Send(r);
  };
  auto record = [](const std::string& key, const std::string& seq) {
    return json{{"Records",
                 {{{"eventSource", "ceph:s3"},
                   {"eventName", "ObjectCreated:Put"},
                   {"eventTime", "2026-11-24T06:00:00.000000Z"},
                   {"s3",
                    {{"bucket", {{"name", "in"}}},
                     {"object", {{"key", key}, {"size", 1}, {"sequencer", seq}}}}}}}}}
        .dump();
  };

  auto health = send("GET", "/healthz", "", false);
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  auto unauthorized = send("POST", "/", record("in/a/1", "01"), false);
  ASSERT_TRUE(unauthorized.ok());
  EXPECT_EQ(unauthorized->status, 401);
  auto first = send("POST", "/", record("in/a/1", "01"), true);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 200) << first->body;

  // The second arrival trips the barrier; its action sleeps 1 s. Stop meanwhile.
  auto start = std::chrono::steady_clock::now();
  auto second = std::async(std::launch::async,
                           [&] { return send("POST", "/", record("in/b/2", "02"), true); });
  ASSERT_TRUE(eb::test::WaitUntil([&] { return fs::exists(dir_ / "action-started"); }, 10'000))
      << "the trip's action runs";
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  bool refused = eb::test::WaitUntil(
      [&] {
        int fd = eb::test::ConnectLoopback(port);
        if (fd >= 0) ::close(fd);
        return fd < 0;
      },
      5000);
  EXPECT_TRUE(refused) << "new connections are refused";

  auto tripped = second.get();
  ASSERT_TRUE(tripped.ok()) << tripped.status().ToString();
  EXPECT_EQ(tripped->status, 200) << "the request in progress finished: " << tripped->body;
  json body = json::parse(tripped->body);
  ASSERT_EQ(body["trips"].size(), 1u) << tripped->body;
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
  EXPECT_EQ(Wait(pid), 0);
  std::string out = ReadAll(dir_ / "out.txt");
  EXPECT_NE(out.find("stopping: finishing the requests in progress"), std::string::npos) << out;
  EXPECT_NE(out.find("\"stopped\""), std::string::npos) << out;
  EXPECT_EQ(out.find(kToken), std::string::npos) << "the token is never printed";
  EXPECT_TRUE(fs::exists(dir_ / "state/.eventbarrier/pair/_/t/0000000001.done"));
}

}  // namespace
