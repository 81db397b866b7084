#!/usr/bin/env bash
# deploy/deploy.sh against stand-ins for `make` and the AWS CLI that record
# their calls: it fails clearly without `make package` or without the zip,
# refuses a watched prefix that could cover the state, passes the right
# parameters to `aws cloudformation deploy`, and for an existing bucket writes
# the notification merged with the bucket's other notifications.
#   deploy_sh_test.sh SOURCE_DIR
set -uo pipefail
SRC="$1"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FAILED=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

# The real Makefile has the target deploy.sh calls, with the CONFIG it passes.
make -s -n -C "$SRC" package CONFIG=examples/barriers.json 2>/dev/null | grep -q "package-lambda.sh .*--config examples/barriers.json" &&
  ok "the project's Makefile has 'make package CONFIG=...'" || fail "the project's Makefile lacks 'make package CONFIG=...'"
make -s -n -C "$SRC" package 2>/dev/null | grep -q -- "--out dist/eventbarrier-lambda-$(uname -m).zip" &&
  ok "make package writes the zip deploy.sh uploads" || fail "make package's zip is not dist/eventbarrier-lambda-\$(uname -m).zip"

# A copy of deploy/ in a scratch root, so `dist/` is the scratch one.
mkdir -p "$WORK/root/deploy" "$WORK/bin"
cp "$SRC/deploy/deploy.sh" "$SRC/deploy/template.yaml" "$SRC/deploy/notification.py" "$SRC/deploy/lifecycle.py" \
  "$WORK/root/deploy/"

cat >"$WORK/bin/make" <<'STUB'
#!/usr/bin/env bash
echo "make $*" >>"$LOG"
[ "${HAS_PACKAGE:-1}" = 1 ] || exit 2
if [ "$1" = package ] && [ "${MAKES_ZIP:-1}" = 1 ]; then
  # A zip whose bootstrap is an ELF file of machine ZIP_MACHINE (62 x86_64, 183 arm64):
  # the ELF header up to e_machine, little-endian.
  mkdir -p dist stage && rm -f "dist/eventbarrier-lambda-$(uname -m).zip"
  m=${ZIP_MACHINE:-62}
  { printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000'
    printf "\\$(printf %o $((m % 256)))\\$(printf %o $((m / 256)))"; } >stage/bootstrap
  (cd stage && zip -q "../dist/eventbarrier-lambda-$(uname -m).zip" bootstrap)
fi
exit 0
STUB
cat >"$WORK/bin/aws" <<'STUB'
#!/usr/bin/env bash
printf 'aws' >>"$LOG"; printf ' [%s]' "$@" >>"$LOG"; echo >>"$LOG"
case "$1 $2" in
  "sts get-caller-identity") echo 123456789012 ;;
  "configure get") echo eu-west-1 ;;
  "cloudformation describe-stacks")
    if [ "${NO_OUTPUTS:-0}" = 1 ]; then echo None; else echo "arn:aws:lambda:eu-west-1:123456789012:function:eb"; fi ;;
  "s3api get-bucket-lifecycle-configuration")
    echo '{"Rules":[{"ID":"logs","Filter":{"Prefix":"logs/"},"Status":"Enabled","Expiration":{"Days":30}}]}' ;;
  "s3api get-bucket-notification-configuration")
    echo '{"LambdaFunctionConfigurations":[{"Id":"audit","LambdaFunctionArn":"arn:x","Events":["s3:ObjectRemoved:*"]}]}' ;;
esac
exit 0
STUB
chmod +x "$WORK/bin/make" "$WORK/bin/aws"
export PATH="$WORK/bin:$PATH" LOG="$WORK/log" AWS_REGION=eu-west-1
DEPLOY="$WORK/root/deploy/deploy.sh"

run() { : >"$LOG"; rm -rf "$WORK/root/dist"; bash "$DEPLOY" "$@" >"$WORK/out" 2>&1; }

HAS_PACKAGE=0 run --stack s --bucket data --watch sales/
[ $? -ne 0 ] && grep -q "no 'make package' target" "$WORK/out" &&
  ok "fails clearly without make package" || fail "without make package: $(cat "$WORK/out")"

MAKES_ZIP=0 run --stack s --bucket data --watch sales/
[ $? -ne 0 ] && grep -q "did not produce .*eventbarrier-lambda-$(uname -m).zip" "$WORK/out" &&
  ok "fails clearly when the zip is missing" || fail "missing zip: $(cat "$WORK/out")"
grep -q "cloudformation" "$LOG" && fail "deployed without a zip" || ok "nothing deployed without a zip"

