// UTF-8, one set of rules for the whole program: Unicode 15 section 3.9 (D92),
// so no overlong forms, no surrogates, nothing above U+10FFFF. Keys decoded from
// events, JSON written by hand and XML character references all use these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eb {

// Length (1-4) of the well-formed UTF-8 sequence starting at text[i], or 0 if
// none starts there. REQUIRES: i < text.size().
inline size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view text);

// True if `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// Appends the UTF-8 encoding of `code_point`.
// REQUIRES: a Unicode scalar value (at most U+10FFFF, not a surrogate).
void AppendUtf8(std::string* out, uint32_t code_point);

}  // namespace eb
