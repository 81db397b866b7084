// `eventbarrier serve`: the HTTP receiver of bucket notifications
// (sources/receiver.h) on the HTTP server (http/server.h), one engine per
// worker, a periodic sweeper, and a graceful stop on SIGTERM/SIGINT.
#include <signal.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "actions/local_actions.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/status_page.h"
#include "core/engine.h"
#include "http/http_client.h"
#include "http/server.h"
#include "sources/engine_pool.h"
#include "sources/invocation.h"
#include "sources/receiver.h"

namespace eb::cli {

namespace {

constexpr size_t kMinTokenBytes = 16;

struct ListenAddress {
  std::string host;
  int port = 0;
};

// "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (host 127.0.0.1).
Result<ListenAddress> ParseListen(const std::string& text) {
  ListenAddress a;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("--listen '" + text + "': expected [IPV6]:PORT");
    }
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string::npos) {
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    port = text;
  }
  if (a.host.empty()) a.host = "127.0.0.1";
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return Status::InvalidArgument("--listen '" + text +
                                   "': expected ADDR:PORT with a port 0-65535");
  }
  a.port = std::stoi(port);
  return a;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The token from --token-file, else from the environment variable; never from argv.
Result<std::string> LoadToken(const std::string& file, const std::string& env_name, Logger& log) {
  std::string token;
  std::string where;
  if (!file.empty()) {
    auto text = ReadInput(file, 4096);
    if (!text.ok()) return text.status().WithContext("--token-file");
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      log.Warn("the token file is readable by other users; chmod 600 it", {{"file", file}});
    }
    token = *text;
    where = "--token-file " + file;
  } else {
    const char* v = std::getenv(env_name.c_str());
    if (v == nullptr) {
      return Status::InvalidArgument(
          "no token: set $" + env_name +
          " or pass --token-file FILE (or --insecure-no-token on a loopback address)");
    }
    token = v;
    where = "$" + env_name;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.size() < kMinTokenBytes) {
    return Status::InvalidArgument("the token in " + where + " is shorter than " +
                                   std::to_string(kMinTokenBytes) + " bytes");
  }
  return token;
}

Result<TimeMs> DurationOption(const std::string& name, const std::string& text) {
  if (text == "0") return TimeMs{0};
  auto d = ParseDuration(text);
  if (!d)
    return Status::InvalidArgument(name + " '" + text +
                                   "': expected a duration like 500ms, 10s, 1m");
  return *d;
}

}  // namespace

