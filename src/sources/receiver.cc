#include "sources/receiver.h"

#include <exception>
#include <nlohmann/json.hpp>

namespace eb {

namespace {

using nlohmann::ordered_json;

http::ServerResponse Json(int status, const ordered_json& body) {
  http::ServerResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ordered_json TripsJson(const std::vector<TripSummary>& trips) {
  auto out = ordered_json::array();
  for (const auto& t : trips) {
    out.push_back({{"barrier", t.barrier},
                   {"instance", t.instance},
                   {"generation", t.generation},
                   {"status", TripStatusName(t.status)},
                   {"objects", t.objects},
                   {"redriven", t.redriven}});
  }
  return out;
}

}  // namespace

Receiver::Receiver(ReceiverOptions options, DeliverFn deliver, http::Client* confirm_client,
                   ReceiverMetrics& metrics, Clock& clock, Logger& log)
    : options_(std::move(options)),
      auth_(options_.token),
      deliver_(std::move(deliver)),
      confirm_client_(confirm_client),
      metrics_(metrics),
      clock_(clock),
      log_(log) {
  options_.token.clear();  // only its digest (in auth_) is kept
}

http::ServerResponse Receiver::Error(int status, ErrorKind kind, const std::string& message) {
  metrics_.AddError(kind);
  return Json(status, {{"ok", false}, {"error", message}});
}

http::ServerResponse Receiver::Handle(const http::ServerRequest& request) {
  http::ServerResponse response;
  if (request.method == "POST") {
    const TimeMs start = clock_.NowMs();
    response = Notification(request);
    metrics_.ObserveNotification(response.status,
                                 static_cast<double>(clock_.NowMs() - start) / 1000.0);
  } else if (request.method == "GET" && request.path == "/healthz") {
    response = draining_ ? Json(503, {{"status", "draining"}}) : Json(200, {{"status", "ok"}});
  } else if (request.method == "GET" && request.path == "/metrics") {
    response.content_type = "text/plain; version=0.0.4";
    response.body = metrics_.RenderPrometheus();
  } else if (request.method == "GET") {
    response = Json(
        404, {{"ok", false}, {"error", "not found: GET /healthz or /metrics; POST notifications"}});
  } else {
    response = Error(405, ErrorKind::kMethod,
                     "method " + request.method + " not allowed: POST notifications");
    response.headers.emplace_back("Allow", "GET, POST");
  }
  return response;
}

http::ServerResponse Receiver::Notification(const http::ServerRequest& request) {
  if (draining_) {
    auto r = Error(503, ErrorKind::kDraining, "shutting down: send it again");
    r.close_connection = true;
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (!auth_.Check(request.Header("authorization"))) {
    // Never log what was presented: a near miss may be a real token.
    log_.Warn("request refused: no valid token",
              {{"remote", request.remote_addr}, {"path", request.path}});
    auto r = Error(401, ErrorKind::kUnauthorized,
                   "Authorization: expected 'Bearer <token>' or Basic credentials whose password "
                   "is the token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"eventbarrier\"");
    return r;
  }
  if (request.body.size() > options_.max_body_bytes) {
    return Error(413, ErrorKind::kTooLarge,
                 "body: larger than " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (request.body.empty()) return Error(400, ErrorKind::kBadRequest, "body: empty");

  auto control = ParseSnsControlMessage(request.body);
  if (!control.ok()) return Error(400, ErrorKind::kBadRequest, control.status().message());
  if (control->has_value()) return SnsControl(**control);

  auto decoded = DecodePayload(request.body, options_.decode);
  if (!decoded.ok()) return Error(400, ErrorKind::kBadRequest, decoded.status().message());
  if (!decoded->failures.empty()) {
    // Over HTTP the sender resends the whole body or nothing: refuse it whole.
    std::string message;
    for (const auto& f : decoded->failures) {
      message += (message.empty() ? "" : "; ") + std::string("SQS message ") + f.message_id + ": " +
                 f.error;
    }
    return Error(400, ErrorKind::kBadRequest, message);
  }

  InvocationResult out;
  try {
    out = deliver_(*decoded);
  } catch (const std::exception& e) {
    out.error = Status::Internal(std::string("unexpected exception: ") + e.what());
  }
  Status status = out.Overall();
  metrics_.AddArrivals(out.arrivals, out.duplicates, out.ignored, out.late);
  metrics_.AddTrips(out.trips);
  metrics_.AddTripFailures(out.trip_failures);
  if (!status.ok()) {
    log_.Error("notification not recorded; the sender should resend it",
               {{"error", status.ToString()}, {"remote", request.remote_addr}});
    if (status.IsRetryable()) {
      auto r = Error(503, ErrorKind::kStore, status.ToString());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    return Error(500, ErrorKind::kInternal, status.ToString());
  }
  for (const auto& r : out.ignored_examples) {
    log_.Info("record ignored: not data for this barrier", {{"key", r.key}, {"barrier", r.why.barrier},
                                                            {"rule", r.why.rule}, {"reason", r.why.reason}});
  }
  return Json(200, {{"ok", true},
                    {"arrivals", out.arrivals},
                    {"duplicates", out.duplicates},
                    {"ignored", out.ignored},
                    {"late", out.late},
                    {"ignored_by", out.ignored_by},
                    {"swept", out.swept.value_or(false)},
                    {"trips", TripsJson(out.trips)}});
}

http::ServerResponse Receiver::SnsControl(const SnsControlMessage& message) {
  if (message.type == "UnsubscribeConfirmation") {
    log_.Info("SNS unsubscribe confirmation received", {{"topic", message.topic_arn}});
    return Json(200, {{"ok", true}, {"type", message.type}, {"confirmed", false}});
  }
  Status allowed = CheckSubscribeUrl(message, options_.sns);
  if (!allowed.ok()) {
    if (!options_.sns.enabled) {
      // The operator may confirm by hand: GET the URL once.
      log_.Warn("SNS subscription not confirmed: confirmation is off",
                {{"topic", message.topic_arn}, {"subscribe_url", message.subscribe_url}});
    } else {
      log_.Warn("SNS subscription not confirmed",
                {{"topic", message.topic_arn}, {"reason", allowed.message()}});
    }
    return Error(403, ErrorKind::kSnsConfirm, allowed.message());
  }
  if (confirm_client_ == nullptr)
    return Error(500, ErrorKind::kInternal, "no HTTP client to confirm with");
  http::Request get;
  get.method = "GET";
  get.url = message.subscribe_url;
  get.timeout_ms = options_.sns_confirm_timeout_ms;
  auto answer = confirm_client_->Send(get);
  if (!answer.ok() || answer->status / 100 != 2) {
    std::string why =
        answer.ok() ? "answered " + std::to_string(answer->status) : answer.status().ToString();
    log_.Warn("SNS subscription confirmation failed",
              {{"topic", message.topic_arn}, {"reason", why}});
    return Error(502, ErrorKind::kSnsConfirm, "SubscribeURL: " + why);
  }
  log_.Info("SNS subscription confirmed", {{"topic", message.topic_arn}});
  return Json(
      200,
      {{"ok", true}, {"type", message.type}, {"confirmed", true}, {"topic", message.topic_arn}});
}

}  // namespace eb
