// lambda_coldstart: the cold start of the packaged Lambda function, next to a
// hello-world custom runtime built and packaged the same way and to the floor
// (bench/lambda_floor.cc: static, raw socket, nothing else), in one run.
//
//   lambda_coldstart EVENTBARRIER_ZIP HELLO_ZIP FLOOR_ZIP [RUNS [OTHER_ZIP...]]  (make bench-lambda)
//
// OTHER_ZIPs (e.g. an earlier build of eventbarrier: make bench-lambda PREVIOUS_ZIP=...)
// run in the same alternation, with eventbarrier's environment, and are reported below.
//
// Each run unpacks nothing: both zips are unpacked once into empty roots
// (tests/fakes/lambda_sandbox.h). Per run, alternating the two packages, a
// fresh process is started in its root (chroot, as on Lambda: bootstrap is
// exec'd directly, interpreter /var/task/lib/<loader>) and timed from just
// before execve to the moment its first GET /runtime/invocation/next reaches
// the Runtime API server (tests/fakes/runtime_api_server.h). Then it handles
// its first invocation, timed from queueing it to the runtime's next GET next,
// and is killed; its max RSS comes from wait4. Each package's zip size and ELF file
// count (bootstrap and every shared object) are reported beside. The first
// invocation is real work: one S3 notification for a member of the packaged
// configuration (examples/barriers.json), which eventbarrier records in its s3://
// state, a fresh in-memory S3 per run behind a socket on 127.0.0.1 (tests/fakes:
// FakeS3, which checks every request's SigV4 signature, behind a LoopbackServer), so
// whatever initialization was deferred to the first invocation shows there (OpenSSL's,
// the first signature). Plain http: TLS's own first costs are measured apart (docs/LAMBDA.md).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fakes/fake_http.h"
#include "fakes/lambda_sandbox.h"
#include "fakes/loopback_server.h"
#include "fakes/runtime_api_server.h"

namespace fs = std::filesystem;
using eb::test::FakeRuntimeApi;

namespace {

constexpr const char* kBucket = "bench-bucket";
constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kSessionToken = "token";

// The first invocation: object 0/0 (of event-barrier-0 in examples/barriers.json) created.
constexpr const char* kFirstEvent =
    R"({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",)"
    R"("eventTime":"2026-12-06T12:00:00.000Z","eventName":"ObjectCreated:Put",)"
    R"("s3":{"s3SchemaVersion":"1.0","bucket":{"name":"bench-bucket",)"
    R"("arn":"arn:aws:s3:::bench-bucket"},"object":{"key":"0/0","size":5,)"
    R"("eTag":"0123456789abcdef0123456789abcdef","sequencer":"0055AED6DCD90281E5"}}}]})";

// A fresh S3 bucket on 127.0.0.1 (the state of one run).
class LocalS3 {
 public:
  LocalS3()
      : s3_({kAccessKey, kSecretKey, kSessionToken}, "us-east-1", kBucket),
        server_([this](const eb::test::CapturedRequest& r) { return Serve(r); }) {}
  bool ok() const { return server_.ok(); }
  std::string endpoint() const { return server_.endpoint(); }

 private:
  eb::http::Response Serve(const eb::test::CapturedRequest& r) {
    eb::http::Request request{r.method, server_.endpoint() + r.target, {}, r.body, 0};
    for (const auto& [name, value] : r.headers) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(lower, value);
    }
    auto response = s3_.Send(request);
    return response.ok() ? *response : eb::http::Response{500, {}, response.status().ToString()};
  }

  eb::test::FakeS3 s3_;
  eb::test::LoopbackServer server_;
};

struct Sample {
  double start_ms = 0;  // exec -> first next
  double first_ms = 0;  // first event queued -> the runtime back at next
  double rss_mb = 0;
};

