#!/usr/bin/env bash
# CTest entry for the template checks: run_check.sh CHECK SOURCE_DIR BUILD_DIR
#   CHECK: spec | iam | s3 | notification | selftest | notification-merge | script
# Needs Debian's python3 with python3-yaml; spec (and selftest's spec part)
# also needs the npm package (fetch_spec.sh). A missing tool skips (77)
# outside CI and fails with CI=true.
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
  selftest)
    DB=$(spec_db) || exit $?
    cd "$HERE" && exec "$PY" check_template_selftest.py "$TEMPLATE" "$CALLS" "$DB" ;;
  notification-merge) exec "$PY" "$HERE/notification_merge_test.py" "$SRC/deploy/notification.py" ;;
  script) exec bash "$HERE/deploy_sh_test.sh" "$SRC" ;;
  *) echo "unknown check $CHECK"; exit 2 ;;
esac
