// Conformance: the decoder over every S3, SNS, SQS and EventBridge sample in
// ../shared/vectors. What each sample should decode to is read from the
// sample itself with nlohmann::json, independently of the decoder: bucket,
// key, size and ETag of every S3 record (through SNS/SQS envelopes), the kind
// of every other message, and which SQS messages must fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fakes/vectors.h"
#include "core/arrival_filter.h"
#include "sources/events.h"

namespace eb {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- What a sample should decode to, read from the sample ----

struct Expected {
  RecordKind kind = RecordKind::kArrival;
  std::string bucket, key, etag, message_id;
  std::string write_id;  // Ceph: the upload's request id names the write
  int64_t size = 0;
  // Whether the event writes the object's data (issue 19): an S3 record's
  // eventName is ObjectCreated:Put, Post, Copy or CompleteMultipartUpload
  // (with or without "s3:"); an EventBridge event's detail-type is "Object Created".
  bool data_event = false;
  std::string event;  // the sample's own name for the event, for coverage
};

bool IsDataEventName(std::string name) {
  if (name.rfind("s3:", 0) == 0) name.erase(0, 3);
  return name == "ObjectCreated:Put" || name == "ObjectCreated:Post" || name == "ObjectCreated:Copy" ||
         name == "ObjectCreated:CompleteMultipartUpload";
}

struct Expectation {
  std::string payload_error;  // non-empty: the decoder must fail, naming this
  bool is_sqs = false;
  std::vector<Expected> records;
  std::vector<std::string> failed_ids;
};

// The test's own form-URL decoder: '+' is a space, %XX a byte.
std::string PlainFormDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string StringOr(const json& obj, const char* field, const std::string& fallback = "") {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string Unquote(std::string s) {
  return s.size() >= 2 && s.front() == '"' && s.back() == '"' ? s.substr(1, s.size() - 2) : s;
}

std::optional<json> ParseText(std::string text) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Appends what `msg` should decode to; returns "" or the field an error must name.
std::string Expect(const json& msg, const std::string& where, const std::string& message_id,
                   std::vector<Expected>* out) {
  if (!msg.is_object()) return where.empty() ? "payload" : where;
  if (msg.contains("Records")) {
    const json& records = msg.at("Records");
    for (size_t i = 0; i < records.size(); ++i) {
      const json& r = records[i];
      std::string rw = (where.empty() ? "" : where + ".") + "Records[" + std::to_string(i) + "]";
      if (r.contains("Sns")) {
        auto inner = ParseText(r.at("Sns").at("Message").get<std::string>());
        std::string err =
            inner ? Expect(*inner, rw + ".Sns.Message", message_id, out) : rw + ".Sns.Message";
        if (!err.empty()) return err;
        continue;
      }
      const json& object = r.at("s3").at("object");
      Expected e;
      e.message_id = message_id;
      e.bucket = r.at("s3").at("bucket").at("name").get<std::string>();
      std::string raw = object.at("key").get<std::string>();
      if (StringOr(r, "eventSource", "aws:s3") == "ceph:s3") {
        e.key = raw;
        if (r.contains("responseElements")) {
          e.write_id = StringOr(r.at("responseElements"), "x-amz-request-id");
        }
      } else {
        // SDK-added urlDecodedKey, where present, says what the key is.
        e.key = StringOr(object, "urlDecodedKey", PlainFormDecode(raw));
      }
      if (object.contains("size")) {
        const json& size = object.at("size");
        if (size.is_number_integer()) {
          e.size = size.get<int64_t>();
        } else if (size.is_string() && !size.get<std::string>().empty() &&
                   size.get<std::string>().find_first_not_of("0123456789") == std::string::npos) {
          e.size = std::stoll(size.get<std::string>());
        } else {
          return rw + ".s3.object.size";  // e.g. the AWS docs' template: "object-size in bytes"
        }
      }
      e.etag = Unquote(StringOr(object, "eTag"));
      e.event = StringOr(r, "eventName");
      e.data_event = IsDataEventName(e.event);
      out->push_back(e);
    }
    return "";
  }
  if (msg.contains("detail-type") && msg.contains("source")) {
    Expected e;
    e.message_id = message_id;
    if (msg.at("detail-type") == "Scheduled Event") {
      e.kind = RecordKind::kSchedule;
    } else if (msg.at("source") != "aws.s3") {
      e.kind = RecordKind::kIgnored;
    } else {
      const json& detail = msg.at("detail");
      e.bucket = detail.at("bucket").at("name").get<std::string>();
      e.key = detail.at("object").at("key").get<std::string>();  // taken as sent
      e.size = detail.at("object").value("size", int64_t{0});
      e.etag = Unquote(StringOr(detail.at("object"), "etag"));
      e.event = msg.at("detail-type").get<std::string>();
      e.data_event = e.event == "Object Created";
    }
    out->push_back(e);
    return "";
  }
  if (StringOr(msg, "Event") == "s3:TestEvent") {
    Expected e;
    e.kind = RecordKind::kTest;
    e.message_id = message_id;
    out->push_back(e);
    return "";
  }
  if (StringOr(msg, "Type") == "Notification" && msg.contains("Message")) {
    auto inner = ParseText(msg.at("Message").get<std::string>());
    std::string mw = (where.empty() ? "" : where + ".") + "Message";
    return inner ? Expect(*inner, mw, message_id, out) : mw;
  }
  return where.empty() ? "payload" : where;  // not an event at all
}

Expectation ExpectFor(const json& root) {
  Expectation x;
  const json* records = root.contains("Records") ? &root.at("Records") : nullptr;
  if (records && !records->empty() && records->front().contains("messageId")) {
    x.is_sqs = true;
    for (const json& m : *records) {
      std::string id = m.at("messageId").get<std::string>();
      auto body = ParseText(m.at("body").get<std::string>());
      std::vector<Expected> got;
      if (body && Expect(*body, "body", id, &got).empty()) {
        x.records.insert(x.records.end(), got.begin(), got.end());
      } else {
        x.failed_ids.push_back(id);
      }
    }
    return x;
  }
  x.payload_error = Expect(root, "", "", &x.records);
  if (!x.payload_error.empty()) x.records.clear();
  return x;
}

// ---- Running the decoder against it ----

struct Tally {
  int payloads = 0, arrivals = 0, others = 0, errors = 0;
  std::vector<std::string> skipped;
  std::set<std::string> events_counted, events_ignored;  // the samples' own event names
};

// A barrier counting every key, with the defaults but no ignore rules: only
// the event name decides (core/arrival_filter.h).
const BarrierSpec& EveryKey() {
  static const ConfigParse parsed =
      ParseConfig(R"({"barriers": {"every": {"count": 1, "prefix": "{top}", "ignore": []}}})");
  return parsed.config.barriers.at(0);
}

void Check(const std::string& label, const std::string& payload, Tally* tally) {
  SCOPED_TRACE(label);
  auto root = ParseText(payload);
  ASSERT_TRUE(root.has_value()) << "sample is not JSON";
  Expectation x = ExpectFor(*root);
  auto r = DecodePayload(payload);
  ++tally->payloads;
  if (!x.payload_error.empty()) {
    ASSERT_FALSE(r.ok()) << "expected an error naming " << x.payload_error;
    EXPECT_NE(r.status().message().find(x.payload_error), std::string::npos)
        << r.status().message();
    ++tally->errors;
    return;
  }
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->is_sqs, x.is_sqs);
  std::vector<std::string> failed;
  for (const auto& f : r->failures) failed.push_back(f.message_id);
  EXPECT_EQ(failed, x.failed_ids);
  tally->errors += static_cast<int>(failed.size());
  ASSERT_EQ(r->records.size(), x.records.size());
  for (size_t i = 0; i < x.records.size(); ++i) {
    const DecodedRecord& got = r->records[i];
    const Expected& want = x.records[i];
    SCOPED_TRACE("record " + std::to_string(i));
    EXPECT_EQ(got.kind, want.kind);
    EXPECT_EQ(got.message_id, want.message_id);
    if (want.kind != RecordKind::kArrival) {
      ++tally->others;
      continue;
    }
    ++tally->arrivals;
    EXPECT_EQ(got.arrival.bucket, want.bucket);
    EXPECT_EQ(got.arrival.key, want.key);
    EXPECT_EQ(got.arrival.size, want.size);
    EXPECT_EQ(got.arrival.etag, want.etag);
    EXPECT_EQ(got.arrival.write_id, want.write_id);
    EXPECT_FALSE(got.arrival.event_name.empty());
    EXPECT_EQ(got.arrival.event_name.rfind("s3:", 0), std::string::npos);
    auto why = FilterArrival(EveryKey(), *EveryKey().prefix, got.arrival);
    EXPECT_EQ(!why, want.data_event) << want.event << " (decoded as " << got.arrival.event_name << ") "
                                     << (why ? why->reason : "counts");
    if (why) {
      EXPECT_EQ(why->rule, "events");
    }
    (why ? tally->events_ignored : tally->events_counted).insert(want.event);
  }
}

// ---- Rendering templates ----

// aws-sam-cli templates: {{{tag}}} takes the tag's default from event-mapping.json.
std::string RenderSam(std::string text, const std::string& stem, const json& mapping) {
  json tags = json::object();
  for (const auto& [service, events] : mapping.items()) {
    if (!events.is_object()) continue;
    for (const auto& [name, event] : events.items()) {
      if (event.is_object() && event.value("filename", "") == stem) {
        tags = event.value("tags", json::object());
      }
    }
  }
  auto norm = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c != '-' && c != '_')
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  };
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    for (const auto& [tag, spec] : tags.items()) {
      if (!spec.is_object()) continue;
      if (norm(tag) == norm(name) && spec.contains("default")) {
        return spec.at("default").get<std::string>();  // "test/key": nothing to URL-encode
      }
      const json children = spec.value("children", json::object());
      for (const auto& [child, cspec] : children.items()) {
        // A hashed child (md5_of_body): any stable text will do for decoding.
        if (norm(child) == norm(name))
          return std::string(cspec.value("default", "0123456789abcdef"));
      }
    }
    return std::nullopt;
  };
  size_t pos;
  while ((pos = text.find("{{{")) != std::string::npos) {
    size_t end = text.find("}}}", pos);
    if (end == std::string::npos) break;
    std::string name = text.substr(pos + 3, end - pos - 3);
    auto value = lookup(name);
    if (!value) {
      ADD_FAILURE() << stem << ": no default for {{{" << name << "}}}";
      value = "x";
    }
    text.replace(pos, end + 3 - pos, *value);
  }
  return text;
}

