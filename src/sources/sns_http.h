// SNS deliveries to an HTTP/S endpoint (the documented SNS HTTP/S message
// format): a POST whose `x-amz-sns-message-type` header and JSON `Type` say
// Notification, SubscriptionConfirmation or UnsubscribeConfirmation.
// Notifications are decoded by DecodePayload like every other envelope; this
// file handles the two control messages.
//
// Confirming a subscription means GETting the message's SubscribeURL: a URL
// chosen by whoever sent the request. Following it blindly would let any
// sender make the receiver fetch any URL from inside the network (SSRF), so
// the receiver follows it only when the operator allowed it and only when:
//   - the scheme is https (http only with allow_http, for emulators and tests);
//   - the authority carries no user:password@ and its host (with the port, if
//     the URL names one) is on the allow-list: "sns.us-east-1.amazonaws.com",
//     "127.0.0.1:4566", or "*.amazonaws.com" (any name ending in .amazonaws.com);
//   - the query says Action=ConfirmSubscription (it is an SNS confirmation,
//     not some other request on an allowed host);
//   - the TopicArn is allowed (any, unless allowed_topics is set).
// Redirects are never followed (the HTTP client does not follow them).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace eb {

struct SnsControlMessage {
  std::string type;  // "SubscriptionConfirmation" or "UnsubscribeConfirmation"
  std::string message_id;
  std::string topic_arn;
  std::string subscribe_url;
};

// The control message `body` holds, if it is one (its JSON `Type` is
// SubscriptionConfirmation or UnsubscribeConfirmation); nullopt for anything
// else (notifications, S3 events, invalid JSON: DecodePayload reports those).
// InvalidArgument naming the field when a control message lacks TopicArn or
// SubscribeURL or has them of the wrong type.
Result<std::optional<SnsControlMessage>> ParseSnsControlMessage(std::string_view body);

struct SnsConfirmPolicy {
  bool enabled = false;                    // off: SubscribeURLs are never fetched
  std::vector<std::string> allowed_hosts;  // see the header comment
  bool allow_http = false;
  std::vector<std::string> allowed_topics;  // empty: any topic
};

// Ok when `message`'s SubscribeURL may be fetched under `policy`; otherwise
// PermissionDenied saying which rule refused it.
Status CheckSubscribeUrl(const SnsControlMessage& message, const SnsConfirmPolicy& policy);

}  // namespace eb
