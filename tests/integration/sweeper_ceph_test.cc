// The sweeper on a real S3 server (issue 14): 1,000 open instances of a
// templated barrier on Ceph RGW, 999 of them idle (tripped, nothing pending),
// one waiting for a member that never comes. Sweeps every few seconds, each
// bounded by a deadline: the timeout trips within two sweeps of being due,
// and every request is attributed to the instance whose keys it touched —
// an idle instance costs at most one request a sweep, also in the sweep in
// which it leaves the index.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "base/env.h"
#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "fakes/vectors.h"
#include "integration/ceph_env.h"
#include "stores/s3_store.h"

namespace eb::test {
namespace {

constexpr int kInstances = 1000;

// Counts requests by the instance whose keys they touch (its prefix, its
// index entry, its tombstones); everything else (the cursor, LISTs of the
// index, bulk deletes of many entries) is shared.
class AttributingStore : public StoreWrapper {
 public:
  explicit AttributingStore(ObjectStore& base) : StoreWrapper(base) {}
  Result<std::string> Get(const std::string& key) override {
    return Note(key), StoreWrapper::Get(key);
  }
  Status Put(const std::string& key, const std::string& body) override {
    return Note(key), StoreWrapper::Put(key, body);
  }
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    return Note(key), StoreWrapper::PutIfAbsent(key, body);
  }
  Result<ListPage> List(const ListOptions& options) override {
    return Note(options.prefix), StoreWrapper::List(options);
  }
  Status Delete(const std::string& key) override { return Note(key), StoreWrapper::Delete(key); }
  Status DeleteMany(const std::vector<std::string>& keys) override {
    return Note(keys.size() == 1 ? keys[0] : ""), StoreWrapper::DeleteMany(keys);
  }

  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    by_instance_.clear();
    shared_ = 0;
  }
  std::map<std::string, int> by_instance() const {
    std::lock_guard<std::mutex> lock(mu_);
    return by_instance_;
  }
  int shared() const {
    std::lock_guard<std::mutex> lock(mu_);
    return shared_;
  }

 private:
  // ".eventbarrier/d/<day>/...", ".eventbarrier/_open/d/<day>",
  // ".eventbarrier/_consumed/d/<day>/..."
  void Note(const std::string& key) {
    std::string instance;
    for (const char* root :
         {".eventbarrier/d/", ".eventbarrier/_open/d/", ".eventbarrier/_consumed/d/"}) {
      std::string r = root;
      if (key.compare(0, r.size(), r) == 0 && key.size() > r.size()) {
        instance = key.substr(r.size(), key.find('/', r.size()) - r.size());
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (instance.empty())
      ++shared_;
    else
      ++by_instance_[instance];
  }
  mutable std::mutex mu_;
  std::map<std::string, int> by_instance_;
  int shared_ = 0;
};

std::string Day(int i) { return "day" + std::to_string(10000 + i); }

TEST(CephSweeper, ThousandInstancesMostIdleOneTimesOutWithinTwoSweeps) {
  EB_REQUIRE_CEPH(env);
  auto s3 = S3Store::Open("s3://" + env.bucket + "/" + UniquePrefix("sweeper"), ProcessEnv());
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  AttributingStore store(**s3);
  auto parsed = ParseConfig(
      R"({"barriers": {"d": {"members": ["in/{day}/a.csv", "in/{day}/b.csv"], "timeout": "8s", "mode": "cyclic"}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  SystemClock clock;
  RecordingActions actions;
  EngineOptions options;
  options.worker_id = "arrivals";
  Engine arrivals(parsed.config, store, actions, clock, Logger::Null(), options);

  // 999 instances trip (both members); then one gets only a.csv: it times out.
  const std::string late = Day(kInstances / 2);
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};  // 999 instances trip (both members)
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      Engine engine(parsed.config, store, actions, clock, Logger::Null(), options);
      for (int i = w; i < kInstances; i += 8) {
        if (Day(i) == late) continue;
        if (!engine.OnArrival(Upload("in/" + Day(i) + "/a.csv")).ok()) ++failures;
        if (!engine.OnArrival(Upload("in/" + Day(i) + "/b.csv")).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(arrivals.OnArrival(Upload("in/" + late + "/a.csv")).ok());
  const TimeMs due = clock.NowMs() + 8000;  // at the latest: the marker was written before now

  options.worker_id = "sweeper";
  Engine sweeper(parsed.config, store, actions, clock, Logger::Null(), options);
  const TimeMs interval = 4000;
  int sweeps_after_due = 0, sweeps = 0;
  bool tripped = false;
  int worst_idle = 0, most_shared = 0;
  while (!tripped && sweeps < 12) {
    TimeMs started = clock.NowMs();
    if (started >= due) ++sweeps_after_due;
    store.Reset();
    SweepOptions o;
    o.deadline_ms = started + interval;
    o.parallel = 16;
    auto s = sweeper.Sweep(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ++sweeps;
    for (const auto& t : s->trips) {
      EXPECT_EQ(t.instance, late);
      EXPECT_EQ(t.status, TripStatus::kTimeout);
      tripped = true;
    }
    for (const auto& [instance, n] : store.by_instance()) {
      if (instance != late) worst_idle = std::max(worst_idle, n);
    }
    most_shared = std::max(most_shared, store.shared());
    std::printf("sweep %d: %d instances (%d idle) in %lld ms, %d not visited, shared requests %d\n",
                sweeps, s->instances, s->idle, static_cast<long long>(clock.NowMs() - started),
                s->not_visited, store.shared());
    TimeMs wait = started + interval - clock.NowMs();
    if (!tripped && wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  EXPECT_TRUE(tripped) << "the timeout never tripped";
  EXPECT_LE(sweeps_after_due, 2) << "the timeout trips within two sweeps of being due";
  EXPECT_LE(worst_idle, 1) << "requests per idle instance per sweep";
  EXPECT_LE(most_shared, 8)
      << "cursor GET+PUT, LISTs of _sweep/left/ and of the index (one page per 1,000)";

  // Idle instances leave the index: with no cache to wait for (TTL 0), the
  // next sweep lets all 1,000 go; each still costs one request (its LIST), the
  // bulk delete and the list of leavers are shared.
  options.open_cache_ttl_ms = 0;
  options.max_clock_skew_ms = 0;
  options.leave_recheck_after_ms = 0;
  Engine leaving(parsed.config, store, actions, clock, Logger::Null(), options);
  store.Reset();
  SweepOptions o;
  o.parallel = 16;
  auto s = leaving.Sweep(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->left, kInstances);
  int worst = 0;
  for (const auto& [instance, n] : store.by_instance()) worst = std::max(worst, n);
  EXPECT_LE(worst, 1) << "requests per idle instance in the sweep it leaves";
  std::printf("leaving sweep: %d left, worst %d request(s) an instance, shared %d\n", s->left,
              worst, store.shared());
  auto open = ListAll(**s3, ".eventbarrier/_open/");
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
  // An arrival brings one back; the recheck (one LIST each) finds nothing else.
  ASSERT_TRUE(arrivals.OnArrival(Upload("in/" + Day(7) + "/a.csv", "2")).ok());
  s = leaving.Sweep(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->rechecked, kInstances);
  EXPECT_EQ(s->instances, 1);
  open = ListAll(**s3, ".eventbarrier/_open/");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 1u);
}

}  // namespace
}  // namespace eb::test
