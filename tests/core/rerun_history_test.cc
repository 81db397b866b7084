// `rerun` and `history` over the engine's state (core/rerun.h, core/history.h).
#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/evaluator.h"
#include "core/history.h"
#include "core/rerun.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

using test::RecordingActions;

class RerunHistoryTest : public ::testing::Test {
 protected:
  void Load(const std::string& json) {
    parsed_ = ParseConfig(json);
    if (!parsed_.ok()) throw std::runtime_error(parsed_.ErrorText());
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null());
  }
  void Arrive(const std::string& key, const std::string& seq = "1") {
    auto r = engine_->OnArrival(test::Upload(key, seq));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  RerunRequest Request(int64_t generation, std::optional<size_t> action = std::nullopt) {
    return {"b", "d1", generation, action, "ops@host", "downstream lost it"};
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
};

constexpr const char* kTwoActions =
    R"({"barriers": {"b": {"members": ["in/{day}/m0", "in/{day}/m1"], "mode": "cyclic",
    "on_complete": [{"type": "manifest", "key": "a/{day}.json"}, {"type": "manifest", "key": "b/{day}.json"}],
    "timeout": "10m", "on_timeout": [{"type": "manifest", "key": "late/{day}.json"}]}}})";

TEST_F(RerunHistoryTest, RerunRunsTheSameRecordAgainAndIsRecordedBesideTheTrip) {
  Load(kTwoActions);
  Arrive("in/d1/m0/x");
  Arrive("in/d1/m1/x");
  ASSERT_EQ(actions_.runs().at("b/d1/1"), 2) << "two actions";
  auto done_before = store_.Get(".eventbarrier/b/d1/t/0000000001.done");
  ASSERT_TRUE(done_before.ok());

  clock_.Advance(60'000);
  auto rerun = Rerun(store_, parsed_.config, actions_, clock_, Logger::Null(), Request(1));
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  EXPECT_TRUE(rerun->ok);
  EXPECT_EQ(rerun->number, 1);
  ASSERT_EQ(rerun->actions.size(), 2u);
  EXPECT_EQ(actions_.runs().at("b/d1/1"), 4) << "same idempotency key";
  EXPECT_EQ(actions_.last_trip().at("b/d1/1").arrivals.size(), 2u) << "the same record";

  auto only = Rerun(store_, parsed_.config, actions_, clock_, Logger::Null(), Request(1, 1));
  ASSERT_TRUE(only.ok()) << only.status().ToString();
  EXPECT_EQ(only->number, 2);
  ASSERT_EQ(only->actions.size(), 1u);
  EXPECT_EQ(only->actions[0].index, 1u);
  EXPECT_EQ(actions_.runs().at("b/d1/1"), 5);

  auto stored = store_.Get(".eventbarrier/b/d1/t/0000000001.rerun-0002");
  ASSERT_TRUE(stored.ok());
  auto parsed = ParseRerun(*stored);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->by, "ops@host");
  EXPECT_EQ(parsed->reason, "downstream lost it");
  EXPECT_EQ(parsed->at, clock_.NowMs());
  EXPECT_EQ(*store_.Get(".eventbarrier/b/d1/t/0000000001.done"), *done_before)
      << "the outcome is untouched";

  // The protocol does not see reruns: generation 2 trips as usual.
  Arrive("in/d1/m0/x", "2");
  Arrive("in/d1/m1/x", "2");
  EXPECT_EQ(actions_.runs().at("b/d1/2"), 2);
}

TEST_F(RerunHistoryTest, RerunRefusesWithAMessageNamingWhatIsWrong) {
  Load(kTwoActions);
  Arrive("in/d1/m0/x");
  auto code = [&](RerunRequest r) {
    return Rerun(store_, parsed_.config, actions_, clock_, Logger::Null(), r).status();
  };
  Status never = code(Request(1));
  EXPECT_TRUE(never.IsNotFound());
  EXPECT_NE(never.message().find("no trip record"), std::string::npos) << never.ToString();
  Arrive("in/d1/m1/x");
  Status out_of_range = code(Request(1, 2));
  EXPECT_EQ(out_of_range.code(), Code::kInvalidArgument);
  EXPECT_NE(out_of_range.message().find("on_complete[0..1]"), std::string::npos)
      << out_of_range.ToString();
  RerunRequest wrong = Request(1);
  wrong.barrier = "nope";
  EXPECT_TRUE(code(wrong).IsNotFound());
  wrong = Request(1);
  wrong.instance = "d1,d2";
  EXPECT_EQ(code(wrong).code(), Code::kInvalidArgument);

  // An unfinished trip (its action failing) is refused: the re-driver owns it.
  actions_.fail = [](const ActionSpec&, const TripRecord& t) { return t.generation == 2; };
  Arrive("in/d1/m0/x", "2");
  auto failed = engine_->OnArrival(test::Upload("in/d1/m1/x", "2"));
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  ASSERT_EQ(failed->trip_failures, 1);
  Status unfinished = code(Request(2));
  EXPECT_EQ(unfinished.code(), Code::kFailedPrecondition);
  EXPECT_NE(unfinished.message().find("not finished"), std::string::npos) << unfinished.ToString();
}

