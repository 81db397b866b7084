#include "core/arrival_listing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/engine.h"
#include "core/upload.h"
#include "fakes/fault_store.h"
#include "stores/memory_store.h"

namespace eb {
namespace {

constexpr const char* kInstance = ".eventbarrier/b/_/";

class ArrivalListingTest : public ::testing::Test {
 protected:
  void Put(const std::string& rest) { ASSERT_TRUE(store_.Put(kInstance + rest, "{}").ok()); }
  Result<ArrivalListing> List(bool whole_instance, int page_keys) {
    return ListForArrival(store_, layout_, "b", "_", whole_instance, page_keys);
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  KeyLayout layout_{".eventbarrier/"};
};

TEST_F(ArrivalListingTest, OnePageOfTheWholeInstanceHoldsTheMarkersAndAllOfTrips) {
  Put("a/m0.1");
  Put("a/m1.2");
  Put("head");
  Put("t/0000000001");
  Put("t/0000000001.done");
  auto listing = List(/*whole_instance=*/true, 100);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(listing->markers.size(), 2u);
  ASSERT_TRUE(listing->trips.has_value());
  ASSERT_EQ(listing->trips->size(), 2u);
  EXPECT_EQ(listing->trips->front().key, std::string(kInstance) + "t/0000000001");
}

TEST_F(ArrivalListingTest, APageEndingWithinTripsSaysNothingOfThem) {
  Put("a/m0.1");
  for (int g = 1; g <= 5; ++g) Put("t/000000000" + std::to_string(g));
  auto listing = List(/*whole_instance=*/true, 3);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->markers.size(), 1u);
  EXPECT_FALSE(listing->trips.has_value());
}

// A store may answer a truncated page that holds fewer keys than asked for,
// even none (S3 skipping delete markers in a versioned bucket): the rest of
// a/ is listed all the same.
class ShortFirstPage : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions& options) override {
    if (options.prefix == kInstance && options.continuation.empty() &&
        options.start_after.empty()) {
      ListPage empty;
      empty.next_continuation = "more";
      return empty;
    }
    return StoreWrapper::List(options);
  }
};

TEST_F(ArrivalListingTest, AnEmptyTruncatedPageStillListsEveryMarker) {
  Put("a/m0.1");
  Put("a/m1.2");
  Put("t/0000000001");
  ShortFirstPage short_page{store_};
  auto listing = ListForArrival(short_page, layout_, "b", "_", /*whole_instance=*/true, 100);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->markers.size(), 2u);
  EXPECT_FALSE(listing->trips.has_value());
}

TEST_F(ArrivalListingTest, APageEndingOnTheLastMarkerListsOnFromIt) {
  Put("a/m0.1");
  Put("a/m1.2");
  Put("t/0000000001");
  auto listing = List(/*whole_instance=*/true, 2);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->markers.size(), 2u);
  EXPECT_FALSE(listing->trips.has_value());
}

TEST_F(ArrivalListingTest, APageEndingWithinMarkersListsTheRestOfThemAndSaysNothingOfTrips) {
  for (int i = 0; i < 7; ++i) Put("a/m" + std::to_string(i) + ".1");
  Put("t/0000000001");
  auto listing = List(/*whole_instance=*/true, 3);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->markers.size(), 7u);
  EXPECT_FALSE(listing->trips.has_value());
}

TEST_F(ArrivalListingTest, APageEndingBeforeTripsSaysNothingOfThem) {
  Put("a/m0.1");
  Put("head");
  Put("l/x");
  Put("t/0000000001");
  auto listing = List(/*whole_instance=*/true, 2);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->markers.size(), 1u);
  EXPECT_FALSE(listing->trips.has_value());
}

TEST_F(ArrivalListingTest, AWarmProcessListsMarkersAlone) {
  Put("a/m0.1");
  Put("t/0000000001");
  auto listing = List(/*whole_instance=*/false, 100);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(listing->markers.size(), 1u);
  EXPECT_FALSE(listing->trips.has_value());
}

// Counts LISTs by what they list: the whole instance, t/, or anything else.
struct ListCounts {
  int instance = 0, trips = 0, other = 0;
};
class ListCountingStore : public test::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<ListPage> List(const ListOptions& options) override {
    if (options.prefix == kInstance) {
      ++counts.instance;
    } else if (options.prefix.ends_with("/t/")) {
      ++counts.trips;
    } else {
      ++counts.other;
    }
    return StoreWrapper::List(options);
  }
  ListCounts counts;
};

