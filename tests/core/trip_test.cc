#include "core/trip.h"
#include "core/keys.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace eb {
namespace {

TripRecord Sample() {
  TripRecord t;
  t.barrier = "daily-sales";
  t.instance = "2026-11-24";
  t.bindings = {{"date", "2026-11-24"}};
  t.generation = 17;
  t.status = TripStatus::kTimeout;
  t.claimed_at = 1'764'000'000'000;
  t.claimed_by = "host-1/1764000000000/3";
  t.trigger = "0123456789abcdef0123456789abcdef";
  t.first_arrival_at = 1'763'999'000'000;
  Arrival a;
  a.bucket = "b";
  a.key = "sales/2026-11-24/east \"q\" ü.csv";
  a.etag = "abc";
  a.version_id = "v1";
  a.size = 12345678901;
  a.event_time = "2026-11-24T06:00:00.000Z";
  a.sequencer = "0055AED6DCD90281E5";
  a.event_name = "ObjectCreated:Put";
  a.source = "aws:s3";
  t.arrivals.push_back({"0123456789abcdef0123456789abcdef", "sales/{date}/east.csv", "abcdefabcdef", a});
  t.missing = {"sales/2026-11-24/north.csv"};
  return t;
}

TEST(TripTest, RecordRoundTrip) {
  TripRecord t = Sample();
  auto back = ParseTrip(SerializeTrip(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SerializeTrip(*back), SerializeTrip(t));
  EXPECT_EQ(back->arrivals[0].arrival.key, t.arrivals[0].arrival.key);
  EXPECT_EQ(back->arrivals[0].arrival.size, 12345678901);
  EXPECT_EQ(back->format, kStateFormat);
  EXPECT_EQ(back->IdempotencyKey(), "daily-sales/2026-11-24/17");
}

TEST(TripTest, MarkerTombstoneAndStaleRoundTrip) {
  TripRecord t = Sample();
  t.arrivals[0].details_in_key = true;
  auto m = ParseMarker(SerializeMarker(t.arrivals[0]));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->arrival.key, t.arrivals[0].arrival.key);
  EXPECT_EQ(m->tag, "abcdefabcdef");
  EXPECT_TRUE(m->details_in_key);
  auto tomb = ParseTombstone(SerializeTombstone({17}));
  ASSERT_TRUE(tomb.ok());
  EXPECT_EQ(tomb->generation, 17);
  auto stale = ParseStale(SerializeStale({{"a", "b"}, true}));
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(stale->void_trip);
  // Every object the engine writes says its format.
  for (const std::string& body : {SerializeTrip(t), SerializeMarker(t.arrivals[0]), SerializeTombstone({1}),
                                  SerializeStale({}), SerializeDone(DoneRecord{})}) {
    EXPECT_EQ(nlohmann::json::parse(body).value("format", 0), kStateFormat) << body;
  }
}

TEST(TripTest, RecordsOfFormatOneAreRecognised) {
  // What the engine before 2026-12 wrote: no format field, a consumed window.
  auto old = ParseTrip(R"({"barrier":"b","instance":"_","generation":3,"status":"complete","arrivals":[],)"
                       R"("window":[{"generation":2,"claimed_at":1,"ids":"0123456789abcdef0123456789abcdef"}],)"
                       R"("window_checkpoint":""})");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->format, 1);
}

TEST(TripTest, CorruptRecordsAreErrorsNotCrashes) {
  for (std::string bad : {"", "{", "{}", R"({"barrier":1})"}) {
    EXPECT_FALSE(ParseTrip(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseTombstone("{}").ok());
  EXPECT_FALSE(ParseStale(R"({"ids":3})").ok());
  EXPECT_FALSE(ParseMarker("[]").ok());
}

TEST(TripTest, ManifestHasTheDocumentedFields) {
  auto j = nlohmann::json::parse(ManifestJson(Sample()));
  EXPECT_EQ(j["barrier"], "daily-sales");
  EXPECT_EQ(j["status"], "timeout");
  EXPECT_EQ(j["idempotency_key"], "daily-sales/2026-11-24/17");
  EXPECT_EQ(j["vars"]["date"], "2026-11-24");
  EXPECT_EQ(j["objects"][0]["etag"], "abc");
  EXPECT_EQ(j["objects"][0]["version_id"], "v1");
  EXPECT_EQ(j["missing"][0], "sales/2026-11-24/north.csv");
}

TEST(DoneRecordTest, RoundTrip) {
  DoneRecord d;
  d.by = "host-1";
  d.at = 1'700'000'000'123;
  d.redriven = true;
  d.actions.push_back({"exec", {{"exit_code", "0"}, {"stderr", "warn: \"x\"\n"}}});
  d.actions.push_back({"manifest", {}});
  DoneRecord back = ParseDone(SerializeDone(d));
  EXPECT_EQ(back.by, "host-1");
  EXPECT_EQ(back.at, d.at);
  EXPECT_TRUE(back.redriven);
  ASSERT_EQ(back.actions.size(), 2u);
  EXPECT_EQ(back.actions[0].type, "exec");
  EXPECT_EQ(back.actions[0].fields, d.actions[0].fields) << "order and values kept";
  EXPECT_TRUE(back.actions[1].fields.empty());
}

TEST(DoneRecordTest, OldBodyIsTheWorkerId) {
  DoneRecord d = ParseDone("host-7");
  EXPECT_EQ(d.by, "host-7");
  EXPECT_TRUE(d.actions.empty());
  EXPECT_EQ(ParseDone("").by, "");
}

}  // namespace
}  // namespace eb
