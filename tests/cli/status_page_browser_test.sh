#!/usr/bin/env bash
# The status page in a real browser (issue 16): headless Chromium from Debian
# loads `status --html`'s file and the page `serve` serves at / (behind its
# token, as Basic credentials), and the DOM is checked: a missing member is
# shown as missing, a tripped and a forced instance as such, the countdown
# moves, the latency chart has its bars, the served page refreshes itself
# from /api/status. Screenshots are kept as test artifacts in $OUT
# (docs/images/status-page.png is one of them).
# Usage: status_page_browser_test.sh EVENTBARRIER OUT_DIR
set -euo pipefail
EB="$1"
OUT="$2"
mkdir -p "$OUT"
CHROME="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROME" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: CI=true but chromium is not installed (scripts/install-deps.sh)"; exit 1; fi
  echo "SKIP: chromium is not installed (scripts/install-deps.sh installs Debian's)"; exit 77
fi
DIR="$(mktemp -d)"
SERVE_PID=
cleanup() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
fail() { echo "FAIL: $*"; exit 1; }
chrome() {  # chrome ARGS... URL: headless, no sandbox (root in CI), own profile
  timeout 90 "$CHROME" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$DIR/profile" "$@" 2>>"$DIR/chrome.log"
}

cat >"$DIR/barriers.json" <<'JSON'
{"barriers": {
  "daily": {"members": ["in/{day}/east", "in/{day}/west", "in/{day}/north"], "timeout": "1h",
            "on_complete": [{"type": "manifest", "key": "ready/{day}.json"}]},
  "hourly": {"members": ["h/a", "h/b"], "on_complete": [{"type": "manifest", "key": "ready/hourly/{generation}.json"}]}
}}
JSON
STATE="$DIR/state"
COMMON=(--config "$DIR/barriers.json" --state "$STATE" --log-format text)
seq=0
record() {  # record KEY SEQ: one S3 notification record
  local seq="$2"
  printf '{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"2026-11-24T06:00:00.000Z","s3":{"bucket":{"name":"data"},"object":{"key":"%s","size":%d,"eTag":"e%d","sequencer":"%08d"}}}' \
    "$1" "$seq" "$seq" "$seq"
}
deliver() {
  seq=$((seq + 1))
  echo "{\"Records\":[$(record "$1" "$seq")]}" | "$EB" handle "${COMMON[@]}" >/dev/null 2>>"$DIR/handle.log"
}

deliver in/2026-11-23/east/a.csv; deliver in/2026-11-23/west/a.csv; deliver in/2026-11-23/north/a.csv  # tripped
deliver in/2026-11-22/east/a.csv; deliver in/2026-11-22/west/a.csv                               # forced below
"$EB" trip daily 2026-11-22 --force --reason "north feed lost upstream" --by ops "${COMMON[@]}" >/dev/null 2>>"$DIR/handle.log"
deliver in/2026-11-24/east/a.csv                                                                 # collecting, countdown
for pause in 0.3 0.1 0.6 0.2; do deliver h/a/x.csv; sleep "$pause"; deliver h/b/y.csv; done  # four trips, varied latency
deliver h/a/z.csv

# 1. The file, from file://.
"$EB" status --config "$DIR/barriers.json" --state "$STATE" --html "$DIR/status.html" 2>/dev/null
check_dom() {  # check_dom DOM_FILE WHAT
  local dom="$1" what="$2"
  grep -q '<section class="card" data-barrier="daily" data-instance="2026-11-23" data-state="tripped"' "$dom" ||
    fail "$what: 2026-11-23 is not shown as tripped"
  grep -q '<section class="card" data-barrier="daily" data-instance="2026-11-22" data-state="forced"' "$dom" ||
    fail "$what: 2026-11-22 is not shown as forced"
  grep -q '<section class="card" data-barrier="daily" data-instance="2026-11-24" data-state="collecting"' "$dom" ||
    fail "$what: 2026-11-24 is not shown as collecting"
  # The card of 2026-11-24: west and north missing, east arrived.
  local card
  card="$(sed -n 's/.*\(<section class="card" data-barrier="daily" data-instance="2026-11-24".*\)/\1/p' "$dom" | sed 's#</section>.*##')"
  for m in west north; do
    echo "$card" | grep -q "<li class=\"member missing\">in/2026-11-24/$m</li>" || fail "$what: $m not shown as missing"
  done
  echo "$card" | grep -q '<li class="member arrived">in/2026-11-24/east</li>' || fail "$what: east not shown as arrived"
  echo "$card" | grep -q 'aria-valuenow="1" aria-valuemax="3"' || fail "$what: progress bar is not 1/3"
  echo "$card" | grep -q 'times out in [0-9]*m[0-9]*s' || fail "$what: no countdown"
  local hourly bars
  hourly="$(sed -n 's/.*\(<section class="card" data-barrier="hourly".*\)/\1/p' "$dom" | sed 's#</section>.*##')"
  bars="$(echo "$hourly" | grep -o '<rect ' | wc -l)"
  [ "$bars" -eq 4 ] || fail "$what: the latency chart of hourly has $bars bars, not 4"
}
remaining() { grep -o 'data-remaining-ms="[0-9]*"' "$1" | head -1 | grep -o '[0-9]*'; }

