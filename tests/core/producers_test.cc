// What real producers write (issue 19): configuration of the ignore rules,
// min_size and event names, and the engine counting only data.
#include <gtest/gtest.h>

#include "core/arrival_filter.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

bool HasError(const ConfigParse& p, const std::string& barrier, const std::string& field,
              const std::string& reason_part) {
  for (const auto& e : p.errors) {
    if (e.barrier == barrier && e.field == field && e.reason.find(reason_part) != std::string::npos) return true;
  }
  return false;
}

const BarrierSpec& Only(const ConfigParse& p) {
  if (!p.ok() || p.config.barriers.size() != 1) throw std::runtime_error("bad test configuration: " + p.ErrorText());
  return p.config.barriers[0];
}

// ---- configuration ----

TEST(IgnoreConfigTest, DefaultsApplyToBothFormats) {
  auto original = ParseConfig(R"({"b": ["0/0", "0/1"]})");
  EXPECT_EQ(Only(original).ignore.globs(), DefaultIgnoreGlobs());
  EXPECT_EQ(Only(original).ignore_origin, "defaults");
  EXPECT_EQ(Only(original).min_size, 0);
  auto extended = ParseConfig(R"({"barriers": {"b": {"members": ["a"]}}})");
  EXPECT_EQ(Only(extended).ignore.globs(), DefaultIgnoreGlobs());
}

TEST(IgnoreConfigTest, IgnoreReplacesAndIgnoreExtraAdds) {
  auto off = ParseConfig(R"({"barriers": {"b": {"members": ["a"], "ignore": []}}})");
  EXPECT_TRUE(Only(off).ignore.empty()) << "\"ignore\": [] turns the rules off";
  EXPECT_EQ(Only(off).ignore_origin, "barrier ignore");

  auto extra = ParseConfig(R"({"barriers": {"b": {"members": ["a"], "ignore_extra": ["*.inprogress"]}}})");
  std::vector<std::string> want = DefaultIgnoreGlobs();
  want.push_back("*.inprogress");
  EXPECT_EQ(Only(extra).ignore.globs(), want);
  EXPECT_EQ(Only(extra).ignore_origin, "defaults + barrier ignore_extra");

  auto mine = ParseConfig(R"({"barriers": {"b": {"members": ["a"], "ignore": ["*.inprogress"]}}})");
  EXPECT_EQ(Only(mine).ignore.globs(), std::vector<std::string>{"*.inprogress"});
}

TEST(IgnoreConfigTest, TopLevelListIsWhatBarriersInherit) {
  auto p = ParseConfig(R"({"ignore": ["_*"], "ignore_extra": ["*.log"],
                           "barriers": {"a": {"members": ["x"]},
                                        "b": {"members": ["y"], "ignore_extra": ["*.bak"]},
                                        "c": {"members": ["z"], "ignore": []}}})");
  ASSERT_TRUE(p.ok()) << p.ErrorText();
  EXPECT_EQ(p.config.barriers[0].ignore.globs(), (std::vector<std::string>{"_*", "*.log"}));
  EXPECT_EQ(p.config.barriers[0].ignore_origin, "top-level ignore + top-level ignore_extra");
  EXPECT_EQ(p.config.barriers[1].ignore.globs(), (std::vector<std::string>{"_*", "*.log", "*.bak"}));
  EXPECT_TRUE(p.config.barriers[2].ignore.empty()) << "a barrier's ignore replaces what it inherits";
  EXPECT_EQ(p.config.ignore, std::vector<std::string>{"_*"});
  EXPECT_EQ(p.config.ignore_extra, std::vector<std::string>{"*.log"});
}

TEST(IgnoreConfigTest, ErrorsNameTheField) {
  auto p = ParseConfig(R"({"ignore": "_*", "ignore_extra": [""],
                           "barriers": {"b": {"members": ["a"], "ignore": ["ok", 3, "*"],
                                              "ignore_extra": {}, "min_size": -1, "stable_for": "soon"}}})");
  EXPECT_TRUE(HasError(p, "", "ignore", "must be a list of globs")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "", "ignore_extra[0]", "empty glob")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "ignore[1]", "must be a string glob")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "ignore[2]", "would ignore every key")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "ignore_extra", "must be a list of globs")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "min_size", "whole number of bytes")) << p.ErrorText();
  EXPECT_TRUE(HasError(p, "b", "stable_for", "bad duration")) << p.ErrorText();
}

