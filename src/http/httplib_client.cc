// http::Client over cpp-httplib's client (OpenSSL for https). With
// httplib_server.cc, the only file that includes <httplib.h> (through http/cpp_httplib.h).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <map>
#include <mutex>
#include <vector>

#include "http/cpp_httplib.h"
#include "http/http_client.h"

namespace eb::http {

std::optional<std::string> Response::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

namespace {

// OpenSSL's one-time initialisation, done by the first https connection: the call
// cpp_httplib.h takes out of httplib.h's static initialiser (same options), so that a
// program pays for it only when it talks https, and not before main.
std::once_flag tls_once;
void InitTls() {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
}

// "scheme://host:port" and "/path?query" of an absolute http(s) URL, and the parts of the
// origin: the host (an IPv6 address without its brackets) and the port (80/443 by default).
struct Target {
  std::string origin;
  std::string path;
  bool https = false;
  std::string host;
  int port = 0;
};

Result<Target> SplitUrl(const std::string& url) {
  size_t sep = url.find("://");
  if (sep == std::string::npos) return Status::InvalidArgument("not an absolute URL: " + url);
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("unsupported scheme '" + scheme + "' in " + url);
  }
  size_t path_start = url.find_first_of("/?", sep + 3);
  std::string authority = url.substr(sep + 3, path_start - (sep + 3));
  if (authority.empty() || authority.find_first_of(" @") != std::string::npos) {
    return Status::InvalidArgument("bad host in URL: " + url);
  }
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (path[0] == '?') path = "/" + path;
  bool https = scheme == "https";
  Target t{scheme + "://" + authority, path, https, authority, https ? 443 : 80};
  size_t colon = authority.rfind(':');
  if (authority[0] == '[') {  // [v6 address]:port
    size_t close = authority.find(']');
    if (close == std::string::npos || (close + 1 < authority.size() && colon != close + 1)) {
      return Status::InvalidArgument("bad host in URL: " + url);
    }
    t.host = authority.substr(1, close - 1);
    if (close + 1 == authority.size()) colon = std::string::npos;
  } else if (colon != std::string::npos) {
    t.host = authority.substr(0, colon);
  }
  if (colon != std::string::npos) {
    std::string port = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), t.port);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || t.port < 1 ||
        t.port > 65535) {
      return Status::InvalidArgument("bad port in URL: " + url);
    }
  }
  if (t.host.empty()) return Status::InvalidArgument("bad host in URL: " + url);
  return t;
}

// seconds + microseconds for httplib's timeouts; poll() takes an int of ms.
void SplitMs(int64_t ms, time_t* sec, time_t* usec) {
  ms = std::clamp<int64_t>(ms, 1, INT_MAX - 1000);
  *sec = static_cast<time_t>(ms / 1000);
  *usec = static_cast<time_t>((ms % 1000) * 1000);
}

const char* ErrorName(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "connect timed out";
    case httplib::Error::Read: return "read failed or timed out";
    case httplib::Error::Write: return "write failed or timed out";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "could not load the CA certificates";
    case httplib::Error::SSLServerVerification: return "server certificate not trusted";
    case httplib::Error::Canceled: return "canceled";
    default: return "request failed";
  }
}

class HttplibClient : public Client {
 public:
  explicit HttplibClient(const ClientOptions& options) : options_(options) {}

  Result<Response> Send(const Request& request) override {
    EB_ASSIGN_OR_RETURN(auto target, SplitUrl(request.url));
    std::unique_ptr<httplib::ClientImpl> conn = Borrow(target);
    if (!conn->is_valid()) return Status::InvalidArgument("bad URL: " + request.url);
    Result<Response> result = Perform(*conn, target, request);
    // A failed request's connection is closed by httplib itself; the client
    // reconnects on its next use, so it goes back into the pool either way.
    Return(target.origin, std::move(conn));
    return result;
  }

 private:
  std::unique_ptr<httplib::ClientImpl> Borrow(const Target& target) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = idle_.find(target.origin);
      if (it != idle_.end() && !it->second.empty()) {
        auto c = std::move(it->second.back());
        it->second.pop_back();
        --idle_count_;
        return c;
      }
    }
    // The host and port as SplitUrl found them: httplib::Client's constructor would parse the
    // origin again with a std::regex, compiled (~0.1 ms) on the runtime's way to its first next.
    std::unique_ptr<httplib::ClientImpl> c;
    if (target.https) {
      std::call_once(tls_once, InitTls);
      c = std::make_unique<httplib::SSLClient>(target.host, target.port);
    } else {
      c = std::make_unique<httplib::ClientImpl>(target.host, target.port);
    }
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_follow_location(false);
    c->set_url_encode(false);  // URLs arrive percent-encoded (and signed so)
    c->set_decompress(false);  // bodies as sent: an S3 object's bytes, not their decoding
    time_t sec, usec;
    SplitMs(options_.connect_timeout_ms, &sec, &usec);
    c->set_connection_timeout(sec, usec);
    if (!options_.ca_file.empty()) c->set_ca_cert_path(options_.ca_file);
    c->enable_server_certificate_verification(true);
    return c;
  }

  void Return(const std::string& origin, std::unique_ptr<httplib::ClientImpl> c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_count_ >= options_.max_idle_connections) return;
    idle_[origin].push_back(std::move(c));
    ++idle_count_;
  }

  Result<Response> Perform(httplib::ClientImpl& c, const Target& target, const Request& request) {
    int64_t timeout = request.timeout_ms > 0 ? request.timeout_ms : options_.timeout_ms;
    if (request.timeout_ms == kNoTimeout) timeout = INT_MAX;  // as long as poll() can wait
    time_t sec, usec;
    SplitMs(timeout, &sec, &usec);
    c.set_read_timeout(sec, usec);
    c.set_write_timeout(sec, usec);

    httplib::Request req;
    req.method = request.method;
    req.path = target.path;
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    // The body through a content provider: with req.body set, cpp-httplib would
    // add "Content-Type: text/plain" to a request that has none (and copy it).
    // PUT/POST/DELETE always carry a length (servers that insist are satisfied).
    if (!request.body.empty()) {
      const std::string& body = request.body;
      req.content_length_ = body.size();
      req.content_provider_ = [&body](size_t offset, size_t length, httplib::DataSink& sink) {
        return sink.write(body.data() + offset, std::min(length, body.size() - offset));
      };
    } else if (req.method != "GET" && req.method != "HEAD" && !req.has_header("Content-Length")) {
      req.headers.emplace("Content-Length", "0");
    }
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    if (!c.send(req, res, error)) {
      return Status::Unavailable(std::string(ErrorName(error)) + " (" + request.method + " " +
                                 target.origin + ")");
    }
    Response response;
    response.status = res.status;
    response.body = std::move(res.body);
    for (const auto& [name, value] : res.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      response.headers.emplace_back(std::move(lower), value);
    }
    return response;
  }

  ClientOptions options_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<httplib::ClientImpl>>> idle_;
  int idle_count_ = 0;
};

}  // namespace

std::unique_ptr<Client> NewClient(const ClientOptions& options) {
  return std::make_unique<HttplibClient>(options);
}

}  // namespace eb::http
