// The listing race (docs/PROTOCOL.md, "Finishing a trip"): an evaluator whose
// LIST of a/ was sent before another process's trip deleted the markers it
// consumed, and whose LIST of t/ came after that trip's .done, would claim
// those consumed markers again into a void generation. It lists a/ again
// instead, because the view shows a generation done after its LIST of a/.
#include <gtest/gtest.h>

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

  ASSERT_TRUE(other.OnArrival(test::Upload("in/m0", "1")).ok());
  // The racer records m1 and lists a/ (m0 and m1: complete). Before its LIST
  // of t/, the other process trips generation 1 with both markers: a
  // redelivery of m1 reaches it, finds the set complete, claims, runs the
  // action, deletes the markers and writes .done, 10 ms later.
  hooked.before_trip_list = [&] {
    clock.Advance(10);
    auto r = other.OnArrival(test::Upload("in/m1", "1"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->trips.size(), 1u);
  };
  auto raced = racer.OnArrival(test::Upload("in/m1", "1"));
  ASSERT_TRUE(raced.ok()) << raced.status().ToString();
  EXPECT_TRUE(raced->trips.empty());

  auto t = ListAll(store, ".eventbarrier/b/_/t/");
  ASSERT_TRUE(t.ok());
  for (const auto& o : *t) {
    EXPECT_EQ(o.key.find("t/0000000002"), std::string::npos) << "a void generation 2: " << o.key;
  }
  EXPECT_EQ(actions.runs().size(), 1u);

  // The next pair still trips as generation 2.
  ASSERT_TRUE(other.OnArrival(test::Upload("in/m0", "2")).ok());
  auto next = racer.OnArrival(test::Upload("in/m1", "2"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->trips.size(), 1u);
  EXPECT_EQ(next->trips[0].generation, 2);
}

}  // namespace
}  // namespace eb
