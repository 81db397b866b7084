#!/usr/bin/env bash
# ceph-s3.sh - a throw-away real S3 server on 127.0.0.1: a single-host Ceph RGW
# (Debian packages ceph-mon ceph-osd radosgw; no cephadm, docker, systemd or mgr):
# one monitor, one OSD (memstore, or bluestore on a sparse file), one radosgw, one S3 user,
# optionally a bucket.
#
#   scripts/ceph-s3.sh install    apt packages (root or sudo)
#   scripts/ceph-s3.sh start      ~2 s; root not needed; writes $S3_DIR/env
#   . "$S3_DIR/env"               AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ..., S3_BUCKET
#   scripts/ceph-s3.sh stop       stops only the daemons this script started, deletes $S3_DIR
#   scripts/ceph-s3.sh status
#   scripts/ceph-s3.sh notify BUCKET URL [URL...]
#                                 real bucket notifications: creates BUCKET if missing, one SNS-style
#                                 topic per URL (push-endpoint=URL; "http://user:TOKEN@host:port/path"
#                                 makes RGW send Basic auth) and one notification configuration on
#                                 BUCKET for s3:ObjectCreated:* and s3:ObjectRemoved:* to every topic.
#                                 S3_WEBHOOK_PERSISTENT=true: queued delivery, retried until a 2xx
#                                 (arrives ~1-5 s later); false [default]: the PUT waits for the push.
#   scripts/ceph-s3.sh stop-rgw   stops only the radosgw (monitor, OSD and data stay)
#   scripts/ceph-s3.sh start-rgw  starts the radosgw again on the same data; waits until it answers
#
# Environment (defaults in brackets):
#   S3_DIR [/tmp/eb-ceph-s3-$UID]   everything of one cluster lives here (pid files, logs, env)
#   RGW_PORT, MON_V2_PORT, MON_V1_PORT [auto: free ports]  MS_PORT_MIN/MS_PORT_MAX [auto: a free block of 64]
#   S3_ACCESS_KEY / S3_SECRET_KEY  S3_BUCKET (created at start if set)  START_TIMEOUT [60]
#   KEEP_DIR=1 (stop keeps $S3_DIR for post-mortem logs)
#   OBJECTSTORE [memstore]  bluestore: the OSD writes through RocksDB to a 4 GiB sparse file in
#                 $S3_DIR, as a production OSD does (slower writes; for benchmarks, not tests)
#   S3_WEBHOOK_URL (with S3_BUCKET): start also runs `notify $S3_BUCKET $S3_WEBHOOK_URL`
# Two clusters with different S3_DIR run side by side (parallel test jobs, several checkouts).
#
# Exit codes of start: 0 ready; 77 Ceph is not installed and CI is not "true" (callers skip);
# 1 anything else (with CI=true a missing Ceph is an error too).
set -eEuo pipefail

D=${S3_DIR:-/tmp/eb-ceph-s3-$(id -u)}
AK=${S3_ACCESS_KEY:-EBTESTACCESSKEY00001}
SK=${S3_SECRET_KEY:-ebTestSecretKey0000000000000000000000001}
TMO=${START_TIMEOUT:-60}
OBJECTSTORE=${OBJECTSTORE:-memstore}
case $OBJECTSTORE in memstore | bluestore) ;; *)
  echo "ceph-s3.sh: OBJECTSTORE must be memstore or bluestore, not '$OBJECTSTORE'" >&2
  exit 2
  ;;
esac

log() { printf '[ceph-s3 %s] %s\n' "$(date +%T)" "$*" >&2; }

# True if nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the first port of `count` consecutive free ports below the kernel's
# ephemeral range (so an outgoing connection cannot take one meanwhile).
free_block() {
  local count=$1 tries base p ok
  for tries in $(seq 200); do
    base=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    ok=1
    for ((p = base; p < base + count; p++)); do port_free "$p" || { ok=0; break; }; done
    [ $ok = 1 ] && { echo "$base"; return 0; }
  done
  return 1
}

do_install() {
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl >/dev/null
  ceph --version
}

