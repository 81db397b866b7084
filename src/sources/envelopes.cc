// DecodePayload: detects the envelope from the payload itself and unwraps SNS
// and SQS down to S3 records, EventBridge events and test events (events.h).
#include <utility>

#include "sources/decode_internal.h"

namespace eb {

namespace sources {
namespace {

// SQS body -> SNS Message -> S3 notification is the deepest real nesting;
// one more level of slack, then refuse.
constexpr int kMaxEnvelopes = 4;

enum class RecordType { kS3, kSns, kSqs, kUnknown };

bool StringFieldIs(const json& obj, const char* field, std::string_view value) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() && it->get_ref<const std::string&>() == value;
}

// An entry of a `Records` list: by its declared source first, then its shape.
RecordType TypeOf(const json& record) {
  if (!record.is_object()) return RecordType::kUnknown;
  if (StringFieldIs(record, "eventSource", "aws:sqs")) return RecordType::kSqs;
  if (StringFieldIs(record, "EventSource", "aws:sns")) return RecordType::kSns;
  if (record.contains("s3")) return RecordType::kS3;
  if (record.contains("Sns")) return RecordType::kSns;
  if (record.contains("messageId") && record.contains("body")) return RecordType::kSqs;
  return RecordType::kUnknown;
}

bool IsSqsBatch(const json& root) {
  if (!root.is_object()) return false;
  auto it = root.find("Records");
  return it != root.end() && it->is_array() && !it->empty() &&
         TypeOf(it->front()) == RecordType::kSqs;
}

class Decoder {
 public:
  explicit Decoder(const DecodeOptions& options) : options_(options) {}

  // Decodes one message (the payload, an SQS body or an SNS Message) into `out`.
  Status Message(const json& msg, const std::string& where, int envelopes,
                 std::vector<DecodedRecord>* out);

  // Parses `text` (an SQS body or SNS Message) and decodes it as a message.
  Status NestedText(const std::string& text, const std::string& where, int envelopes,
                    std::vector<DecodedRecord>* out) {
    EB_ASSIGN_OR_RETURN(json msg, ParseJsonText(text, where));
    return Message(msg, where, envelopes, out);
  }

  // Set once the payload holds more than kMaxRecords records: the whole
  // payload is refused, even inside an SQS batch.
  bool over_limit() const { return over_limit_; }

 private:
  Status Add(DecodedRecord record, std::vector<DecodedRecord>* out) {
    if (++produced_ > kMaxRecords) return TooMany();
    out->push_back(std::move(record));
    return Status::Ok();
  }
  Status TooMany() {
    over_limit_ = true;
    return Status::InvalidArgument("payload: more than " + std::to_string(kMaxRecords) +
                                   " records");
  }
  Status RecordsList(const json& records, const std::string& where, int envelopes,
                     std::vector<DecodedRecord>* out);