class ColdArrivalTest : public ::testing::Test {
 protected:
  ColdArrivalTest() {
    parsed_ = ParseConfig(R"({"barriers": {"b": {"members": ["m0", "m1"], "mode": "cyclic",
                                                 "on_complete": [{"type": "manifest", "key": "r"}]}}})");
  }
  EngineOptions Named(const std::string& worker) {
    EngineOptions options;
    options.worker_id = worker;
    return options;
  }
  FakeClock clock_;
  MemoryStore store_{clock_};
  test::RecordingActions actions_;
  ConfigParse parsed_;
};

// The arrival that completes a new instance in a process that never met it
// learns t/ from the LIST that shows it the markers: no LIST of t/ of its own.
TEST_F(ColdArrivalTest, TheCompletingArrivalOfANewInstanceListsOnce) {
  ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null(), Named("other"));
  ASSERT_TRUE(other.OnArrival(test::Upload("m0", "1")).ok());
  ListCountingStore counted{store_};
  Engine cold(parsed_.config, counted, actions_, clock_, Logger::Null(), Named("cold"));
  auto r = cold.OnArrival(test::Upload("m1", "1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trips.size(), 1u);
  EXPECT_EQ(counted.counts.instance, 1);
  EXPECT_EQ(counted.counts.trips, 0);
  // Warm now: its next arrival there lists a/ alone.
  counted.counts = {};
  ASSERT_TRUE(cold.OnArrival(test::Upload("m0", "2")).ok());
  EXPECT_EQ(counted.counts.instance, 0);
  EXPECT_EQ(counted.counts.trips, 0);
}

// A history longer than the cold listing's page: the completing arrival lists
// t/ as a process that knew nothing of it always did (a page from the start,
// whole here), and the process's later arrivals there list a/ alone.
TEST_F(ColdArrivalTest, ALongerHistoryIsListedAsBeforeAndOnlyOnce) {
  ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null(), Named("other"));
  for (int n = 1; n <= 200; ++n) {  // 400 keys under t/: past the cold page of 102
    ASSERT_TRUE(other.OnArrival(test::Upload("m0", std::to_string(n))).ok());
    auto r = other.OnArrival(test::Upload("m1", std::to_string(n)));
    ASSERT_TRUE(r.ok() && r->trips.size() == 1) << n;
  }
  ASSERT_TRUE(other.OnArrival(test::Upload("m0", "201")).ok());
  ListCountingStore counted{store_};
  test::WatchedStore heads(counted, [](test::StoreOp op, const std::string& key) {
    return op == test::StoreOp::kGet && key.ends_with("/head");
  });
  Engine cold(parsed_.config, heads.store, actions_, clock_, Logger::Null(), Named("cold"));
  auto r = cold.OnArrival(test::Upload("m1", "201"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trips.size(), 1u);
  EXPECT_EQ(r->trips[0].generation, 201);
  EXPECT_EQ(counted.counts.instance, 1);
  EXPECT_EQ(heads.count, 0) << "400 keys of t/ fit in a page from the start";
  EXPECT_EQ(counted.counts.trips, 1);
  counted.counts = {};
  ASSERT_TRUE(cold.OnArrival(test::Upload("m0", "202")).ok());
  EXPECT_EQ(counted.counts.instance, 0);
  EXPECT_EQ(counted.counts.other, 1) << "a/ alone";
}

// A cold arrival whose page was truncated within a/ (more markers than the
// page holds: one member uploaded again and again) lists the rest of a/, and
// the process's later arrivals there list a/ alone.
TEST_F(ColdArrivalTest, AnOverfullMarkerFolderIsListedWholeAndThenAlone) {
  ASSERT_TRUE(parsed_.ok()) << parsed_.ErrorText();
  Engine other(parsed_.config, store_, actions_, clock_, Logger::Null(), Named("other"));
  for (int n = 0; n < 150; ++n) {  // m0 uploaded 150 times: past the page of 2 + 100
    ASSERT_TRUE(other.OnArrival(test::Upload("m0", std::to_string(1000 + n))).ok());
  }
  ListCountingStore counted{store_};
  Engine cold(parsed_.config, counted, actions_, clock_, Logger::Null(), Named("cold"));
  auto r = cold.OnArrival(test::Upload("m1", "1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trips.size(), 1u);
  EXPECT_EQ(r->trips[0].objects, 151u);
  EXPECT_EQ(counted.counts.instance, 1);
  counted.counts = {};
  ASSERT_TRUE(cold.OnArrival(test::Upload("m0", "2")).ok());
  EXPECT_EQ(counted.counts.instance, 0);
}

}  // namespace
}  // namespace eb
