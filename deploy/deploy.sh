#!/usr/bin/env bash
# One-command deployment of eventbarrier to AWS: package, upload, deploy the
# CloudFormation stack (deploy/template.yaml), wire the bucket notification,
# print what was created. The plain AWS CLI steps are in deploy/README.md.
#
#   deploy/deploy.sh --stack NAME --bucket DATA_BUCKET --watch PREFIX [--watch PREFIX ...]
#                    [--create-bucket] [--config FILE] [--code-bucket BUCKET]
#                    [--state-bucket BUCKET] [--state-prefix .eventbarrier/]
#                    [--tombstone-days 16] [--param Key=Value ...] [--region REGION]
#
#   --create-bucket  the stack creates DATA_BUCKET with its notification; without it the
#                    bucket exists and this script adds the notification, keeping every
#                    other notification of the bucket (deploy/notification.py)
#   --config FILE    the barrier configuration bundled into the zip (CONFIG=FILE for make)
#   --code-bucket    where the zip is uploaded (default: eventbarrier-code-ACCOUNT-REGION,
#                    created if missing)
#   --tombstone-days days after which S3 expires the tombstones of consumed arrivals
#                    (STATE_PREFIX_consumed/): state.retention + 1 (default 15 + 1). A bucket
#                    the stack creates gets the lifecycle rule from the template; otherwise this
#                    script adds it, keeping the bucket's other rules (deploy/lifecycle.py)
#   --param K=V      any other template parameter: SnsTopicArn=..., SqsQueueArn=...,
#                    EventBusName=default, TargetFunctionArn=..., StateMachineArn=...,
#                    ManifestPrefix=ready/, SweepSchedule=..., AlarmTopicArn=..., ...
#
# Environment: AWS_PROFILE / AWS_REGION as for the AWS CLI. AWS and MAKE name the
# commands to run (tests replace them).
set -euo pipefail
AWS="${AWS:-aws}"
MAKE="${MAKE:-make}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "deploy.sh: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

STACK= BUCKET= CREATE=false CONFIG= CODE_BUCKET= STATE_BUCKET= STATE_PREFIX=.eventbarrier/ REGION=
TOMBSTONE_DAYS=16
WATCH=() PARAMS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) STACK="$2"; shift 2 ;;
    --bucket) BUCKET="$2"; shift 2 ;;
    --watch) WATCH+=("$2"); shift 2 ;;
    --create-bucket) CREATE=true; shift ;;
    --config) CONFIG="$2"; shift 2 ;;
    --code-bucket) CODE_BUCKET="$2"; shift 2 ;;
    --state-bucket) STATE_BUCKET="$2"; shift 2 ;;
    --state-prefix) STATE_PREFIX="$2"; shift 2 ;;
    --tombstone-days) TOMBSTONE_DAYS="$2"; shift 2 ;;
    --param) PARAMS+=("$2"); shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$STACK" ] || die "--stack NAME is required"
[ -n "$BUCKET" ] || die "--bucket DATA_BUCKET is required"
[ ${#WATCH[@]} -ge 1 ] || die "at least one --watch PREFIX is required (the keys your producers write)"
[ ${#WATCH[@]} -le 4 ] || die "the template takes at most 4 watched prefixes (use a common parent prefix)"
[[ "$TOMBSTONE_DAYS" =~ ^[1-9][0-9]*$ ]] || die "--tombstone-days must be a whole number of days >= 1 (state.retention + 1), not '$TOMBSTONE_DAYS'"
command -v "$AWS" >/dev/null || die "the AWS CLI ('$AWS') is not installed"
command -v python3 >/dev/null || die "python3 is needed to merge the bucket notification"
[ -n "$REGION" ] && export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"

# A watched prefix must never cover the state (checked again by the template and notification.py).
for p in "${WATCH[@]}"; do
  case "$p" in ""|.*) die "watched prefix '$p' must be non-empty and must not start with '.'" ;; esac
done

# 1. Package. `make package` builds dist/eventbarrier-lambda-$(uname -m).zip.
cd "$ROOT"
if ! "$MAKE" -n package >/dev/null 2>&1; then
  die "no 'make package' target in $ROOT: run deploy/deploy.sh from an eventbarrier checkout"
fi
say "make package${CONFIG:+ CONFIG=$CONFIG}"
"$MAKE" package ${CONFIG:+CONFIG="$CONFIG"} >&2 || die "make package failed"
MACHINE="$(uname -m)"
ZIP="$ROOT/dist/eventbarrier-lambda-$MACHINE.zip"
[ -f "$ZIP" ] || die "make package did not produce $ZIP"
# The function's architecture is the zip's: its bootstrap's ELF machine (e_machine, bytes 18-19).
command -v unzip >/dev/null && command -v od >/dev/null || die "unzip and od are needed to read the zip"
ELF_MACHINE="$(unzip -p "$ZIP" bootstrap 2>/dev/null | od -An -j18 -N2 -tu2 | tr -d ' ')"
case "$ELF_MACHINE" in
  62) ARCH=x86_64 ;;
  183) ARCH=arm64 ;;
  *) die "$ZIP: bootstrap is not an x86_64 or arm64 ELF binary (e_machine '${ELF_MACHINE:-none}')" ;;
esac

