// `eventbarrier trip --force` at the engine: the open generation is claimed
// through the same PUT-if-absent claim as any trip, with status forced, and
// arrivals racing the force keep every promise.
#include <gtest/gtest.h>

#include <functional>

#include "core/engine.h"
#include "core/evaluator.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::RecordingActions;

constexpr const char* kConfig =
    R"({"barriers": {"b": {"members": ["in/{day}/m0", "in/{day}/m1", "in/{day}/m2"], "mode": "cyclic",
    "on_complete": [{"type": "manifest", "key": "done/{day}.json"}],
    "timeout": "1h", "on_timeout": [{"type": "manifest", "key": "late/{day}.json"}]}}})";

// Runs `hook` once, right before (or after) the first PUT-if-absent of a key ending in `suffix`.
class HookStore : public test::StoreWrapper {
 public:
  HookStore(ObjectStore& base, std::string suffix, bool after)
      : StoreWrapper(base), suffix_(std::move(suffix)), after_(after) {}
  std::function<void()> hook;
  Status PutIfAbsent(const std::string& key, const std::string& body) override {
    bool fire = hook && key.size() >= suffix_.size() &&
                key.compare(key.size() - suffix_.size(), suffix_.size(), suffix_) == 0;
    auto once = fire ? std::exchange(hook, nullptr) : nullptr;
    if (once && !after_) once();
    Status s = base_.PutIfAbsent(key, body);
    if (once && after_) once();
    return s;
  }

 private:
  std::string suffix_;
  bool after_;
};

class EngineForceTest : public ::testing::Test {
 protected:
  EngineForceTest() {
    parsed_ = ParseConfig(kConfig);
    if (!parsed_.ok()) throw std::runtime_error(parsed_.ErrorText());
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null());
  }
  void Arrive(Engine& engine, const std::string& key) {
    auto r = engine.OnArrival(test::Upload(key));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  ForceRequest Request(bool dry_run = false) {
    ForceRequest r;
    r.by = "ops@host";
    r.reason = "m2 is lost upstream";
    r.dry_run = dry_run;
    return r;
  }
  size_t Keys(const std::string& prefix) { return ListAll(store_, prefix)->size(); }

  FakeClock clock_;
  MemoryStore store_{clock_};
  RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineForceTest, ForcesTheOpenGenerationWithMissingMembersReasonAndWho) {
  Arrive(*engine_, "in/d1/m0/x.csv");
  Arrive(*engine_, "in/d1/m1/x.csv");
  ForceRequest req = Request();
  auto trips = engine_->Force("b", "d1", &req);
  ASSERT_TRUE(trips.ok()) << trips.status().ToString();
  ASSERT_EQ(trips->size(), 1u);
  EXPECT_EQ((*trips)[0].status, TripStatus::kForced);
  EXPECT_EQ((*trips)[0].generation, 1);
  EXPECT_EQ((*trips)[0].objects, 2u);
  ASSERT_TRUE(req.claim.has_value());
  EXPECT_FALSE(req.lost);
  EXPECT_EQ(req.claim->missing, std::vector<std::string>{"in/d1/m2"});

  auto body = store_.Get(".eventbarrier/b/d1/t/0000000001");
  ASSERT_TRUE(body.ok());
  auto record = ParseTrip(*body);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->status, TripStatus::kForced);
  EXPECT_EQ(record->forced_by, "ops@host");
  EXPECT_EQ(record->reason, "m2 is lost upstream");
  EXPECT_EQ(record->missing, std::vector<std::string>{"in/d1/m2"});
  EXPECT_TRUE(store_.Get(".eventbarrier/b/d1/t/0000000001.done").ok());

  // on_complete ran (not on_timeout), and its manifest says forced.
  ASSERT_EQ(actions_.runs().size(), 1u);
  EXPECT_EQ(actions_.runs().at("b/d1/1"), 1);
  EXPECT_EQ(actions_.last_trip().at("b/d1/1").status, TripStatus::kForced);
  std::string manifest = ManifestJson(actions_.last_trip().at("b/d1/1"));
  EXPECT_NE(manifest.find("\"status\": \"forced\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"reason\": \"m2 is lost upstream\""), std::string::npos) << manifest;
  EXPECT_EQ(Keys(".eventbarrier/b/d1/a/"), 0u) << "the consumed markers are gone";

  // The late member starts generation 2; a forced trip never counts it twice.
  Arrive(*engine_, "in/d1/m2/x.csv");
  EXPECT_EQ(Keys(".eventbarrier/b/d1/a/"), 1u);
}

