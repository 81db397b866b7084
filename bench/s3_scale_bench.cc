// s3_scale_bench: the barrier engine against a real S3 server (Ceph RGW) at
// scale (issue 13, "Speed", third and fourth bullets). Two tables:
//
//  1. The completing arrival at 3, 1,000 and 10,000 named members (the engine
//     shards above 1,000): the first N-1 arrivals of a generation are fed by 8
//     workers (each its own engine and connection), then one of them (warm)
//     delivers the last. Timed from its marker written (the end of its
//     PUT-if-absent under the instance's arrival prefix) to the trip record
//     written (the end of the claim's PUT-if-absent under the trip prefix)
//     and to the manifest written (a `manifest` action to the same bucket),
//     with the ratio to the 3-member figure. Targets: <= 3x at 1,000 members,
//     <= 10x at 10,000. Beside it, a static floor from the same run: one
//     plain LIST (page after page) of the N-1 waiting markers, timed just
//     before the last arrival. Any design that records the consumed ids
//     must read them once; the floor's own ratio to 3 members says what
//     this server allows. (Listed just before the last arrival, it may warm
//     the server's caches for the arrival's own LIST: a bias in the engine's
//     favour, small on memstore, where the index is in memory anyway.)
//  2. Arrivals/s at 1, 4 and 16 workers (threads, each its own engine and
//     connection, like concurrent Lambda invocations) over distinct 3-member
//     barriers, beside Ceph's own PUT-if-absent rate on distinct keys at the
//     same concurrency in the same run (measured before and after; the mean
//     is the baseline), and arrivals/s x store writes per arrival / raw write
//     rate (target >= 0.8): the share of the store's write capacity the
//     engine turns into arrivals.
//
// Needs the AWS_* environment and S3_BUCKET of a running server; run it
// through bench/s3-bench.sh, which starts a throw-away Ceph RGW.
//
//   s3_scale_bench [--quick] [--members=3,1000,10000] [--workers=1,4,16] [--barriers=200]
//     --quick: 3 and 1,000 members, 50 barriers, fewer repetitions
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actions/local_actions.h"
#include "aws/s3_config.h"
#include "base/log.h"
#include "bench_common.h"
#include "core/config.h"
#include "core/engine.h"
#include "stores/s3_store.h"

namespace eb {
namespace {

using bench::RequestMix;
using bench::SecondsSince;
using bench::SteadyClock;

// Stamps the end of every successful PUT-if-absent while armed.
class WriteStamps : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  struct Stamp {
    std::string key;
    SteadyClock::time_point at;
  };
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    Status st = StoreWrapper::PutIfAbsent(key, body);
    if (st.ok() && armed_) {
      std::lock_guard<std::mutex> lock(mu_);
      stamps_.push_back({key, SteadyClock::now()});
    }
    return st;
  }
  // Batches go to the S3 store whole, which runs them over several
  // connections as the engine does in production (a wrapper that looped over
  // them would time them one after another); a batch's writes are stamped
  // when it ends.
  std::vector<Status> PutIfAbsentMany(
      const std::vector<std::pair<std::string, std::string>>& items) override {
    std::vector<Status> out = base_.PutIfAbsentMany(items);
    if (armed_) {
      std::lock_guard<std::mutex> lock(mu_);
      const auto at = SteadyClock::now();
      for (size_t i = 0; i < items.size(); ++i) {
        if (out[i].ok()) stamps_.push_back({items[i].first, at});
      }
    }
    return out;
  }
  std::vector<Result<std::string>> GetMany(const std::vector<std::string>& keys) override {
    return base_.GetMany(keys);
  }
  std::vector<Result<ListPage>> ListMany(const std::vector<ListOptions>& requests) override {
    return base_.ListMany(requests);
  }
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    stamps_.clear();
    armed_ = true;
  }
  // The first stamp whose key starts with `prefix` (and does not contain `unless`).
  const Stamp* First(const std::string& prefix, const std::string& unless = "") {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Stamp& s : stamps_) {
      if (s.key.rfind(prefix, 0) == 0 && (unless.empty() || s.key.find(unless, prefix.size()) == std::string::npos))
        return &s;
    }
    return nullptr;
  }

 private:
  std::mutex mu_;
  std::atomic<bool> armed_{false};
  std::vector<Stamp> stamps_;
};

