#!/usr/bin/env bash
# The embedded barrier in under a minute: `make demo` (or scripts/demo.sh PATH/TO/eventbarrier).
#
# Starts `eventbarrier watch` on a temporary folder with examples/demo.json, drops files in the
# way producers would (a duplicate notification and a re-upload included), and shows that each
# barrier trips exactly once with its manifest, that a late member produces a timeout naming what
# is missing, what `eventbarrier status` says, and that SIGTERM stops it cleanly.
# Every wait is for a condition, with a deadline; the script fails loudly if one is not met.
# KEEP=1 keeps the temporary folder for a look around.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EB="${1:-$ROOT/build/eventbarrier}"
CONFIG="$ROOT/examples/demo.json"
START_NS=$(date +%s%N)

bold() { if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
say() { printf '   %s\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; [ -n "${LOG:-}" ] && [ -f "$LOG" ] && tail -n 30 "$LOG" >&2; exit 1; }

if [ ! -x "$EB" ]; then
  bold "Building eventbarrier (first run only)"
  cmake -S "$ROOT" -B "$ROOT/build" -G Ninja >/dev/null
  cmake --build "$ROOT/build" --target eventbarrier
  EB="$ROOT/build/eventbarrier"
fi

EB="$(cd "$(dirname "$EB")" && pwd)/$(basename "$EB")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/eventbarrier-demo.XXXXXX")"
INBOX="$WORK/inbox"
LOG="$WORK/watch.log"
STATE="$INBOX/.eventbarrier"
mkdir -p "$INBOX"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || fail "waited ${limit}s for: $what"
    [ -z "$PID" ] || kill -0 "$PID" 2>/dev/null || fail "eventbarrier watch exited while waiting for: $what"
    sleep 0.05
  done
}
logged() { grep -q -- "$1" "$LOG"; }
logged_times() { [ "$(grep -c -- "$1" "$LOG")" -ge "$2" ]; }
trips_of() { ls "$STATE/$1/$2/t/" 2>/dev/null | grep -cE '^[0-9]{10}$' || true; }
drop() { mkdir -p "$(dirname "$INBOX/$1")"; printf '%s\n' "$2" > "$INBOX/$1"; say "dropped $1"; }
# A manifest in one line per object: member, key, size, etag.
show_manifest() {
  local f="$INBOX/$1"
  say "manifest $1:"
  grep -E '"(status|generation)"' "$f" | head -n 2 | tr -d ' ,' | sed 's/^/        /'
  grep -E '"key"|"etag"' "$f" | paste - - | tr -d ' ,"' | sed 's/key:/        object /; s/etag:/  etag /'
  if grep -q '"missing": \[\]' "$f"; then :; else
    say "  missing: $(tr -d '\n ' < "$f" | sed 's/.*"missing":\[\([^]]*\)\].*/\1/')"
  fi
}

bold "1. Start the embedded barrier"
say "config : examples/demo.json (the three seed barriers + a daily-sales barrier with a 5s timeout)"
say "folder : $INBOX   (state goes to $INBOX/.eventbarrier, which is not watched)"
(cd "$WORK" && exec "$EB" watch --config "$CONFIG" --dir "$INBOX" --sweep-every 1s --log-format text 2>"$LOG") &
PID=$!
wait_for 10 "watch to start" logged "info watching"
say "eventbarrier watch is running (pid $PID); its log: $LOG"

bold "2. event-barrier-0 waits for 0/0 and 0/1"
drop 0/0/part-a.txt "alpha"
wait_for 10 "0/0 recorded" logged "key=0/0/part-a.txt"
say "0/0 has arrived; 0/1 has not: nothing trips"
: >> "$INBOX/0/0/part-a.txt"   # opened for writing and closed, unchanged: a second event, same file
wait_for 10 "the duplicate seen" logged "duplicate: file unchanged since it was recorded key=0/0/part-a.txt"
say "a second close event for the unchanged 0/0/part-a.txt is a duplicate: ignored"
drop 0/1/part-b.txt "beta"
wait_for 10 "event-barrier-0 to trip" test -f "$INBOX/ready/event-barrier-0/gen-1.json"
say "0/1 completes the barrier: it trips, and writes its manifest. From the watcher's log:"
grep -E 'barrier=event-barrier-0|key=0/' "$LOG" | cut -d' ' -f2- | sed 's/ version=.*//; s/^/      /'
show_manifest ready/event-barrier-0/gen-1.json

