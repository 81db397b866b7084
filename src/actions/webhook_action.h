// The `webhook` action: an HTTPS POST of the manifest with an
// `Idempotency-Key: barrier/instance/generation` header and, when the action
// names a `secret_env`, an HMAC-SHA256 signature of the body:
//
//   X-Eventbarrier-Signature: sha256=<lower-case hex of HMAC-SHA256(secret, body)>
//
// (the header name can be changed with `signature_header`). A receiver
// recomputes the HMAC over the raw body and compares in constant time. Any 2xx
// answer means done; anything else (or no answer) fails the action, so the trip
// stays unfinished and is re-driven: receivers deduplicate on Idempotency-Key.
//
// The URL may use {vars} (and {barrier}, {instance}, ...) after its host: see
// WebhookUrl.
//
// The HTTP transport is the shared http::Client (cpp-httplib in http/httplib_client.cc;
// tests use a loopback server and tests/fakes/fake_http.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/env.h"
#include "base/status.h"
#include "core/action_runner.h"
#include "core/config.h"
#include "core/trip.h"
#include "http/http_client.h"

namespace eb {

inline constexpr const char* kDefaultSignatureHeader = "X-Eventbarrier-Signature";

// OK for https:// URLs, and for http:// only to a loopback host (127.0.0.0/8,
// localhost, [::1]): a manifest is not sent in clear text across a network.
// A {var} may appear only after the host (path, query, fragment): never in the
// scheme, user info, host or port.
Status CheckWebhookUrl(const std::string& url);

// The URL to post `trip` to: `url_template` (CheckWebhookUrl must accept it)
// with {vars} substituted, each value percent-encoded (everything but
// A-Z a-z 0-9 - _ . ~), so a value bound from an object key can add no path
// segment, query parameter or fragment and never changes the scheme or host.
Result<std::string> WebhookUrl(const std::string& url_template, const TripRecord& trip);

// The POST for `trip` (pure, given the environment). InvalidArgument if the
// URL is refused or the secret variable is unset or empty.
Result<http::Request> BuildWebhookRequest(const ActionSpec& action, const TripRecord& trip, const EnvLookup& env);

// "sha256=<hex>" for `body` under `secret`.
std::string WebhookSignature(const std::string& secret, const std::string& body);

// Builds, posts, and reports the HTTP status. Non-2xx: Unavailable naming the status.
Status RunWebhook(const ActionSpec& action, const TripRecord& trip, http::Client& client, const EnvLookup& env,
                  ActionReport* report);

}  // namespace eb
