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

Result<std::string> Twice(Result<std::string> in, int* reached) {
  EB_ASSIGN_OR_RETURN(std::string value, std::move(in));
  ++*reached;
  EB_ASSIGN_OR_RETURN(value, Result<std::string>(value + value));  // an lvalue, same scope
  return value;
}

TEST(StatusTest, AssignOrReturn) {
  int reached = 0;
  auto good = Twice(std::string("ab"), &reached);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, "abab");
  EXPECT_EQ(reached, 1);
  auto bad = Twice(Status::NotFound("no such key"), &reached);
  EXPECT_EQ(bad.status().code(), Code::kNotFound);
  EXPECT_EQ(bad.status().message(), "no such key");
  EXPECT_EQ(reached, 1);  // returned before the second statement
}

}  // namespace
}  // namespace eb
