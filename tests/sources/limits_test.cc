// The payload limits of events.h: size, JSON nesting, record count.
#include <gtest/gtest.h>

#include <string>

#include "sources/events.h"

namespace eb {
namespace {

std::string Record(int i) {
  return R"({"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},)"
         R"("object":{"key":"k)" +
         std::to_string(i) + R"(","size":1}}})";
}

std::string Notification(int n) {
  std::string out = R"({"Records":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ",";
    out += Record(i);
  }
  return out + "]}";
}

std::string SqsBatch(int n, const std::string& body) {
  std::string out = R"({"Records":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ",";
    out += R"({"messageId":"m)" + std::to_string(i) + R"(","eventSource":"aws:sqs","body":)" +
           body + "}";
  }
  return out + "]}";
}

std::string Nested(int depth) {
  return R"({"Records":[{"s3":)" + std::string(depth - 3, '[') + std::string(depth - 3, ']') +
         "}]}";
}

TEST(LimitsTest, PayloadOverSixMegabytesIsRefused) {
  std::string payload = Notification(1);
  payload.insert(payload.size() - 1, std::string(kMaxPayloadBytes, ' '));
  auto r = DecodePayload(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "payload: " + std::to_string(payload.size()) +
                                      " bytes is over the limit of 6291456 bytes");
}

TEST(LimitsTest, NestingIsBounded) {
  // Depth 64 is parsed (and then rejected for what it is, not for its depth).
  auto at_limit = DecodePayload(Nested(kMaxJsonDepth));
  ASSERT_FALSE(at_limit.ok());
  EXPECT_EQ(at_limit.status().message().find("deeper"), std::string::npos)
      << at_limit.status().message();
  auto over = DecodePayload(Nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), "payload: JSON nested deeper than 64 levels");
  // Brackets inside strings do not count.
  std::string in_string = R"({"Records":[], "x":")" + std::string(1000, '[') + R"("})";
  EXPECT_TRUE(DecodePayload(in_string).ok());
  // A million unclosed brackets: refused quickly, no stack overflow.
  EXPECT_FALSE(DecodePayload(std::string(1000000, '[')).ok());
}

TEST(LimitsTest, NestingInsideAnSqsBodyFailsOnlyThatMessage) {
  std::string deep = std::string(100, '[') + std::string(100, ']');
  std::string payload =
      R"({"Records":[{"messageId":"deep","eventSource":"aws:sqs","body":")" + deep +
      R"("},{"messageId":"ok","eventSource":"aws:sqs","body":"{\"Records\":[]}"}]})";
  auto r = DecodePayload(payload);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].message_id, "deep");
  EXPECT_EQ(r->failures[0].error, "body: JSON nested deeper than 64 levels");
}

TEST(LimitsTest, TenThousandRecordsAreTheMaximum) {
  auto ok = DecodePayload(Notification(static_cast<int>(kMaxRecords)));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->records.size(), kMaxRecords);
  auto over = DecodePayload(Notification(static_cast<int>(kMaxRecords) + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), "payload: more than 10000 records");
}

TEST(LimitsTest, RecordsAreCountedAcrossEnvelopes) {
  // 101 SQS messages of 100 records each: 10,100 records in all.
  std::string body = "\"" + Notification(100) + "\"";
  std::string escaped;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '"' && i != 0 && i + 1 != body.size())
      escaped += "\\\"";
    else
      escaped += c;
  }
  auto r = DecodePayload(SqsBatch(101, escaped));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "payload: more than 10000 records");
  auto fits = DecodePayload(SqsBatch(100, escaped));
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->records.size(), 10000u);
}

}  // namespace
}  // namespace eb