// aws-lambda-dotnet test-tool files: {region} and {partition}.
std::string RenderDotnet(std::string text) {
  for (auto [from, to] : {std::pair{"{region}", "us-east-1"}, std::pair{"{partition}", "aws"}}) {
    for (size_t p; (p = text.find(from)) != std::string::npos;) text.replace(p, strlen(from), to);
  }
  return text;
}

// ---- LocalStack snapshots: recorded notifications stored parsed, not as Lambda events ----

void CheckSnapshot(const std::string& label, const json& node, Tally* tally) {
  if (node.is_array()) {
    for (const json& v : node) CheckSnapshot(label, v, tally);
    return;
  }
  if (!node.is_object()) return;
  if (StringOr(node, "eventSource") == "aws:s3" && node.contains("s3")) {
    Check(label + " (S3 record)", json{{"Records", json::array({node})}}.dump(), tally);
    return;
  }
  if (StringOr(node, "source") == "aws.s3" && node.contains("detail-type")) {
    Check(label + " (EventBridge)", node.dump(), tally);
    return;
  }
  if (node.contains("Message") && node.at("Message").is_object()) {
    // A parsed SNS notification: rebuild it as SNS -> Lambda and SNS -> SQS -> Lambda.
    std::string message = node.at("Message").dump();
    json sns_lambda = {
        {"Records", json::array({{{"EventSource", "aws:sns"},
                                  {"Sns", {{"Type", "Notification"}, {"Message", message}}}}})}};
    Check(label + " (SNS)", sns_lambda.dump(), tally);
    json envelope = node;
    envelope["Message"] = message;
    json sqs = {{"Records", json::array({{{"messageId", "m-1"},
                                          {"eventSource", "aws:sqs"},
                                          {"body", envelope.dump()}}})}};
    Check(label + " (SNS in SQS)", sqs.dump(), tally);
    return;
  }
  for (const auto& [k, v] : node.items()) CheckSnapshot(label, v, tally);
}

