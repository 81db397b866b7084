// http::Client over libcurl. Declared without <curl/curl.h>: the C library
// stays inside curl_client.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/http_client.h"

namespace eb::http {

struct CurlOptions {
  int64_t connect_timeout_ms = 3'000;
  int64_t timeout_ms = 30'000;  // whole request, when the request sets none
  // Easy handles kept for reuse (each keeps its connections alive). Calls
  // beyond this many at once still work; their handles are then dropped.
  int max_idle_handles = 16;
  // PEM file of trusted CAs for https; empty: $SSL_CERT_FILE when set (as the
  // curl tool does), else libcurl's built-in default (Debian's is
  // /etc/ssl/certs/ca-certificates.crt, which Amazon Linux lacks).
  std::string ca_file;
};

// A thread-safe client that reuses connections: each call borrows an easy
// handle from a small pool and returns it, so keep-alive connections survive
// from one call to the next.
std::unique_ptr<Client> NewCurlClient(const CurlOptions& options = {});

}  // namespace eb::http
