// Who may POST notifications to the receiver: whoever presents the shared
// token, in either form a sender can be configured to send:
//   Authorization: Bearer <token>
//       MinIO's webhook `auth_token`; an EventBridge API destination whose
//       connection is an API key named Authorization with value "Bearer <token>";
//   Authorization: Basic base64(<any user>:<token>)
//       SNS and Ceph RGW, whose endpoint URL carries the credentials:
//       https://eventbarrier:<token>@host/ (the user name is not checked).
#pragma once

#include <optional>
#include <string>

namespace eb {

class TokenAuth {
 public:
  // An empty token allows every request (the CLI permits that only on loopback).
  explicit TokenAuth(const std::string& token);

  bool enabled() const { return !digest_.empty(); }

  // True if `authorization` (the header's value, if the request had one)
  // presents the token. Compares SHA-256 digests in constant time, so the time
  // taken says nothing about the token's content or length.
  bool Check(const std::optional<std::string>& authorization) const;

 private:
  std::string digest_;  // SHA-256 of the token; the token itself is not kept
};

// Decodes standard base64 (with or without '=' padding); nullopt if malformed.
std::optional<std::string> Base64Decode(const std::string& text);

}  // namespace eb
