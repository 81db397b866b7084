// Reading untrusted JSON: bounded parsing and field readers that turn every
// surprise into an InvalidArgument naming the field.
#include <charconv>
#include <limits>

#include "base/percent.h"
#include "sources/decode_internal.h"

namespace eb::sources {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Deepest array/object nesting in `text`, stopping early once past `limit`.
// Strings are skipped (brackets inside them do not count); the text need not
// be valid JSON, the parser judges that afterwards.
int NestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::string Join(const std::string& where, const std::string& field) {
  return where.empty() ? field : where + "." + field;
}

std::string Name(const std::string& where) { return where.empty() ? "payload" : where; }

const char* TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

Result<json> ParseJsonText(std::string_view text, const std::string& where) {
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  if (text.size() > kMaxPayloadBytes) {
    return Status::InvalidArgument(where + ": " + std::to_string(text.size()) +
                                   " bytes is over the limit of " +
                                   std::to_string(kMaxPayloadBytes) + " bytes");
  }
  if (NestingDepth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    return Status::InvalidArgument(where + ": JSON nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    return Status::InvalidArgument(where + ": not valid JSON (at byte " +
                                   std::to_string(e.byte > 0 ? e.byte - 1 : 0) + ")");
  } catch (const std::exception& e) {
    return Status::InvalidArgument(where + ": not valid JSON (" + e.what() + ")");
  }
}

Result<std::string> RequiredString(const json& obj, const char* field, const std::string& where) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return Status::InvalidArgument(Join(where, field) + ": missing");
  }
  if (!it->is_string()) {
    return Status::InvalidArgument(Join(where, field) + ": expected a string, got " +
                                   TypeName(*it));
  }
  return it->get<std::string>();
}

Result<std::string> OptionalString(const json& obj, const char* field, const std::string& where) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Status::InvalidArgument(Join(where, field) + ": expected a string, got " +
                                   TypeName(*it));
  }
  return it->get<std::string>();
}

Result<const json*> RequiredObject(const json& obj, const char* field, const std::string& where) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return Status::InvalidArgument(Join(where, field) + ": missing");
  }
  if (!it->is_object()) {
    return Status::InvalidArgument(Join(where, field) + ": expected an object, got " +
                                   TypeName(*it));
  }
  return &*it;
}

Result<int64_t> OptionalSize(const json& obj, const char* field, const std::string& where) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return int64_t{0};
  const std::string name = Join(where, field);
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > kMax) return Status::InvalidArgument(name + ": " + std::to_string(v) + " is too large");
    return static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < 0) return Status::InvalidArgument(name + ": negative size " + std::to_string(v));
    return v;
  }
  if (it->is_string()) {
    // Ceph RGW sends the size as a string ("1024").
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty()) return int64_t{0};
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    bool digits_only = s.find_first_not_of("0123456789") == std::string::npos;
    if (!digits_only || ec != std::errc() || end != s.data() + s.size()) {
      return Status::InvalidArgument(name + ": \"" + s.substr(0, 40) +
                                     "\" is not a non-negative integer");
    }
    return v;
  }
  return Status::InvalidArgument(
      name + ": expected a non-negative integer, got " +
      (it->is_number_float() ? std::string("a fractional number") : std::string(TypeName(*it))));
}

std::string StripQuotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    return etag.substr(1, etag.size() - 2);
  }
  return etag;
}

std::string NormalizeEventName(std::string name) {
  // Every leading "s3:": a name sent as "s3:s3:…" must not keep one (events.h).
  while (name.rfind("s3:", 0) == 0) name.erase(0, 3);
  return name;
}

Result<std::string> DecodeKey(const std::string& key, bool source_encodes,
                              const DecodeOptions& options, const std::string& where) {
  bool decode = options.key_decoding == KeyDecoding::kEncoded ||
                (options.key_decoding == KeyDecoding::kAuto && source_encodes);
  std::string out = key;
  if (decode) {
    auto decoded = FormUrlDecode(key);
    if (!decoded.ok()) return decoded.status().WithContext(where);
    out = std::move(*decoded);
  }
  if (out.empty()) return Status::InvalidArgument(where + ": empty object key");
  return out;
}

}  // namespace eb::sources
