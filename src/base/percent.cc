#include "base/percent.h"

#include "base/utf8.h"

namespace eb {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `text`; at a malformed escape at byte i, asks `bad(i, truncated)`:
// false stops (the caller reports), true keeps the '%' as it is.
template <typename OnBad>
bool Decode(std::string_view text, Plus plus, std::string* out, OnBad bad) {
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus == Plus::kSpace) {
      out->push_back(' ');
      continue;
    }
    if (c != '%') {
      out->push_back(c);
      continue;
    }
    bool truncated = i + 2 >= text.size();  // fewer than two characters follow the '%'
    int hi = truncated ? -1 : HexDigit(text[i + 1]);
    int lo = truncated ? -1 : HexDigit(text[i + 2]);
    if (hi < 0 || lo < 0) {
      if (!bad(i, truncated)) return false;
      out->push_back(c);
      continue;
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, Plus plus) {
  std::string out;
  Status error;
  bool ok = Decode(text, plus, &out, [&](size_t i, bool truncated) {
    error = Status::InvalidArgument(std::string(truncated ? "truncated" : "invalid") +
                                    " percent-escape at byte " + std::to_string(i));
    return false;
  });
  if (!ok) return error;
  return out;
}

std::string PercentDecodeLenient(std::string_view text, Plus plus) {
  std::string out;
  Decode(text, plus, &out, [](size_t, bool) { return true; });
  return out;
}

Result<std::string> FormUrlDecode(std::string_view text) {
  auto out = PercentDecode(text, Plus::kSpace);
  if (!out.ok()) return out;
  if (size_t bad = FirstInvalidUtf8(*out); bad != std::string::npos) {
    return Status::InvalidArgument("not valid UTF-8 after decoding (decoded byte " +
                                   std::to_string(bad) + ")");
  }
  return out;
}

}  // namespace eb
