#include "sources/token_auth.h"

#include <cctype>
#include <cstdint>
#include <string>

#include "base/crypto.h"

namespace eb {

namespace {

// "Bearer" / "Basic" compare case-insensitively (RFC 9110 auth-scheme).
bool SchemeIs(const std::string& header, const char* scheme, std::string* rest) {
  size_t n = std::char_traits<char>::length(scheme);
  if (header.size() <= n || header[n] != ' ') return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return false;
    }
  }
  size_t start = header.find_first_not_of(' ', n);
  size_t end = header.find_last_not_of(" \t");
  *rest = start == std::string::npos ? "" : header.substr(start, end - start + 1);
  return true;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> Base64Decode(const std::string& text) {
  std::string s = text;
  while (!s.empty() && s.back() == '=') s.pop_back();
  if (text.size() - s.size() > 2 || s.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

TokenAuth::TokenAuth(const std::string& token) {
  if (!token.empty()) digest_ = Sha256(token);
}

bool TokenAuth::Check(const std::optional<std::string>& authorization) const {
  if (!enabled()) return true;
  if (!authorization) return false;
  std::string presented;
  std::string credentials;
  if (SchemeIs(*authorization, "Bearer", &credentials)) {
    presented = credentials;
  } else if (SchemeIs(*authorization, "Basic", &credentials)) {
    auto decoded = Base64Decode(credentials);
    if (!decoded) return false;
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    presented = decoded->substr(colon + 1);
  } else {
    return false;
  }
  if (presented.empty()) return false;
  return ConstantTimeEquals(Sha256(presented), digest_);
}

}  // namespace eb