// Stamps the end of every action that succeeded.
class StampedActions : public ActionRunner {
 public:
  explicit StampedActions(ActionRunner& inner) : inner_(inner) {}
  Status Run(const ActionSpec& action, const TripRecord& trip) override {
    ActionReport dropped;
    return RunReporting(action, trip, &dropped);
  }
  Status RunReporting(const ActionSpec& action, const TripRecord& trip, ActionReport* report) override {
    Status st = inner_.RunReporting(action, trip, report);
    if (st.ok()) last_done_ = SteadyClock::now();
    return st;
  }
  SteadyClock::time_point last_done_{};

 private:
  ActionRunner& inner_;
};

Result<std::unique_ptr<S3Store>> OpenStore(const std::string& bucket, const std::string& prefix) {
  return S3Store::Open("s3://" + bucket + "/" + prefix, ProcessEnv());
}

Arrival Upload(const std::string& bucket, const std::string& key, int64_t n) {
  Arrival a;
  a.bucket = bucket;
  a.key = key;
  a.size = 1;
  a.etag = "e" + std::to_string(n);
  a.sequencer = std::to_string(1000000000 + n);
  a.event_name = "ObjectCreated:Put";
  a.source = "aws:s3";
  SystemClock now;
  a.event_time = FormatIso8601(now.NowMs());  // delivered as it happens (prompt)
  return a;
}

// One engine with its own connection, counting its requests; the manifest
// store is a second connection to the bucket's root.
struct Worker {
  std::unique_ptr<S3Store> state, manifests;
  std::unique_ptr<bench::MixCountingStore> counted;
  std::unique_ptr<WriteStamps> stamps;
  std::unique_ptr<LocalActionRunner> local;
  std::unique_ptr<StampedActions> actions;
  std::unique_ptr<Engine> engine;
};

Status OpenWorker(const Config& config, const std::string& bucket, const std::string& state_prefix, int id,
                  Clock& clock, Worker* w) {
  auto state = OpenStore(bucket, state_prefix);
  if (!state.ok()) return state.status();
  auto manifests = OpenStore(bucket, "");
  if (!manifests.ok()) return manifests.status();
  w->state = std::move(*state);
  w->manifests = std::move(*manifests);
  w->counted = std::make_unique<bench::MixCountingStore>(*w->state);
  w->stamps = std::make_unique<WriteStamps>(*w->counted);
  w->local = std::make_unique<LocalActionRunner>(*w->manifests, Logger::Null());
  w->actions = std::make_unique<StampedActions>(*w->local);
  EngineOptions options;
  options.worker_id = "bench-" + std::to_string(id);
  w->engine = std::make_unique<Engine>(config, *w->stamps, *w->actions, clock, Logger::Null(), options);
  return Status::Ok();
}

// ---- 1. the completing arrival --------------------------------------------

struct Completion {
  int members = 0;
  int64_t generation = 0;
  double to_trip_ms = -1, to_manifest_ms = -1, arrival_ms = 0, feed_seconds = 0;
  double floor_ms = 0;  // a plain LIST of the waiting markers, just before the last arrival
  size_t floor_keys = 0;
  RequestMix requests;  // the completing arrival's
  bool tripped_once = false;
};

