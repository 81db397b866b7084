#!/usr/bin/env bash
# make bench: every benchmark, each printing its baseline from the same run.
#   engine_bench  requests per arrival (warm/cold, 3..1,000 members, 1,000-trip history)
#                 vs the naive HEAD-every-member design; arrivals/s on memory and folder stores
#   events_bench  records decoded per second
#   history_bench arrivals/s over generations 1-1,000 vs 99,000-100,000 of a cyclic barrier
#                 (clock +1 min a generation), state bytes after; vs the raw store's rate
#   concurrency_bench requests per arrival at 1/4/16/64 workers through a store with a fixed
#                 latency per call (losers apart), vs the naive design; dollars per million arrivals
#   sweep_bench   a sweep over 10,000 open instances (1 ms a store call): requests, wall time,
#                 sweeps until every instance was visited when each is cut at a deadline; vs the
#                 old sweeper (every instance evaluated in full, in order, restarting at the first key)
#   s3-bench.sh   against a real Ceph RGW: arrivals/s and requests per arrival vs the naive design
#                 (1, 4, 16 workers, p50/p99 trip latency); the completing arrival at 3..10,000
#                 members; arrivals/s vs Ceph's own PUT-if-absent rate (s3_scale_bench)
# BENCH_QUICK=1 (make bench BENCH_QUICK=1): small runs of the issue-13 benches (minutes, not tens).
# `make bench` then runs `make bench-lambda`: cold start and RSS of the packaged Lambda
# bootstrap vs a hello-world runtime packaged the same way.
# Results and the machine they were measured on: docs/PERFORMANCE.md.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
echo "== engine (in-memory store with a counting wrapper; folder store)"
"$BUILD/bench/engine_bench" --benchmark_min_time=0.3
quick=${BENCH_QUICK:-0}
echo "== history: arrivals/s early vs late, state bytes (in memory)"
if [ "$quick" = 1 ]; then
  "$BUILD/bench/history_bench" --generations=5000 --window=500
else
  # Today's engine slows with history: cut the untimed middle after 30 minutes (the table says so).
  "$BUILD/bench/history_bench" --generations=100000 --max_seconds="${HISTORY_MAX_SECONDS:-1800}"
fi
echo "== requests per arrival at 1..64 workers through a store with 2 ms per call; cost per million"
"$BUILD/bench/concurrency_bench" $([ "$quick" = 1 ] && echo --quick)
echo "== a month in minutes: 1,000 barriers, 100,000 arrivals a day, 30 simulated days (in memory)"
"$BUILD/bench/month_bench" $([ "$quick" = 1 ] && echo --days=3 --per_day=20000)
echo "== the sweeper: 10,000 open instances through a store with 1 ms per call, vs the old sweeper"
"$BUILD/bench/sweep_bench" $([ "$quick" = 1 ] && echo --instances=2000)
echo "== event decoding"
"$BUILD/bench/events_bench" --benchmark_min_time=0.3
echo "== against Ceph RGW (real S3 server on loopback)"
bash "$ROOT/bench/s3-bench.sh" "$BUILD" $([ "$quick" = 1 ] && echo --quick)
