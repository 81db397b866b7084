// Issue 14: {vars} bound from object keys are untrusted. A key segment that
// cannot be a value binds nothing: the record is ignored, with the counted
// reason "binding", before any state is written.
#include <gtest/gtest.h>

#include "core/arrival_filter.h"
#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

TEST(BindingValueTest, SegmentsThatCannotBeValues) {
  for (std::string ok :
       {std::string("2026-11-24"), std::string("east"), std::string("a.b"), std::string("..."),
        std::string(".hidden"), std::string("x..y"), std::string("ü 😀"), std::string("a,b%2F"),
        std::string(kMaxBindingValue, 'x')}) {
    EXPECT_EQ(BindingValueProblem(ok), "") << ok;
  }
  for (std::string bad : {std::string(), std::string("."), std::string(".."), std::string("a\tb"),
                          std::string("a\nb"), std::string("nul\0x", 5), std::string("del\x7f"),
                          std::string("c1\xc2\x85"), std::string(kMaxBindingValue + 1, 'x')}) {
    EXPECT_NE(BindingValueProblem(bad), "") << bad;
  }
}

class UntrustedBindingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parsed_ = ParseConfig(R"({"barriers": {
        "s": {"members": ["s/{date}/a.csv", "s/{date}/b.csv"],
              "on_complete": [{"type": "manifest", "key": "ready/{date}/_SUCCESS.json"}]},
        "n": {"prefix": "logs/{host}/", "count": 2}}})");
    ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
    engine_ = std::make_unique<Engine>(parsed_.config, counting_, actions_, clock_, Logger::Null());
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  test::CountingStore counting_{store_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(UntrustedBindingsTest, DotDotBindsNothingAndWritesNoState) {
  // The issue's case: s/%2E%2E/a.csv and s/%2E%2E/b.csv (decoded: "..") used
  // to trip an instance "..", whose manifest key escaped its folder.
  std::string long_segment(kMaxBindingValue + 1, 'd');
  for (std::string seg :
       {std::string(".."), std::string("."), std::string(), std::string("x\x01y"), long_segment}) {
    for (const char* member : {"a.csv", "b.csv"}) {
      Arrival a = test::Upload("s/" + seg + "/" + member);
      auto r = engine_->OnArrival(a);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->ignored) << a.key;
      EXPECT_EQ(r->counted, 0) << a.key;
      ASSERT_EQ(r->ignored_by.size(), 1u) << a.key;
      EXPECT_EQ(r->ignored_by[0].barrier, "s");
      EXPECT_EQ(r->ignored_by[0].rule, "binding");
      EXPECT_NE(r->ignored_by[0].reason.find("{date}"), std::string::npos)
          << r->ignored_by[0].reason;
    }
  }
  // A count latch's prefix binds the same way.
  auto r = engine_->OnArrival(test::Upload("logs/../x.log"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->ignored_by.size(), 1u);
  EXPECT_EQ(r->ignored_by[0].rule, "binding");
  EXPECT_EQ(counting_.total(), 0) << "ignored before any state is read or written";
  EXPECT_TRUE(actions_.runs().empty());

  // A usable value still counts and trips.
  ASSERT_TRUE(engine_->OnArrival(test::Upload("s/2026-11-24/a.csv")).ok());
  auto trip = engine_->OnArrival(test::Upload("s/2026-11-24/b.csv"));
  ASSERT_TRUE(trip.ok());
  ASSERT_EQ(trip->trips.size(), 1u);
  EXPECT_EQ(trip->trips[0].instance, "2026-11-24");
}

TEST(BindingFilterTest, EventsFirstThenBindingWhateverTheIgnoreRules) {
  auto parsed = ParseConfig(
      R"({"ignore": [], "barriers": {"s": {"members": ["s/{date}/a.csv", "s/{date}/b.csv"]}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.ErrorText();
  const BarrierSpec& spec = parsed.config.barriers[0];
  Arrival a = test::Upload("s/../a.csv");
  a.event_name = "ObjectRemoved:Delete";
  auto why = FilterArrival(spec, spec.members[0], a);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rule, "events") << "not data at all: said so, not that its key cannot bind";
  for (const char* key : {"s/../a.csv", "s/./a.csv", "s//a.csv"}) {
    why = FilterArrival(spec, spec.members[0], test::Upload(key));
    ASSERT_TRUE(why) << key << ": no ignore rule configured, the binding check still holds";
    EXPECT_EQ(why->rule, "binding") << key;
  }
  EXPECT_FALSE(FilterArrival(spec, spec.members[0], test::Upload("s/.d/a.csv")))
      << "a value, with no rules";
}

}  // namespace
}  // namespace eb
