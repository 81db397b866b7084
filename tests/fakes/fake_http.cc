#include "fakes/fake_http.h"

#include "aws/s3_xml.h"

#include <algorithm>
#include <cctype>

#include "base/clock.h"
#include "base/crypto.h"

namespace eb::test {

namespace {

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// S3's encoding-type=url: form encoding, so a space is '+'.
std::string FormEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == ' ') {
      out.push_back('+');
    } else if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out += aws::UriEncode(std::string(1, static_cast<char>(c)), false);
    }
  }
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string HeaderValue(const http::Request& r, const std::string& lower_name) {
  for (const auto& [n, v] : r.headers) {
    if (Lower(n) == lower_name) return v;
  }
  return "";
}

}  // namespace

http::Response MakeResponse(int status, std::string body, http::Headers headers) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string S3ErrorXml(const std::string& code, const std::string& message,
                       const std::string& request_id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>" + request_id + "</RequestId></Error>";
}

// ---- ScriptedHttp ----

void ScriptedHttp::Push(Result<http::Response> answer) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(answer));
}

void ScriptedHttp::SetFallback(Result<http::Response> answer) {
  std::lock_guard<std::mutex> lock(mu_);
  fallback_ = std::move(answer);
}

Result<http::Response> ScriptedHttp::Send(const http::Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(request);
  if (queue_.empty()) return fallback_;
  Result<http::Response> next = std::move(queue_.front());
  queue_.pop_front();
  return next;
}

std::vector<http::Request> ScriptedHttp::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t ScriptedHttp::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

// ---- FakeS3 ----

FakeS3::FakeS3(aws::Credentials credentials, std::string region, std::string bucket)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      bucket_(std::move(bucket)) {}

size_t FakeS3::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::map<std::string, std::string> FakeS3::objects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_;
}

std::string FakeS3::CheckSignature(
    const http::Request& request, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& query) const {
  std::string auth = HeaderValue(request, "authorization");
  size_t cred = auth.find("Credential=");
  size_t signed_at = auth.find("SignedHeaders=");
  size_t sig_at = auth.find("Signature=");
  if (cred == std::string::npos || signed_at == std::string::npos || sig_at == std::string::npos) {
    return "AccessDenied";
  }
  std::string access_key = auth.substr(cred + 11, auth.find('/', cred) - cred - 11);
  if (access_key != credentials_.access_key_id) return "InvalidAccessKeyId";
  std::string signed_names =
      auth.substr(signed_at + 14, auth.find(',', signed_at) - signed_at - 14);
  TimeMs time = 0;
  std::string amz = HeaderValue(request, "x-amz-date");  // 20150830T123600Z
  std::string iso = amz.size() == 16 ? amz.substr(0, 4) + "-" + amz.substr(4, 2) + "-" +
                                           amz.substr(6, 2) + "T" + amz.substr(9, 2) + ":" +
                                           amz.substr(11, 2) + ":" + amz.substr(13, 2) + "Z"
                                     : "";
  if (!ParseIso8601(iso, &time)) return "AccessDenied";

  aws::SigningRequest sr;
  sr.method = request.method;
  sr.path = path;
  sr.query = query;
  std::string names = signed_names + ";";
  for (size_t start = 0, end; (end = names.find(';', start)) != std::string::npos;
       start = end + 1) {
    std::string name = names.substr(start, end - start);
    if (name == "x-amz-date" || name == "x-amz-content-sha256" || name == "x-amz-security-token")
      continue;
    sr.headers.emplace_back(name, HeaderValue(request, name));
  }
  sr.payload_hash = HeaderValue(request, "x-amz-content-sha256");
  if (sr.payload_hash != aws::kUnsignedPayload && sr.payload_hash != Sha256Hex(request.body)) {
    return "XAmzContentSHA256Mismatch";
  }
  aws::Signature expected = aws::SignV4(sr, credentials_, aws::S3Params(region_, time));
  return expected.authorization == auth ? "" : "SignatureDoesNotMatch";
}

Result<http::Response> FakeS3::Send(const http::Request& request) {
  // http://host/bucket/key?query
  size_t scheme = request.url.find("://");
  size_t path_start = request.url.find('/', scheme + 3);
  std::string target = path_start == std::string::npos ? "/" : request.url.substr(path_start);
  size_t qm = target.find('?');
  std::string path = target.substr(0, qm);
  std::vector<std::pair<std::string, std::string>> query;
  if (qm != std::string::npos) {
    std::string q = target.substr(qm + 1) + "&";
    for (size_t start = 0, end; (end = q.find('&', start)) != std::string::npos; start = end + 1) {
      std::string pair = q.substr(start, end - start);
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      query.emplace_back(PercentDecode(pair.substr(0, eq)),
                         eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1)));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
  if (std::string code = CheckSignature(request, path, query); !code.empty()) {
    return MakeResponse(403, S3ErrorXml(code, "", "fake-req"));
  }
  std::string decoded = PercentDecode(path);  // "/bucket/key"
  std::string bucket = decoded.substr(
      1, decoded.find('/', 1) == std::string::npos ? std::string::npos : decoded.find('/', 1) - 1);
  if (bucket != bucket_) return MakeResponse(404, S3ErrorXml("NoSuchBucket", "", "fake-req"));
  std::string key = decoded.size() > bucket.size() + 2 ? decoded.substr(bucket.size() + 2) : "";
  return Handle(request, key, query);
}