  const DecodeOptions& options_;
  size_t produced_ = 0;
  bool over_limit_ = false;
};

Status Decoder::Message(const json& msg, const std::string& where, int envelopes,
                        std::vector<DecodedRecord>* out) {
  if (envelopes > kMaxEnvelopes) {
    return Status::InvalidArgument(Name(where) + ": envelopes nested more than " +
                                   std::to_string(kMaxEnvelopes) + " deep");
  }
  if (!msg.is_object()) {
    return Status::InvalidArgument(Name(where) + ": expected a JSON object, got " + TypeName(msg));
  }
  // S3 notification (also MinIO's wrapper, whose EventName/Key sit beside Records) or SNS.
  if (auto it = msg.find("Records"); it != msg.end()) {
    return RecordsList(*it, Join(where, "Records"), envelopes, out);
  }
  if (IsEventBridge(msg)) {
    EB_ASSIGN_OR_RETURN(DecodedRecord record, DecodeEventBridge(msg, where, options_));
    return Add(std::move(record), out);
  }
  if (StringFieldIs(msg, "Event", "s3:TestEvent")) {
    DecodedRecord record;
    record.kind = RecordKind::kTest;
    return Add(std::move(record), out);
  }
  // An SNS notification as SNS hands it to SQS (or to an HTTP endpoint).
  if (StringFieldIs(msg, "Type", "Notification") && msg.contains("Message")) {
    EB_ASSIGN_OR_RETURN(std::string text, RequiredString(msg, "Message", where));
    return NestedText(text, Join(where, "Message"), envelopes + 1, out);
  }
  return Status::InvalidArgument(
      Name(where) +
      ": not a recognized event (expected S3 Records, SNS, SQS, EventBridge or s3:TestEvent)");
}

Status Decoder::RecordsList(const json& records, const std::string& where, int envelopes,
                            std::vector<DecodedRecord>* out) {
  if (!records.is_array()) {
    return Status::InvalidArgument(where + ": expected a list, got " + TypeName(records));
  }
  if (records.size() > kMaxRecords) return TooMany();
  for (size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    const std::string rw = where + "[" + std::to_string(i) + "]";
    switch (TypeOf(r)) {
      case RecordType::kS3: {
        EB_ASSIGN_OR_RETURN(DecodedRecord record, DecodeS3Record(r, rw, options_));
        EB_RETURN_IF_ERROR(Add(std::move(record), out));
        break;
      }
      case RecordType::kSns: {
        EB_ASSIGN_OR_RETURN(const json* sns, RequiredObject(r, "Sns", rw));
        EB_ASSIGN_OR_RETURN(std::string text, RequiredString(*sns, "Message", Join(rw, "Sns")));
        EB_RETURN_IF_ERROR(NestedText(text, Join(rw, "Sns.Message"), envelopes + 1, out));
        break;
      }
      case RecordType::kSqs:
        return Status::InvalidArgument(rw + ": an SQS message, but not in an SQS batch");
      case RecordType::kUnknown:
        return Status::InvalidArgument(rw + ": not an S3, SNS or SQS record (expected " +
                                       "\"s3\", \"Sns\" or \"body\")");
    }
  }
  return Status::Ok();
}

// An SQS batch: each message decodes on its own; one that fails becomes a
// Failure and the others go on.
Status DecodeSqsBatch(const json& records, Decoder& decoder, DecodedPayload* out) {
  out->is_sqs = true;
  if (records.size() > kMaxRecords) {
    return Status::InvalidArgument("payload: more than " + std::to_string(kMaxRecords) +
                                   " records");
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    const std::string where = "Records[" + std::to_string(i) + "]";
    if (TypeOf(r) != RecordType::kSqs) {
      return Status::InvalidArgument(where + ": not an SQS message, unlike Records[0]");
    }
    // Without a message id the failure could not be reported: fail the payload.
    EB_ASSIGN_OR_RETURN(std::string id, RequiredString(r, "messageId", where));
    if (id.empty()) return Status::InvalidArgument(where + ".messageId: empty");

    std::vector<DecodedRecord> records_of_message;
    Status status;
    auto body = r.find("body");
    if (body == r.end() || body->is_null()) {
      status = Status::InvalidArgument("body: missing");
    } else if (!body->is_string()) {
      status =
          Status::InvalidArgument(std::string("body: expected a string, got ") + TypeName(*body));
    } else if (body->get_ref<const std::string&>().empty()) {
      status = Status::InvalidArgument("body: empty");
    } else {
      status =
          decoder.NestedText(body->get_ref<const std::string&>(), "body", 1, &records_of_message);
    }
    if (decoder.over_limit()) return status;
    if (!status.ok()) {
      out->failures.push_back({id, status.message()});
      continue;
    }
    for (DecodedRecord& record : records_of_message) {
      record.message_id = id;
      out->records.push_back(std::move(record));
    }
  }
  return Status::Ok();
}

}  // namespace
}  // namespace sources

const char* RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kArrival:
      return "arrival";
    case RecordKind::kTest:
      return "test";
    case RecordKind::kSchedule:
      return "schedule";
    case RecordKind::kIgnored:
      return "ignored";
  }
  return "ignored";
}

Result<DecodedPayload> DecodePayload(std::string_view payload, const DecodeOptions& options) {
  using namespace sources;
  EB_ASSIGN_OR_RETURN(json root, ParseJsonText(payload, "payload"));
  Decoder decoder(options);
  DecodedPayload out;
  if (IsSqsBatch(root)) {
    EB_RETURN_IF_ERROR(DecodeSqsBatch(root.at("Records"), decoder, &out));
  } else {
    EB_RETURN_IF_ERROR(decoder.Message(root, "", 0, &out.records));
  }
  return out;
}

}  // namespace eb