TEST_F(EngineForceTest, NothingToForceClaimsNothing) {
  ForceRequest req = Request();
  auto trips = engine_->Force("b", "d1", &req);
  ASSERT_TRUE(trips.ok()) << trips.status().ToString();
  EXPECT_TRUE(trips->empty());
  EXPECT_FALSE(req.claim.has_value());
  EXPECT_EQ(Keys(".eventbarrier/b/"), 0u);

  ForceRequest unknown = Request();
  EXPECT_TRUE(engine_->Force("nope", "_", &unknown).status().IsNotFound());
  EXPECT_EQ(engine_->Force("b", "d1,d2", &unknown).status().code(), Code::kInvalidArgument)
      << "two values for one variable";
}

TEST_F(EngineForceTest, DryRunShowsTheClaimAndWritesNothing) {
  Arrive(*engine_, "in/d1/m0/x.csv");
  auto before = ListAll(store_, "");
  ASSERT_TRUE(before.ok());
  ForceRequest req = Request(/*dry_run=*/true);
  auto trips = engine_->Force("b", "d1", &req);
  ASSERT_TRUE(trips.ok()) << trips.status().ToString();
  EXPECT_TRUE(trips->empty());
  ASSERT_TRUE(req.claim.has_value());
  EXPECT_EQ(req.claim->generation, 1);
  EXPECT_EQ(req.claim->status, TripStatus::kForced);
  ASSERT_EQ(req.claim->arrivals.size(), 1u);
  EXPECT_EQ(req.claim->arrivals[0].arrival.key, "in/d1/m0/x.csv");
  EXPECT_EQ(req.claim->missing.size(), 2u);
  EXPECT_EQ(ListAll(store_, "")->size(), before->size()) << "a dry run writes nothing";
  EXPECT_TRUE(actions_.runs().empty());
}

// A racing arrival completes the generation and claims it between the
// force's listing and its claim: the force loses the PUT-if-absent, claims
// nothing, and the generation trips once, complete.
TEST_F(EngineForceTest, ARacingArrivalThatClaimsFirstWins) {
  Arrive(*engine_, "in/d1/m0/x.csv");
  Arrive(*engine_, "in/d1/m1/x.csv");
  HookStore hooked(store_, "/t/0000000001", /*after=*/false);
  Engine operator_engine(parsed_.config, hooked, actions_, clock_, Logger::Null(),
                         {.worker_id = "operator"});
  hooked.hook = [&] { Arrive(*engine_, "in/d1/m2/x.csv"); };
  ForceRequest req = Request();
  auto trips = operator_engine.Force("b", "d1", &req);
  ASSERT_TRUE(trips.ok()) << trips.status().ToString();
  EXPECT_TRUE(req.lost);
  ASSERT_TRUE(req.claim.has_value());
  EXPECT_EQ(req.claim->status, TripStatus::kComplete) << "the record of the winner";
  EXPECT_TRUE(trips->empty()) << "the force itself finished no trip";
  EXPECT_EQ(actions_.runs().at("b/d1/1"), 1) << "one trip, its actions once";
  EXPECT_EQ(Keys(".eventbarrier/b/d1/t/"), 2u) << "record and .done of generation 1 only";
}

// An arrival lands while the forced trip is being finished: it is not in the
// forced record, so it stays for generation 2 (never lost, never consumed twice).
TEST_F(EngineForceTest, AnArrivalDuringTheForcedTripWaitsForTheNextGeneration) {
  Arrive(*engine_, "in/d1/m0/x.csv");
  HookStore hooked(store_, "/t/0000000001", /*after=*/true);
  Engine operator_engine(parsed_.config, hooked, actions_, clock_, Logger::Null(),
                         {.worker_id = "operator"});
  hooked.hook = [&] { Arrive(*engine_, "in/d1/m1/x.csv"); };
  ForceRequest req = Request();
  auto trips = operator_engine.Force("b", "d1", &req);
  ASSERT_TRUE(trips.ok()) << trips.status().ToString();
  ASSERT_EQ(trips->size(), 1u);
  EXPECT_EQ((*trips)[0].objects, 1u);
  auto markers = ListAll(store_, ".eventbarrier/b/d1/a/");
  ASSERT_EQ(markers->size(), 1u) << "m1 waits for generation 2";
  EXPECT_NE((*markers)[0].key.find(MemberTag("in/{day}/m1")), std::string::npos);
  Arrive(*engine_, "in/d1/m0/y.csv");
  Arrive(*engine_, "in/d1/m2/y.csv");
  EXPECT_EQ(actions_.runs().at("b/d1/2"), 1) << "generation 2 trips complete with m1 in it";
  EXPECT_EQ(actions_.last_trip().at("b/d1/2").arrivals.size(), 3u);
}

}  // namespace
}  // namespace eb
