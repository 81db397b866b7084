// Every AWS API call eventbarrier makes when it runs on AWS, with the IAM
// action that allows it. This is the one list the deployment's role is
// checked against: tests/deploy/check_template.py parses this table and fails
// if deploy/template.yaml allows an action that is not here or lacks one that
// is. Keep one entry per line, in exactly this form.
#pragma once

namespace eb {

struct AwsApiCall {
  const char* iam_action;  // what the function's role must allow
  const char* api;         // the API operation(s) behind it
  const char* caller;      // "state store", "<type> action", or "lambda service"
};

// clang-format off
inline constexpr AwsApiCall kAwsApiCalls[] = {
    {"s3:GetObject", "GetObject", "state store"},
    {"s3:PutObject", "PutObject", "state store"},
    {"s3:DeleteObject", "DeleteObject, DeleteObjects", "state store"},
    {"s3:ListBucket", "ListObjectsV2", "state store"},
    {"s3:PutObject", "PutObject", "manifest action"},
    {"events:PutEvents", "PutEvents", "eventbridge action"},
    {"sns:Publish", "Publish", "sns action"},
    {"sqs:SendMessage", "SendMessage", "sqs action"},
    {"lambda:InvokeFunction", "Invoke", "lambda action"},
    {"states:StartExecution", "StartExecution", "stepfunctions action"},
    // Made by the Lambda service with the function's role, not by our code:
    // its log stream, and the on-failure destination of asynchronous invocations.
    {"logs:CreateLogStream", "CreateLogStream", "lambda service"},
    {"logs:PutLogEvents", "PutLogEvents", "lambda service"},
    {"sqs:SendMessage", "SendMessage", "lambda service"},
};
// clang-format on

// The IAM action for `api` called by `caller`, or "" if the table has none.
constexpr const char* IamActionFor(const char* caller, const char* api) {
  auto eq = [](const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
  };
  for (const auto& call : kAwsApiCalls) {
    if (eq(call.caller, caller) && eq(call.api, api)) return call.iam_action;
  }
  return "";
}

}  // namespace eb