bool IsSigningSuite(const std::string& rel) {
  for (const char* prefix : {"aws-c-auth", "botocore", "s3-docs-sigv4"}) {
    if (rel.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(ConformanceTest, EverySampleDecodesToItsOwnFields) {
  EB_REQUIRE_VECTORS(dir);
  json mapping = json::parse(test::ReadFileOrEmpty(dir + "/aws-sam-cli/event-mapping.json"));
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  Tally tally;
  int samples = 0;
  for (const fs::path& path : files) {
    std::string rel = fs::relative(path, dir).generic_string();
    if (IsSigningSuite(rel)) continue;  // SigV4 data, not events
    std::string text = test::ReadFileOrEmpty(path.string());
    if (rel == "aws-sam-cli/event-mapping.json") {
      tally.skipped.push_back(rel + ": the sam-cli template defaults, not an event");
      continue;
    }
    if (rel.rfind("aws-sam-cli/", 0) == 0) text = RenderSam(text, path.stem().string(), mapping);
    if (rel.rfind("aws-lambda-dotnet/", 0) == 0) text = RenderDotnet(text);
    auto root = ParseText(text);
    ASSERT_TRUE(root.has_value()) << rel << ": not JSON after rendering";
    if (root->contains("getObjectContext")) {
      tally.skipped.push_back(rel + ": an S3 Object Lambda event, not a notification");
      continue;
    }
    ++samples;
    try {  // the test's own reading of a sample may throw; name the sample
      if (rel.rfind("localstack/", 0) == 0) {
        CheckSnapshot(rel, *root, &tally);
      } else {
        Check(rel, text, &tally);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << rel << ": " << e.what();
    }
  }
  for (const std::string& s : tally.skipped) std::cout << "[ skipped  ] " << s << "\n";
  std::cout << "[ checked  ] " << samples << " samples, " << tally.payloads << " payloads, "
            << tally.arrivals << " arrivals, " << tally.others << " test/schedule/ignored, "
            << tally.errors << " expected errors\n";
  // Guard against the walk silently finding nothing.
  EXPECT_GE(samples, 60);
  EXPECT_GE(tally.arrivals, 80);
  EXPECT_EQ(tally.skipped.size(), 3u);
  // Issue 19: real samples of each kind of event were classified above.
  auto seen = [](const std::set<std::string>& names, const std::string& part) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n.find(part) != std::string::npos; });
  };
  // (The vectors hold no ObjectCreated:Post record; tests/core/producers_test.cc
  // checks that name against the AWS documentation's list.)
  for (const char* counted : {"ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload",
                              "Object Created"}) {
    EXPECT_TRUE(seen(tally.events_counted, counted)) << "no sample counted as " << counted;
  }
  for (const char* ignored : {"ObjectRestore", "Replication", "LifecycleExpiration", "IntelligentTiering",
                              "ObjectTagging", "ObjectAcl", "ObjectRemoved", "Object Restore Completed"}) {
    EXPECT_TRUE(seen(tally.events_ignored, ignored)) << "no sample ignored as " << ignored;
  }
}

}  // namespace
}  // namespace eb
