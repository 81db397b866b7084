// libFuzzer target: every parser of XML sent by an S3 (or AWS query-protocol)
// server, on arbitrary bytes: ParseListObjectsV2, ParseS3Error,
// ParseDeleteObjectsErrors, ParseServiceError (XML branch), XmlElements,
// XmlUnescape. Beyond "no crash, leak or sanitizer report" it checks what
// s3_xml.h promises.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/aws_service.h"
#include "aws/s3_xml.h"
#include "base/utf8.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void CheckElements(std::string_view xml, std::string_view tag) {
  std::string close = "</" + std::string(tag) + ">";
  for (std::string_view e : eb::aws::XmlElements(xml, tag)) {
    Check(Within(e, xml));
    Check(e.find(close) == std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  bool utf8 = eb::IsValidUtf8(body);

  auto list = eb::aws::ParseListObjectsV2(body);
  if (list.ok()) {
    Check(!list->is_truncated || !list->next_continuation_token.empty());
    for (const eb::ObjectInfo& o : list->objects) Check(o.size >= 0);
  } else {
    Check(list.status().code() == eb::Code::kInvalidArgument && !list.status().message().empty());
  }

  eb::aws::S3Error error = eb::aws::ParseS3Error(body);
  if (utf8) Check(eb::IsValidUtf8(error.code) && eb::IsValidUtf8(error.message));
  if (body.find("<Code") == std::string_view::npos) Check(error.code.empty());

  for (const eb::aws::DeleteFailure& f : eb::aws::ParseDeleteObjectsErrors(body)) {
    if (utf8) Check(eb::IsValidUtf8(f.key) && eb::IsValidUtf8(f.code));
  }

  eb::http::Response response;
  response.status = 400;
  response.body = std::string(body);
  eb::aws::ServiceError service = eb::aws::ParseServiceError(response);
  if (utf8 && !body.empty() && body.front() == '<') Check(eb::IsValidUtf8(service.code));

  for (std::string_view tag : {"Key", "Contents", "Error", "ListBucketResult"})
    CheckElements(body, tag);

  // Unescaping never grows the text, keeps UTF-8 valid, and undoes XmlEscape.
  std::string text = eb::aws::XmlUnescape(body);
  Check(text.size() <= body.size());
  if (utf8) Check(eb::IsValidUtf8(text));
  Check(eb::aws::XmlUnescape(eb::aws::XmlEscape(body)) == body);
  return 0;
}
