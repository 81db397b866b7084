#include "base/status.h"

#include <gtest/gtest.h>

namespace eb {
namespace {

TEST(StatusTest, OkAndCodes) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().ToString(), "ok");
  Status s = Status::Conflict("409 on t/1");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsRetryable());
  EXPECT_EQ(s.ToString(), "conflict: 409 on t/1");
  EXPECT_TRUE(Status::Unavailable("503").IsRetryable());
  EXPECT_FALSE(Status::AlreadyExists("412").IsRetryable());
  EXPECT_FALSE(Status::PermissionDenied("403").IsRetryable());
  EXPECT_EQ(Status::NotFound("k").WithContext("reading").message(), "reading: k");
}

TEST(ResultTest, ValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 7);
  Result<int> bad = Status::NotFound("nope");
  EXPECT_FALSE(bad);
  EXPECT_TRUE(bad.status().IsNotFound());
  Result<int> misuse = Status::Ok();  // an ok Status is not a value
  EXPECT_FALSE(misuse);
  EXPECT_EQ(misuse.status().code(), Code::kInternal);
}

Status FailsThenReturns() {
  EB_RETURN_IF_ERROR(Status::Unavailable("first"));
  return Status::Ok();
}

TEST(StatusTest, ReturnIfError) { EXPECT_EQ(FailsThenReturns().message(), "first"); }

}  // namespace
}  // namespace eb