chrome --dump-dom "file://$DIR/status.html" >"$DIR/dom1.html"
check_dom "$DIR/dom1.html" "status --html"
sleep 2
chrome --dump-dom "file://$DIR/status.html" >"$DIR/dom2.html"
r1="$(remaining "$DIR/dom1.html")"
r2="$(remaining "$DIR/dom2.html")"
[ -n "$r1" ] && [ -n "$r2" ] && [ "$r2" -lt "$((r1 - 1000))" ] || fail "the countdown did not move: $r1 ms, then $r2 ms"
# Within one load too: after 3 s of the page's own clock.
chrome --virtual-time-budget=3000 --dump-dom "file://$DIR/status.html" >"$DIR/dom3.html"
grep -q 'data-state="collecting"' "$DIR/dom3.html" || fail "page did not render under a virtual time budget"
# Filters, preselected from the address: by state, then by barrier.
chrome --dump-dom "file://$DIR/status.html?state=forced" >"$DIR/forced.html"
[ "$(grep -o '<section class="card"' "$DIR/forced.html" | wc -l)" -eq 1 ] &&
  grep -q 'data-instance="2026-11-22" data-state="forced"' "$DIR/forced.html" || fail "filter state=forced"
grep -q '<option value="forced">forced</option>' "$DIR/forced.html" || fail "no state filter"
chrome --dump-dom "file://$DIR/status.html?barrier=hourly" >"$DIR/hourly.html"
[ "$(grep -o '<section class="card"' "$DIR/hourly.html" | wc -l)" -eq 1 ] &&
  grep -q 'data-barrier="hourly"' "$DIR/hourly.html" || fail "filter barrier=hourly"
chrome --dump-dom "file://$DIR/status.html?barrier=daily&state=tripped" >"$DIR/none.html"
[ "$(grep -o '<section class="card"' "$DIR/none.html" | wc -l)" -eq 1 ] || fail "filters barrier=daily&state=tripped"
chrome --window-size=1180,760 --screenshot="$OUT/status-page.png" "file://$DIR/status.html" >/dev/null
[ "$(stat -c %s "$OUT/status-page.png")" -gt 10000 ] || fail "screenshot too small"
cp "$DIR/status.html" "$OUT/status-page.html"
echo "ok: file page (countdown $r1 -> $r2 ms), screenshot $OUT/status-page.png"

# 2. The served page, behind the token.
TOKEN="status-page-token-0123456789abcdef"
EVENTBARRIER_TOKEN="$TOKEN" "$EB" serve "${COMMON[@]}" --listen 127.0.0.1:0 >"$DIR/serve.out" 2>"$DIR/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do grep -q listening "$DIR/serve.out" 2>/dev/null && break; sleep 0.1; done
ADDR="$(grep -o '127.0.0.1:[0-9]*' "$DIR/serve.out" | head -1)"
[ -n "$ADDR" ] || { cat "$DIR/serve.log"; fail "serve did not start"; }
code="$(curl -s -o "$DIR/noauth.json" -D "$DIR/noauth.h" -w '%{http_code}' "http://$ADDR/")"
[ "$code" = 401 ] || fail "GET / without the token: $code"
grep -qi '^WWW-Authenticate: Basic' "$DIR/noauth.h" || fail "no Basic challenge: a browser would not ask"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong-token-0123456789' "http://$ADDR/api/status")" = 401 ] ||
  fail "a wrong token was accepted"
curl -sf -H "Authorization: Bearer $TOKEN" "http://$ADDR/api/status" >"$DIR/api.json" || fail "GET /api/status with the token"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["instances"]) == 4, d; assert all("recent_trips" in i for i in d["instances"])' "$DIR/api.json" ||
  fail "/api/status: $(head -c 300 "$DIR/api.json")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -u "x:$TOKEN" "http://$ADDR/api/status" -d '{}')" = 400 ] ||
  fail "POST /api/status is a notification, not the page (read-only)"
chrome --dump-dom "http://eb:$TOKEN@$ADDR/" >"$DIR/served.html"
check_dom "$DIR/served.html" "served page"
grep -q 'refreshes every 5s' "$DIR/served.html" || fail "served page does not say it refreshes"
# It refreshes itself: with the page's clock run 12 s, it fetched /api/status and drew
# it again: the read time shown is no longer the one the page was served with.
chrome --virtual-time-budget=12000 --dump-dom "http://eb:$TOKEN@$ADDR/" >"$DIR/refreshed.html"
served="$(grep -o '"generated_at":"[^"]*"' "$DIR/refreshed.html" | head -1 | cut -d'"' -f4)"
shown="$(grep -o 'id="meta">state read [^ <]*' "$DIR/refreshed.html" | head -1 | sed 's/.*state read //')"
[ -n "$served" ] && [ -n "$shown" ] && [ "$served" != "$shown" ] ||
  fail "the served page did not refresh: served '$served', shown '$shown' ($(grep -o 'id="meta">[^<]*' "$DIR/refreshed.html"))"
first="$served"; later="$shown"
check_dom "$DIR/refreshed.html" "refreshed page"
chrome --window-size=1180,760 --screenshot="$OUT/status-page-served.png" "http://eb:$TOKEN@$ADDR/" >/dev/null
echo "ok: served page behind the token, refreshed ($first -> $later), screenshot $OUT/status-page-served.png"
echo "1 passed, 0 failed"
