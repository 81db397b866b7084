#!/usr/bin/env bash
# make bench: every benchmark, each printing its baseline from the same run.
#   engine_bench  requests per arrival (warm/cold, 3..1,000 members, 1,000-trip history)
#                 vs the naive HEAD-every-member design; arrivals/s on memory and folder stores
#   events_bench  records decoded per second
#   s3-bench.sh   arrivals/s and requests per arrival against a real Ceph RGW vs the naive design;
#                 with 1, 4 and 16 concurrent workers also p50/p99 trip latency
# `make bench` then runs `make bench-lambda`: cold start and RSS of the packaged Lambda
# bootstrap vs a hello-world runtime packaged the same way.
# Results and the machine they were measured on: docs/PERFORMANCE.md.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
echo "== engine (in-memory store with a counting wrapper; folder store)"
"$BUILD/bench/engine_bench" --benchmark_min_time=0.3
echo "== event decoding"
"$BUILD/bench/events_bench" --benchmark_min_time=0.3
echo "== against Ceph RGW (real S3 server on loopback)"
bash "$ROOT/bench/s3-bench.sh" "$BUILD"