run --stack s --bucket data --watch .eventbarrier/
[ $? -ne 0 ] && ! grep -q . "$LOG" && ok "refuses a watched prefix starting with '.' before anything" ||
  fail "watched prefix '.eventbarrier/' was not refused"

run --stack s --bucket data --watch sales/ --watch stock/ --param SnsTopicArn=arn:aws:sns:eu-west-1:1:t
rc=$?
[ $rc -eq 0 ] && ok "deploys (existing bucket)" || fail "deploy failed: $(cat "$WORK/out")"
arch=x86_64  # the stand-in make's zip holds an x86_64 bootstrap, whatever this machine is
deploy_line="$(grep '^aws \[cloudformation\] \[deploy\]' "$LOG")"
for want in "[--stack-name] [s]" "[CAPABILITY_IAM]" "[Architecture=$arch]" "[DataBucketName=data]" \
            "[CreateDataBucket=false]" "[WatchedPrefix1=sales/]" "[WatchedPrefix2=stock/]" \
            "[StatePrefix=.eventbarrier/]" "[SnsTopicArn=arn:aws:sns:eu-west-1:1:t]" \
            "[CodeBucket=eventbarrier-code-123456789012-eu-west-1]" "[CodeKey=eventbarrier/eventbarrier-lambda-$arch-"; do
  [[ "$deploy_line" == *"$want"* ]] && ok "cloudformation deploy gets $want" || fail "cloudformation deploy lacks $want: $deploy_line"
done
grep -q '^aws \[s3\] \[cp\] .*eventbarrier-lambda-' "$LOG" && ok "uploads the zip" || fail "no upload"
life="$(grep '^aws \[s3api\] \[put-bucket-lifecycle-configuration\]' "$LOG")"
[[ "$life" == *'"ID": "logs"'* ]] && ok "keeps the bucket's other lifecycle rule" || fail "other lifecycle rule lost: $life"
[[ "$life" == *'"Prefix": ".eventbarrier/_consumed/"'* && "$life" == *'"Days": 16'* ]] &&
  ok "expires the tombstones after state.retention + 1 day" || fail "tombstone rule: $life"
grep -q "TombstoneExpiryDays=16" "$LOG" && ok "passes TombstoneExpiryDays to the stack" || fail "no TombstoneExpiryDays: $(cat "$LOG")"
put="$(grep '^aws \[s3api\] \[put-bucket-notification-configuration\]' "$LOG")"
[[ "$put" == *'"Id": "audit"'* ]] && ok "keeps the bucket's other notification" || fail "other notification lost: $put"
[[ "$put" == *'"Value": "sales/"'* && "$put" == *'"Value": "stock/"'* && "$put" == *'function:eb'* ]] &&
  ok "adds one notification per watched prefix" || fail "notification: $put"
grep -q "Function: arn:aws:lambda" "$WORK/out" && ok "prints what was created" || fail "no summary"

ZIP_MACHINE=183 run --stack s --bucket data --watch sales/
grep -q '^aws \[cloudformation\] \[deploy\].*\[Architecture=arm64\]' "$LOG" &&
  grep -q '^aws \[s3\] \[cp\] .*eventbarrier-lambda-arm64-' "$LOG" &&
  ok "an arm64 zip deploys as arm64 (the zip's architecture, not this machine's)" ||
  fail "arm64 zip: $(grep cloudformation "$LOG")"
ZIP_MACHINE=40 run --stack s --bucket data --watch sales/
[ $? -ne 0 ] && grep -q "not an x86_64 or arm64 ELF" "$WORK/out" && ! grep -q cloudformation "$LOG" &&
  ok "a zip of another machine (ARM32) is refused before anything is deployed" ||
  fail "ARM32 zip: $(cat "$WORK/out")"

NO_OUTPUTS=1 run --stack s --bucket data --watch sales/
[ $? -ne 0 ] && grep -q "has no output 'FunctionArn'" "$WORK/out" && ! grep -q put-bucket-notification "$LOG" &&
  ok "stops naming a missing stack output, before the notification" ||
  fail "missing output FunctionArn: $(cat "$WORK/out")"

run --stack s --bucket data --watch sales/ --create-bucket
[ $? -eq 0 ] && grep -q "CreateDataBucket=true" "$LOG" && ! grep -q put-bucket-notification "$LOG" &&
  ! grep -q put-bucket-lifecycle "$LOG" &&
  ok "a new bucket gets its notification from the stack" || fail "--create-bucket: $(cat "$LOG")"
exit $FAILED
