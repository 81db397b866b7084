// Where an S3 store lives and how to reach it: the state URL
// ("s3://bucket/prefix?endpoint=http://127.0.0.1:7480&region=...&path_style=true&timeout_ms=5000")
// plus the standard AWS environment variables:
//
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN   credentials
//   AWS_REGION (then AWS_DEFAULT_REGION; default us-east-1)
//   AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL                    endpoint override
//
// URL options win over the environment. Everything here is pure: the
// environment comes in as a lookup function (ProcessEnv() at the edges).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "aws/sigv4.h"
#include "base/env.h"
#include "base/status.h"
#include "http/http_client.h"

namespace eb::aws {

// HTTP client options from the environment: SSL_CERT_FILE (the CA file for
// https, as curl and the AWS SDKs read it) when set and non-empty.
http::ClientOptions HttpOptionsFromEnv(const EnvLookup& env);

struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or ends with '/'
  // URL options: endpoint, region, path_style.
  std::optional<std::string> endpoint, region, path_style;
  // URL option timeout_ms: the limit of one HTTP request (each retry gets its
  // own); unset: the HTTP client's default (30 s). Tests behind a slow proxy
  // shorten it so a stalled answer costs seconds, not half a minute.
  std::optional<int64_t> timeout_ms;
};

// Parses "s3://bucket[/prefix][?endpoint=...&region=...&path_style=true|false&timeout_ms=N]".
// InvalidArgument naming the problem (empty bucket, unknown option, ...).
Result<S3Location> ParseS3Url(const std::string& url);

struct S3Config {
  std::string scheme = "https";  // "http" or "https"
  std::string host;              // "127.0.0.1:7480" or "s3.eu-west-1.amazonaws.com"
  std::string region = "us-east-1";
  bool path_style = false;  // "/bucket/key" instead of "bucket.host/key"
  Credentials credentials;

  // "http://127.0.0.1:7480 (us-east-1, path-style, key AKIA...MPLE)": no secret.
  std::string Describe() const;
};

// Credentials from the environment; PermissionDenied naming the missing variables.
Result<Credentials> CredentialsFromEnv(const EnvLookup& env);

// Endpoint, region, addressing and credentials for `location`.
// Without an endpoint override: AWS (https://s3.REGION.amazonaws.com,
// virtual-hosted); with one: path-style unless path_style=false.
Result<S3Config> ResolveS3Config(const S3Location& location, const EnvLookup& env);

// Splits "http://host:port[/]" into scheme and host; InvalidArgument otherwise.
Status ParseEndpoint(const std::string& endpoint, std::string* scheme, std::string* host);

}  // namespace eb::aws
