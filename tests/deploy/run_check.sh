#!/usr/bin/env bash
# CTest entry for the template checks: run_check.sh CHECK SOURCE_DIR BUILD_DIR
#   CHECK: spec | iam | s3 | notification | dashboard | selftest | notification-merge | lifecycle-merge | retention |
#          script |
#          cfn-lint |
#          moto-stack
# Needs Debian's python3 with python3-yaml; spec (and selftest's spec part)
# also needs the npm package (fetch_spec.sh); cfn-lint a python3 with cfn-lint
# (scripts/aws-python.sh), moto-stack one with moto, boto3 and the AWS CLI v1
# (the template in moto's CloudFormation, deploy.sh against moto). A missing tool
# skips (77) outside CI and fails with CI=true.
set -uo pipefail
CHECK="$1" SRC="$2" BUILD="$3"
HERE="$SRC/tests/deploy"
TEMPLATE="$SRC/deploy/template.yaml"
CALLS="$SRC/src/actions/aws_api_calls.h"

PY=
for p in "${EB_PYTHON:-}" /usr/bin/python3 python3; do
  [ -n "$p" ] && "$p" -c 'import yaml' 2>/dev/null && { PY="$p"; break; }
done
if [ -z "$PY" ]; then
  [ "${CI:-}" = true ] && { echo "CI=true but no python3 with yaml (apt-get install python3-yaml)"; exit 1; }
  echo "SKIP: python3-yaml not installed (apt-get install python3-yaml)"
  exit 77
fi

# The AWS test tools' interpreter (scripts/install-deps.sh provides one), or skip/fail.
aws_python() {
  bash "$SRC/scripts/aws-python.sh" "$@" && return 0
  [ "${CI:-}" = true ] && { echo "CI=true but no python3 with $* (scripts/install-deps.sh)" >&2; exit 1; }
  echo "SKIP: no python3 with $* (scripts/install-deps.sh installs them)" >&2
  exit 77
}

# cfn-lint, the linter AWS users run, on every CloudFormation template in the
# tree; first on a template with a known error, so a linter that passes
# everything cannot pass this check.
cfn_lint() {
  local py lint bad t n=0
  py=$(aws_python cfnlint) || exit $?
  lint="$(dirname "$py")/cfn-lint"
  bad="$BUILD/deploy-cfn-lint/broken.yaml"
  mkdir -p "$(dirname "$bad")"
  printf '%s\n' 'AWSTemplateFormatVersion: "2010-09-09"' 'Metadata:' \
    '  AWS::CloudFormation::Interface:' '    ParameterGroups:' \
    '      - Label: {default: a, b}' '        Parameters: []' 'Resources:' \
    '  Queue: {Type: "AWS::SQS::Queue"}' >"$bad"
  if "$lint" "$bad" >/dev/null 2>&1; then
    echo "FAIL: cfn-lint passed a template with an error ($bad)"; exit 1
  fi
  while IFS= read -r t; do
    n=$((n + 1))
    echo "cfn-lint $t"
    "$lint" "$SRC/$t" || { echo "FAIL: cfn-lint reports the above in $t"; exit 1; }
  done < <(cd "$SRC" && grep -rlI --include='*.yaml' --include='*.yml' --include='*.json' \
             --exclude-dir=tests --exclude-dir='build*' --exclude-dir=dist \
             -e '^AWSTemplateFormatVersion' -e '"AWSTemplateFormatVersion"' . | sed 's|^\./||' | sort)
  [ $n -gt 0 ] || { echo "FAIL: no CloudFormation template found under $SRC"; exit 1; }
  echo "cfn-lint $("$lint" --version | cut -d' ' -f2): $n template(s) clean"
}

spec_db() {
  local out rc
  out=$(bash "$HERE/fetch_spec.sh" "$BUILD/deploy-spec")
  rc=$?
  [ $rc -eq 0 ] || exit $rc
  echo "$out"
}

case "$CHECK" in
  spec) DB=$(spec_db) || exit $?; exec "$PY" "$HERE/check_template.py" spec "$TEMPLATE" "$DB" ;;
  iam) exec "$PY" "$HERE/check_template.py" iam "$TEMPLATE" "$CALLS" ;;
  s3) exec "$PY" "$HERE/check_template.py" s3 "$TEMPLATE" ;;
  notification) exec "$PY" "$HERE/check_template.py" notification "$TEMPLATE" ;;
  dashboard) exec "$PY" "$HERE/check_template.py" dashboard "$TEMPLATE" "$SRC" ;;
  selftest)
    DB=$(spec_db) || exit $?
    cd "$HERE" && exec "$PY" check_template_selftest.py "$TEMPLATE" "$CALLS" "$DB" ;;
  notification-merge) exec "$PY" "$HERE/notification_merge_test.py" "$SRC/deploy/notification.py" ;;
  lifecycle-merge) exec "$PY" "$HERE/lifecycle_merge_test.py" "$SRC/deploy/lifecycle.py" ;;
  retention) exec "$PY" "$HERE/retention_test.py" "$TEMPLATE" "$SRC/deploy/deploy.sh" "$BUILD/eventbarrier" ;;
  script) exec bash "$HERE/deploy_sh_test.sh" "$SRC" ;;
  cfn-lint) cfn_lint ;;
  moto-stack)
    PY=$(aws_python moto.server boto3 awscli) || exit $?
    exec "$PY" "$HERE/moto_stack_test.py" "$SRC" "$BUILD/deploy-moto-stack" ;;
  *) echo "unknown check $CHECK"; exit 2 ;;
esac
