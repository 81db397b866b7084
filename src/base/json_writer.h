// A minimal JSON writer for the hot, fixed-shape records (arrival markers,
// trip records): several times cheaper than building a nlohmann::json tree
// and dumping it. Produces compact JSON; invalid UTF-8 in strings is replaced
// by U+FFFD (as nlohmann's error_handler_t::replace does), never thrown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace eb {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // An object key; the next call writes its value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Bool(bool value);
  // Inserts already-serialized JSON as one value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

// Appends `value` as a JSON string literal (quotes included) to `out`.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace eb
