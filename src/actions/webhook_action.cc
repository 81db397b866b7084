#include "actions/webhook_action.h"

#include <cctype>

#include "actions/local_actions.h"
#include "aws/sigv4.h"
#include "base/crypto.h"

namespace eb {

namespace {

// Where the authority of "scheme://authority[/?#...]" ends.
size_t AuthorityEnd(const std::string& url, size_t scheme_len) {
  size_t end = url.find_first_of("/?#", scheme_len);
  return end == std::string::npos ? url.size() : end;
}

// The host part of "scheme://[userinfo@]host[:port][/...]", lower-cased.
std::string UrlHost(const std::string& url, size_t scheme_len) {
  std::string authority = url.substr(scheme_len, AuthorityEnd(url, scheme_len) - scheme_len);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string host;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    host = authority.substr(0, close == std::string::npos ? std::string::npos : close + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

// Loopback by its literal address (127.0.0.0/8, [::1]) or the name localhost;
// "127.0.0.1.example.com" is a host name like any other.
bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace

Status CheckWebhookUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (url.find('{') <
      (scheme_end == std::string::npos ? url.size() : AuthorityEnd(url, scheme_end + 3))) {
    return Status::InvalidArgument(
        "webhook url '" + url +
        "': {vars} may appear only after the host (they come from object keys)");
  }
  if (url.rfind("https://", 0) == 0) {
    if (UrlHost(url, 8).empty()) return Status::InvalidArgument("webhook url '" + url + "' has no host");
    return Status::Ok();
  }
  if (url.rfind("http://", 0) == 0) {
    std::string host = UrlHost(url, 7);
    if (IsLoopback(host)) return Status::Ok();
    return Status::InvalidArgument("webhook url '" + url +
                                   "': plain http is allowed only to a loopback host; use https://");
  }
  return Status::InvalidArgument("webhook url '" + url + "' must start with https://");
}

Result<std::string> WebhookUrl(const std::string& url_template, const TripRecord& trip) {
  EB_RETURN_IF_ERROR(CheckWebhookUrl(url_template));
  std::string url = SubstituteTripVars(url_template, trip, [](const std::string& value) {
    return aws::UriEncode(value, /*keep_slash=*/false);
  });
  // By construction: the text up to the host's end has no {var}, and no
  // encoded value holds '/', '?', '#', '@' or ':'.
  size_t scheme_len = url_template.find("://") + 3;
  if (url.compare(0, AuthorityEnd(url_template, scheme_len), url_template, 0,
                  AuthorityEnd(url_template, scheme_len)) != 0 ||
      UrlHost(url, scheme_len) != UrlHost(url_template, scheme_len)) {
    return Status::Internal("webhook url: substitution changed the host of '" + url_template + "'");
  }
  return url;
}

std::string WebhookSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + HexEncode(HmacSha256(secret, body));
}

Result<http::Request> BuildWebhookRequest(const ActionSpec& action, const TripRecord& trip, const EnvLookup& env) {
  http::Request request;
  request.method = "POST";
  request.timeout_ms = 30'000;
  auto url = action.fields.find("url");
  if (url == action.fields.end()) return Status::InvalidArgument("webhook action without a url");
  EB_ASSIGN_OR_RETURN(request.url, WebhookUrl(url->second, trip));
  if (auto t = action.fields.find("timeout"); t != action.fields.end()) {
    if (auto d = ParseDuration(t->second)) request.timeout_ms = *d;
  }
  request.body = ManifestJson(trip);
  request.headers = {{"Content-Type", "application/json"},
                     {"Idempotency-Key", trip.IdempotencyKey()},
                     {"User-Agent", "eventbarrier"}};
  if (auto s = action.fields.find("secret_env"); s != action.fields.end()) {
    std::optional<std::string> secret = env ? env(s->second) : std::nullopt;
    if (!secret || secret->empty()) {
      return Status::InvalidArgument("webhook secret: environment variable " + s->second + " is not set");
    }
    auto h = action.fields.find("signature_header");
    request.headers.emplace_back(h != action.fields.end() ? h->second : kDefaultSignatureHeader,
                                 WebhookSignature(*secret, request.body));
  }
  return request;
}

Status RunWebhook(const ActionSpec& action, const TripRecord& trip, http::Client& client, const EnvLookup& env,
                  ActionReport* report) {
  EB_ASSIGN_OR_RETURN(auto request, BuildWebhookRequest(action, trip, env));
  auto response = client.Send(request);
  if (!response.ok()) return response.status().WithContext("webhook " + request.url);
  if (response->status < 200 || response->status > 299) {
    std::string body = response->body.substr(0, 512);
    return Status::Unavailable("webhook " + request.url + " answered HTTP " +
                               std::to_string(response->status) +
                               (body.empty() ? "" : ": " + body));
  }
  report->Add("http_status", std::to_string(response->status));
  report->Add("url", request.url);
  return Status::Ok();
}

}  // namespace eb
