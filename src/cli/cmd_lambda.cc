// `eventbarrier lambda`: the AWS Lambda custom runtime (cli/lambda_function.h),
// and `lambda --check CONFIG`, which packaging runs on the configuration it bundles.
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/lambda_function.h"

namespace eb::cli {

Runner SetupLambda(CLI::App& sub) {
  struct Opts {
    std::string check;
    std::string argv0 = "eventbarrier";
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--check", o->check,
                 "Check CONFIG as the function would load it (parse + Lambda rules), then exit");
  sub.footer(
      "Runs the Lambda Runtime API loop (AWS_LAMBDA_RUNTIME_API must be set). The same happens\n"
      "when the binary is started as 'bootstrap' (the zip of 'make package'), or without any\n"
      "arguments while AWS_LAMBDA_RUNTIME_API is set.\n"
      "Environment: EVENTBARRIER_CONFIG (default $LAMBDA_TASK_ROOT/eventbarrier.json),\n"
      "EVENTBARRIER_STATE (default: the configuration's state.url),\n"
      "EVENTBARRIER_SAFETY_MARGIN_MS (default 1000). See docs/LAMBDA.md.");
  return [o] {
    if (o->check.empty()) return RunLambda(o->argv0.c_str());
    auto parsed = LoadConfig(o->check);
    if (!parsed) return static_cast<int>(kExitFailure);
    auto errors = CheckLambdaConfig(parsed->config);
    for (const auto& e : errors) std::cerr << o->check << ": " << e.ToString() << "\n";
    if (!errors.empty()) return static_cast<int>(kExitFailure);
    std::cout << o->check << ": ok for the Lambda function, " << parsed->config.barriers.size()
              << " barrier(s)\n";
    return static_cast<int>(kExitOk);
  };
}

}  // namespace eb::cli
