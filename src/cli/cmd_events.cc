// `eventbarrier events decode [FILE|-]`: shows what the decoder makes of an
// invocation payload, one JSON line per record, without touching any store.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "sources/events.h"

namespace eb::cli {

namespace {

using ojson = nlohmann::ordered_json;

KeyDecoding ParseKeyDecoding(const std::string& text) {
  if (text == "raw") return KeyDecoding::kRaw;
  if (text == "encoded") return KeyDecoding::kEncoded;
  return KeyDecoding::kAuto;
}

ojson RecordJson(const DecodedRecord& rec) {
  ojson line{{"kind", RecordKindName(rec.kind)}};
  if (rec.kind == RecordKind::kArrival) {
    const Arrival& a = rec.arrival;
    line["bucket"] = a.bucket;
    line["key"] = a.key;
    line["size"] = a.size;
    line["etag"] = a.etag;
    line["version_id"] = a.version_id;
    line["sequencer"] = a.sequencer;
    line["event_name"] = a.event_name;
    line["event_time"] = a.event_time;
    line["source"] = a.source;
  }
  if (rec.kind == RecordKind::kIgnored) line["reason"] = rec.reason;
  if (!rec.message_id.empty()) line["message_id"] = rec.message_id;
  return line;
}

void Print(const ojson& line) {
  // Keys are valid UTF-8 after decoding, but be safe with anything echoed back.
  std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int RunDecode(const std::string& file, const std::string& key_decoding) {
  DecodeOptions options;
  options.key_decoding = ParseKeyDecoding(key_decoding);
  // Read one byte past the limit so that the decoder reports the size itself.
  auto payload = ReadInput(file, kMaxPayloadBytes + 1);
  if (!payload.ok()) {
    Print({{"kind", "error"}, {"error", payload.status().message()}});
    return kExitFailure;
  }
  auto decoded = DecodePayload(*payload, options);
  if (!decoded.ok()) {
    Print({{"kind", "error"}, {"error", decoded.status().message()}});
    return kExitFailure;
  }
  for (const DecodedRecord& rec : decoded->records) Print(RecordJson(rec));
  for (const auto& f : decoded->failures) {
    Print({{"kind", "error"}, {"message_id", f.message_id}, {"error", f.error}});
  }
  std::cout.flush();
  return decoded->failures.empty() ? kExitOk : kExitFailure;
}

}  // namespace

Runner SetupEvents(CLI::App& sub) {
  struct Opts {
    std::string file = "-";
    std::string key_decoding = "auto";
  };
  auto o = std::make_shared<Opts>();
  sub.require_subcommand(1);
  CLI::App* decode = sub.add_subcommand(
      "decode", "Decode one invocation payload and print its records, touching no store");
  decode->add_option("FILE", o->file, "The payload (JSON); - (default) reads stdin");
  decode
      ->add_option("--key-decoding", o->key_decoding,
                   "Object keys: auto (by eventSource: aws:s3 and minio:s3 are form-URL-decoded, "
                   "ceph:s3 and EventBridge taken as sent), encoded (always decode), raw (never)")
      ->check(CLI::IsMember({"auto", "encoded", "raw"}));
  decode->footer(
      "Accepts every envelope `handle` accepts: S3 notifications (AWS, MinIO, Ceph RGW), SNS,\n"
      "SQS (also SNS inside SQS), EventBridge, s3:TestEvent and scheduled events.\n"
      "Prints one JSON line per record:\n"
      "  "
      "{\"kind\":\"arrival\",\"bucket\":..,\"key\":..,\"size\":..,\"etag\":..,\"version_id\":..,\n"
      "   \"sequencer\":..,\"event_name\":..,\"event_time\":..,\"source\":..[,\"message_id\":..]}\n"
      "  {\"kind\":\"test\"} {\"kind\":\"schedule\"} {\"kind\":\"ignored\",\"reason\":..}\n"
      "and one {\"kind\":\"error\",[\"message_id\":..,]\"error\":..} line per failure (for SQS,\n"
      "each message that would be reported in batchItemFailures).\n"
      "Exits 1 if anything failed to decode, 0 otherwise.\n"
      "Example: eventbarrier events decode --key-decoding raw ceph-event.json");
  sub.footer("Run 'eventbarrier events decode --help' for details.");
  return [o, decode] {
    if (decode->parsed()) return RunDecode(o->file, o->key_decoding);
    return static_cast<int>(kExitUsage);
  };
}

}  // namespace eb::cli
