// A small trip for tests of actions: barrier "sales", instance "2026-11-24" (binding
// date), generation 1, one arrival (s3://data/sales/2026-11-24/east.csv). Tests that
// need other values change the copy they get.
#pragma once

#include "core/trip.h"

namespace eb::test {

inline TripRecord SampleTrip() {
  TripRecord t;
  t.barrier = "sales";
  t.instance = "2026-11-24";
  t.bindings = {{"date", "2026-11-24"}};
  t.generation = 1;
  t.claimed_at = 1'795'000'000'000;
  ConsumedArrival c;
  c.id = "0123456789abcdef0123456789abcdef";
  c.member = "sales/{date}/east.csv";
  c.arrival.bucket = "data";
  c.arrival.key = "sales/2026-11-24/east.csv";
  c.arrival.etag = "e1";
  t.arrivals.push_back(c);
  return t;
}

}  // namespace eb::test
