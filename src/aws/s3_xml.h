// The few S3 XML documents the client reads: ListObjectsV2 results and error
// bodies. A small scanner, not a general XML parser: S3 documents are flat,
// without attributes that matter, comments or CDATA.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/store.h"

namespace eb::aws {

struct S3Error {
  std::string code;     // "NoSuchKey", "SignatureDoesNotMatch", ... ("" if none)
  std::string message;  // may be empty (Ceph sends <Message></Message>)
  std::string request_id;
};

// Reads <Error><Code>, <Message>, <RequestId>; missing parts stay empty.
S3Error ParseS3Error(std::string_view body);

struct ListObjectsResult {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;  // <CommonPrefixes><Prefix>, with a delimiter
  bool is_truncated = false;
  std::string next_continuation_token;
};

// Parses a ListBucketResult (ListObjectsV2). Keys are decoded when the result
// says <EncodingType>url</EncodingType>. InvalidArgument on a malformed document
// (no root, a <Size> that is not a non-negative integer, a bad <LastModified>).
Result<ListObjectsResult> ParseListObjectsV2(std::string_view body);

struct DeleteFailure {
  std::string key;   // "" if the <Error> names none
  std::string code;  // "AccessDenied", ... ("" if none)
};

// The keys a DeleteObjects result (<DeleteResult>, quiet mode) says could not
// be deleted: its <Error> elements, in order; empty when all were deleted.
std::vector<DeleteFailure> ParseDeleteObjectsErrors(std::string_view body);

// &amp; &lt; &gt; &quot; &apos; &#N; &#xN; -> UTF-8. Unknown entities and
// references to no character (surrogates, > U+10FFFF) stay as they are, so
// valid UTF-8 in gives valid UTF-8 out.
std::string XmlUnescape(std::string_view text);
// Escapes &, <, >, " and ' for element text.
std::string XmlEscape(std::string_view text);

// The text of every <tag>...</tag> (or <tag/>) element in `xml`, in order,
// still escaped. Elements named `tag` must not nest.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);

}  // namespace eb::aws
