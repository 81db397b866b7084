// Percent-decoding, one module for every %XX the program reads: store key
// segments (core/keys.h), s3:// URL options, S3 listings with encoding-type=url
// and the form-encoded keys of bucket notifications.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace eb {

// What a '+' means: itself (RFC 3986) or a space (application/x-www-form-urlencoded).
enum class Plus { kLiteral, kSpace };

// Decodes each %XX (either case of hex) into its byte, once. InvalidArgument
// "truncated percent-escape at byte N" when fewer than two characters follow a
// '%', "invalid percent-escape at byte N" when they are not hex (N: the '%''s
// offset in `text`).
Result<std::string> PercentDecode(std::string_view text, Plus plus = Plus::kLiteral);

// The same, but a malformed escape is kept as it is (text a server encoded,
// where failing would lose the rest of an answer).
std::string PercentDecodeLenient(std::string_view text, Plus plus = Plus::kLiteral);

// Form decoding ('+' is a space) of text that must be UTF-8 once decoded (the
// object keys of bucket notifications): PercentDecode's errors, or
// InvalidArgument "not valid UTF-8 after decoding (decoded byte N)" (base/utf8.h's rules).
Result<std::string> FormUrlDecode(std::string_view text);

}  // namespace eb
