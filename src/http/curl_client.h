// Forwarding header, kept only while src/cli/cmd_serve.cc still names the old
// factory (it is being rewritten elsewhere): the HTTP client is cpp-httplib's
// (http/http_client.h, NewClient); nothing here involves libcurl any more.
// Remove with the last include of this file.
#pragma once

#include <memory>

#include "http/http_client.h"

namespace eb::http {

inline std::unique_ptr<Client> NewCurlClient(const ClientOptions& options = {}) {
  return NewClient(options);
}

}  // namespace eb::http