bold "3. event-barrier-1 waits for four members"
for m in 0 1 2 3; do drop "1/$m/file$m.csv" "data $m"; done
wait_for 10 "event-barrier-1 to trip" test -f "$INBOX/ready/event-barrier-1/gen-1.json"
show_manifest ready/event-barrier-1/gen-1.json

bold "4. event-barrier-2, with a re-upload before it trips, and a command to run"
drop 2/0/data.csv "version 1"
drop 2/1/data.csv "x"
wait_for 10 "2/1 recorded" logged "key=2/1/data.csv"
printf 'version 2, corrected\n' > "$INBOX/2/0/data.csv"; say "re-uploaded 2/0/data.csv (new content)"
wait_for 10 "the re-upload recorded" logged_times 'key=2/0/data.csv member' 2
drop 2/2/data.csv "z"
wait_for 10 "event-barrier-2 to trip" test -f "$INBOX/ready/event-barrier-2/gen-1.json"
wait_for 10 "its command to run" test -s "$WORK/jobs.log"
say "both versions of 2/0/data.csv are in the manifest (each ETag names one version):"
show_manifest ready/event-barrier-2/gen-1.json
say "the exec action ran once, with the manifest on its stdin: $(cat "$WORK/jobs.log")"

bold "5. daily-sales: one instance per {date}"
for r in east west north; do drop "sales/2026-11-24/$r.csv" "$r sales"; done
wait_for 10 "2026-11-24 to trip" test -f "$INBOX/ready/sales/2026-11-24/_SUCCESS.json"
show_manifest ready/sales/2026-11-24/_SUCCESS.json
drop sales/2026-11-25/east.csv "east sales"
drop sales/2026-11-25/west.csv "west sales"
say "north.csv for 2026-11-25 never comes; the sweeper (every 1s) times it out 5s after the first file..."
wait_for 20 "2026-11-25 to time out" test -f "$INBOX/late/sales/2026-11-25/_TIMEOUT.json"
show_manifest late/sales/2026-11-25/_TIMEOUT.json

bold "6. Exactly once"
for bi in event-barrier-0/_ event-barrier-1/_ event-barrier-2/_ daily-sales/2026-11-24 daily-sales/2026-11-25; do
  n=$(trips_of "${bi%%/*}" "${bi#*/}")
  [ "$n" = 1 ] || fail "$bi has $n trip records, expected exactly 1"
  say "$bi: $n trip record"
done
[ "$(grep -c 'job started' "$WORK/jobs.log")" = 1 ] || fail "the command ran more than once"
say "the state of event-barrier-2 (inbox/.eventbarrier/event-barrier-2/_/):"
(cd "$STATE/event-barrier-2/_" && find . -type f | sort | sed 's|^\./|      |')
say "t/0000000001 is the trip record (every object consumed); t/0000000001.done says the actions"
say "succeeded, with what they reported: $(cat "$STATE/event-barrier-2/_/t/0000000001.done")"

bold "7. eventbarrier status --all"
"$EB" status --config "$CONFIG" --state "$INBOX" --all | sed 's/^/   /'

bold "8. Stop it (SIGTERM): it finishes the current arrival and exits 0"
kill -TERM "$PID"
rc=0; wait "$PID" || rc=$?
PID=""
[ "$rc" = 0 ] || fail "watch exited with $rc"
say "$(grep 'info stopped' "$LOG" | sed 's/^[^ ]* //')"

bold "What happened"
cat <<EOF
   - Every file in $INBOX counted once it was closed after writing (or moved in); its key is its
     path relative to the folder. The same unchanged file seen twice was one arrival; a re-written
     file was a new one (its version comes from inode, mtime and size).
   - Each barrier generation tripped exactly once: the trip record t/0000000001 is claimed with a
     create-if-absent write, so no second claim can succeed. Its actions then ran (manifest, exec).
   - daily-sales is templated: each {date} is its own instance. 2026-11-25 never got north.csv, so
     the sweeper tripped it with status "timeout" and listed the missing member.
   - A restart resumes from the state under inbox/.eventbarrier; files that arrive while it is
     stopped are found by the scan at start.
   The watcher logs one line per arrival, trip and action (JSON by default; --log-format text here).
EOF
ELAPSED_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
printf '\nDemo finished in %d.%ds (exit 0). KEEP=1 make demo keeps the folder and its log.\n' $((ELAPSED_MS / 1000)) $((ELAPSED_MS % 1000 / 100))
