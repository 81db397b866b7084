#include "aws/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "base/crypto.h"

namespace eb::aws {

namespace {

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";
constexpr const char* kHex = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

void AppendEscaped(std::string* out, unsigned char c) {
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

// S3: the wire path as sent. Existing %XX escapes stay as they are (never a
// second round), bytes that cannot appear in a path are escaped once.
std::string S3CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && IsHex(path[i + 1]) && IsHex(path[i + 2])) {
      out.push_back('%');
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 1]))));
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 2]))));
      i += 2;
    } else if (IsUnreserved(c) || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      AppendEscaped(&out, c);
    }
  }
  return out;
}

// Header values: trimmed, every run of whitespace (including the line breaks
// of an obsolete folded value) becomes one space.
std::string TrimAll(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct CanonicalHeaders {
  std::string text;          // "host:example.com\nx-amz-date:...\n"
  std::string signed_names;  // "host;x-amz-date"
};

CanonicalHeaders Canonicalize(const HeaderList& headers) {
  std::map<std::string, std::string> merged;  // sorted by lower-case name
  for (const auto& [name, value] : headers) {
    std::string key = Lower(TrimAll(name));
    auto [it, inserted] = merged.emplace(key, TrimAll(value));
    if (!inserted) it->second += "," + TrimAll(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.text += name + ":" + value + "\n";
    if (!out.signed_names.empty()) out.signed_names += ";";
    out.signed_names += name;
  }
  return out;
}

std::string CanonicalUri(const SigningRequest& request, UriMode mode) {
  if (mode == UriMode::kS3) return S3CanonicalUri(request.path);
  return UriEncode(NormalizePath(request.path), /*keep_slash=*/true);
}

std::string Scope(const SigningParams& params) {
  return AmzDate(params.time).substr(0, 8) + "/" + params.region + "/" + params.service +
         "/aws4_request";
}

std::string SigningKey(const Credentials& credentials, const SigningParams& params) {
  std::string k =
      HmacSha256("AWS4" + credentials.secret_access_key, AmzDate(params.time).substr(0, 8));
  k = HmacSha256(k, params.region);
  k = HmacSha256(k, params.service);
  return HmacSha256(k, "aws4_request");
}

std::string StringToSign(const SigningParams& params, const std::string& canonical_request) {
  return std::string(kAlgorithm) + "\n" + AmzDate(params.time) + "\n" + Scope(params) + "\n" +
         Sha256Hex(canonical_request);
}

}  // namespace

std::string Credentials::RedactedForLog() const {
  std::string id = access_key_id.size() > 8 ? access_key_id.substr(0, 4) + "..." +
                                                  access_key_id.substr(access_key_id.size() - 4)
                                            : std::string(access_key_id.empty() ? "(none)" : "...");
  return session_token.empty() ? id : id + " (session)";
}

SigningParams S3Params(std::string region, TimeMs time) {
  SigningParams params;
  params.region = std::move(region);
  params.service = "s3";
  params.time = time;
  params.uri_mode = UriMode::kS3;
  params.content_sha256_header = true;
  return params;
}

std::string UriEncode(std::string_view in, bool keep_slash) {
  std::string out;
  out.reserve(in.size() * 3 / 2);
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      AppendEscaped(&out, c);
    }
  }
  return out;
}

std::string S3Path(std::string_view bucket, std::string_view key) {
  std::string out = "/";
  if (!bucket.empty()) {
    out += UriEncode(bucket, false);
    out += "/";
  }
  out += UriEncode(key, /*keep_slash=*/true);
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += "&";
    out += name + "=" + value;
  }
  return out;
}

std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += "/";
    out += segments[i];
  }
  // Keep a trailing slash ("/a/b/" stays a directory-like path).
  if (!segments.empty() && !path.empty() && path.back() == '/') out += "/";
  return out;
}

std::string AmzDate(TimeMs time) {
  std::time_t seconds = static_cast<std::time_t>(time / 1000);
  if (time < 0 && time % 1000 != 0) --seconds;
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Signature SignV4(const SigningRequest& request, const Credentials& credentials,
                 const SigningParams& params) {
  Signature out;
  out.headers_to_add.emplace_back("x-amz-date", AmzDate(params.time));
  if (params.content_sha256_header)
    out.headers_to_add.emplace_back("x-amz-content-sha256", request.payload_hash);
  bool sign_token = !credentials.session_token.empty() && !params.omit_session_token;
  if (sign_token)
    out.headers_to_add.emplace_back("x-amz-security-token", credentials.session_token);

  HeaderList to_sign = request.headers;
  to_sign.insert(to_sign.end(), out.headers_to_add.begin(), out.headers_to_add.end());
  CanonicalHeaders canonical = Canonicalize(to_sign);
  out.signed_headers = canonical.signed_names;

  out.canonical_request = request.method + "\n" + CanonicalUri(request, params.uri_mode) + "\n" +
                          CanonicalQueryString(request.query) + "\n" + canonical.text + "\n" +
                          canonical.signed_names + "\n" + request.payload_hash;
  out.string_to_sign = StringToSign(params, out.canonical_request);
  out.signature = HexEncode(HmacSha256(SigningKey(credentials, params), out.string_to_sign));
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                      Scope(params) + ", SignedHeaders=" + canonical.signed_names +
                      ", Signature=" + out.signature;
  if (!credentials.session_token.empty() && !sign_token) {
    out.headers_to_add.emplace_back("x-amz-security-token", credentials.session_token);
  }
  return out;
}

Presigned PresignV4(const SigningRequest& request, const Credentials& credentials,
                    const SigningParams& params, int64_t expires_seconds) {
  Presigned out;
  HeaderList to_sign = request.headers;
  if (params.content_sha256_header) {
    out.headers_to_add.emplace_back("x-amz-content-sha256", request.payload_hash);
    to_sign.insert(to_sign.end(), out.headers_to_add.begin(), out.headers_to_add.end());
  }
  CanonicalHeaders canonical = Canonicalize(to_sign);

  std::vector<std::pair<std::string, std::string>> auth = {
      {"X-Amz-Algorithm", kAlgorithm},
      {"X-Amz-Credential", credentials.access_key_id + "/" + Scope(params)},
      {"X-Amz-Date", AmzDate(params.time)},
      {"X-Amz-SignedHeaders", canonical.signed_names},
      {"X-Amz-Expires", std::to_string(expires_seconds)},
  };
  bool has_token = !credentials.session_token.empty();
  if (has_token && !params.omit_session_token)
    auth.emplace_back("X-Amz-Security-Token", credentials.session_token);

  auto query = request.query;
  query.insert(query.end(), auth.begin(), auth.end());
  out.canonical_request = request.method + "\n" + CanonicalUri(request, params.uri_mode) + "\n" +
                          CanonicalQueryString(query) + "\n" + canonical.text + "\n" +
                          canonical.signed_names + "\n" + request.payload_hash;
  out.string_to_sign = StringToSign(params, out.canonical_request);
  out.signature = HexEncode(HmacSha256(SigningKey(credentials, params), out.string_to_sign));
  if (has_token && params.omit_session_token)
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  query.emplace_back("X-Amz-Signature", out.signature);
  out.query = std::move(query);
  return out;
}

}  // namespace eb::aws