Runner SetupServe(CLI::App& sub) {
  struct Opts {
    std::string config, state, listen = "127.0.0.1:8080";
    std::string token_env = "EVENTBARRIER_TOKEN", token_file;
    bool insecure_no_token = false;
    size_t max_body = kMaxPayloadBytes;
    int workers = 8, queue = 64;
    std::string read_timeout = "10s", keep_alive = "2s", sweep_every = "1m";
    std::vector<std::string> sns_hosts, sns_topics;
    bool sns_allow_http = false;
    std::string key_decoding = "auto";
    LogSetup log;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--config,-c", o->config, "Configuration file")->required();
  sub.add_option("--state,-s", o->state,
                 "State location (see handle); default: the config's state.url");
  sub.add_option("--listen,-l", o->listen,
                 "ADDR:PORT to listen on (default 127.0.0.1:8080; :PORT is loopback too)");
  sub.add_option("--token-env", o->token_env,
                 "Environment variable holding the token (default EVENTBARRIER_TOKEN)");
  sub.add_option("--token-file", o->token_file,
                 "File holding the token (instead of the environment)");
  sub.add_flag(
      "--insecure-no-token", o->insecure_no_token,
      "Accept notifications without a token; refused unless --listen is a loopback address");
  sub.add_option("--max-body", o->max_body,
                 "Largest request body in bytes (default 6 MiB; larger: 413)");
  sub.add_option("--workers", o->workers, "Connections served at once (default 8)")
      ->check(CLI::Range(1, 256));
  sub.add_option("--queue", o->queue, "Accepted connections waiting for a worker (default 64)")
      ->check(CLI::Range(1, 4096));
  sub.add_option("--read-timeout", o->read_timeout,
                 "Timeout of each read and write on a connection (default 10s)");
  sub.add_option("--keep-alive", o->keep_alive,
                 "Idle keep-alive connections close after this (default 2s)");
  sub.add_option("--sweep-every", o->sweep_every,
                 "Run the sweeper this often (default 1m; 0: never)");
  sub.add_option(
      "--sns-confirm-host", o->sns_hosts,
      "Confirm SNS subscriptions whose SubscribeURL is on this host (HOST, HOST:PORT or *.DOMAIN; "
      "repeatable). Without it SubscribeURLs are never fetched");
  sub.add_flag("--sns-confirm-allow-http", o->sns_allow_http,
               "Also confirm plain-http SubscribeURLs (emulators)");
  sub.add_option("--sns-topic", o->sns_topics,
                 "Confirm only subscriptions to this TopicArn (repeatable)");
  sub.add_option("--key-decoding", o->key_decoding,
                 "Object keys in notifications: auto (by eventSource), encoded, raw")
      ->check(CLI::IsMember({"auto", "encoded", "raw"}));
  sub.add_option("--log-format", o->log.format, "json (default) or text")
      ->check(CLI::IsMember({"json", "text"}));
  sub.footer(
      "Receives bucket notifications over HTTP: S3 Records as Ceph RGW, MinIO and AWS send them, "
      "SNS HTTP\n"
      "deliveries, EventBridge API destinations. POST them to any path; GET /healthz, GET "
      "/metrics.\n"
      "Answers 200 only once every arrival in the body is recorded in the state store and "
      "evaluated,\n"
      "400 for a body that is not a notification, 503 when the store is unavailable (the sender "
      "resends).\n"
      "Senders present the token as 'Authorization: Bearer TOKEN' or as the password of Basic "
      "auth\n"
      "(a push endpoint like http://eventbarrier:TOKEN@host:8080/). Several replicas may share one "
      "store.\n"
      "GET / is the status page (status --html's, refreshing itself) and GET /api/status its JSON, read-only\n"
      "and behind the same token: a browser asks for it (any user name, the token as password).\n"
      "Prints {\"listening\": ADDR:PORT} on stdout once bound. SIGTERM/SIGINT: stop accepting, "
      "finish the\n"
      "requests in progress, exit 0.");
  return [o] {
    SystemClock clock;
    auto log = MakeLogger(o->log, clock);
    auto usage = [](const Status& s) {
      std::cerr << "error: " << s.message() << "\n";
      return static_cast<int>(kExitUsage);
    };
    auto listen = ParseListen(o->listen);
    if (!listen.ok()) return usage(listen.status());
    auto read_timeout = DurationOption("--read-timeout", o->read_timeout);
    auto keep_alive = DurationOption("--keep-alive", o->keep_alive);
    auto sweep_every = DurationOption("--sweep-every", o->sweep_every);
    for (const auto* d : {&read_timeout, &keep_alive, &sweep_every}) {
      if (!d->ok()) return usage(d->status());
    }
    std::string token;
    if (o->insecure_no_token) {
      if (!IsLoopback(listen->host)) {
        return usage(
            Status::InvalidArgument("--insecure-no-token is refused on '" + listen->host +
                                    "': only a loopback address (127.0.0.1, ::1, localhost) may go "
                                    "without a token"));
      }
      log->Warn("no token required: anyone who can reach " + o->listen + " can post notifications");
    } else {
      auto t = LoadToken(o->token_file, o->token_env, *log);
      if (!t.ok()) return usage(t.status());
      token = std::move(*t);
    }

    auto loaded = LoadConfigAndState(o->config, o->state);
    if (!loaded) return static_cast<int>(kExitFailure);
    const Config& config = loaded->config();
    ObjectStore& store = *loaded->store;

    // Signals are taken by one thread (below) with sigtimedwait: block them
    // before any other thread starts, so every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    // Shared by every engine: the action clients are thread-safe.
    ProcessActions actions(store, *log, config.state.prefix);
    const std::string worker = WorkerId();
    EnginePool engines(o->workers + 1, [&](int i) {
      EngineOptions options;
      options.worker_id = worker + "-" + std::to_string(i);
      // Senders push copies promptly: a notification retried after a lost
      // answer, the same event through a second topic or to a second
      // replica. A prompt copy of a consumed arrival would re-create its
      // marker (settled stale only by the next trip), so every arrival here
      // reads its tombstone first (docs/PROTOCOL.md, arrival step 1).
      options.prompt_arrival_ms = 0;
      return std::make_unique<Engine>(config, store, actions.runner(), clock, *log, options);
    });

    StatusPages pages(token, store, config, clock);
    ReceiverOptions ro;
    ro.token = std::move(token);
    ro.max_body_bytes = o->max_body;
    ro.decode.key_decoding = o->key_decoding == "raw"       ? KeyDecoding::kRaw
                             : o->key_decoding == "encoded" ? KeyDecoding::kEncoded
                                                            : KeyDecoding::kAuto;
    ro.sns.enabled = !o->sns_hosts.empty();
    ro.sns.allowed_hosts = o->sns_hosts;
    ro.sns.allow_http = o->sns_allow_http;
    ro.sns.allowed_topics = o->sns_topics;
    std::unique_ptr<http::Client> confirm_client;
    if (ro.sns.enabled) confirm_client = http::NewClient();
    ReceiverMetrics metrics;
    SteadyClock steady;
    Receiver receiver(
        std::move(ro),
        [&engines](const DecodedPayload& payload) {
          return engines.With([&](Engine& engine) {
            return ProcessDecoded(engine, payload, {.partial_batch = false});
          });
        },
        confirm_client.get(), metrics, steady, *log);

    http::ServerOptions so;
    so.host = listen->host;
    so.port = listen->port;
    so.max_body_bytes = o->max_body;
    so.read_timeout_ms = *read_timeout;
    so.write_timeout_ms = *read_timeout;
    so.keep_alive_timeout_ms = *keep_alive;
    so.workers = o->workers;
    so.max_queued = o->queue;
    auto server = http::NewServer(so, [&receiver, &pages](const http::ServerRequest& r) {
      return StatusPages::Serves(r) ? pages.Handle(r) : receiver.Handle(r);
    });
    if (Status bound = server->Bind(); !bound.ok()) {
      std::cerr << "error: " << bound.message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    std::string address =
        (listen->host.find(':') != std::string::npos ? "[" + listen->host + "]" : listen->host) +
        ":" + std::to_string(server->port());
    std::cout << nlohmann::json{{"listening", address}}.dump() << std::endl;
    log->Info("serving", {{"listen", address},
                          {"state", store.Describe()},
                          {"auth", o->insecure_no_token ? "none" : "token"},
                          {"workers", std::to_string(o->workers)}});

    std::mutex mu;
    std::condition_variable wake;
    bool stopping = false;
    std::thread signal_thread([&] {
      int received = 0;
      const timespec tick{0, 100'000'000};
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (stopping) return;
        }
        int sig = ::sigtimedwait(&stop_signals, nullptr, &tick);
        if (sig <= 0) continue;
        if (++received == 1) {
          log->Info("stopping: finishing the requests in progress", {{"signal", ::strsignal(sig)}});
          receiver.BeginDrain();
          server->Shutdown();
        } else {
          log->Warn("second signal: exiting at once");
          std::_Exit(kExitFailure);
        }
      }
    });
    std::thread sweeper;
    if (*sweep_every > 0) {
      sweeper = std::thread([&] {
        std::unique_lock<std::mutex> lock(mu);
        while (!wake.wait_for(lock, std::chrono::milliseconds(*sweep_every),
                              [&] { return stopping; })) {
          lock.unlock();
          // Deadline: the interval (the next sweep goes on where this one stopped).
          SweepOptions so = InvocationOptions::DefaultScheduledSweep();
          so.deadline_ms = clock.NowMs() + *sweep_every;
          auto swept = engines.With([&](Engine& e) { return e.Sweep(so); });
          if (swept.ok()) {
            metrics.AddTrips(swept->trips);
            metrics.AddTripFailures(swept->trip_failures);
          } else {
            metrics.AddError(ErrorKind::kSweep);
            log->Warn("sweep failed", {{"error", swept.status().ToString()}});
          }
          lock.lock();
        }
      });
    }

    Status served = server->Serve();
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    wake.notify_all();
    if (sweeper.joinable()) sweeper.join();
    signal_thread.join();
    log->Info("stopped", {{"arrivals", std::to_string(metrics.arrivals())},
                          {"duplicates", std::to_string(metrics.duplicates())},
                          {"trips", std::to_string(metrics.trips())}});
    if (!served.ok()) {
      std::cerr << "error: " << served.message() << "\n";
      return static_cast<int>(kExitFailure);
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
