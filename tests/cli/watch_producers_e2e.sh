#!/usr/bin/env bash
# `eventbarrier watch` with what real producers do (issue 19), on real files (CTest label e2e):
#   A. rsync writes each file as .name.XXXXXX and renames it: each counts once, under its final name;
#   B. mv into the folder (from outside and from a .tmp name) counts when the move completes;
#      Hadoop's side files (_temporary/, .crc, _SUCCESS) written beside them never count;
#   C. stable_for: a file renamed while held counts once under its new name, one deleted while
#      held never counts, one appended to (closed after each append) counts once, when quiet.
# Usage: watch_producers_e2e.sh PATH/TO/eventbarrier
set -euo pipefail

EB="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
command -v rsync >/dev/null || { echo "FAIL: rsync is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/eb-producers-e2e.XXXXXX")"
DIR="$WORK/inbox"
CONFIG="$WORK/config.json"
LOG="$WORK/watch.log"
PID=""

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -9 "$PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  echo "--- $LOG (tail)" >&2
  tail -n 25 "$LOG" >&2 || true
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
# keys MANIFEST: the manifest's object keys, sorted, one per line.
keys() { /usr/bin/python3 -c 'import json,sys; print("\n".join(sorted(o["key"] for o in json.load(open(sys.argv[1]))["objects"])))' "$1"; }
expect_keys() {  # expect_keys MANIFEST KEY...
  local want got
  want="$(printf '%s\n' "${@:2}" | sort)"
  got="$(keys "$1")"
  [ "$got" = "$want" ] || fail "$1 lists [$(echo $got)], expected [$(echo $want)]"
}
trip_records() { find "$DIR/.eventbarrier/$1" -path '*/t/*' -regex '.*/t/[0-9]*' 2>/dev/null | wc -l; }

mkdir -p "$DIR/rsync" "$WORK/src" "$WORK/outside"
cat > "$CONFIG" <<'JSON'
{"barriers": {
  "rsynced": {"count": 3, "prefix": "rsync/{batch}",
              "on_complete": [{"type": "manifest", "key": "ready/rsync/{batch}.json"}]},
  "moved":   {"count": 3, "prefix": "mv/{batch}",
              "on_complete": [{"type": "manifest", "key": "ready/mv/{batch}.json"}]},
  "spark":   {"members": ["spark/{run}/_SUCCESS"],
              "on_complete": [{"type": "manifest", "key": "ready/spark/{run}.json"}]},
  "quiet":   {"count": 1, "prefix": "quiet/{batch}", "stable_for": "1500ms",
              "on_complete": [{"type": "manifest", "key": "ready/quiet/{batch}.json"}]}
}}
JSON
"$EB" validate "$CONFIG" >/dev/null || fail "the test's configuration does not validate"
"$EB" watch --config "$CONFIG" --dir "$DIR" --sweep-every 1s 2>"$LOG" &
PID=$!
wait_for 20 "the initial scan" grep -q '"message":"initial scan"' "$LOG"

# --- A: rsync (temporary .name.XXXXXX, then rename) ---
for f in a b c; do head -c 20000 /dev/urandom > "$WORK/src/$f.csv"; done
rsync -a "$WORK/src/" "$DIR/rsync/b1/"
wait_for 20 "the rsync batch to trip" test -f "$DIR/ready/rsync/b1.json"
expect_keys "$DIR/ready/rsync/b1.json" rsync/b1/a.csv rsync/b1/b.csv rsync/b1/c.csv
# rsync again with one file changed: the same 3 final names; no temporary name ever counts.
head -c 100 /dev/urandom >> "$WORK/src/a.csv"
rsync -a "$WORK/src/" "$DIR/rsync/b2/"
wait_for 20 "the second rsync batch to trip" test -f "$DIR/ready/rsync/b2.json"
expect_keys "$DIR/ready/rsync/b2.json" rsync/b2/a.csv rsync/b2/b.csv rsync/b2/c.csv
echo "A: rsync batches trip with their 3 final names, no temporary name"

