#!/usr/bin/env bash
# Runs bench/s3_bench against a throw-away Ceph RGW (scripts/ceph-s3.sh) and
# stops it afterwards, whatever happens. Not part of `make test`; ~2-3 minutes
# (sequential table, then 1, 4 and 16 concurrent workers).
#   bench/s3-bench.sh [BUILD_DIR] [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}; shift || true
export S3_DIR=${S3_DIR:-/tmp/eb-s3-bench-$(id -u)} S3_BUCKET=eb-bench
trap 'bash "$root/scripts/ceph-s3.sh" stop' EXIT
bash "$root/scripts/ceph-s3.sh" start
# shellcheck disable=SC1091
. "$S3_DIR/env"
"$build/bench/s3_bench" "$@"
