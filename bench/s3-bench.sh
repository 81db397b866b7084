#!/usr/bin/env bash
# Runs the benches against a real S3 server - bench/s3_bench (arrivals/s, requests per
# arrival, 1/4/16 workers vs the naive design) and bench/s3_scale_bench (the completing
# arrival at 3..10,000 members, arrivals/s vs Ceph's raw PUT-if-absent rate) - against a
# throw-away Ceph RGW (scripts/ceph-s3.sh), stopped afterwards whatever happens.
# Not part of `make test`; ~2-3 minutes for s3_bench, several more for s3_scale_bench.
#   bench/s3-bench.sh [BUILD_DIR] [--quick]
#   BENCHES=s3_scale_bench bench/s3-bench.sh build --quick     one of them only
#   OBJECTSTORE=bluestore bench/s3-bench.sh build             the OSD on bluestore (a sparse file)
#                                   instead of memstore: writes cost what they do on a real OSD
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}; shift || true
# One cluster per run ($$): several checkouts may bench at once on one machine.
export S3_DIR=${S3_DIR:-/tmp/eb-s3-bench-$(id -u)-$$} S3_BUCKET=eb-bench
trap 'bash "$root/scripts/ceph-s3.sh" stop' EXIT
bash "$root/scripts/ceph-s3.sh" start
# shellcheck disable=SC1091
. "$S3_DIR/env"
for bench in ${BENCHES:-s3_bench s3_scale_bench}; do
  echo "== $bench"
  "$build/bench/$bench" "$@"
done
