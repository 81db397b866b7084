#!/usr/bin/env bash
# CTest entry for aws_e2e_test.py: run_aws_e2e.sh SOURCE_DIR STAGE WORK_DIR
# Needs a python3 with moto's server and boto3 (scripts/aws-python.sh; scripts/install-deps.sh
# provides one): without it the test skips (77) saying so, and fails with CI=true.
set -uo pipefail
SRC="$1" STAGE="$2" WORK="$3"
if ! PY=$(bash "$SRC/scripts/aws-python.sh" moto.server boto3); then
  [ "${CI:-}" = true ] && { echo "CI=true but no python3 with moto and boto3 (scripts/install-deps.sh)"; exit 1; }
  echo "SKIP: no python3 with moto and boto3 (scripts/install-deps.sh installs them)"
  exit 77
fi
exec "$PY" "$SRC/tests/lambda/aws_e2e_test.py" "$STAGE" "$WORK"
