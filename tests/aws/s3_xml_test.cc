#include "aws/s3_xml.h"

#include <gtest/gtest.h>

namespace eb::aws {
namespace {

TEST(S3Xml, Unescape) {
  EXPECT_EQ(XmlUnescape("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"), "a & b <c> \"d\" 'e'");
  EXPECT_EQ(XmlUnescape("&#65;&#x42;&#xFC;&#x1F600;"), "AB\xC3\xBC\xF0\x9F\x98\x80");
  EXPECT_EQ(XmlUnescape("a & b &bogus; &#xZZ;"), "a & b &bogus; &#xZZ;");
}

TEST(S3Xml, SurrogateReferencesAreNotCharacters) {
  // UTF-16 surrogates are not XML characters; encoding one would give invalid
  // UTF-8 (a property fuzz/xml_fuzzer.cc checks). Kept literally, like
  // other invalid references.
  EXPECT_EQ(XmlUnescape("&#xD800;&#xdfff;&#55296;"), "&#xD800;&#xdfff;&#55296;");
  EXPECT_EQ(XmlUnescape("&#xD7FF;&#xE000;"), "\xED\x9F\xBF\xEE\x80\x80");
}

TEST(S3Xml, ElementsIgnoreLongerNamesAndHandleEmptyOnes) {
  auto keys = XmlElements("<KeyCount>2</KeyCount><Key>a</Key><Key/><Key >b</Key>", "Key");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0], "a");
  EXPECT_EQ(keys[1], "");
  EXPECT_EQ(keys[2], "b");
}

TEST(S3Xml, ErrorFromAwsAndFromCeph) {
  S3Error aws = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The "
      "specified key does not "
      "exist.</Message><Key>a&amp;b</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>h</"
      "HostId></Error>");
  EXPECT_EQ(aws.code, "NoSuchKey");
  EXPECT_EQ(aws.message, "The specified key does not exist.");
  EXPECT_EQ(aws.request_id, "4442587FB7D0A2F9");
  // Ceph RGW 16: empty message, BucketName, request id "tx...".
  S3Error ceph = ParseS3Error(
      "<?xml version=\"1.0\" "
      "encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code><Message></Message>"
      "<BucketName>b</BucketName><RequestId>tx000001-0065-default</"
      "RequestId><HostId>1-default-default</HostId></Error>");
  EXPECT_EQ(ceph.code, "SignatureDoesNotMatch");
  EXPECT_EQ(ceph.message, "");
  EXPECT_EQ(ceph.request_id, "tx000001-0065-default");
  EXPECT_EQ(ParseS3Error("").code, "");
}

TEST(S3Xml, ListWithoutEncodingTypeKeepsKeysAsIs) {
  auto r = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b &amp; c</Key>"
      "<LastModified>2026-11-24T06:00:00Z</LastModified><Size>3</Size></Contents></"
      "ListBucketResult>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 1u);
  EXPECT_EQ(r->objects[0].key, "a+b & c");
  EXPECT_FALSE(r->is_truncated);
}

TEST(S3Xml, MalformedListsAreErrors) {
  EXPECT_FALSE(ParseListObjectsV2("<html>oops</html>").ok());
  EXPECT_FALSE(ParseListObjectsV2(
                   "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-11-24T06:00:00Z"
                   "</LastModified><Size>x</Size></Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
          .ok());
  // from_chars takes a sign; an object size never has one.
  EXPECT_FALSE(ParseListObjectsV2(
                   "<ListBucketResult><Contents><Key>k</Key><LastModified>2026-11-24T06:00:00Z"
                   "</LastModified><Size>-1</Size></Contents></ListBucketResult>")
                   .ok());
}

TEST(S3Xml, DeleteObjectsErrorsListTheFailedKeys) {
  EXPECT_TRUE(
      ParseDeleteObjectsErrors(
          "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>")
          .empty());
  // The AWS DeleteObjects example (quiet mode lists only the failures).
  auto failures = ParseDeleteObjectsErrors(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Error><Key>a&amp;b.txt</Key>"
      "<Code>AccessDenied</Code><Message>Access Denied</Message></Error><Error><Code>InternalError"
      "</Code></Error></DeleteResult>");
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].key, "a&b.txt");
  EXPECT_EQ(failures[0].code, "AccessDenied");
  EXPECT_EQ(failures[1].key, "");
  EXPECT_EQ(failures[1].code, "InternalError");
}

}  // namespace
}  // namespace eb::aws