# --- B: mv, and Hadoop's side files ---
mkdir -p "$DIR/mv/b1/_temporary/0/task_0" "$DIR/spark/r1/_temporary/0"
echo one > "$WORK/outside/one.csv"
mv "$WORK/outside/one.csv" "$DIR/mv/b1/one.csv"                   # moved in from outside the folder
echo two > "$DIR/mv/b1/two.csv.tmp" && mv "$DIR/mv/b1/two.csv.tmp" "$DIR/mv/b1/two.csv"  # renamed in place
echo part > "$DIR/mv/b1/_temporary/0/task_0/part-0"               # a committer's task output
echo crc > "$DIR/mv/b1/.part-0.crc"                               # its checksum file
echo hidden > "$DIR/mv/b1/_SUCCESS"                               # not named by "moved": not data
wait_for 10 "the side files to be logged as ignored" grep -q '"key":"mv/b1/_SUCCESS"' "$LOG"
[ ! -f "$DIR/ready/mv/b1.json" ] || fail "mv/b1 tripped on side files: $(keys "$DIR/ready/mv/b1.json" | tr '\n' ' ')"
echo three > "$WORK/outside/three.csv" && mv "$WORK/outside/three.csv" "$DIR/mv/b1/"
wait_for 20 "mv/b1 to trip" test -f "$DIR/ready/mv/b1.json"
expect_keys "$DIR/ready/mv/b1.json" mv/b1/one.csv mv/b1/two.csv mv/b1/three.csv
grep -q '"rule":"_\*"' "$LOG" || fail "no log line names the rule _* for the ignored side files"
# Spark: part files and _temporary/ beside it; the job is done when _SUCCESS appears.
echo p0 > "$DIR/spark/r1/_temporary/0/part-00000"
echo p0 > "$DIR/spark/r1/part-00000.snappy.parquet"
[ ! -f "$DIR/ready/spark/r1.json" ] || fail "spark/r1 tripped before _SUCCESS"
: > "$DIR/spark/r1/_SUCCESS"
wait_for 20 "spark/r1 to trip on _SUCCESS" test -f "$DIR/ready/spark/r1.json"
expect_keys "$DIR/ready/spark/r1.json" spark/r1/_SUCCESS
echo "B: moves count once each; _temporary/, .crc and an unnamed _SUCCESS never count; a named _SUCCESS does"

# --- C: stable_for ---
mkdir -p "$DIR/quiet/s1" "$DIR/quiet/s2" "$DIR/quiet/s3"
echo data > "$DIR/quiet/s1/first.dat"
sleep 0.3
mv "$DIR/quiet/s1/first.dat" "$DIR/quiet/s1/final.dat"          # renamed while held
echo data > "$DIR/quiet/s2/gone.dat"
sleep 0.3
rm "$DIR/quiet/s2/gone.dat"                                       # deleted while held
for i in 1 2 3 4 5; do echo "line $i" >> "$DIR/quiet/s3/log.dat"; sleep 0.3; done   # appended, closed each time
wait_for 20 "quiet/s1 to trip" test -f "$DIR/ready/quiet/s1.json"
expect_keys "$DIR/ready/quiet/s1.json" quiet/s1/final.dat
wait_for 20 "quiet/s3 to trip" test -f "$DIR/ready/quiet/s3.json"
expect_keys "$DIR/ready/quiet/s3.json" quiet/s3/log.dat
grep -q '"size": 35' "$DIR/ready/quiet/s3.json" || fail "quiet/s3 counted before its 5 appends (35 bytes) were done"
sleep 2
[ ! -f "$DIR/ready/quiet/s2.json" ] || fail "a file deleted while held for stable_for counted"
[ "$(trip_records quiet)" = 2 ] || fail "quiet tripped $(trip_records quiet) times, expected 2 (s1 and s3)"
echo "C: stable_for: renamed counts once under the new name, deleted never, appended once when quiet"

kill -TERM "$PID"
wait "$PID" || fail "watch did not exit 0 on SIGTERM"
PID=""
for b in rsynced moved spark; do
  [ -z "$(find "$DIR/.eventbarrier/$b" -regex '.*/t/0*2' 2>/dev/null)" ] || fail "$b tripped a second generation"
done
grep '"message":"stopped"' "$LOG" | grep -q '"ignored_by":"' || fail "the stop line has no ignored_by count"
echo "PASS"