Result<std::vector<Completion>> RunCompletion(const std::string& bucket, const std::string& run, int members,
                                              int generations) {
  const int feeders = std::min(8, std::max(1, members - 1));
  std::string in = run + "in" + std::to_string(members) + "/";
  std::string json = R"({"barriers": {"b": {"mode": "cyclic", "members": [)";
  for (int i = 0; i < members; ++i) json += (i ? ",\"" : "\"") + in + std::to_string(i) + "\"";
  json += R"(], "on_complete": [{"type": "manifest", "key": ")" + run + "ready/" + std::to_string(members) +
          R"(/gen-{generation}.json"}]}}})";
  ConfigParse parsed = ParseConfig(json);
  if (!parsed.ok()) return Status::Internal("bench config: " + parsed.errors.front().ToString());
  SystemClock clock;
  std::string state_prefix = run + "state-" + std::to_string(members) + "/";
  std::vector<Worker> workers(static_cast<size_t>(feeders));
  for (int i = 0; i < feeders; ++i) {
    EB_RETURN_IF_ERROR(OpenWorker(parsed.config, bucket, state_prefix, i, clock, &workers[static_cast<size_t>(i)]));
  }
  Worker& last = workers[0];  // warm: it fed its share of every generation
  const std::string marker_prefix = last.engine->layout().ArrivalPrefix("b", "_");
  const std::string trip_prefix = last.engine->layout().TripPrefix("b", "_");
  std::vector<Completion> out;
  for (int g = 0; g < generations; ++g) {
    Completion c;
    c.members = members;
    std::atomic<int> next{0}, early_trips{0};
    std::mutex mu;
    Status failure;
    auto start = SteadyClock::now();
    auto feed = [&](int w) {
      for (int i; (i = next.fetch_add(1)) < members - 1;) {
        Status st;
        for (int attempt = 0; attempt < 6; ++attempt) {  // redelivered on error
          auto r = workers[static_cast<size_t>(w)].engine->OnArrival(
              Upload(bucket, in + std::to_string(i), static_cast<int64_t>(g) * members + i));
          st = r.status();
          if (r.ok()) {
            early_trips += static_cast<int>(r->trips.size());
            break;
          }
        }
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          failure = st;
          next.store(members);
        }
      }
    };
    std::vector<std::thread> threads;
    for (int w = 0; w < feeders; ++w) threads.emplace_back(feed, w);
    for (auto& t : threads) t.join();
    EB_RETURN_IF_ERROR(failure);
    if (early_trips.load() != 0) return Status::Internal("a generation tripped before its last member arrived");
    c.feed_seconds = SecondsSince(start);
    auto floor_start = SteadyClock::now();
    auto waiting = ListAll(*last.state, marker_prefix);
    if (!waiting.ok()) return waiting.status();
    c.floor_ms = 1000.0 * SecondsSince(floor_start);
    c.floor_keys = waiting->size();

    last.stamps->Arm();
    last.actions->last_done_ = {};
    RequestMix before = last.counted->mix();
    auto t0 = SteadyClock::now();
    auto r = last.engine->OnArrival(
        Upload(bucket, in + std::to_string(members - 1), static_cast<int64_t>(g) * members + members - 1));
    auto t1 = SteadyClock::now();
    if (!r.ok()) return r.status();
    c.requests = last.counted->mix() - before;
    c.arrival_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    c.tripped_once = r->trips.size() == 1 && r->trips[0].objects == static_cast<size_t>(members);
    if (c.tripped_once) c.generation = r->trips[0].generation;
    const WriteStamps::Stamp* marker = last.stamps->First(marker_prefix);
    const WriteStamps::Stamp* trip = last.stamps->First(trip_prefix, ".");
    auto since_marker = [&](SteadyClock::time_point at) {
      return std::chrono::duration<double, std::milli>(at - (marker ? marker->at : t0)).count();
    };
    if (trip) c.to_trip_ms = since_marker(trip->at);
    if (last.actions->last_done_ != SteadyClock::time_point{}) c.to_manifest_ms = since_marker(last.actions->last_done_);
    out.push_back(c);
    if (!marker) std::fprintf(stderr, "note: no marker write seen under %s; timed from OnArrival's start\n",
                              marker_prefix.c_str());
  }
  return out;
}

// ---- 2. arrivals/s vs the raw PUT-if-absent rate --------------------------

