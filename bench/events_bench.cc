// Records decoded per second (items_per_second) for a 1-record and a
// 100-record S3 notification, and for 10 SQS messages of 10 records each.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>

#include "sources/events.h"

namespace {

using json = nlohmann::json;

// A realistic AWS record: encoded key with '+', %2B and a multi-byte escape.
json Record(int i) {
  return json{
      {"eventVersion", "2.1"},
      {"eventSource", "aws:s3"},
      {"awsRegion", "us-east-1"},
      {"eventTime", "2024-01-02T03:04:05.678Z"},
      {"eventName", "ObjectCreated:Put"},
      {"userIdentity", {{"principalId", "AWS:AIDAINPONIXQXHT3IKHL2"}}},
      {"requestParameters", {{"sourceIPAddress", "205.255.255.255"}}},
      {"responseElements",
       {{"x-amz-request-id", "D82B88E5F771F645"},
        {"x-amz-id-2", "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYB"}}},
      {"s3",
       {{"s3SchemaVersion", "1.0"},
        {"configurationId", "barrier"},
        {"bucket",
         {{"name", "input-bucket"},
          {"ownerIdentity", {{"principalId", "A3I5XTEXAMAI3E"}}},
          {"arn", "arn:aws:s3:::input-bucket"}}},
        {"object",
         {{"key", "sales/2024-01-02/east+region%2B%C3%BC-" + std::to_string(i) + ".csv"},
          {"size", 1305107},
          {"eTag", "b21b84d653bb07b05b1e6b33684dc11b"},
          {"versionId", "096fKKXTRTtl3on89fVO.nfljtsv6qko"},
          {"sequencer", "0C0F6F405D6ED209E1"}}}}}};
}

std::string Notification(int records) {
  json list = json::array();
  for (int i = 0; i < records; ++i) list.push_back(Record(i));
  return json{{"Records", list}}.dump();
}

void Decode(benchmark::State& state, const std::string& payload, int records) {
  for (auto _ : state) {
    auto r = eb::DecodePayload(payload);
    if (!r.ok() || r->records.size() != static_cast<size_t>(records)) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(r->records.data());
  }
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}

void BM_DecodeS3Records(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  Decode(state, Notification(records), records);
}
BENCHMARK(BM_DecodeS3Records)->Arg(1)->Arg(100);

void BM_DecodeSqsBatch10x10(benchmark::State& state) {
  json messages = json::array();
  for (int m = 0; m < 10; ++m) {
    messages.push_back({{"messageId", "m-" + std::to_string(m)},
                        {"eventSource", "aws:sqs"},
                        {"body", Notification(10)}});
  }
  Decode(state, json{{"Records", messages}}.dump(), 100);
}
BENCHMARK(BM_DecodeSqsBatch10x10);

}  // namespace

BENCHMARK_MAIN();
