#!/usr/bin/env bash
# CTest entry for doctor_moto_test.py: run_doctor_moto.sh SOURCE_DIR EVENTBARRIER
# Needs a python3 with moto's server and boto3 (scripts/aws-python.sh; scripts/install-deps.sh
# provides one): without it the test skips (77) saying so, and fails with CI=true.
set -uo pipefail
SRC="$1" EVENTBARRIER="$2"
if ! PY=$(bash "$SRC/scripts/aws-python.sh" moto.server boto3); then
  [ "${CI:-}" = true ] && { echo "CI=true but no python3 with moto and boto3 (scripts/install-deps.sh)"; exit 1; }
  echo "SKIP: no python3 with moto and boto3 (scripts/install-deps.sh installs them)"
  exit 77
fi
exec "$PY" "$SRC/tests/integration/doctor_moto_test.py" "$EVENTBARRIER" "$SRC"