stop_daemon() {  # stop_daemon NAME: TERM, then KILL after 1 s; only the pid we recorded
  local pidfile="$D/$1.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 10); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

do_stop() {
  stop_daemon rgw; stop_daemon osd; stop_daemon mon
  if [ "${KEEP_DIR:-0}" = 1 ]; then log "stopped; kept $D"; else rm -rf "$D"; fi
}

fail() {
  log "ERROR: $*"
  local f
  for f in "$D"/log/*.log "$D"/log/*.out; do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  done
  do_stop
  exit 1
}

# wait_until WHAT DAEMON COMMAND...: polls COMMAND; gives up early if DAEMON died.
wait_until() {
  local what=$1 daemon=$2 deadline=$((SECONDS + TMO)); shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$D/$daemon.pid")" 2>/dev/null || fail "$daemon exited while waiting for $what"
    [ $SECONDS -lt $deadline ] || fail "timed out after ${TMO}s waiting for $what"
    sleep 0.1
  done
}

s3() {  # s3 ARGS...: a signed curl request to the RGW
  curl -sS --max-time 10 --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

sns() {  # sns ARGS...: a signed request to RGW's SNS-style topic API (the body is hashed)
  curl -sS --max-time 10 --fail-with-body --aws-sigv4 "aws:amz:us-east-1:sns" --user "$AK:$SK" "$@"
}

# notify BUCKET URL...: topics pushing to each URL and one bucket notification to all of them.
do_notify() {
  [ $# -ge 2 ] || { echo "usage: $0 notify BUCKET URL [URL...]" >&2; exit 2; }
  local bucket=$1 ep n=0 url arn topics="" resp; shift
  [ -f "$D/env" ] || { log "no cluster in $D (run start first)"; exit 1; }
  ep=$(sed -n 's/.*AWS_ENDPOINT_URL=\([^ ]*\).*/\1/p' "$D/env" | head -1)
  s3 -o /dev/null "$ep/$bucket" 2>/dev/null || s3 -o /dev/null -X PUT -H 'Content-Length: 0' "$ep/$bucket" ||
    { log "cannot create bucket $bucket"; exit 1; }
  for url in "$@"; do
    n=$((n + 1))
    # A push-endpoint holding user:password is refused over plain HTTP unless the request says
    # it came through TLS; this loopback cluster trusts X-Forwarded-Proto (rgw trust forwarded https).
    resp=$(sns -X POST -H 'X-Forwarded-Proto: https' --data-urlencode Action=CreateTopic \
      --data-urlencode "Name=eb-$bucket-$n" \
      --data-urlencode Attributes.entry.1.key=push-endpoint --data-urlencode "Attributes.entry.1.value=$url" \
      --data-urlencode Attributes.entry.2.key=persistent \
      --data-urlencode "Attributes.entry.2.value=${S3_WEBHOOK_PERSISTENT:-false}" "$ep/") ||
      { log "create topic eb-$bucket-$n failed: $resp"; exit 1; }
    arn=$(printf '%s' "$resp" | sed -n 's:.*<TopicArn>\([^<]*\)</TopicArn>.*:\1:p')
    [ -n "$arn" ] || { log "no TopicArn in: $resp"; exit 1; }
    topics+="<TopicConfiguration><Id>eb-$bucket-$n</Id><Topic>$arn</Topic>"
    topics+="<Event>s3:ObjectCreated:*</Event><Event>s3:ObjectRemoved:*</Event></TopicConfiguration>"
  done
  printf '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</NotificationConfiguration>' \
    "$topics" | s3 -o /dev/null -X PUT --data-binary @- "$ep/$bucket?notification=" ||
    { log "put bucket notification on $bucket failed"; exit 1; }
  log "notifications: $bucket -> $n topic(s), persistent=${S3_WEBHOOK_PERSISTENT:-false}"
}

do_start() {
  local missing=() b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool monmaptool ceph uuidgen curl; do
    command -v "$b" >/dev/null || missing+=("$b")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "Ceph is not installed (missing: ${missing[*]}); install it with: sudo $0 install (or make deps)"
    [ "${CI:-}" = true ] && exit 1
    log "skipping: the S3 integration tests need a real S3 server"
    exit 77
  fi
  [ -f "$D/mon.pid" ] && { log "stopping the previous cluster in $D"; KEEP_DIR=0 do_stop; }
  trap 'fail "command failed at line $LINENO"' ERR
  rm -rf "$D"; mkdir -p "$D"/{mon,osd,rgw,run,log}

  local rgw_port=${RGW_PORT:-} mon2=${MON_V2_PORT:-} mon1=${MON_V1_PORT:-} ms_min=${MS_PORT_MIN:-} ms_max=${MS_PORT_MAX:-}
  if [ -z "$rgw_port" ] || [ -z "$mon2" ] || [ -z "$mon1" ]; then
    local base; base=$(free_block 3) || fail "no 3 free ports"
    rgw_port=${rgw_port:-$base}; mon2=${mon2:-$((base + 1))}; mon1=${mon1:-$((base + 2))}
  fi
  if [ -z "$ms_min" ]; then ms_min=$(free_block 64) || fail "no 64 free ports"; fi
  ms_max=${ms_max:-$((ms_min + 63))}
  local ep="http://127.0.0.1:$rgw_port" fsid; fsid=$(uuidgen)

  cat >"$D/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon2,v1:127.0.0.1:$mon1]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind port min = $ms_min
ms bind port max = $ms_max
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $D/\$name.keyring
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
[mon]
mon data = $D/mon/\$cluster-\$id
keyring = $D/mon/\$cluster-\$id/keyring
# Commit map changes at once instead of batching them for a second: start-up ~10 s -> ~1 s.
paxos propose interval = 0.01
paxos min wait = 0.01
[osd]
osd data = $D/osd/\$cluster-\$id
osd objectstore = $OBJECTSTORE
memstore device bytes = 2147483648
bluestore block path = $D/osd/\$cluster-\$id/block.file
bluestore block create = true
bluestore block size = 4294967296
osd op num shards = 2
osd op num threads per shard = 2
[client.rgw.a]
rgw data = $D/rgw/\$cluster-\$id
# Without tcp_nodelay every keep-alive response with a body waits ~40 ms (Nagle + delayed ACK).
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw dns name = localhost
rgw enable apis = s3, admin, notifications
# Lets notify create push-endpoints with user:password over loopback HTTP (X-Forwarded-Proto: https).
rgw trust forwarded https = true
rgw thread pool size = 64
EOF
  export CEPH_CONF="$D/ceph.conf"
  ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$D/client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$D/mon.keyring" --import-keyring "$D/client.admin.keyring" >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$mon2,v1:127.0.0.1:$mon1]" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring" >"$D/log/mon-mkfs.out" 2>&1 || fail "mon mkfs"
  ceph-mon -i a -f >>"$D/log/mon.out" 2>&1 &
  echo $! >"$D/mon.pid"
  wait_until "the monitor" mon timeout 5 ceph -s --connect-timeout 2

  local uuid id; uuid=$(uuidgen); id=$(ceph osd new "$uuid")
  mkdir -p "$D/osd/ceph-$id"
  ceph auth get-or-create "osd.$id" mon 'allow profile osd' mgr 'allow profile osd' osd 'allow *' >"$D/osd.$id.keyring"
  ceph-osd -i "$id" --mkfs --osd-uuid "$uuid" >"$D/log/osd-mkfs.out" 2>&1 || fail "osd mkfs"
  ceph-osd -i "$id" -f >>"$D/log/osd.out" 2>&1 &
  echo $! >"$D/osd.pid"
  wait_until "osd.$id up" osd sh -c "ceph osd dump 2>/dev/null | grep -q '^osd.$id up'"

  ceph auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' >"$D/client.rgw.a.keyring"
  mkdir -p "$D/rgw/ceph-rgw.a"
  radosgw -n client.rgw.a -f >>"$D/log/rgw.out" 2>&1 &
  echo $! >"$D/rgw.pid"
  wait_until "radosgw on $ep" rgw curl -sf --max-time 2 -o /dev/null "$ep/"
  radosgw-admin user create --uid=eb --display-name=eventbarrier --access-key="$AK" --secret-key="$SK" >/dev/null
  wait_until "the S3 user" rgw s3 -o /dev/null "$ep/"
  if [ -n "${S3_BUCKET:-}" ]; then
    s3 -o /dev/null -X PUT -H 'Content-Length: 0' "$ep/$S3_BUCKET" || fail "create bucket $S3_BUCKET"
  fi

  cat >"$D/env" <<EOF
export AWS_ENDPOINT_URL=$ep AWS_ENDPOINT_URL_S3=$ep S3_ENDPOINT=$ep
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export S3_BUCKET=${S3_BUCKET:-}
EOF
  trap - ERR
  if [ -n "${S3_WEBHOOK_URL:-}" ]; then
    [ -n "${S3_BUCKET:-}" ] || fail "S3_WEBHOOK_URL needs S3_BUCKET"
    do_notify "$S3_BUCKET" "$S3_WEBHOOK_URL" || fail "notify"
  fi
  log "ready: $ep in ${SECONDS}s (pids mon=$(cat "$D/mon.pid") osd=$(cat "$D/osd.pid") rgw=$(cat "$D/rgw.pid")); env: $D/env"
}

# The RGW alone, for tests that restart the S3 endpoint mid-run (tests/chaos).
do_start_rgw() {
  [ -f "$D/ceph.conf" ] || { log "no cluster in $D"; exit 1; }
  export CEPH_CONF="$D/ceph.conf"
  local ep; ep=$(sed -n 's/^export AWS_ENDPOINT_URL=\([^ ]*\).*/\1/p' "$D/env")
  radosgw -n client.rgw.a -f >>"$D/log/rgw.out" 2>&1 &
  echo $! >"$D/rgw.pid"
  wait_until "radosgw on $ep" rgw curl -sf --max-time 2 -o /dev/null "$ep/"
  log "rgw restarted: $ep (pid $(cat "$D/rgw.pid"))"
}

case "${1:-}" in
  install) do_install ;;
  stop-rgw) stop_daemon rgw ;;
  start-rgw) do_start_rgw ;;
  start) do_start ;;
  stop) do_stop ;;
  notify) shift; do_notify "$@" ;;
  status)
    for n in mon osd rgw; do
      if [ -f "$D/$n.pid" ] && kill -0 "$(cat "$D/$n.pid")" 2>/dev/null; then echo "$n up"; else echo "$n down"; fi
    done ;;
  *) echo "usage: $0 install|start|stop|status|stop-rgw|start-rgw|notify BUCKET URL..." >&2; exit 2 ;;
esac
