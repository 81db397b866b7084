// Hashes and MACs (OpenSSL underneath; nothing of OpenSSL leaks out of here).
#pragma once

#include <string>
#include <string_view>

namespace eb {

// Raw 32-byte SHA-256 digest of `data`.
std::string Sha256(std::string_view data);
// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// Base64 (standard alphabet, padded) of the MD5 digest of `data`: the
// Content-MD5 header S3 requires on DeleteObjects. MD5 here is a checksum, not security.
std::string Md5Base64(std::string_view data);
// Compares two strings in time independent of where they differ (for secrets and tokens).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace eb
