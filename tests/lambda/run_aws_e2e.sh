#!/usr/bin/env bash
# CTest entry for aws_e2e_test.py: run_aws_e2e.sh SOURCE_DIR STAGE WORK_DIR [--ceph ENV_FILE --workers N]
# Needs a python3 with moto's server and boto3 (scripts/aws-python.sh; scripts/install-deps.sh
# provides one): without it the test skips (77) saying so, and fails with CI=true.
set -uo pipefail
SRC="$1" STAGE="$2" WORK="$3"
if ! PY=$(bash "$SRC/scripts/aws-python.sh" moto.server boto3); then
  [ "${CI:-}" = true ] && { echo "CI=true but no python3 with moto and boto3 (scripts/install-deps.sh)"; exit 1; }
  echo "SKIP: no python3 with moto and boto3 (scripts/install-deps.sh installs them)"
  exit 77
fi
if [ "${4:-}" = --ceph ] && [ ! -f "${5:-}" ]; then
  # The ceph_rgw fixture (scripts/ceph-s3.sh start) skipped or failed.
  [ "${CI:-}" = true ] && { echo "CI=true but no Ceph RGW: ${5:-} is missing (scripts/ceph-s3.sh start)"; exit 1; }
  echo "SKIP: no Ceph RGW (${5:-} is missing; scripts/install-deps.sh installs Ceph)"
  exit 77
fi
exec "$PY" "$SRC/tests/lambda/aws_e2e_test.py" "$STAGE" "$WORK" "${@:4}"
