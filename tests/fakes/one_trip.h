// One check for every test that runs concurrent workers against a barrier
// instance and then asks "did it trip exactly once?", at the level of the
// promise: generation 1 tripped and finished, and any later generation is void.
//
// Why a later generation can exist at all (docs/PROTOCOL.md, "Arrival"): an
// evaluator whose LIST of a/ predates generation 1's deletes and whose LIST of
// t/ follows its `.done` claims the consumed markers again; settling finds
// their tombstones, so that generation consumes nothing and runs no action.
// It is recorded as void with a `.stale` verdict naming the arrivals it
// found stale. That is the check: a void generation with its verdict, never
// a second trip.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/keys.h"
#include "core/store.h"
#include "core/trip.h"

namespace eb::test {

// `trip_prefix` is the instance's t/ folder (ending in '/'); `label` names
// the instance in failures. Returns the number of void generations found.
inline int ExpectOneTripAnyOtherVoid(ObjectStore& store, const std::string& trip_prefix,
                                     const std::string& label) {
  auto listed = ListAll(store, trip_prefix);
  EXPECT_TRUE(listed.ok()) << label << ": " << listed.status().ToString();
  if (!listed.ok()) return 0;
  int trips = 0, voids = 0;
  bool first_done = false;
  for (const auto& obj : *listed) {
    std::string name = obj.key.substr(trip_prefix.size());
    if (name.size() != 15 || name.compare(10, 5, ".done") != 0) continue;
    auto done = store.Get(obj.key);
    EXPECT_TRUE(done.ok()) << label << ": " << obj.key;
    if (!done.ok()) continue;
    if (ParseDone(*done).void_trip) {
      ++voids;
      auto verdict = store.Get(trip_prefix + name.substr(0, 10) + ".stale");
      EXPECT_TRUE(verdict.ok()) << label << ": void generation " << name << " has no verdict";
      if (verdict.ok()) {
        auto stale = ParseStale(*verdict);
        EXPECT_TRUE(stale.ok() && stale->void_trip && !stale->ids.empty())
            << label << ": generation " << name
            << " is void without a void verdict naming its stale arrivals";
      }
      continue;
    }
    ++trips;
    first_done = first_done || name == "0000000001.done";
  }
  EXPECT_EQ(trips, 1) << label << ": not exactly one trip";
  EXPECT_TRUE(first_done) << label << ": generation 1 did not finish";
  return voids;
}

}  // namespace eb::test
