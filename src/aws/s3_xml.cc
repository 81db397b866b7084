#include "aws/s3_xml.h"

#include <cctype>
#include <charconv>

#include "base/clock.h"
#include "base/percent.h"
#include "base/utf8.h"

namespace eb::aws {

namespace {

std::string First(std::string_view xml, std::string_view tag) {
  auto all = XmlElements(xml, tag);
  return all.empty() ? "" : XmlUnescape(all.front());
}

}  // namespace

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (ent.size() > 1 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      // Surrogates are not characters: encoding one would not be valid UTF-8.
      if (ec != std::errc() || ptr != digits.data() + digits.size() || cp > 0x10FFFF ||
          (cp >= 0xD800 && cp <= 0xDFFF)) {
        out.push_back('&');
        continue;
      }
      AppendUtf8(&out, cp);
    } else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(tag);
  std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after >= xml.size()) break;
    char next = xml[after];
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\n' && next != '\r') {
      pos = after;  // a longer tag name with the same start ("<KeyCount" for "<Key")
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <Tag/>
      out.push_back(xml.substr(gt + 1, 0));
      pos = gt + 1;
      continue;
    }
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

S3Error ParseS3Error(std::string_view body) {
  S3Error e;
  auto error = XmlElements(body, "Error");
  std::string_view scope = error.empty() ? body : error.front();
  e.code = First(scope, "Code");
  e.message = First(scope, "Message");
  e.request_id = First(scope, "RequestId");
  return e;
}

Result<ListObjectsResult> ParseListObjectsV2(std::string_view body) {
  auto root = XmlElements(body, "ListBucketResult");
  if (root.empty())
    return Status::InvalidArgument("ListObjectsV2: response has no <ListBucketResult>");
  std::string_view doc = root.front();
  bool url_encoded = First(doc, "EncodingType") == "url";
  ListObjectsResult result;
  std::string truncated = First(doc, "IsTruncated");
  result.is_truncated = truncated == "true";
  result.next_continuation_token = First(doc, "NextContinuationToken");
  for (std::string_view contents : XmlElements(doc, "Contents")) {
    ObjectInfo info;
    std::string key = First(contents, "Key");
    // encoding-type=url: form-encoded by S3; a malformed escape is kept as it is.
    info.key = url_encoded ? PercentDecodeLenient(key, Plus::kSpace) : key;
    std::string size = First(contents, "Size");
    auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), info.size);
    if (ec != std::errc() || ptr != size.data() + size.size() || info.size < 0) {
      return Status::InvalidArgument("ListObjectsV2: bad <Size> '" + size + "' for key '" +
                                     info.key + "'");
    }
    std::string modified = First(contents, "LastModified");
    if (!ParseIso8601(modified, &info.last_modified)) {
      return Status::InvalidArgument("ListObjectsV2: bad <LastModified> '" + modified +
                                     "' for key '" + info.key + "'");
    }
    result.objects.push_back(std::move(info));
  }
  for (std::string_view folder : XmlElements(doc, "CommonPrefixes")) {
    std::string prefix = First(folder, "Prefix");
    result.common_prefixes.push_back(url_encoded ? PercentDecodeLenient(prefix, Plus::kSpace) : prefix);
  }
  if (result.is_truncated && result.next_continuation_token.empty()) {
    return Status::InvalidArgument(
        "ListObjectsV2: truncated result without <NextContinuationToken>");
  }
  return result;
}

std::vector<DeleteFailure> ParseDeleteObjectsErrors(std::string_view body) {
  std::vector<DeleteFailure> out;
  for (std::string_view error : XmlElements(body, "Error")) {
    out.push_back({First(error, "Key"), First(error, "Code")});
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace eb::aws
