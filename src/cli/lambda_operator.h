// The Lambda function's operator payload (docs/OPERATORS.md): what an
// operator sends with `aws lambda invoke` instead of a shell on a server.
//
//   {"eventbarrier": {"op": "status"   [, "all": true]}}
//   {"eventbarrier": {"op": "history",  "barrier": B [, "instance": I] [, "last": N]}}
//   {"eventbarrier": {"op": "trip",     "barrier": B [, "instance": I], "reason": TEXT
//                                       [, "by": WHO] [, "dry_run": true]}}
//   {"eventbarrier": {"op": "rerun",    "barrier": B, "instance": I, "generation": G
//                                       [, "action": N] [, "by": WHO] [, "reason": TEXT]}}
//
// Refused (error type EventBarrier.OperatorRefused) unless the function's
// configuration sets EVENTBARRIER_OPERATOR_PAYLOADS=true; a malformed one is
// EventBarrier.InvalidOperatorPayload naming the field; a refused operation
// (nothing to force, an unfinished generation, ...) EventBarrier.OperatorFailed.
// The answer is {"ok": true, "op": ..., "result": {...}}: the CLI's --json document.
#pragma once

#include <optional>
#include <string>

#include "aws/lambda_runtime.h"
#include "cli/operator_ops.h"

namespace eb::cli {

// nullopt when `payload` is not an operator payload (no top-level "eventbarrier" object).
std::optional<aws::LambdaOutcome> HandleOperatorPayload(const std::string& payload, bool enabled,
                                                        OperatorContext& ctx);

// The operator's name when the payload gives none.
inline constexpr const char* kPayloadOperator = "lambda-operator-payload";

}  // namespace eb::cli