TEST(IgnoreConfigTest, MinSizeAndStableFor) {
  auto p = ParseConfig(R"({"barriers": {"b": {"members": ["a"], "min_size": 1, "stable_for": "30s"}}})");
  EXPECT_EQ(Only(p).min_size, 1);
  EXPECT_EQ(Only(p).stable_for, std::optional<TimeMs>(30'000));
}

// ---- event names ----

struct EventCase {
  const char* pattern;
  const char* event;
  bool match;
};

class EventNameTest : public ::testing::TestWithParam<EventCase> {};

TEST_P(EventNameTest, Matches) {
  const EventCase& c = GetParam();
  EXPECT_EQ(EventNameMatches(c.pattern, c.event), c.match) << c.pattern << " vs " << c.event;
}

INSTANTIATE_TEST_SUITE_P(
    Table, EventNameTest,
    ::testing::Values(
        // The default: what writes an object's data, from AWS, MinIO ("s3:" prefix) and Ceph.
        EventCase{"ObjectCreated:*", "ObjectCreated:Put", true},
        EventCase{"ObjectCreated:*", "ObjectCreated:Post", true},
        EventCase{"ObjectCreated:*", "ObjectCreated:Copy", true},
        EventCase{"ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", true},
        EventCase{"ObjectCreated:*", "s3:ObjectCreated:Put", true},
        EventCase{"s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", true},
        // MinIO's metadata events share the ObjectCreated family but write no data.
        EventCase{"ObjectCreated:*", "s3:ObjectCreated:PutTagging", false},
        EventCase{"ObjectCreated:*", "s3:ObjectCreated:DeleteTagging", false},
        EventCase{"ObjectCreated:*", "s3:ObjectCreated:PutRetention", false},
        EventCase{"ObjectCreated:*", "s3:ObjectCreated:PutLegalHold", false},
        // Restore, replication (AWS and Ceph multisite), lifecycle, tagging, ACL.
        EventCase{"ObjectCreated:*", "ObjectRestore:Completed", false},
        EventCase{"ObjectCreated:*", "ObjectRestore:Post", false},
        EventCase{"ObjectCreated:*", "Replication:OperationFailedReplication", false},
        EventCase{"ObjectCreated:*", "ObjectSynced:Create", false},
        EventCase{"ObjectCreated:*", "LifecycleExpiration:Delete", false},
        EventCase{"ObjectCreated:*", "LifecycleTransition", false},
        EventCase{"ObjectCreated:*", "ObjectLifecycle:Transition:Current", false},
        EventCase{"ObjectCreated:*", "ObjectTagging:Put", false},
        EventCase{"ObjectCreated:*", "ObjectAcl:Put", false},
        EventCase{"ObjectCreated:*", "ObjectRemoved:Delete", false},
        // Named exactly, anything counts; other wildcards are plain prefixes.
        EventCase{"ObjectCreated:PutTagging", "s3:ObjectCreated:PutTagging", true},
        EventCase{"ObjectRestore:*", "ObjectRestore:Completed", true},
        EventCase{"*", "ObjectSynced:Create", true}));

TEST(EventConfigTest, OtherFamiliesAreKnownNames) {
  auto p = ParseConfig(R"({"barriers": {"b": {"members": ["a"],
                           "events": ["ObjectCreated:*", "Replication:*", "LifecycleTransition"]}}})");
  EXPECT_TRUE(p.ok()) << p.ErrorText();
  auto bad = ParseConfig(R"({"barriers": {"b": {"members": ["a"], "events": ["Created"]}}})");
  EXPECT_TRUE(HasError(bad, "b", "events", "unknown event name 'Created'")) << bad.ErrorText();
}

// ---- the filter, and the engine counting only data ----

TEST(ArrivalFilterTest, SaysWhichRuleAndWhy) {
  auto p = ParseConfig(R"({"barriers": {"b": {"count": 2, "prefix": "out/{run}", "min_size": 1}}})");
  const BarrierSpec& spec = Only(p);
  Arrival a = test::Upload("out/r1/_temporary/0/part-0");
  auto why = FilterArrival(spec, *spec.prefix, a);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->barrier, "b");
  EXPECT_EQ(why->rule, "_*");
  EXPECT_NE(why->reason.find("Hadoop hidden segment"), std::string::npos) << why->reason;

  a = test::Upload("out/r1/part-0");
  a.size = 0;
  why = FilterArrival(spec, *spec.prefix, a);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rule, "min_size");
  a.size = 1;
  EXPECT_FALSE(FilterArrival(spec, *spec.prefix, a)) << "min_size is inclusive";

  a.event_name = "ObjectRestore:Completed";
  why = FilterArrival(spec, *spec.prefix, a);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->rule, "events");
}

