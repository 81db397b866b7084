#!/usr/bin/env bash
# End-to-end test of `eventbarrier watch` with real files in a temporary folder (CTest label e2e):
#   A. a file that arrives while the watcher is stopped counts after a restart;
#   B. a file is never counted half-written: not from an event, not from the scan at start;
#   C. 1,000 files for 100 barriers, written in random order while the watcher is killed with
#      kill -9 and restarted: every barrier trips exactly once (one trip record, one manifest with
#      its 10 objects), every exec action ran (at least once; at most one extra run per trip the
#      kill interrupted), nothing is left pending, and a further restart submits nothing again;
#   D. SIGTERM stops it with exit 0; a second watch on the same state is refused.
# Usage: watch_e2e.sh PATH/TO/eventbarrier
set -euo pipefail

EB="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/eb-watch-e2e.XXXXXX")"
DIR="$WORK/inbox"
STATE="$DIR/.eventbarrier"
CONFIG="$WORK/config.json"
PID=""
RUN=0
T0=$(date +%s%N)

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -9 "$PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ms() { echo $(( ($(date +%s%N) - T0) / 1000000 )); }
note() { printf '[%6d ms] %s\n' "$(ms)" "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  for f in "$WORK"/watch-*.log; do [ -f "$f" ] && { echo "--- $f (tail)" >&2; tail -n 15 "$f" >&2; }; done
  exit 1
}
wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || fail "waited ${limit}s for: $what"
    sleep 0.05
  done
}
log() { echo "$WORK/watch-$RUN.log"; }
logged() { grep -q -- "$1" "$(log)"; }
start() {
  RUN=$((RUN + 1))
  # 3>&-: the watcher must not inherit the test's own half-written file (fd 3, part B).
  "$EB" watch --config "$CONFIG" --dir "$DIR" --sweep-every 1s 2>"$(log)" 3>&- &
  PID=$!
  wait_for 20 "watch run $RUN to finish its initial scan" logged '"message":"initial scan"'
}
stop() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=""
  [ "$rc" = 0 ] || fail "watch run $RUN exited with $rc after SIGTERM"
  grep -q '"message":"stopped"' "$(log)" || fail "no 'stopped' line in run $RUN"
}
# Files are processed one at a time, in key order within a batch: once a later file is logged
# as arrived, every earlier one has been fully processed.
sync_point() {
  mkdir -p "$DIR/daily/sync$1"
  echo x > "$DIR/daily/sync$1/a.csv"
  wait_for 10 "sync point $1" logged "\"key\":\"daily/sync$1/a.csv\""
}
trips() { ls "$STATE/$1/$2/t/" 2>/dev/null | grep -cE '^[0-9]{10}$' || true; }
json_field() { grep -o "\"$2\": *[^,}]*" "$1" | head -n 1 | sed 's/.*: *//; s/"//g'; }

mkdir -p "$DIR"
cat > "$WORK/job.sh" <<EOF
#!/bin/sh
# An exec action: reads the manifest on stdin, appends the idempotency key to a log.
bytes=\$(wc -c)
echo "\$1 \$bytes" >> "$WORK/jobs.log"
EOF
chmod +x "$WORK/job.sh"
{
  echo '{"barriers": {'
  echo '  "daily": {"members": ["daily/{date}/a.csv", "daily/{date}/b.csv"],'
  echo '            "on_complete": [{"type": "manifest", "key": "ready/daily/{date}.json"}]},'
  for b in $(seq -w 0 99); do
    printf '  "b%s": {"members": [' "$b"
    for m in $(seq 0 9); do printf '"b%s/m%s"%s' "$b" "$m" "$([ "$m" = 9 ] || echo ,)"; done
    printf '], "on_complete": [{"type": "manifest", "key": "ready/{barrier}/{generation}.json"},'
    printf ' {"type": "exec", "command": ["%s", "{idempotency_key}"]}]}%s\n' "$WORK/job.sh" "$([ "$b" = 99 ] || echo ,)"
  done
  echo '}}'
} > "$CONFIG"
"$EB" validate "$CONFIG" >/dev/null || fail "the generated configuration is invalid"

