#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer (ASan + UBSan):
#   decode_fuzzer  DecodePayload / FormUrlDecode (src/sources)
#   config_fuzzer  ParseConfig (src/core)
#   xml_fuzzer     S3 / AWS XML: ParseListObjectsV2, ParseS3Error,
#                  ParseDeleteObjectsErrors, ParseServiceError, XmlElements, XmlUnescape (src/aws)
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (per target; default ${FUZZ_SECONDS:-60}, all three)
#   make fuzz-long   600 s per target, the run recorded in docs/FUZZING.md
# Builds with clang++ in its own tree (EB_FUZZ_BUILD, default build-fuzz/), seeds
# each corpus from ../shared/vectors (EVENTBARRIER_VECTORS: event samples for
# decode, any *.xml for xml), fuzz/seeds, fuzz/regressions and examples/, and
# runs the targets one after the other (one core each). Missing vectors: a
# message and fuzz/seeds only; with CI=true, a failure. Exit 0: no crash, leak,
# timeout or sanitizer report; crashing inputs are kept in $EB_FUZZ_BUILD/artifacts.
# Exit 77 (skipped) if clang++ is missing (scripts/install-deps.sh installs it).
set -euo pipefail
SECS=${1:-${FUZZ_SECONDS:-60}}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode config xml)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${EB_FUZZ_BUILD:-$ROOT/build-fuzz}
VECTORS=${EVENTBARRIER_VECTORS:-$ROOT/../shared/vectors}
CLANGXX=${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}
if [ -z "$CLANGXX" ]; then
  echo "fuzz: clang++ not found; run scripts/install-deps.sh" >&2
  exit 77
fi

# Warnings are not errors here: -Werror guards the gcc build; clang may warn differently.
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CLANGXX" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEB_FUZZ=ON -DEB_WERROR=OFF \
  -DEB_BUILD_TESTS=OFF -DEB_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j "${FUZZ_JOBS:-2}" --target "${TARGETS[@]/%/_fuzzer}"

# seed CORPUS FILES...: copies each file in, named after its path.
seed() {
  local corpus=$1
  shift
  local f
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$corpus/seed_$(echo "${f#"$ROOT"/}" | tr '/.' '__')"
  done
  return 0
}

mkdir -p "$BUILD/corpus/decode" "$BUILD/corpus/config" "$BUILD/corpus/xml" "$BUILD/artifacts"
seed "$BUILD/corpus/decode" "$ROOT"/fuzz/seeds/decode/*.json "$ROOT"/fuzz/regressions/decode/*
seed "$BUILD/corpus/config" "$ROOT"/fuzz/seeds/config/*.json "$ROOT"/examples/*.json \
  "$ROOT"/fuzz/regressions/config/*
seed "$BUILD/corpus/xml" "$ROOT"/fuzz/seeds/xml/*.xml "$ROOT"/fuzz/regressions/xml/*
if [ -d "$VECTORS" ]; then
  # Event samples only (the SigV4 suites are not JSON events).
  while IFS= read -r -d '' f; do seed "$BUILD/corpus/decode" "$f"; done < <(
    find "$VECTORS" -name '*.json' -not -path '*aws-c-auth*' -not -path '*botocore*' \
      -not -path '*sigv4*' -print0)
  # S3 XML bodies, if the vectors hold any (none in the current set: see docs/FUZZING.md).
  while IFS= read -r -d '' f; do seed "$BUILD/corpus/xml" "$f"; done < <(
    find "$VECTORS" -name '*.xml' -print0)
elif [ "${CI:-}" = true ]; then
  echo "fuzz: CI=true but the shared test vectors are missing at $VECTORS (set EVENTBARRIER_VECTORS)" >&2
  exit 1
else
  echo "fuzz: shared test vectors not found at $VECTORS (EVENTBARRIER_VECTORS); seeding from fuzz/seeds only" >&2
fi
echo "fuzz: corpus files: decode $(ls "$BUILD/corpus/decode" | wc -l)," \
  "config $(ls "$BUILD/corpus/config" | wc -l), xml $(ls "$BUILD/corpus/xml" | wc -l)" >&2

status=0
dict() {  # the libFuzzer dictionary of a target
  case $1 in xml) echo "$ROOT/fuzz/xml.dict" ;; *) echo "$ROOT/fuzz/json.dict" ;; esac
}
for target in "${TARGETS[@]}"; do
  echo "fuzz: $target for ${SECS}s" >&2
  touch "$BUILD/$target.started"
  # -max_len: real payloads are a few KB; longer inputs only slow the search.
  if ! "$BUILD/fuzz/${target}_fuzzer" "$BUILD/corpus/$target" \
      -dict="$(dict "$target")" -max_total_time="$SECS" -max_len=16384 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$target-" \
      > "$BUILD/$target.log" 2>&1; then
    echo "fuzz: $target FAILED (last lines of $BUILD/$target.log):" >&2
    tail -n 40 "$BUILD/$target.log" >&2
    # The input itself, so that a CI log alone reproduces it: base64 -d > f; ${target}_fuzzer f
    find "$BUILD/artifacts" -name "$target-*" -newer "$BUILD/$target.started" -print0 |
      while IFS= read -r -d '' artifact; do
        echo "fuzz: $(basename "$artifact") ($(wc -c <"$artifact") bytes), base64:" >&2
        base64 -w 0 "$artifact" >&2  # whole: -max_len keeps it under 16 KB
        echo >&2
      done
    status=1
  else
    # The last status line (cov, ft, corpus) and the final stats, for docs/FUZZING.md.
    grep -E "^#[0-9]+" "$BUILD/$target.log" | tail -n 1 >&2 || true
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/$target.log" >&2 || true
  fi
done
exit $status