bool RunOnce(const std::string& root, const std::map<std::string, std::string>& env,
             const std::string& log, volatile int64_t* exec_ns, Sample* out) {
  FakeRuntimeApi api;
  LocalS3 s3;
  if (!api.ok() || !s3.ok()) return false;
  auto full_env = env;
  full_env["AWS_LAMBDA_RUNTIME_API"] = api.endpoint();
  full_env["EVENTBARRIER_STATE"] =
      std::string("s3://") + kBucket + "/state/?endpoint=" + s3.endpoint();
  *exec_ns = 0;
  int pid = eb::test::SpawnInSandbox(root, eb::test::LambdaEnvironment(full_env), log, exec_ns);
  if (pid <= 0) return false;
  bool ok = api.WaitForNextRequests(1, 10'000);
  if (ok) {
    int64_t next_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          api.next_request_times()[0].time_since_epoch())
                          .count();
    out->start_ms = static_cast<double>(next_ns - *exec_ns) / 1e6;
    auto queued = std::chrono::steady_clock::now();
    api.Enqueue(kFirstEvent);
    ok = api.WaitForAnswers(1, 10'000) && !api.answers()[0].error &&
         api.WaitForNextRequests(2, 10'000);
    if (ok) {
      out->first_ms =
          std::chrono::duration<double, std::milli>(api.next_request_times()[1] - queued).count();
    }
  }
  ::kill(pid, SIGKILL);
  long rss_kb = 0;
  eb::test::WaitSandboxed(pid, &rss_kb);
  out->rss_mb = static_cast<double>(rss_kb) / 1024.0;
  return ok;
}

bool IsElf(const fs::path& file) {
  char magic[4] = {};
  FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return false;
  size_t n = std::fread(magic, 1, sizeof magic, f);
  std::fclose(f);
  return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

int CountElfFiles(const std::string& root) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && !e.is_symlink() && IsElf(e.path())) ++n;
  }
  return n;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s EVENTBARRIER_ZIP HELLO_ZIP FLOOR_ZIP [RUNS [OTHER_ZIP...]]\n",
                 argv[0]);
    return 2;
  }
  int runs = argc > 4 ? std::atoi(argv[4]) : 30;
  std::string why;
  if (!eb::test::SandboxAvailable(&why)) {
    std::fprintf(stderr, "lambda_coldstart: %s\n", why.c_str());
    return 1;
  }
  fs::path dir = fs::temp_directory_path() / ("eb-coldstart-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string error;
  struct Package {
    std::string name;
    std::string root;
    std::map<std::string, std::string> env;
    std::vector<Sample> samples;
  };
  // Every package gets eventbarrier's environment (the others ignore it), so any
  // zip may stand in any slot (e.g. an older eventbarrier build in the second).
  const std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", kAccessKey},
                                                  {"AWS_SECRET_ACCESS_KEY", kSecretKey},
                                                  {"AWS_SESSION_TOKEN", kSessionToken}};
  std::vector<Package> packages = {
      {"eventbarrier bootstrap",
       eb::test::MakeSandboxRoot(argv[1], dir.string(), "eventbarrier", &error), env, {}},
      {"hello-world runtime", eb::test::MakeSandboxRoot(argv[2], dir.string(), "hello", &error),
       env, {}},
      {"floor (static, raw socket)",
       eb::test::MakeSandboxRoot(argv[3], dir.string(), "floor", &error), env, {}},
  };
  std::vector<std::string> zips = {argv[1], argv[2], argv[3]};
  for (int i = 5; i < argc; ++i) {
    std::string label = fs::path(argv[i]).filename().string();
    packages.push_back({label, eb::test::MakeSandboxRoot(argv[i], dir.string(),
                                                         "other" + std::to_string(i), &error),
                        env, {}});
    zips.push_back(argv[i]);
  }
  for (const auto& p : packages) {
    if (p.root.empty()) {
      std::fprintf(stderr, "lambda_coldstart: %s\n", error.c_str());
      return 1;
    }
  }
  auto* exec_ns = static_cast<volatile int64_t*>(
      ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (exec_ns == MAP_FAILED) return 1;

  // One warm-up each (page cache), then alternate so that machine noise hits both alike.
  for (int r = -1; r < runs; ++r) {
    for (auto& p : packages) {
      Sample s;
      std::string log = (dir / (fs::path(p.root).filename().string() + ".log")).string();
      if (!RunOnce(p.root, p.env, log, exec_ns, &s)) {
        std::fprintf(stderr, "lambda_coldstart: %s failed; its output is in %s\n", p.name.c_str(),
                     log.c_str());
        return 1;
      }
      if (r >= 0) p.samples.push_back(s);
    }
  }

  std::printf(
      "cold start over %d runs each (exec -> first GET next; first invocation: an S3 notification\n"
      "recorded in an S3 state on 127.0.0.1, queued -> back at next; max RSS after it)\n",
      runs);
  std::printf("%-36s %8s %8s %8s %12s %8s %5s %8s\n", "", "min ms", "median", "p90 ms",
              "1st inv. ms", "RSS MB", "ELF", "zip MB");
  std::vector<double> median(packages.size()), fastest(packages.size()), rss(packages.size());
  for (size_t i = 0; i < packages.size(); ++i) {
    std::vector<double> t, f, m;
    for (const auto& s : packages[i].samples) {
      t.push_back(s.start_ms);
      f.push_back(s.first_ms);
      m.push_back(s.rss_mb);
    }
    median[i] = Percentile(t, 0.5);
    fastest[i] = Percentile(t, 0);
    rss[i] = Percentile(m, 0.5);
    std::printf("%-36s %8.2f %8.2f %8.2f %12.2f %8.1f %5d %8.2f\n", packages[i].name.c_str(),
                fastest[i], median[i], Percentile(t, 0.9), Percentile(f, 0.5), rss[i],
                CountElfFiles(packages[i].root),
                static_cast<double>(fs::file_size(zips[i])) / (1024.0 * 1024.0));
  }
  double ratio = median[0] / median[1], floor_ratio = median[0] / median[2];
  std::printf("ratio (median): %.2fx the hello-world runtime, %.2fx the floor\n", ratio,
              floor_ratio);
  std::printf("ratio (min): %.2fx the floor\n", fastest[0] / fastest[2]);
  int elf = CountElfFiles(packages[0].root);
  double zip_mb = static_cast<double>(fs::file_size(zips[0])) / (1024.0 * 1024.0);
  std::printf(
      "targets: <= 2.5x the floor %s; <= 1.5x hello %s; start < 20 ms %s; RSS < 20 MB %s; "
      "<= 10 ELF files %s; <= 4 MB zipped %s\n",
      floor_ratio <= 2.5 ? "met" : "MISSED", ratio <= 1.5 ? "met" : "MISSED",
      median[0] < 20 ? "met" : "MISSED", rss[0] < 20 ? "met" : "MISSED",
      elf <= 10 ? "met" : "MISSED", zip_mb <= 4.0 ? "met" : "MISSED");
  fs::remove_all(dir);
  return 0;
}
