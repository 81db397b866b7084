#include "fakes/s3_events.h"

#include <cctype>
#include <cstdio>

namespace eb::test {

using nlohmann::json;

const char* const kS3TestEvent =
    R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2014-10-13T15:57:02.089Z",)"
    R"("Bucket":"bucketname","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw"})";
const char* const kScheduledEvent =
    R"({"version":"0","id":"53dc4d37","detail-type":"Scheduled Event","source":"aws.events",)"
    R"("account":"123456789012","time":"2015-10-08T16:53:06Z","region":"us-east-1",)"
    R"("resources":["arn:aws:events:us-east-1:123456789012:rule/sweep"],"detail":{}})";

std::string FormEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '/' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

static std::string Sequencer(int seq) {
  char s[32];
  std::snprintf(s, sizeof s, "%016X", 0x5F00000 + seq);
  return s;
}

json S3Record(const std::string& bucket, const std::string& key, int seq,
              const std::string& event_name) {
  return {{"eventVersion", "2.1"},
          {"eventSource", "aws:s3"},
          {"awsRegion", "us-east-1"},
          {"eventTime", "2026-11-24T06:00:00.000Z"},
          {"eventName", event_name},
          {"s3",
           {{"s3SchemaVersion", "1.0"},
            {"bucket", {{"name", bucket}, {"arn", "arn:aws:s3:::" + bucket}}},
            {"object",
             {{"key", FormEncode(key)},
              {"size", 100 + seq},
              {"eTag", "etag" + std::to_string(seq)},
              {"sequencer", Sequencer(seq)}}}}}};
}

std::string S3Notification(const std::vector<json>& records) {
  return json{{"Records", records}}.dump();
}

std::string SnsNotification(const std::string& message) {
  json sns = {{"Type", "Notification"},
              {"MessageId", "95df01b4-ee98-5cb9-9903-4c221d41eb5e"},
              {"TopicArn", "arn:aws:sns:us-east-1:123456789012:uploads"},
              {"Subject", "Amazon S3 Notification"},
              {"Message", message},
              {"Timestamp", "2026-11-24T06:00:00.000Z"}};
  return json{{"Records",
               json::array({{{"EventSource", "aws:sns"}, {"EventVersion", "1.0"}, {"Sns", sns}}})}}
      .dump();
}

std::string SqsBatch(const std::vector<std::pair<std::string, std::string>>& messages) {
  json records = json::array();
  for (const auto& [id, body] : messages) {
    records.push_back({{"messageId", id},
                       {"receiptHandle", "rh-" + id},
                       {"body", body},
                       {"attributes", json::object()},
                       {"messageAttributes", json::object()},
                       {"eventSource", "aws:sqs"},
                       {"eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:uploads"},
                       {"awsRegion", "us-east-1"}});
  }
  return json{{"Records", records}}.dump();
}

std::string EventBridgeObjectCreated(const std::string& bucket, const std::string& key, int seq) {
  return json{{"version", "0"},
              {"id", "17793124-05d4-b198-2fde-7ededc63b103"},
              {"detail-type", "Object Created"},
              {"source", "aws.s3"},
              {"account", "123456789012"},
              {"time", "2026-11-24T06:00:00Z"},
              {"region", "us-east-1"},
              {"resources", json::array({"arn:aws:s3:::" + bucket})},
              {"detail",
               {{"version", "0"},
                {"bucket", {{"name", bucket}}},
                {"object",
                 {{"key", key},
                  {"size", 100 + seq},
                  {"etag", "etag" + std::to_string(seq)},
                  {"sequencer", Sequencer(seq)}}},
                {"request-id", "N4N7GDK58NMKJ12R"},
                {"requester", "123456789012"},
                {"reason", "PutObject"}}}}
      .dump();
}

}  // namespace eb::test
