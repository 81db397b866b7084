#include "aws/s3_config.h"

#include <cctype>
#include <cstdlib>

#include "base/percent.h"

namespace eb::aws {

namespace {

// %XX decoding for URL option values ("endpoint=http%3A%2F%2F..." or plain).
Result<std::string> DecodeOption(const std::string& in) {
  auto out = PercentDecode(in);
  if (!out.ok()) return Status::InvalidArgument(out.status().message() + " in '" + in + "'");
  return out;
}

}  // namespace

http::ClientOptions HttpOptionsFromEnv(const EnvLookup& env) {
  http::ClientOptions options;
  if (auto ca = NonEmptyEnv(env, "SSL_CERT_FILE")) options.ca_file = *ca;
  return options;
}

Result<S3Location> ParseS3Url(const std::string& url) {
  const std::string scheme = "s3://";
  if (url.rfind(scheme, 0) != 0)
    return Status::InvalidArgument("'" + url + "' is not an s3:// URL");
  std::string rest = url.substr(scheme.size());
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  S3Location loc;
  size_t slash = rest.find('/');
  loc.bucket = rest.substr(0, slash);
  if (loc.bucket.empty())
    return Status::InvalidArgument("'" + url + "': no bucket name (s3://BUCKET/prefix)");
  for (char c : loc.bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return Status::InvalidArgument(
          "'" + url + "': bucket name '" + loc.bucket +
          "' may hold only lower-case letters, digits, '-', '.' and '_'");
    }
  }
  if (slash != std::string::npos) loc.prefix = rest.substr(slash + 1);
  if (!loc.prefix.empty() && loc.prefix.back() != '/') loc.prefix += '/';
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = pair.substr(0, eq);
    auto value = DecodeOption(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!value.ok()) return value.status().WithContext("'" + url + "' option " + name);
    if (name == "endpoint") {
      loc.endpoint = *value;
    } else if (name == "region") {
      loc.region = *value;
    } else if (name == "path_style") {
      if (*value != "true" && *value != "false") {
        return Status::InvalidArgument("'" + url + "': path_style must be true or false");
      }
      loc.path_style = *value;
    } else if (name == "timeout_ms") {
      char* end = nullptr;
      long long ms = std::strtoll(value->c_str(), &end, 10);
      if (value->empty() || *end != '\0' || ms <= 0) {
        return Status::InvalidArgument("'" + url + "': timeout_ms must be a positive number");
      }
      loc.timeout_ms = ms;
    } else {
      return Status::InvalidArgument("'" + url + "': unknown option '" + name +
                                     "' (known: endpoint, region, path_style, timeout_ms)");
    }
  }
  return loc;
}

Status ParseEndpoint(const std::string& endpoint, std::string* scheme, std::string* host) {
  size_t sep = endpoint.find("://");
  if (sep == std::string::npos) {
    return Status::InvalidArgument("endpoint '" + endpoint +
                                   "' needs a scheme (http:// or https://)");
  }
  *scheme = endpoint.substr(0, sep);
  if (*scheme != "http" && *scheme != "https") {
    return Status::InvalidArgument("endpoint '" + endpoint + "': scheme must be http or https");
  }
  *host = endpoint.substr(sep + 3);
  while (!host->empty() && host->back() == '/') host->pop_back();
  if (host->empty() || host->find_first_of("/?#@ ") != std::string::npos) {
    return Status::InvalidArgument("endpoint '" + endpoint +
                                   "' must be scheme://host[:port] without a path");
  }
  return Status::Ok();
}

std::string S3Config::Describe() const {
  return scheme + "://" + host + " (" + region + ", " +
         (path_style ? "path-style" : "virtual-hosted") + ", key " + credentials.RedactedForLog() +
         ")";
}

Result<Credentials> CredentialsFromEnv(const EnvLookup& env) {
  Credentials c;
  auto id = NonEmptyEnv(env, "AWS_ACCESS_KEY_ID");
  auto secret = NonEmptyEnv(env, "AWS_SECRET_ACCESS_KEY");
  if (!id || !secret) {
    std::string missing = !id && !secret ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                          : !id          ? "AWS_ACCESS_KEY_ID"
                                         : "AWS_SECRET_ACCESS_KEY";
    return Status::PermissionDenied("no AWS credentials: set " + missing +
                                    " (and AWS_SESSION_TOKEN for temporary ones)");
  }
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  if (auto token = NonEmptyEnv(env, "AWS_SESSION_TOKEN")) c.session_token = *token;
  return c;
}

Result<S3Config> ResolveS3Config(const S3Location& location, const EnvLookup& env) {
  S3Config config;
  if (location.region) {
    config.region = *location.region;
  } else if (auto r = NonEmptyEnv(env, "AWS_REGION")) {
    config.region = *r;
  } else if (auto d = NonEmptyEnv(env, "AWS_DEFAULT_REGION")) {
    config.region = *d;
  }
  std::optional<std::string> endpoint = location.endpoint;
  if (!endpoint) endpoint = NonEmptyEnv(env, "AWS_ENDPOINT_URL_S3");
  if (!endpoint) endpoint = NonEmptyEnv(env, "AWS_ENDPOINT_URL");
  if (endpoint) {
    EB_RETURN_IF_ERROR(ParseEndpoint(*endpoint, &config.scheme, &config.host));
    config.path_style = true;
  } else {
    config.scheme = "https";
    config.host = "s3." + config.region + ".amazonaws.com";
    // Dotted bucket names do not match the wildcard certificate.
    config.path_style = location.bucket.find('.') != std::string::npos;
  }
  if (location.path_style) config.path_style = *location.path_style == "true";
  EB_ASSIGN_OR_RETURN(auto creds, CredentialsFromEnv(env));
  config.credentials = std::move(creds);
  return config;
}

}  // namespace eb::aws
