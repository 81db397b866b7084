#!/usr/bin/env bash
# Installs the CloudFormation resource specification the template is checked
# against: the npm package @aws-cdk/aws-service-spec (maintained by the AWS
# CDK team, regenerated from CloudFormation's registry schemas), into a
# project-local folder. Prints the path of its db.json.gz.
#
#   fetch_spec.sh DIR      (DIR: e.g. build/deploy-spec; reused when present)
#
# The version is pinned so a test run is reproducible; bump it with
# EB_SERVICE_SPEC_VERSION=x.y.z (or "latest") and update the default below.
# Without npm or the registry: exit 77 (skipped) outside CI, 1 with CI=true.
set -euo pipefail
VERSION="${EB_SERVICE_SPEC_VERSION:-0.1.216}"
DIR="${1:?usage: fetch_spec.sh DIR}"
DB="$DIR/node_modules/@aws-cdk/aws-service-spec/db.json.gz"
STAMP="$DIR/version"

give_up() {
  if [ "${CI:-}" = true ]; then
    echo "fetch_spec: CI=true but $1" >&2
    exit 1
  fi
  echo "fetch_spec: SKIP: $1" >&2
  exit 77
}

if [ -f "$DB" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ] && [ "$VERSION" != latest ]; then
  echo "$DB"
  exit 0
fi
command -v npm >/dev/null || give_up "npm is not installed (scripts/install-deps.sh installs it)"
mkdir -p "$DIR"
# A private cache and no audit/funding calls: only the registry is contacted.
if ! npm view "@aws-cdk/aws-service-spec@$VERSION" version --cache "$DIR/.npm-cache" \
    >"$DIR/view.log" 2>&1; then
  give_up "the npm registry did not answer for @aws-cdk/aws-service-spec@$VERSION ($(tail -1 "$DIR/view.log"))"
fi
echo '{"private": true}' >"$DIR/package.json"
if ! npm install --prefix "$DIR" --cache "$DIR/.npm-cache" --no-audit --no-fund --no-save \
    --ignore-scripts "@aws-cdk/aws-service-spec@$VERSION" >"$DIR/install.log" 2>&1; then
  give_up "npm install @aws-cdk/aws-service-spec@$VERSION failed (see $DIR/install.log)"
fi
[ -f "$DB" ] || give_up "the package has no db.json.gz (layout changed?)"
echo "$VERSION" >"$STAMP"
echo "$DB"
