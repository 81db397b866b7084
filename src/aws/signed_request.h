// One signed HTTP request, for every AWS client (S3 and the other services): the
// wire form of a call, signed by SignV4 (aws/sigv4.h) at the time in `params`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "aws/sigv4.h"
#include "http/http_client.h"

namespace eb::aws {

struct UnsignedRequest {
  std::string method;  // "PUT"
  std::string scheme;  // "https"
  std::string host;    // "bucket.s3.eu-west-1.amazonaws.com" or "127.0.0.1:9000"
  std::string path;    // as it goes on the wire (percent-encoded)
  std::vector<std::pair<std::string, std::string>> query;  // not encoded
  HeaderList headers;  // signed; without host (added from `host`)
  std::string body;
};

// The request with host, the signer's headers (x-amz-date, ...) and Authorization;
// the body's SHA-256 is signed. The URL carries the canonical query string.
http::Request SignRequest(const UnsignedRequest& request, const Credentials& credentials,
                          const SigningParams& params);

}  // namespace eb::aws