# --- A. A file that arrives while the watcher is stopped ---------------------------------------
start
mkdir -p "$DIR/daily/d1"
echo a > "$DIR/daily/d1/a.csv"
wait_for 10 "daily/d1/a.csv recorded" logged '"key":"daily/d1/a.csv"'
stop
echo b > "$DIR/daily/d1/b.csv"   # while stopped
start
wait_for 10 "daily/d1 to trip after the restart" test -f "$DIR/ready/daily/d1.json"
[ "$(trips daily d1)" = 1 ] || fail "daily/d1: $(trips daily d1) trip records"
note "A: a file written while stopped counted at the restart"

# --- B. Never half-written ----------------------------------------------------------------------
mkdir -p "$DIR/daily/d2"
exec 3>"$DIR/daily/d2/a.csv"      # a slow producer: open, write a part, keep it open
printf 'part-1,' >&3
echo b > "$DIR/daily/d2/b.csv"
sync_point 1   # b.csv is fully processed (and a.csv would have tripped d2 by now if it counted)
[ ! -f "$DIR/ready/daily/d2.json" ] || fail "daily/d2 tripped while a.csv was still being written"
printf 'part-2\n' >&3
exec 3>&-                          # closed: now it is complete
wait_for 10 "daily/d2 to trip" test -f "$DIR/ready/daily/d2.json"
grep -q '"size": 14' "$DIR/ready/daily/d2.json" || fail "daily/d2 manifest does not have a.csv whole (14 bytes)"
stop
mkdir -p "$DIR/daily/d3"          # the same, across a start: the scan must skip an open file
exec 3>"$DIR/daily/d3/a.csv"
printf 'part-1,' >&3
echo b > "$DIR/daily/d3/b.csv"
start
sync_point 2   # the scan at start is fully processed
[ ! -f "$DIR/ready/daily/d3.json" ] || fail "daily/d3 tripped from the scan while a.csv was open for writing"
printf 'part-2\n' >&3
exec 3>&-
wait_for 10 "daily/d3 to trip" test -f "$DIR/ready/daily/d3.json"
grep -q '"size": 14' "$DIR/ready/daily/d3.json" || fail "daily/d3 manifest does not have a.csv whole (14 bytes)"
note "B: files still open for writing were not counted, by events or by the scan at start"

