// The cold-start benchmark's baseline: a minimal hello-world custom runtime in
// C++, built with the same flags, over the same Runtime API client and HTTP client,
// and packaged by the same script (scripts/package-lambda.sh --no-config) as
// eventbarrier's bootstrap. It answers every event with a constant.
#include <cstdlib>

#include "aws/lambda_runtime.h"
#include "http/http_client.h"

int main() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 1;
  auto http = eb::http::NewClient();
  eb::aws::LambdaRuntimeClient client(*http, api);
  auto hello = [](const eb::aws::LambdaInvocation&) {
    return eb::aws::LambdaOutcome::Success(R"({"hello":"world"})");
  };
  eb::Status ended = eb::aws::RunLambdaLoop(client, hello, {}, eb::Logger::Null());
  return ended.ok() ? 0 : 1;
}
