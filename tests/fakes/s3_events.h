// Event payloads as AWS sends them, for tests that feed the handler: S3
// notification records (keys form-URL-encoded), SQS batches, SNS envelopes,
// EventBridge "Object Created", s3:TestEvent and the scheduled event.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace eb::test {

// What AWS puts in a notification: the key form-URL-encoded ('+' for a space).
std::string FormEncode(const std::string& key);

// One S3 notification record; `seq` makes the sequencer, ETag and size.
nlohmann::json S3Record(const std::string& bucket, const std::string& key, int seq,
                        const std::string& event_name = "ObjectCreated:Put");
// {"Records":[...]}
std::string S3Notification(const std::vector<nlohmann::json>& records);
// An SNS notification as delivered to Lambda, carrying `message`.
std::string SnsNotification(const std::string& message);
// An SQS batch: (messageId, body) pairs.
std::string SqsBatch(const std::vector<std::pair<std::string, std::string>>& messages);
// EventBridge "Object Created" for one object.
std::string EventBridgeObjectCreated(const std::string& bucket, const std::string& key, int seq);

extern const char* const kS3TestEvent;
extern const char* const kScheduledEvent;

}  // namespace eb::test
