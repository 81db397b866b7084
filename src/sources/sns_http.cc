// SNS HTTP/S control messages and the SubscribeURL policy (sns_http.h).
#include "sources/sns_http.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace eb {

namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct ParsedUrl {
  std::string scheme;  // lower case
  std::string host;    // lower case; an IPv6 literal keeps its brackets
  int port = 0;        // explicit, or the scheme's default
  std::string query;
};

Result<ParsedUrl> ParseUrl(const std::string& full_url) {
  const std::string url = full_url.substr(0, full_url.find('#'));  // the fragment is never sent
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f)
      return Status::PermissionDenied("SubscribeURL: contains a space or control character");
  }
  ParsedUrl u;
  size_t colon = url.find("://");
  if (colon == std::string::npos)
    return Status::PermissionDenied("SubscribeURL: not an absolute URL");
  u.scheme = Lower(url.substr(0, colon));
  size_t start = colon + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority =
      url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (authority.find('@') != std::string::npos) {
    return Status::PermissionDenied("SubscribeURL: user information (user@host) is not allowed");
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Status::PermissionDenied("SubscribeURL: bad IPv6 host");
    u.host = Lower(authority.substr(0, close + 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Status::PermissionDenied("SubscribeURL: bad host");
      port_text = authority.substr(close + 2);
    }
  } else {
    size_t pc = authority.find(':');
    u.host = Lower(authority.substr(0, pc));
    if (pc != std::string::npos) port_text = authority.substr(pc + 1);
    for (char c : u.host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
        return Status::PermissionDenied("SubscribeURL: bad host");
      }
    }
  }
  if (u.host.empty()) return Status::PermissionDenied("SubscribeURL: no host");
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit)) {
      return Status::PermissionDenied("SubscribeURL: bad port");
    }
    u.port = std::stoi(port_text);
  } else {
    u.port = u.scheme == "https" ? 443 : 80;
  }
  if (end != std::string::npos) {
    size_t q = url.find('?', end);
    if (q != std::string::npos) u.query = url.substr(q + 1);
  }
  return u;
}

// "host" (the scheme's default port), "host:port", or "*.suffix" (any port-less
// name under suffix, at the default port).
bool HostAllowed(const ParsedUrl& u, const std::string& entry_text) {
  std::string entry = Lower(entry_text);
  int default_port = u.scheme == "https" ? 443 : 80;
  std::string host = entry;
  int port = default_port;
  size_t pc = entry.rfind(':');
  if (pc != std::string::npos && entry.find(']', pc) == std::string::npos) {
    host = entry.substr(0, pc);
    try {
      port = std::stoi(entry.substr(pc + 1));
    } catch (...) {
      return false;
    }
  }
  if (port != u.port) return false;
  if (host.rfind("*.", 0) == 0) {
    if (u.host[0] == '[') return false;
    std::string suffix = host.substr(1);  // ".amazonaws.com"
    return u.host.size() > suffix.size() && EndsWith(u.host, suffix);
  }
  return host == u.host;
}

Result<std::string> RequiredString(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null())
    return Status::InvalidArgument(std::string(field) + ": missing");
  if (!it->is_string()) return Status::InvalidArgument(std::string(field) + ": expected a string");
  if (it->get_ref<const std::string&>().empty())
    return Status::InvalidArgument(std::string(field) + ": empty");
  return it->get<std::string>();
}

}  // namespace

Result<std::optional<SnsControlMessage>> ParseSnsControlMessage(std::string_view body) {
  // Most bodies are notifications: skip parsing them twice.
  if (body.find("Confirmation") == std::string_view::npos)
    return std::optional<SnsControlMessage>();
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::optional<SnsControlMessage>();
  auto type = j.find("Type");
  if (type == j.end() || !type->is_string()) return std::optional<SnsControlMessage>();
  SnsControlMessage m;
  m.type = type->get<std::string>();
  if (m.type != "SubscriptionConfirmation" && m.type != "UnsubscribeConfirmation") {
    return std::optional<SnsControlMessage>();
  }
  EB_ASSIGN_OR_RETURN(auto arn, RequiredString(j, "TopicArn"));
  m.topic_arn = arn;
  auto url = RequiredString(j, "SubscribeURL");
  if (!url.ok()) return url.status();
  m.subscribe_url = *url;
  if (auto id = j.find("MessageId"); id != j.end() && id->is_string())
    m.message_id = id->get<std::string>();
  return std::optional<SnsControlMessage>(std::move(m));
}

Status CheckSubscribeUrl(const SnsControlMessage& message, const SnsConfirmPolicy& policy) {
  if (!policy.enabled) {
    return Status::PermissionDenied(
        "SNS subscription confirmation is off (enable it with --sns-confirm-host)");
  }
  if (!policy.allowed_topics.empty() &&
      std::find(policy.allowed_topics.begin(), policy.allowed_topics.end(), message.topic_arn) ==
          policy.allowed_topics.end()) {
    return Status::PermissionDenied("TopicArn: '" + message.topic_arn +
                                    "' is not an allowed topic");
  }
  EB_ASSIGN_OR_RETURN(auto url, ParseUrl(message.subscribe_url));
  if (url.scheme != "https" && !(url.scheme == "http" && policy.allow_http)) {
    return Status::PermissionDenied(
        "SubscribeURL: scheme '" + url.scheme + "' is not allowed" +
        (url.scheme == "http" ? " (plain http needs --sns-confirm-allow-http)" : ""));
  }
  bool allowed = std::any_of(policy.allowed_hosts.begin(), policy.allowed_hosts.end(),
                             [&](const std::string& entry) { return HostAllowed(url, entry); });
  if (!allowed) {
    return Status::PermissionDenied("SubscribeURL: host '" + url.host + ":" +
                                    std::to_string(url.port) + "' is not an allowed SNS host");
  }
  bool confirm = false;
  size_t pos = 0;
  while (pos <= url.query.size()) {
    size_t amp = url.query.find('&', pos);
    if (amp == std::string::npos) amp = url.query.size();
    if (url.query.compare(pos, amp - pos, "Action=ConfirmSubscription") == 0) confirm = true;
    pos = amp + 1;
  }
  if (!confirm) return Status::PermissionDenied("SubscribeURL: not a ConfirmSubscription request");
  return Status::Ok();
}

}  // namespace eb