class ProducerEngineTest : public ::testing::Test {
 protected:
  void Load(const std::string& json) {
    parsed_ = ParseConfig(json);
    if (!parsed_.ok()) throw std::runtime_error("bad test configuration: " + parsed_.ErrorText());
    engine_ = std::make_unique<Engine>(parsed_.config, store_, actions_, clock_, Logger::Null());
  }
  ArrivalOutcome Arrive(const std::string& key, int64_t size = 10, const std::string& event = "ObjectCreated:Put") {
    Arrival a = test::Upload(key, std::to_string(++seq_));
    a.size = size;
    a.event_name = event;
    auto r = engine_->OnArrival(a);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ArrivalOutcome{};
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
  std::unique_ptr<Engine> engine_;
  int seq_ = 0;
};

TEST_F(ProducerEngineTest, SparkOutputTripsOnlyOnRealPartFiles) {
  // Issue 19: _temporary and .crc keys tripped r1 with zero real part files.
  Load(R"({"barriers": {"spark": {"count": 2, "prefix": "out/{run}"}}})");
  for (const char* side : {"out/r1/_temporary/0/_temporary/attempt_1/part-0", "out/r1/.part-0.crc",
                           "out/r1/_temporary/0/task_1/part-0", "out/r1/.part-1.crc", "out/r1/",
                           "out/r1/_SUCCESS"}) {
    ArrivalOutcome o = Arrive(side);
    EXPECT_TRUE(o.ignored) << side;
    EXPECT_EQ(o.counted, 0) << side;
    ASSERT_EQ(o.ignored_by.size(), 1u) << side;
    EXPECT_EQ(o.ignored_by[0].barrier, "spark");
  }
  EXPECT_TRUE(Arrive("out/r1/part-0").trips.empty());
  auto o = Arrive("out/r1/part-1");
  ASSERT_EQ(o.trips.size(), 1u) << "two real part files trip the latch";
  EXPECT_EQ(o.trips[0].instance, "r1");
  EXPECT_EQ(o.trips[0].objects, 2u) << "and only they are in the manifest";
}

TEST_F(ProducerEngineTest, DirectoryMarkersDoNotTrip) {
  Load(R"({"barriers": {"one": {"count": 1, "prefix": "out/{run}"}}})");
  EXPECT_EQ(Arrive("out/r2/", 0).ignored_by.at(0).rule, "**/");
  EXPECT_EQ(Arrive("out/r3/sub/", 0).ignored_by.at(0).rule, "**/");
  EXPECT_EQ(Arrive("out/r3/sub/data.csv").trips.size(), 1u);
}

TEST_F(ProducerEngineTest, SuccessMarkerNamedExplicitlyStillWorks) {
  Load(R"({"barriers": {"sales": {"members": ["sales/{date}/_SUCCESS"]}}})");
  EXPECT_TRUE(Arrive("sales/d1/_temporary/0/part-0").ignored);
  EXPECT_TRUE(Arrive("sales/d1/part-0").ignored) << "not a member at all";
  auto o = Arrive("sales/d1/_SUCCESS", 0);
  ASSERT_EQ(o.trips.size(), 1u);
  EXPECT_EQ(o.trips[0].instance, "d1");
}

TEST_F(ProducerEngineTest, RulesOffCountEverything) {
  Load(R"({"barriers": {"raw": {"count": 1, "prefix": "out/{run}", "ignore": []}}})");
  EXPECT_EQ(Arrive("out/r1/_temporary/0/part-0").trips.size(), 1u);
}

TEST_F(ProducerEngineTest, MinSizeKeepsOutPlaceholders) {
  Load(R"({"barriers": {"b": {"members": ["in/{d}/a.csv", "in/{d}/b.csv"], "min_size": 1}}})");
  EXPECT_EQ(Arrive("in/x/a.csv", 0).ignored_by.at(0).rule, "min_size");
  EXPECT_TRUE(Arrive("in/x/b.csv", 5).trips.empty()) << "the empty a.csv did not count";
  EXPECT_EQ(Arrive("in/x/a.csv", 7).trips.size(), 1u);
}

TEST_F(ProducerEngineTest, NonDataEventsAreIgnoredWithTheirName) {
  Load(R"({"b": ["in/a"]})");
  for (const char* event : {"ObjectRestore:Completed", "s3:ObjectCreated:PutTagging", "ObjectSynced:Create",
                            "ObjectAcl:Put", "ObjectTagging:Put", "LifecycleTransition"}) {
    ArrivalOutcome o = Arrive("in/a", 10, event);
    EXPECT_TRUE(o.ignored) << event;
    ASSERT_EQ(o.ignored_by.size(), 1u) << event;
    EXPECT_EQ(o.ignored_by[0].rule, "events");
    EXPECT_NE(o.ignored_by[0].reason.find(event), std::string::npos) << o.ignored_by[0].reason;
  }
  EXPECT_EQ(Arrive("in/a", 10, "ObjectCreated:CompleteMultipartUpload").trips.size(), 1u);
}

TEST_F(ProducerEngineTest, IgnoredForOneBarrierCountedForAnother) {
  Load(R"({"barriers": {"strict": {"count": 1, "prefix": "in"},
                        "all": {"count": 1, "prefix": "in", "ignore": []}}})");
  ArrivalOutcome o = Arrive("in/.x.tmp");
  EXPECT_FALSE(o.ignored);
  EXPECT_EQ(o.counted, 1);
  ASSERT_EQ(o.ignored_by.size(), 1u);
  EXPECT_EQ(o.ignored_by[0].barrier, "strict");
}

}  // namespace
}  // namespace eb
