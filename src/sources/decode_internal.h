// Internal to src/sources: the pieces DecodePayload is assembled from, one
// envelope family per file. Not part of the public API (see events.h).
//
// Conventions: `where` is the path of the JSON value being read, as an error
// should name it ("Records[2]", "body.Records[0]", "" for the payload root).
// Every function here returns InvalidArgument "<where>.<field>: <reason>" on
// bad input and never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sources/events.h"

namespace eb::sources {

using json = nlohmann::json;

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string Join(const std::string& where, const std::string& field);
// Names `where` in an error message ("payload" for the root).
std::string Name(const std::string& where);

// Parses one JSON text: skips a leading UTF-8 BOM, refuses texts over
// kMaxPayloadBytes or nested deeper than kMaxJsonDepth, reports syntax errors
// with their byte offset. `where` names the text ("payload", "body", ...).
Result<json> ParseJsonText(std::string_view text, const std::string& where);

// Field readers on untrusted JSON; `obj` must be an object (callers check).
// Required string: missing, null or not a string is an error.
Result<std::string> RequiredString(const json& obj, const char* field, const std::string& where);
// Optional string: missing or null -> "", not a string is an error.
Result<std::string> OptionalString(const json& obj, const char* field, const std::string& where);
// Required object member.
Result<const json*> RequiredObject(const json& obj, const char* field, const std::string& where);
// Object size: a non-negative integer, or a string of digits (Ceph); missing,
// null or "" -> 0.
Result<int64_t> OptionalSize(const json& obj, const char* field, const std::string& where);
// "a JSON string", "a number", ...: for messages.
const char* TypeName(const json& value);

// Removes one pair of surrounding double quotes.
std::string StripQuotes(std::string etag);
// Drops the "s3:" prefix (every one, if repeated).
std::string NormalizeEventName(std::string name);
// Applies `options` to a key as sent; `source_encodes` is what kAuto assumes.
Result<std::string> DecodeKey(const std::string& key, bool source_encodes,
                              const DecodeOptions& options, const std::string& where);

// One entry of an S3 notification's `Records` (AWS, MinIO, Ceph) -> kArrival.
Result<DecodedRecord> DecodeS3Record(const json& record, const std::string& where,
                                     const DecodeOptions& options);

// True for an EventBridge event (it has "detail-type" and "source").
bool IsEventBridge(const json& message);
// An EventBridge event -> kArrival (aws.s3), kSchedule or kIgnored.
Result<DecodedRecord> DecodeEventBridge(const json& event, const std::string& where,
                                        const DecodeOptions& options);

}  // namespace eb::sources
