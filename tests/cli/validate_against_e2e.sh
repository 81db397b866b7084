#!/usr/bin/env bash
# `eventbarrier validate NEW --against STATE` on a state folder written by `handle`
# under an old configuration (docs/OPERATORS.md, "Changing the configuration of a
# live deployment"): it names each open instance the change affects and what
# happens to it, writes nothing, and then the engine does what it said.
# Usage: validate_against_e2e.sh PATH/TO/eventbarrier
set -euo pipefail

EB="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/eb-validate-against.XXXXXX")"
STATE="$WORK/state"
trap 'if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok: %s\n' "$*"; }
mkdir -p "$STATE"

cat >"$WORK/old.json" <<'EOF'
{"barriers": {
  "sales": {"members": ["in/{day}/a.csv", "in/{day}/b.csv"], "mode": "cyclic"},
  "legacy": {"members": ["x/{day}/1", "x/{day}/2"]},
  "quiet": {"members": ["q/1", "q/2"], "timeout": "1h"}}}
EOF
cat >"$WORK/new.json" <<'EOF'
{"barriers": {
  "sales": {"members": ["in/{day}/a.csv", "in/{day}/b.csv", "in/{day}/c.csv"], "mode": "cyclic"},
  "quiet": {"members": ["q/1", "q/2"], "timeout": "2h"}}}
EOF

n=0
arrive() {  # arrive KEY [CONFIG]: one S3 notification through `handle`
  n=$((n + 1))
  printf '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-12-06T06:00:00.000Z","s3":{"bucket":{"name":"bkt"},"object":{"key":"%s","size":5,"eTag":"e%d","sequencer":"%04d"}}}]}' \
    "$1" "$n" "$n" >"$WORK/event$n.json"
  "$EB" handle --config "${2:-$WORK/old.json}" --state "$STATE" "$WORK/event$n.json" >>"$WORK/handle.log" 2>&1 ||
    fail "handle $1: $(tail -n 3 "$WORK/handle.log")"
}
arrive in/d1/a.csv
arrive in/d1/b.csv   # sales/d1 trips generation 1
arrive in/d1/a.csv   # a re-upload opens generation 2
arrive x/d1/1        # legacy/d1: open, and its barrier is about to go
arrive q/1           # quiet/_: open, its timeout is lengthened

"$EB" validate --help | grep -q -- "--against" || fail "--help does not name --against"
"$EB" validate --help | grep -q "Example" || fail "--help has no example"
ok "--help names --against, with an example"

before="$(cd "$STATE" && find . -type f -exec sha256sum {} + | sort)"
out="$("$EB" validate "$WORK/new.json" --against "$STATE")" || fail "validate --against failed: $out"
printf '%s\n' "$out"
after="$(cd "$STATE" && find . -type f -exec sha256sum {} + | sort)"
[ "$before" = "$after" ] && ok "writes nothing to the state" || fail "the state changed"

grep -q "3 open instance(s), 2 affected" <<<"$out" || fail "summary line"
grep -q "^  legacy/d1: orphaned (generation 1, 1 arrival(s))" <<<"$out" || fail "legacy/d1 not reported orphaned"
grep -q "barrier legacy is not in the configuration" <<<"$out" || fail "no reason for the orphan"
grep -q "^  sales/d1: waits (generation 2, 1 arrival(s))" <<<"$out" || fail "sales/d1 not reported waiting"
grep -q "1 member added since generation 1: in/d1/c.csv" <<<"$out" || fail "the added member is not named"
grep -q "unaffected: 1 waits" <<<"$out" || fail "quiet/_ (timeout lengthened, not yet due) should be unaffected"
ok "names the orphaned instance and the one waiting for an added member"

# Then the engine does what the preview said.
arrive in/d1/b.csv "$WORK/new.json"
grep -q '"trips":\[\]' <(tail -n 1 "$WORK/handle.log") || fail "sales/d1 tripped without the added member"
arrive in/d1/c.csv "$WORK/new.json"
tail -n 1 "$WORK/handle.log" | grep -q '"generation":2' || fail "sales/d1 generation 2 did not trip: $(tail -n 1 "$WORK/handle.log")"
sweep="$("$EB" sweep --config "$WORK/new.json" --state "$STATE" 2>"$WORK/sweep.log")" || fail "sweep: $sweep"
grep -q "barrier that is not configured" "$WORK/sweep.log" || fail "the sweeper does not report legacy/d1: $(cat "$WORK/sweep.log")"
[ -n "$(find "$STATE" -path '*legacy/d1/a/*' -type f)" ] || fail "the orphan's marker was deleted"
status="$("$EB" status --config "$WORK/new.json" --state "$STATE")"
grep -q "open instance legacy/d1: barrier not configured" <<<"$status" || fail "status does not warn: $status"
ok "the engine follows the preview: sales/d1 trips with the added member; legacy/d1 is reported by sweep and status, its state kept"

bad="$("$EB" validate "$WORK/new.json" --against "s3://" 2>&1)" && fail "a bad state location passed: $bad"
ok "a bad state location fails: $(tail -n 1 <<<"$bad")"
