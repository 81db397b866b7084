#!/usr/bin/env bash
# CTest entry: the arm64 zip cross-built on x86_64 and run under qemu-user.
#   arm64_package_test.sh SOURCE_DIR WORK_DIR
# Runs `make package ARCH=arm64` (its build folder and zip under WORK_DIR, not the
# checkout's), then arm64_package_test.py on the zip. Needs Debian's cross toolchain,
# the arm64 libraries and qemu-user-static (scripts/install-deps.sh installs them on
# x86_64): without them it skips (77) saying so, and fails with CI=true.
set -uo pipefail
SRC="$1" WORK="$2"
missing=()
for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-strip qemu-aarch64-static; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -e /usr/lib/aarch64-linux-gnu/libssl.a ] || missing+=(libssl-dev:arm64)
[ -e "${EB_HTTPLIB_DIR:-/opt/eventbarrier/cpp-httplib}/httplib.h" ] || missing+=("cpp-httplib's single header")
if [ ${#missing[@]} -gt 0 ]; then
  [ "${CI:-}" = true ] && { echo "CI=true but missing ${missing[*]} (scripts/install-deps.sh)"; exit 1; }
  echo "SKIP: missing ${missing[*]} (scripts/install-deps.sh installs them on x86_64)"
  exit 77
fi
mkdir -p "$WORK"
ZIP="$WORK/eventbarrier-lambda-aarch64.zip"
start=$(date +%s)
# -O0: the same code as the shipped -O2 build, in about half the compile time (CI's budget).
make -s -C "$SRC" package ARCH=arm64 RELEASE_BUILD="$WORK/build" LAMBDA_ZIP="$ZIP" \
  PACKAGE_CXXFLAGS="${EB_ARM64_CXXFLAGS:--O0 -DNDEBUG}" JOBS="$(nproc)" >"$WORK/package.log" 2>&1 ||
  { tail -40 "$WORK/package.log"; echo "FAIL: make package ARCH=arm64"; exit 1; }
tail -2 "$WORK/package.log"
echo "make package ARCH=arm64: $(($(date +%s) - start)) s"
exec /usr/bin/python3 "$SRC/tests/lambda/arm64_package_test.py" "$ZIP" "$(command -v qemu-aarch64-static)" \
  "$SRC" "$WORK/run"