# --- C. 1,000 files, 100 barriers, kill -9 in the middle, restart -------------------------------
for b in $(seq -w 0 99); do for m in $(seq 0 9); do echo "b$b/m$m"; done; done | shuf > "$WORK/files"
C0=$(ms)
(
  # Folders are made 50 at a time just before their files (one process each batch); files are
  # written with the shell's own redirection (no process per file), so the watcher is the bottleneck.
  mapfile -t keys < "$WORK/files"
  for ((i = 0; i < ${#keys[@]}; i += 50)); do
    batch=("${keys[@]:i:50}")
    (cd "$DIR" && mkdir -p "${batch[@]}")
    for key in "${batch[@]}"; do printf 'payload of %s\n' "$key" > "$DIR/$key/data.csv"; done
  done
) &
WRITER=$!
arrived() { [ "$(grep -c '"message":"file arrived","barrier":"b' "$(log)")" -ge "$1" ]; }
wait_for 60 "300 of the 1,000 files recorded" arrived 300
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=""
KILLED_AT=$(grep -c '"message":"file arrived","barrier":"b' "$(log)")
note "C: killed with -9 after $KILLED_AT files (the writer goes on)"
start
wait "$WRITER" || fail "the writer failed"
note "C: all 1,000 files written ($(( $(ms) - C0 )) ms after the first)"
all_ready() { [ "$(ls "$DIR/ready" | grep -c '^b')" = 100 ] && [ "$(find "$DIR/ready" -path '*/b*/1.json' | wc -l)" = 100 ]; }
wait_for 120 "all 100 barriers to trip" all_ready
all_done() { [ "$(find "$STATE" -path '*/b*/_/t/0000000001.done' | wc -l)" = 100 ]; }
wait_for 60 "all 100 trips to be done" all_done
note "C: 100 barriers tripped and done ($(( $(ms) - C0 )) ms after the first file)"

# One trip record per barrier, for generation 1 only.
(cd "$STATE" && find . -regex '\./b[0-9][0-9]/_/t/[0-9]*' | sort) > "$WORK/records"
seq -f './b%02g/_/t/0000000001' 0 99 > "$WORK/expected-records"
diff -q "$WORK/records" "$WORK/expected-records" >/dev/null ||
  fail "trip records are not exactly one per barrier: $(diff "$WORK/records" "$WORK/expected-records" | head -n 5)"
# One manifest per barrier, status complete, listing its own 10 members once each.
(cd "$DIR/ready" && grep -o '"member": "b[0-9]*/m[0-9]"' b*/1.json) |
  sed -E 's|^(b[0-9]+)/1.json:"member": "(b[0-9]+)/m[0-9]"$|\1 \2|' | awk '$1 == $2' | sort | uniq -c |
  awk '$1 == 10' | wc -l > "$WORK/good-manifests"
[ "$(cat "$WORK/good-manifests")" = 100 ] || fail "only $(cat "$WORK/good-manifests") manifests list their own 10 members"
[ "$(grep -l '"status": "complete"' "$DIR"/ready/b*/1.json | wc -l)" = 100 ] || fail "a manifest is not complete"
[ "$(grep -c '"key": "b[0-9]*/m[0-9]/data.csv"' "$DIR"/ready/b*/1.json | grep -vc ':10$')" = 0 ] ||
  fail "a manifest does not list exactly 10 objects"
[ -z "$(find "$DIR/ready" -name '2.json')" ] || fail "a second generation tripped"
# Every trip's exec action ran, with a manifest on stdin.
seq -f 'b%02g/_/1' 0 99 > "$WORK/expected-jobs"
awk '$2 > 0 {print $1}' "$WORK/jobs.log" | sort -u | diff -q - "$WORK/expected-jobs" >/dev/null ||
  fail "exec did not run once for each trip with its manifest"
RUNS=$(wc -l < "$WORK/jobs.log")
[ "$RUNS" -le 101 ] || fail "exec ran $RUNS times: more than one extra run (only the trip the kill interrupted may run twice)"
"$EB" status --config "$CONFIG" --state "$DIR" --json > "$WORK/status.json"
grep -q '"pending_redrives": \[$' "$WORK/status.json" && fail "status shows pending re-drives"
[ "$(grep -c '"progress": "0/10"' "$WORK/status.json")" = 100 ] || fail "status: not every barrier is back to 0/10 in generation 2"
note "C: exactly one trip record and one manifest each; exec ran $RUNS times for 100 trips; status clean"

# --- D. Clean stop, and a restart with nothing new submits nothing -----------------------------
stop
note "D: SIGTERM: exit 0"
start
rc=0
timeout 10 "$EB" watch --config "$CONFIG" --dir "$DIR" 2>"$WORK/second.log" || rc=$?
[ "$rc" = 1 ] && grep -q "another eventbarrier watch is using this state" "$WORK/second.log" ||
  fail "a second watch on the same state was not refused (exit $rc): $(cat "$WORK/second.log")"
note "D: a second watch on the same state is refused"
stop
grep '"message":"stopped"' "$(log)" | grep -q '"arrivals":"0","duplicates":"0"' ||
  fail "a restart with nothing new submitted files again: $(grep '"message":"stopped"' "$(log)")"
grep '"message":"stopped"' "$(log)" | grep -q '"trips":"0"' || fail "a restart with nothing new tripped something"
note "D: a restart with nothing new: every file recognised as already recorded"
note "PASS"
