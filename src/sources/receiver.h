// The HTTP receiver of bucket notifications behind `eventbarrier serve`: one
// request in, one response out, no network (http/server.h calls Handle from
// its workers; tests call it directly).
//
//   GET  /healthz   200 {"status":"ok"}; 503 {"status":"draining"} once shutting down
//   GET  /metrics   Prometheus text (sources/receiver_metrics.h)
//   POST any path   a notification: S3 Records (Ceph RGW, MinIO, AWS), SNS HTTP
//                   deliveries (Notification, SubscriptionConfirmation,
//                   UnsubscribeConfirmation), SQS/SNS envelopes, EventBridge events
//
// Answers to a POST, chosen by what the sender should do next:
//   200  every arrival in the body is recorded and evaluated: do not resend
//   400  the body is not a notification; the JSON error names the field: resending will not help
//   401  no token or the wrong one (WWW-Authenticate: Bearer)
//   403  an SNS subscription confirmation the policy refuses (sources/sns_http.h)
//   405  not GET or POST (Allow: GET, POST)
//   413  the body is larger than max_body_bytes
//   500  recording failed for a reason that is not transient (permission denied,
//        an action failed, a bug): resend later, someone has to look
//   502  confirming an SNS subscription failed upstream
//   503  the store is unavailable, or the receiver is shutting down: resend
//        (Retry-After: 1); with Ceph's persistent topics and MinIO's queue it is
//        resent until it succeeds, so nothing is lost
// Every error body is {"ok":false,"error":"..."}.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "http/http_client.h"
#include "http/server.h"
#include "sources/invocation.h"
#include "sources/events.h"
#include "sources/receiver_metrics.h"
#include "sources/sns_http.h"
#include "sources/token_auth.h"

namespace eb {

struct ReceiverOptions {
  // The shared secret senders present (sources/token_auth.h); empty: no
  // authentication (the CLI allows that only on a loopback address).
  std::string token;
  size_t max_body_bytes = kMaxPayloadBytes;
  DecodeOptions decode;
  SnsConfirmPolicy sns;
  int64_t sns_confirm_timeout_ms = 5'000;
};

// Records and evaluates a decoded payload (ProcessDecoded with
// partial_batch = false, on an engine of its own); called from several
// threads at once. What it reports as done stays done even when it fails
// later in the body: a resend of the same body finishes the work.
using DeliverFn = std::function<InvocationResult(const DecodedPayload&)>;

class Receiver {
 public:
  // `confirm_client` fetches SNS SubscribeURLs the policy allows (may be null
  // when confirmation is off). `clock` times requests for the latency
  // histogram. Everything must outlive the receiver.
  Receiver(ReceiverOptions options, DeliverFn deliver, http::Client* confirm_client,
           ReceiverMetrics& metrics, Clock& clock, Logger& log);

  http::ServerResponse Handle(const http::ServerRequest& request);

  // From now on notifications are refused with 503 (Connection: close) and
  // /healthz says draining; requests already being handled finish.
  void BeginDrain() { draining_ = true; }

 private:
  http::ServerResponse Notification(const http::ServerRequest& request);
  http::ServerResponse SnsControl(const SnsControlMessage& message);
  http::ServerResponse Error(int status, ErrorKind kind, const std::string& message);

  ReceiverOptions options_;
  TokenAuth auth_;
  DeliverFn deliver_;
  http::Client* confirm_client_;
  ReceiverMetrics& metrics_;
  Clock& clock_;
  Logger& log_;
  std::atomic<bool> draining_{false};
};

}  // namespace eb