# 2. Upload, under a content-addressed key so CloudFormation sees every new build.
ACCOUNT="$("$AWS" sts get-caller-identity --query Account --output text)" || die "no AWS credentials"
REGION_NOW="${AWS_REGION:-$("$AWS" configure get region || true)}"
[ -n "$REGION_NOW" ] || die "no region: pass --region or set AWS_REGION"
CODE_BUCKET="${CODE_BUCKET:-eventbarrier-code-$ACCOUNT-$REGION_NOW}"
if ! "$AWS" s3api head-bucket --bucket "$CODE_BUCKET" >/dev/null 2>&1; then
  say "creating code bucket s3://$CODE_BUCKET"
  if [ "$REGION_NOW" = us-east-1 ]; then
    "$AWS" s3api create-bucket --bucket "$CODE_BUCKET" >/dev/null
  else
    "$AWS" s3api create-bucket --bucket "$CODE_BUCKET" \
      --create-bucket-configuration LocationConstraint="$REGION_NOW" >/dev/null
  fi
  "$AWS" s3api put-public-access-block --bucket "$CODE_BUCKET" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
fi
SUM="$(sha256sum "$ZIP" | cut -c1-16)"
CODE_KEY="eventbarrier/eventbarrier-lambda-$ARCH-$SUM.zip"
say "uploading $(basename "$ZIP") to s3://$CODE_BUCKET/$CODE_KEY"
"$AWS" s3 cp "$ZIP" "s3://$CODE_BUCKET/$CODE_KEY" --only-show-errors

# 3. Deploy the stack.
OVERRIDES=(CodeBucket="$CODE_BUCKET" CodeKey="$CODE_KEY" Architecture="$ARCH"
           DataBucketName="$BUCKET" CreateDataBucket="$CREATE" StatePrefix="$STATE_PREFIX"
           TombstoneExpiryDays="$TOMBSTONE_DAYS")
[ -n "$STATE_BUCKET" ] && OVERRIDES+=(StateBucketName="$STATE_BUCKET")
for i in "${!WATCH[@]}"; do OVERRIDES+=("WatchedPrefix$((i + 1))=${WATCH[$i]}"); done
OVERRIDES+=("${PARAMS[@]}")
say "aws cloudformation deploy --stack-name $STACK"
"$AWS" cloudformation deploy --template-file "$ROOT/deploy/template.yaml" --stack-name "$STACK" \
  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
  --parameter-overrides "${OVERRIDES[@]}" >&2 || die "the stack did not deploy (see the events above)"

# A stack output by name; stops naming it when the stack lacks it (the CLI prints
# "None" or nothing for a missing one, which must not be passed on as a value).
output() {
  local value
  value="$("$AWS" cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text)" ||
    die "could not read the outputs of stack $STACK"
  if [ -z "$value" ] || [ "$value" = None ] || [ "$value" = null ]; then
    local have
    have="$("$AWS" cloudformation describe-stacks --stack-name "$STACK" \
      --query 'Stacks[0].Outputs[].OutputKey' --output text 2>/dev/null || true)"
    case "$have" in ""|None|null) have="none" ;; esac
    die "stack $STACK has no output '$1' (deploy/template.yaml declares it); its outputs: $have"
  fi
  printf '%s\n' "$value"
}
FUNCTION_ARN="$(output FunctionArn)" || exit 1

# 4. An existing bucket: add the notification (CloudFormation cannot), keeping the others.
if [ "$CREATE" = false ]; then
  say "adding the notification to the existing bucket s3://$BUCKET (other notifications kept)"
  CURRENT="$("$AWS" s3api get-bucket-notification-configuration --bucket "$BUCKET" --output json)"
  ARGS=(--function-arn "$FUNCTION_ARN" --state-prefix "$STATE_PREFIX")
  for p in "${WATCH[@]}"; do ARGS+=(--prefix "$p"); done
  NEW="$(printf '%s' "$CURRENT" | python3 "$ROOT/deploy/notification.py" "${ARGS[@]}")" ||
    die "refusing to change the bucket notification"
  "$AWS" s3api put-bucket-notification-configuration --bucket "$BUCKET" \
    --notification-configuration "$NEW"
fi

# 4b. Tombstones expire by a lifecycle rule on the state bucket. A bucket the stack
# created has it from the template; any other gets it here, its other rules kept.
if [ "$CREATE" = false ] || [ -n "$STATE_BUCKET" ]; then
  SB="${STATE_BUCKET:-$BUCKET}"
  say "expiring s3://$SB/${STATE_PREFIX}_consumed/ after $TOMBSTONE_DAYS days (other lifecycle rules kept)"
  ERR="$(mktemp)"
  CURRENT="$("$AWS" s3api get-bucket-lifecycle-configuration --bucket "$SB" --output json 2>"$ERR")" || {
    grep -q NoSuchLifecycleConfiguration "$ERR" ||
      { cat "$ERR" >&2; rm -f "$ERR"; die "could not read the lifecycle rules of s3://$SB"; }
    CURRENT=""  # none yet
  }
  rm -f "$ERR"
  NEW="$(printf '%s' "$CURRENT" | python3 "$ROOT/deploy/lifecycle.py" --state-prefix "$STATE_PREFIX" \
    --days "$TOMBSTONE_DAYS")" || die "refusing to change the lifecycle rules of s3://$SB"
  "$AWS" s3api put-bucket-lifecycle-configuration --bucket "$SB" --lifecycle-configuration "$NEW"
fi

# 5. What was created.
say "stack $STACK:"
"$AWS" cloudformation describe-stack-resources --stack-name "$STACK" \
  --query 'StackResources[].[ResourceType,LogicalResourceId,PhysicalResourceId]' --output table
"$AWS" cloudformation describe-stacks --stack-name "$STACK" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table
echo "Function: $FUNCTION_ARN"
echo "Watching: ${WATCH[*]/#/s3://$BUCKET/}  State: s3://${STATE_BUCKET:-$BUCKET}/$STATE_PREFIX"