http::Response FakeS3::Handle(const http::Request& request, const std::string& key,
                              const std::vector<std::pair<std::string, std::string>>& query) {
  const std::string& m = request.method;
  if (key.empty()) {
    if (m == "GET") return List(query);
    bool delete_query = !query.empty() && query.front().first == "delete";
    if (m == "POST" && delete_query) {
      // DeleteObjects: S3 insists on a Content-MD5 that matches the body.
      if (HeaderValue(request, "content-md5") != Md5Base64(request.body)) {
        return MakeResponse(400, S3ErrorXml("InvalidDigest", "Content-MD5 missing or wrong", "fake-req"));
      }
      for (std::string_view k : aws::XmlElements(request.body, "Key")) objects_.erase(aws::XmlUnescape(k));
      return MakeResponse(200, "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>");
    }
    return MakeResponse(405, S3ErrorXml("MethodNotAllowed", "", "fake-req"));
  }
  auto it = objects_.find(key);
  if (m == "GET" || m == "HEAD") {
    if (it == objects_.end())
      return MakeResponse(404, m == "HEAD" ? "" : S3ErrorXml("NoSuchKey", "", "fake-req"));
    http::Headers h = {{"etag", "\"" + Sha256Hex(it->second).substr(0, 32) + "\""},
                       {"content-length", std::to_string(it->second.size())}};
    return MakeResponse(200, m == "HEAD" ? "" : it->second, h);
  }
  if (m == "PUT") {
    if (HeaderValue(request, "if-none-match") == "*" && it != objects_.end()) {
      return MakeResponse(412, S3ErrorXml("PreconditionFailed", "", "fake-req"));
    }
    objects_[key] = request.body;
    return MakeResponse(200, "", {{"etag", "\"" + Sha256Hex(request.body).substr(0, 32) + "\""}});
  }
  if (m == "DELETE") {
    objects_.erase(key);
    return MakeResponse(204);
  }
  return MakeResponse(405, S3ErrorXml("MethodNotAllowed", "", "fake-req"));
}

http::Response FakeS3::List(const std::vector<std::pair<std::string, std::string>>& query) {
  ListOptions options;
  std::string token, encoding;
  for (const auto& [n, v] : query) {
    if (n == "prefix") options.prefix = v;
    if (n == "start-after") options.start_after = v;
    if (n == "continuation-token") token = v;
    if (n == "delimiter") options.delimiter = v;
    if (n == "encoding-type") encoding = v;
    if (n == "max-keys") options.max_keys = std::min(1000, std::stoi(v));
  }
  if (!token.empty()) options.continuation = token.substr(4);  // "tok:<key or folder>"
  // The page itself is the stores' own page builder: what is faked here is
  // the wire (query, XML, encoding), the paging rules are S3's.
  ListPageBuilder builder(options);
  const std::string& after = builder.StartAfter();
  for (auto it = after < options.prefix ? objects_.lower_bound(options.prefix) : objects_.upper_bound(after);
       it != objects_.end() && it->first.compare(0, options.prefix.size(), options.prefix) == 0; ++it) {
    if (!builder.Add({it->first, static_cast<int64_t>(it->second.size()), 0})) break;
  }
  ListPage page = builder.Finish();
  auto encode = [&](const std::string& key) { return encoding == "url" ? FormEncode(key) : XmlEscape(key); };
  std::string contents;
  for (const auto& o : page.objects) {
    contents += "<Contents><Key>" + encode(o.key) +
                "</Key><LastModified>2026-11-24T06:00:00.000Z</LastModified><ETag>&quot;x&quot;</"
                "ETag><Size>" +
                std::to_string(o.size) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
  }
  for (const auto& folder : page.common_prefixes) {
    contents += "<CommonPrefixes><Prefix>" + encode(folder) + "</Prefix></CommonPrefixes>";
  }
  bool truncated = !page.next_continuation.empty();
  size_t count = page.objects.size() + page.common_prefixes.size();
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
      bucket_ + "</Name><Prefix>" + XmlEscape(options.prefix) + "</Prefix><KeyCount>" + std::to_string(count) +
      "</KeyCount><MaxKeys>" + std::to_string(options.max_keys) + "</MaxKeys>" +
      (encoding == "url" ? "<EncodingType>url</EncodingType>" : "") + "<IsTruncated>" +
      (truncated ? "true" : "false") + "</IsTruncated>" + contents;
  if (truncated)
    xml += "<NextContinuationToken>" + XmlEscape("tok:" + page.next_continuation) + "</NextContinuationToken>";
  xml += "</ListBucketResult>";
  return MakeResponse(200, xml);
}

}  // namespace eb::test