TEST_F(RerunHistoryTest, AFailingRerunIsRecordedAndSaysSo) {
  Load(kTwoActions);
  Arrive("in/d1/m0/x");
  Arrive("in/d1/m1/x");
  actions_.fail = [](const ActionSpec& a, const TripRecord&) {
    return a.fields.at("key") == "b/{day}.json";
  };
  auto rerun = Rerun(store_, parsed_.config, actions_, clock_, Logger::Null(), Request(1));
  ASSERT_TRUE(rerun.ok());
  EXPECT_FALSE(rerun->ok);
  EXPECT_NE(rerun->error.find("action 1"), std::string::npos) << rerun->error;
  EXPECT_EQ(rerun->actions.size(), 1u) << "the first ran, the second failed";
  EXPECT_TRUE(store_.Get(".eventbarrier/b/d1/t/0000000001.rerun-0001").ok());
}

TEST_F(RerunHistoryTest, HistoryTellsHowEachGenerationEnded) {
  Load(kTwoActions);
  clock_.Set(1'000'000);
  // Generation 1: complete after 5 s.
  Arrive("in/d1/m0/x");
  clock_.Advance(5'000);
  Arrive("in/d1/m1/x");
  // Generation 2: times out without m1; m1 arrives late (in generation 3).
  Arrive("in/d1/m0/y", "2");
  clock_.Advance(11 * 60'000);
  ASSERT_TRUE(engine_->Sweep().ok());
  Arrive("in/d1/m1/y", "2");
  // Generation 3: forced with m0 missing.
  ForceRequest force;
  force.by = "ops@host";
  force.reason = "m0 will not come";
  ASSERT_TRUE(engine_->Force("b", "d1", &force).ok());
  // A rerun of generation 1.
  ASSERT_TRUE(Rerun(store_, parsed_.config, actions_, clock_, Logger::Null(), Request(1)).ok());
  // Generation 4: m0 arrives, open: generation 3's missing m0 is a late arrival.
  Arrive("in/d1/m0/z", "3");

  auto history = ReadHistory(store_, parsed_.config, "b", "d1", 10);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 3u);
  const auto& g3 = (*history)[0];
  const auto& g2 = (*history)[1];
  const auto& g1 = (*history)[2];
  EXPECT_EQ(g3.generation, 3);
  EXPECT_EQ(g3.Outcome(), "forced");
  EXPECT_EQ(g3.forced_by, "ops@host");
  EXPECT_EQ(g3.reason, "m0 will not come");
  EXPECT_EQ(g3.missing, std::vector<std::string>{"in/d1/m0"});
  EXPECT_EQ(g3.late, 1u) << "m0 arrived after the force (open generation)";
  EXPECT_EQ(g2.Outcome(), "timeout");
  EXPECT_EQ(g2.missing, std::vector<std::string>{"in/d1/m1"});
  EXPECT_EQ(g2.late, 1u) << "m1 arrived after the timeout (in generation 3)";
  EXPECT_EQ(g2.actions.size(), 1u) << "on_timeout's manifest";
  EXPECT_EQ(g1.Outcome(), "complete");
  EXPECT_EQ(g1.LatencyMs(), 5'000);
  EXPECT_EQ(g1.objects, 2u);
  EXPECT_EQ(g1.late, 0u);
  EXPECT_EQ(g1.actions.size(), 2u);
  ASSERT_EQ(g1.reruns.size(), 1u);
  EXPECT_EQ(g1.reruns[0].by, "ops@host");

  auto last = ReadHistory(store_, parsed_.config, "b", "d1", 1);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].generation, 3);
  EXPECT_TRUE(ReadHistory(store_, parsed_.config, "nope", "d1", 1).status().IsNotFound());
}

}  // namespace
}  // namespace eb
