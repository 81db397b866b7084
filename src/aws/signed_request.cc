#include "aws/signed_request.h"

#include "base/crypto.h"

namespace eb::aws {

http::Request SignRequest(const UnsignedRequest& request, const Credentials& credentials,
                          const SigningParams& params) {
  SigningRequest sr;
  sr.method = request.method;
  sr.path = request.path;
  sr.query = request.query;
  sr.headers = request.headers;
  sr.headers.emplace_back("host", request.host);
  sr.payload_hash = Sha256Hex(request.body);
  Signature sig = SignV4(sr, credentials, params);

  http::Request out;
  out.method = request.method;
  out.url = request.scheme + "://" + request.host + request.path;
  if (!request.query.empty()) out.url += "?" + CanonicalQueryString(request.query);
  out.headers = std::move(sr.headers);
  for (auto& h : sig.headers_to_add) out.headers.push_back(std::move(h));
  out.headers.emplace_back("authorization", std::move(sig.authorization));
  out.body = request.body;
  return out;
}

}  // namespace eb::aws
