// SNS control messages and the SubscribeURL policy, rule by rule; the token
// check in both of its forms.
#include "sources/sns_http.h"

#include <gtest/gtest.h>

#include "sources/token_auth.h"

namespace eb {
namespace {

SnsControlMessage Confirm(const std::string& url,
                          const std::string& topic = "arn:aws:sns:us-east-1:1:t") {
  return {"SubscriptionConfirmation", "m", topic, url};
}

SnsConfirmPolicy Policy(std::vector<std::string> hosts) {
  SnsConfirmPolicy p;
  p.enabled = true;
  p.allowed_hosts = std::move(hosts);
  return p;
}

TEST(SnsControlTest, ParsesConfirmationsAndLeavesEverythingElse) {
  auto c = ParseSnsControlMessage(
      R"({"Type":"SubscriptionConfirmation","MessageId":"id","TopicArn":"arn:t","SubscribeURL":"https://h/?Action=ConfirmSubscription"})");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->topic_arn, "arn:t");
  EXPECT_EQ((*c)->message_id, "id");
  for (const char* other : {R"({"Type":"Notification","Message":"{}"})", R"({"Records":[]})",
                            "not json", "[1]", R"({"Type":7})"}) {
    auto r = ParseSnsControlMessage(other);
    ASSERT_TRUE(r.ok()) << other;
    EXPECT_FALSE(r->has_value()) << other;
  }
  auto bad = ParseSnsControlMessage(
      R"({"Type":"SubscriptionConfirmation","TopicArn":1,"SubscribeURL":"x"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "TopicArn: expected a string");
}

TEST(SnsControlTest, SubscribeUrlRules) {
  const std::string ok = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t";
  EXPECT_FALSE(CheckSubscribeUrl(Confirm(ok), SnsConfirmPolicy{}).ok()) << "off by default";
  EXPECT_TRUE(CheckSubscribeUrl(Confirm(ok), Policy({"sns.us-east-1.amazonaws.com"})).ok());
  EXPECT_TRUE(CheckSubscribeUrl(Confirm(ok), Policy({"SNS.US-EAST-1.amazonaws.com"})).ok())
      << "names ignore case";
  EXPECT_TRUE(CheckSubscribeUrl(Confirm(ok), Policy({"*.amazonaws.com"})).ok());
  EXPECT_TRUE(CheckSubscribeUrl(Confirm(ok), Policy({"sns.us-east-1.amazonaws.com:443"})).ok());
  EXPECT_FALSE(CheckSubscribeUrl(Confirm(ok), Policy({"*.us-west-2.amazonaws.com"})).ok());
  EXPECT_FALSE(CheckSubscribeUrl(Confirm("https://amazonaws.com/?Action=ConfirmSubscription"),
                                 Policy({"*.amazonaws.com"}))
                   .ok())
      << "*.domain needs a label in front";
  EXPECT_FALSE(CheckSubscribeUrl(Confirm("https://[::1]/?Action=ConfirmSubscription"),
                                 Policy({"*.amazonaws.com"}))
                   .ok());

  auto local = Policy({"127.0.0.1:4566"});
  const std::string emulator = "http://127.0.0.1:4566/?Action=ConfirmSubscription&Token=t";
  Status refused = CheckSubscribeUrl(Confirm(emulator), local);
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_NE(refused.message().find("--sns-confirm-allow-http"), std::string::npos)
      << refused.message();
  local.allow_http = true;
  EXPECT_TRUE(CheckSubscribeUrl(Confirm(emulator), local).ok());
  EXPECT_FALSE(
      CheckSubscribeUrl(Confirm("http://127.0.0.1:4567/?Action=ConfirmSubscription"), local).ok());
  EXPECT_FALSE(
      CheckSubscribeUrl(Confirm("http://127.0.0.1/?Action=ConfirmSubscription"), local).ok());

  auto topics = Policy({"sns.us-east-1.amazonaws.com"});
  topics.allowed_topics = {"arn:aws:sns:us-east-1:1:mine"};
  EXPECT_FALSE(CheckSubscribeUrl(Confirm(ok), topics).ok());
  EXPECT_TRUE(CheckSubscribeUrl(Confirm(ok, "arn:aws:sns:us-east-1:1:mine"), topics).ok());

  for (const std::string bad :
       {"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscriptionX",
        "https://sns.us-east-1.amazonaws.com/ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com/#?Action=ConfirmSubscription",
        "https://u:p@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com /?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com:99999/?Action=ConfirmSubscription",
        "gopher://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", ""}) {
    EXPECT_FALSE(CheckSubscribeUrl(Confirm(bad), Policy({"sns.us-east-1.amazonaws.com"})).ok())
        << bad;
  }
}

TEST(TokenAuthTest, BearerAndBasicForms) {
  TokenAuth auth("0123456789abcdef");
  EXPECT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Check(std::string("Bearer 0123456789abcdef")));
  EXPECT_TRUE(auth.Check(std::string("BEARER   0123456789abcdef  ")));
  EXPECT_TRUE(
      auth.Check(std::string("Basic dXNlcjowMTIzNDU2Nzg5YWJjZGVm")));  // user:0123456789abcdef
  EXPECT_FALSE(auth.Check(std::nullopt));
  EXPECT_FALSE(auth.Check(std::string("Bearer 0123456789abcdeF")));
  EXPECT_FALSE(auth.Check(std::string("Bearer0123456789abcdef")));
  EXPECT_FALSE(auth.Check(std::string("Token 0123456789abcdef")));
  EXPECT_FALSE(auth.Check(std::string("Basic MDEyMzQ1Njc4OWFiY2RlZg==")));  // no "user:"
  EXPECT_TRUE(TokenAuth("").Check(std::nullopt)) << "no token configured: open";
  EXPECT_FALSE(TokenAuth("").enabled());
}

TEST(TokenAuthTest, Base64) {
  EXPECT_EQ(Base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(Base64Decode("YQ=="), "a");
  EXPECT_EQ(Base64Decode("YQ"), "a");
  EXPECT_EQ(Base64Decode("YWI="), "ab");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_EQ(Base64Decode("Y"), std::nullopt);
  EXPECT_EQ(Base64Decode("YQ==="), std::nullopt);
  EXPECT_EQ(Base64Decode("Y!=="), std::nullopt);
}

}  // namespace
}  // namespace eb