// W threads, each its own connection, PUT-if-absent of `ops` distinct keys in all.
Result<double> RawPutIfAbsentRate(const std::string& bucket, const std::string& prefix, int workers, int ops) {
  std::vector<std::unique_ptr<S3Store>> stores;
  for (int i = 0; i < workers; ++i) {
    auto s = OpenStore(bucket, prefix);
    if (!s.ok()) return s.status();
    stores.push_back(std::move(*s));
  }
  std::atomic<int> next{0}, failed{0};
  auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (int i; (i = next.fetch_add(1)) < ops;) {
        if (!stores[static_cast<size_t>(w)]->PutIfAbsent("k" + std::to_string(i), "x").ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = SecondsSince(start);
  if (failed.load() > 0) return Status::Internal(std::to_string(failed.load()) + " raw PUT-if-absent calls failed");
  return ops / seconds;
}

struct Throughput {
  int workers = 0, arrivals = 0, trips = 0, redeliveries = 0;
  int64_t consumed = 0, http_requests = 0;
  double seconds = 0;
  RequestMix mix;
};

Result<Throughput> RunArrivals(const std::string& bucket, const std::string& run, int workers, int barriers) {
  std::string in = run + "w" + std::to_string(workers) + "/";
  auto key = [&](int b, int m) { return in + "b" + std::to_string(b) + "/m" + std::to_string(m); };
  std::string json = "{";
  for (int b = 0; b < barriers; ++b) {
    json += (b ? ",\"b" : "\"b") + std::to_string(b) + "\": [";
    for (int m = 0; m < 3; ++m) json += (m ? ",\"" : "\"") + key(b, m) + "\"";
    json += "]";
  }
  json += "}";
  ConfigParse parsed = ParseConfig(json);
  if (!parsed.ok()) return Status::Internal("bench config: " + parsed.errors.front().ToString());
  SystemClock clock;
  std::vector<Worker> ws(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    EB_RETURN_IF_ERROR(OpenWorker(parsed.config, bucket, in + "state/", i, clock, &ws[static_cast<size_t>(i)]));
  }
  Throughput t;
  t.workers = workers;
  t.arrivals = barriers * 3;
  std::vector<int64_t> http_before;
  for (auto& w : ws) http_before.push_back(w.state->client().requests_sent());
  std::atomic<int> next{0}, trips{0}, redeliveries{0};
  std::atomic<int64_t> consumed{0};
  std::mutex mu;
  Status failure;
  auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (int q; (q = next.fetch_add(1)) < t.arrivals;) {
        Status st;
        for (int attempt = 0; attempt < 6; ++attempt) {
          auto r = ws[static_cast<size_t>(w)].engine->OnArrival(Upload(bucket, key(q / 3, q % 3), q));
          st = r.status();
          if (r.ok()) {
            trips += static_cast<int>(r->trips.size());
            for (const auto& trip : r->trips) consumed += static_cast<int64_t>(trip.objects);
            break;
          }
          ++redeliveries;
        }
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          failure = st;
          next.store(t.arrivals);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  t.seconds = SecondsSince(start);
  EB_RETURN_IF_ERROR(failure);
  t.trips = trips.load();
  t.consumed = consumed.load();
  t.redeliveries = redeliveries.load();
  for (size_t i = 0; i < ws.size(); ++i) {
    t.mix += ws[i].counted->mix();
    t.http_requests += ws[i].state->client().requests_sent() - http_before[i];
  }
  return t;
}

int Main(int argc, char** argv) {
  const bool quick = bench::Flag(argc, argv, "quick", "0") == "1";
  const std::vector<int> sizes = bench::IntListFlag(argc, argv, "members", quick ? "3,1000" : "3,1000,10000");
  const std::vector<int> concurrency = bench::IntListFlag(argc, argv, "workers", "1,4,16");
  const int barriers = static_cast<int>(bench::IntFlag(argc, argv, "barriers", quick ? 50 : 200));
  const char* bucket = std::getenv("S3_BUCKET");
  if (bucket == nullptr || *bucket == '\0') {
    std::fprintf(stderr, "s3_scale_bench: set S3_BUCKET and the AWS_* variables (bench/s3-bench.sh does)\n");
    return 2;
  }
  std::string run = "scale-" + std::to_string(std::time(nullptr)) + "/";
  std::printf("s3_scale_bench against %s, bucket %s; load average %s (%u cores)\n\n",
              std::getenv("AWS_ENDPOINT_URL") ? std::getenv("AWS_ENDPOINT_URL") : "?", bucket,
              bench::LoadAverage().c_str(), std::thread::hardware_concurrency());

  std::printf(
      "completing arrival (warm engine, manifest action to the same bucket); median over "
      "generations\n\n"
      "| members | generations | marker -> trip record ms | marker -> manifest ms | whole "
      "OnArrival ms | "
      "its requests (GET) | ratio to 3 members (trip, manifest) | floor: LIST of the waiting "
      "markers ms "
      "(keys) | the floor's ratio to 3 members |\n| --- | --- | --- | --- | --- | --- | --- | --- "
      "| --- |\n");
  double base_trip = 0, base_manifest = 0, base_floor = 0;
  bool ok = true;
  for (int members : sizes) {
    int generations = members <= 3 ? (quick ? 10 : 50) : members <= 1000 ? (quick ? 1 : 3) : 1;
    auto runs = RunCompletion(bucket, run, members, generations);
    if (!runs.ok()) {
      std::fprintf(stderr, "completion, %d members: %s\n", members, runs.status().ToString().c_str());
      return 1;
    }
    std::vector<double> trip, manifest, whole, requests, gets, floor;
    size_t floor_keys = 0;
    for (const Completion& c : *runs) {
      if (!c.tripped_once) ok = false;
      trip.push_back(c.to_trip_ms), manifest.push_back(c.to_manifest_ms), whole.push_back(c.arrival_ms);
      floor.push_back(c.floor_ms), floor_keys = c.floor_keys;
      if (c.floor_keys != static_cast<size_t>(members - 1))
        std::fprintf(stderr,
                     "note: %d members, generation %lld: the floor listed %zu markers, not %d\n",
                     members, static_cast<long long>(c.generation), c.floor_keys, members - 1);
      requests.push_back(static_cast<double>(c.requests.total())), gets.push_back(static_cast<double>(c.requests.get));
      std::fprintf(stderr, "  %d members, generation %lld: fed in %.1f s; trip %.1f ms, manifest %.1f ms\n", members,
                   static_cast<long long>(c.generation), c.feed_seconds, c.to_trip_ms, c.to_manifest_ms);
    }
    double t = bench::Percentile(trip, 0.5), m = bench::Percentile(manifest, 0.5);
    double f = bench::Percentile(floor, 0.5);
    if (members == sizes.front()) base_trip = t, base_manifest = m, base_floor = f;
    std::printf(
        "| %d | %d | %.1f | %.1f | %.1f | %.0f (%.0f) | %.2fx, %.2fx%s | %.1f (%zu) | %.2fx |\n",
        members, generations, t, m, bench::Percentile(whole, 0.5), bench::Percentile(requests, 0.5),
        bench::Percentile(gets, 0.5), base_trip > 0 ? t / base_trip : 0,
        base_manifest > 0 ? m / base_manifest : 0,
        ok ? "" : " **FAILED: not exactly one trip of every member**", f, floor_keys,
        base_floor > 0 ? f / base_floor : 0);
    std::fflush(stdout);
  }
  std::printf("(targets: <= 3x at 1,000 members, <= 10x at 10,000)\n\n");

  std::printf("arrivals/s vs Ceph's own PUT-if-absent rate on distinct keys, same concurrency, same run; %d distinct "
              "3-member barriers\n\n| workers | arrivals/s | store calls/arrival | writes/arrival | HTTP "
              "requests/arrival | raw PUT-if-absent/s (before, after) | arrivals/s x writes/arrival / raw | trips |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- |\n",
              barriers);
  for (int workers : concurrency) {
    int ops = barriers * 3;
    std::string raw_prefix = run + "raw-" + std::to_string(workers) + "/";
    auto raw_before = RawPutIfAbsentRate(bucket, raw_prefix + "before/", workers, ops);
    auto t = RunArrivals(bucket, run, workers, barriers);
    auto raw_after = RawPutIfAbsentRate(bucket, raw_prefix + "after/", workers, ops);
    if (!raw_before.ok() || !t.ok() || !raw_after.ok()) {
      std::fprintf(stderr, "%d workers: %s %s %s\n", workers, raw_before.status().ToString().c_str(),
                   t.status().ToString().c_str(), raw_after.status().ToString().c_str());
      return 1;
    }
    double a = t->arrivals, rate = a / t->seconds, raw = (*raw_before + *raw_after) / 2;
    double writes = static_cast<double>(t->mix.writes()) / a;
    bool exact = t->trips == barriers && t->consumed == t->arrivals;
    if (!exact) ok = false;
    std::printf("| %d | %.1f | %.2f | %.2f | %.2f | %.0f (%.0f, %.0f) | **%.2f** | %d of %d%s%s |\n", workers, rate,
                static_cast<double>(t->mix.total()) / a, writes, static_cast<double>(t->http_requests) / a, raw,
                *raw_before, *raw_after, rate * writes / raw, t->trips, barriers,
                exact ? "" : " **FAILED**",
                t->redeliveries ? (", " + std::to_string(t->redeliveries) + " redelivered").c_str() : "");
    std::fflush(stdout);
  }
  std::printf("(target: >= 0.8)\nload average at end: %s\n", bench::LoadAverage().c_str());
  if (!ok) std::printf("FAILED: a barrier did not trip exactly once with every arrival\n");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace eb

int main(int argc, char** argv) { return eb::Main(argc, argv); }
