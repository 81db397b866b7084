#!/usr/bin/env bash
# The Lambda path of the demo (make demo shows the embedded mode, scripts/demo.sh):
# the barrier end to end on a temporary folder, with the seed's
# configuration. Feeds S3 notifications through `eventbarrier handle` (the
# same path the Lambda function takes) and shows each barrier trip once.
set -euo pipefail
EB=${1:-build/eventbarrier}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d /tmp/eventbarrier-demo.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
event() {  # event KEY SEQUENCER: an S3 ObjectCreated notification for KEY
  printf '{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-11-24T06:00:00.000Z","s3":{"bucket":{"name":"demo"},"object":{"key":"%s","size":1,"eTag":"e%s","sequencer":"%s"}}}]}' "$1" "$2" "$2"
}
say "configuration: $ROOT/examples/barriers.json"
cat "$ROOT/examples/barriers.json"
"$EB" validate "$ROOT/examples/barriers.json"
say "uploads to event-barrier-2 (members 2/0, 2/1, 2/2), including a duplicate delivery and a re-upload"
n=0
for spec in "2/0/a.csv 1" "2/1/b.csv 1" "2/1/b.csv 1" "2/0/a.csv 2" "2/2/c.csv 1"; do
  set -- $spec
  n=$((n + 1))
  event "$1" "$2" > "$DIR/event-$n.json"
  printf '%-14s seq %s -> ' "$1" "$2"
  "$EB" handle --config "$ROOT/examples/barriers.json" --state "$DIR/state" "$DIR/event-$n.json" 2>/dev/null
done
say "the trip record (state in $DIR/state/.eventbarrier/)"
find "$DIR/state/.eventbarrier/event-barrier-2" -type f | sort
cat "$DIR/state/.eventbarrier/event-barrier-2/_/t/0000000001"; echo
say "one trip for five uploads (the old HEAD-every-member Lambda reported three)"
