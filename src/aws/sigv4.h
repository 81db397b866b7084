// AWS Signature Version 4 (HMAC-SHA256), as a pure function of the request,
// the credentials and the time: no clock, no environment, no I/O. The
// published test suites (botocore, aws-c-auth, the S3 API reference examples)
// are its golden tests.
//
// Two flavours of canonical URI:
//   kS3       the path is used as sent: no dot-segment or slash normalization
//             and no second round of percent-encoding (bytes that are not
//             legal in a URI path, e.g. a raw space or UTF-8, are escaped once;
//             existing %XX escapes are kept). S3 requests also need
//             content_sha256_header (S3Params() sets both).
//   kGeneric  every other AWS service: the path is normalized (".", "..",
//             repeated '/') and then percent-encoded again, '%' included.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace eb::aws {

// Payload hash value for a body that is not hashed.
inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged: see RedactedForLog()
  std::string session_token;      // empty for long-term keys

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
  // "AKIA...MPLE (session)" - safe for logs and error messages.
  std::string RedactedForLog() const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigningRequest {
  std::string method;  // "GET"
  // The request-target path as it goes on the wire (percent-encoded by the
  // caller, e.g. "/bucket/a%20b"). Empty means "/".
  std::string path;
  // Query parameters, NOT encoded ({"prefix", "a b"}); order does not matter.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign, any case, duplicates allowed (joined with ','). Must hold
  // "host". x-amz-date, x-amz-security-token and x-amz-content-sha256 are added
  // by the signer; do not pass them.
  HeaderList headers;
  // Lower-case hex SHA-256 of the body, or kUnsignedPayload.
  std::string payload_hash;
};

enum class UriMode { kS3, kGeneric };

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
  TimeMs time = 0;      // signing time, UTC
  UriMode uri_mode = UriMode::kS3;
  // Adds a signed x-amz-content-sha256 header carrying the payload hash (S3 needs it).
  bool content_sha256_header = false;
  // Leaves the session token out of the signature and adds it afterwards
  // (the "post-sts-header-after" convention of some services).
  bool omit_session_token = false;
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // lower-case hex
  std::string authorization;   // the Authorization header value
  std::string signed_headers;  // "host;x-amz-date"
  // Headers the request must carry besides `headers` and Authorization:
  // x-amz-date, x-amz-content-sha256 and x-amz-security-token as applicable.
  HeaderList headers_to_add;
};

// What S3 needs: kS3 paths and a signed x-amz-content-sha256.
SigningParams S3Params(std::string region, TimeMs time);

// Signs for the Authorization header.
Signature SignV4(const SigningRequest& request, const Credentials& credentials,
                 const SigningParams& params);

struct Presigned {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  // Every query parameter of the signed URL (the request's own plus X-Amz-*),
  // NOT encoded, in the order they should be appended.
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers_to_add;  // x-amz-content-sha256 when requested
};

// Signs in the query string (a presigned URL valid for `expires_seconds`).
Presigned PresignV4(const SigningRequest& request, const Credentials& credentials,
                    const SigningParams& params, int64_t expires_seconds);

// ---- Building blocks, exposed for the S3 client and the tests. ----

// RFC 3986 percent-encoding of every byte except A-Z a-z 0-9 - . _ ~,
// upper-case hex. With keep_slash, '/' is kept too (object keys in paths).
std::string UriEncode(std::string_view in, bool keep_slash);
// The S3 wire path for `key` in `bucket` (path-style when bucket is non-empty):
// "/bucket/" + UriEncode(key, keep_slash=true).
std::string S3Path(std::string_view bucket, std::string_view key);
// "a=1&b=x%20y": each name and value UriEncode'd, sorted by name then value.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);
// Removes "." and ".." segments and repeated slashes; "" becomes "/".
std::string NormalizePath(std::string_view path);
// "20150830T123600Z".
std::string AmzDate(TimeMs time);

}  // namespace eb::aws
