// The listing race (docs/PROTOCOL.md, "Finishing a trip"): an evaluator whose
// LIST of a/ was sent before another process's trip deleted the markers it
// consumed, and whose LIST of t/ came after that trip's .done, would claim
// those consumed markers again into a void generation. It lists a/ again
// instead, because the view shows a generation done after its LIST of a/.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

// Runs `before_trip_list` once, just before the first LIST of a t/ folder.
class TripListHook : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  std::function<void()> before_trip_list;
  Result<ListPage> List(const ListOptions& options) override {
    const std::string& p = options.prefix;
    if (before_trip_list && p.size() >= 3 && p.compare(p.size() - 3, 3, "/t/") == 0) {
      auto hook = std::move(before_trip_list);
      before_trip_list = nullptr;
      hook();
    }
    return StoreWrapper::List(options);
  }
};

constexpr const char* kConfig =
    R"({"barriers": {"b": {"members": ["in/m0", "in/m1"], "mode": "cyclic",
                           "on_complete": [{"type": "manifest", "key": "r"}]}}})";

// 10 ms later, a redelivery of m1 reaches the other process, which finds the
// set complete, claims generation 1, runs the action, deletes the markers and
// writes .done.
void OtherTripsGeneration1(FakeClock& clock, Engine& other) {
  clock.Advance(10);
  auto r = other.OnArrival(test::Upload("in/m1", "1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trips.size(), 1u);
}

// The racer's own delivery of m1 claims nothing: no void generation 2 of the
// markers generation 1 consumed, one action run in all.
void ExpectTheRacerClaimedNothing(Engine& racer, MemoryStore& store,
                                  test::RecordingActions& actions) {
  auto raced = racer.OnArrival(test::Upload("in/m1", "1"));
  ASSERT_TRUE(raced.ok()) << raced.status().ToString();
  EXPECT_TRUE(raced->trips.empty());
  auto t = ListAll(store, ".eventbarrier/b/_/t/");
  ASSERT_TRUE(t.ok());
  for (const auto& o : *t) {
    EXPECT_EQ(o.key.find("t/0000000002"), std::string::npos) << "a void generation 2: " << o.key;
  }
  EXPECT_EQ(actions.runs().size(), 1u);
}

TEST(ListingRaceTest,
     AClaimantWhoseMarkerListingPredatesATripListsAgainInsteadOfClaimingItsMarkers) {
  ConfigParse parsed = ParseConfig(kConfig);
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  FakeClock clock;
  MemoryStore store{clock};
  TripListHook hooked{store};
  test::RecordingActions actions;
  Engine other(parsed.config, store, actions, clock, Logger::Null());
  Engine racer(parsed.config, hooked, actions, clock, Logger::Null());

  // The racer records m0 and, on a redelivery of it, reads t/: it knows the
  // instance's trips, so it lists a/, then t/ (a process that does not yet
  // list both at once, core/arrival_listing.h; the race below covers that).
  ASSERT_TRUE(racer.OnArrival(test::Upload("in/m0", "1")).ok());
  ASSERT_TRUE(racer.OnArrival(test::Upload("in/m0", "1")).ok());
  // The racer records m1 and lists a/ (m0 and m1: complete). Before its LIST
  // of t/, the other process trips generation 1 with both markers: a
  // redelivery of m1 reaches it, finds the set complete, claims, runs the
  // action, deletes the markers and writes .done, 10 ms later.
  hooked.before_trip_list = [&] { OtherTripsGeneration1(clock, other); };
  ExpectTheRacerClaimedNothing(racer, store, actions);

  // The next pair still trips as generation 2.
  ASSERT_TRUE(other.OnArrival(test::Upload("in/m0", "2")).ok());
  auto next = racer.OnArrival(test::Upload("in/m1", "2"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->trips.size(), 1u);
  EXPECT_EQ(next->trips[0].generation, 2);
}

EngineOptions Named(const std::string& worker) {
  EngineOptions options;
  options.worker_id = worker;  // claims of processes sharing a clock stay distinct
  return options;
}

// A LIST of a whole instance that reads one folder of it (`first`: "t/" or
// "a/") before the rest, and runs `between` in between: one LIST is no
// snapshot on every store, and nothing orders its keys' reads by key.
class TornInstanceListing : public test::StoreWrapper {
 public:
  TornInstanceListing(ObjectStore& base, std::string first)
      : StoreWrapper(base), first_(std::move(first)) {}
  std::function<void()> between;
  Result<ListPage> List(const ListOptions& options) override {
    if (!between || !options.prefix.ends_with("/_/")) return StoreWrapper::List(options);
    auto hook = std::move(between);
    between = nullptr;
    ListOptions folder = options;
    folder.prefix += first_;
    auto early = StoreWrapper::List(folder);
    if (!early.ok()) return early;
    hook();
    auto page = StoreWrapper::List(options);
    if (!page.ok()) return page;
    std::erase_if(page->objects,
                  [&](const ObjectInfo& o) { return o.key.starts_with(folder.prefix); });
    for (auto& o : early->objects) page->objects.push_back(std::move(o));
    std::sort(page->objects.begin(), page->objects.end(),
              [](const ObjectInfo& x, const ObjectInfo& y) { return x.key < y.key; });
    return page;
  }

 private:
  std::string first_;
};

// A claimant whose view of t/ and a/ came from that one LIST, and that loses
// its claim, reads the winner's record instead of stopping: the winner may
// have claimed and finished between the LIST's read of t/ and its read of
// a/, so what the claimant listed may be a whole new set the winner never
// saw. Stopping would leave that set to the sweeper.
TEST(ListingRaceTest, ALoserWhoseOneListingReadTripsBeforeMarkersReadsTheWinnersRecord) {
  ConfigParse parsed = ParseConfig(kConfig);
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  FakeClock clock;
  MemoryStore store{clock};
  TornInstanceListing torn{store, "t/"};
  test::FaultStore dies_at_list{store, [](test::StoreOp op, const std::string&) {
                                  return op == test::StoreOp::kList ? test::Fault::kCrashBefore
                                                                    : test::Fault::kNone;
                                }};
  test::RecordingActions actions;
  Engine other(parsed.config, store, actions, clock, Logger::Null(), Named("other"));
  Engine dying(parsed.config, dies_at_list, actions, clock, Logger::Null(), Named("dying"));
  Engine racer(parsed.config, torn, actions, clock, Logger::Null(), Named("racer"));

  // The racer records m1 "x" and lists the instance: t/ is read (empty), then
  // generation 1 trips elsewhere with m0 "a" and m1 "x", and a new complete
  // set is written (m0 "b"; m1 "c" by an arrival that dies before its LIST),
  // then a/ is read: only the new set.
  torn.between = [&] {
    clock.Advance(10);
    auto first = other.OnArrival(test::Upload("in/m0", "a"));
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_EQ(first->trips.size(), 1u);
    ASSERT_TRUE(other.OnArrival(test::Upload("in/m0", "b")).ok());
    EXPECT_THROW(static_cast<void>(dying.OnArrival(test::Upload("in/m1", "c"))),
                 test::SimulatedCrash);
  };
  auto raced = racer.OnArrival(test::Upload("in/m1", "x"));
  ASSERT_TRUE(raced.ok()) << raced.status().ToString();
  // It lost generation 1, read what it listed, and claimed generation 2 with the rest.
  EXPECT_EQ(raced->claims_lost, 1);
  ASSERT_EQ(raced->trips.size(), 1u) << "the new set waits for a sweep";
  EXPECT_EQ(raced->trips[0].generation, 2);
  EXPECT_EQ(actions.runs().size(), 2u);
}

// The listing race through a cold process's one LIST: it read a/ before
// another process's trip deleted the markers, and t/ after that trip's .done.
// The check that closes the race for two LISTs closes it here too: the LIST
// was sent before the .done, so a/ is listed again rather than claimed.
TEST(ListingRaceTest, AColdClaimantWhoseOneListingReadMarkersBeforeATripListsAgain) {
  ConfigParse parsed = ParseConfig(kConfig);
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  FakeClock clock;
  MemoryStore store{clock};
  TornInstanceListing torn{store, "a/"};
  test::RecordingActions actions;
  Engine other(parsed.config, store, actions, clock, Logger::Null(), Named("other"));
  Engine racer(parsed.config, torn, actions, clock, Logger::Null(), Named("racer"));

  ASSERT_TRUE(other.OnArrival(test::Upload("in/m0", "1")).ok());
  torn.between = [&] { OtherTripsGeneration1(clock, other); };
  ExpectTheRacerClaimedNothing(racer, store, actions);
}

}  // namespace
}  // namespace eb
