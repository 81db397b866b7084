#!/usr/bin/env bash
# package-lambda.sh - the AWS Lambda zip (provided.al2023, x86_64 or arm64: the binary's machine;
# an arm64 binary cross-built on x86_64 is listed and checked under qemu-user).
#
#   scripts/package-lambda.sh --binary build-release/eventbarrier --config examples/barriers.json \
#                             --out dist/eventbarrier-lambda-x86_64.zip
#   scripts/package-lambda.sh --binary build-release/bench/lambda_hello --no-config --out hello.zip
#
# Strategy: bundle the build machine's dynamic loader and glibc. Amazon Linux 2023 has glibc 2.34;
# a Debian 12 build needs 2.36 (libstdc++ alone does), so the zip carries its own:
#   bootstrap                    the binary itself (no shell wrapper: it costs ~40 ms per cold start),
#                                interpreter /var/task/lib/<loader>, DT_RPATH $ORIGIN/lib:/var/task/lib
#   lib/<loader>, lib/libc.so.6  the loader and glibc it was built against
#   lib/*                        every other shared library `ldd` resolves (for eventbarrier, linked lean
#                                by CMake's eb_lean_binary: none but glibc's)
#   eventbarrier.json            the configuration, checked first by the packaged binary itself
# DT_RPATH, not DT_RUNPATH: Lambda sets LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:..., which
# the loader searches before a RUNPATH (and after an RPATH): with a RUNPATH the system's glibc 2.34
# libc.so.6 would be mixed with our loader.
#
# Options: --task-root DIR (where Lambda unpacks the zip; default /var/task), --keep-stage DIR.
# Ends with scripts/check-lambda-package.sh on the zip; any failure fails packaging (exit 1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
binary= config= out= task_root=/var/task no_config=0 keep_stage=
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --no-config) no_config=1; shift ;;
    --out) out=$2; shift 2 ;;
    --task-root) task_root=$2; shift 2 ;;
    --keep-stage) keep_stage=$2; shift 2 ;;
    *) echo "package-lambda: unknown argument $1" >&2; exit 2 ;;
  esac
done
fail() { echo "package-lambda: $*" >&2; exit 1; }
[ -n "$binary" ] && [ -n "$out" ] || fail "usage: --binary FILE --out ZIP (--config FILE | --no-config)"
[ -f "$binary" ] || fail "no binary $binary (build it first)"
[ "$no_config" = 1 ] || [ -n "$config" ] || fail "--config FILE (or --no-config) is required"
for tool in ldd readelf patchelf strip zip unzip; do
  command -v "$tool" >/dev/null || fail "$tool is missing (make deps installs it)"
done

# A binary for another machine (make package ARCH=arm64 on x86_64): its loader lists its
# libraries and runs the configuration check under qemu-user, and the cross strip strips it.
# RUN prefixes every execution of the packaged code; STRIP is the strip for its machine.
RUN=() STRIP=strip
elf_machine=$(readelf -hW "$binary" | sed -n 's/^ *Machine: *//p')
case "$elf_machine:$(uname -m)" in
  *X86-64*:x86_64 | AArch64:aarch64) ;;
  AArch64:*)
    command -v qemu-aarch64-static >/dev/null || fail "qemu-aarch64-static is missing (make deps ARCH=arm64)"
    command -v aarch64-linux-gnu-strip >/dev/null || fail "aarch64-linux-gnu-strip is missing (make deps ARCH=arm64)"
    RUN=(qemu-aarch64-static) STRIP=aarch64-linux-gnu-strip ;;
  *) fail "$binary is for '$elf_machine', which this machine can neither run nor emulate" ;;
esac
# ldd, through the binary's own loader (as ldd itself does: LD_TRACE_LOADED_OBJECTS).
list_libraries() { env LD_TRACE_LOADED_OBJECTS=1 "${RUN[@]}" "$interp" "$1"; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/eb-package-XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"

# The loader the binary asks for, and every library it resolves on this machine.
interp=$(readelf -lW "$binary" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || fail "$binary has no program interpreter (a static binary needs no packaging)"
loader=$(basename "$interp")
cp -L "$interp" "$stage/lib/$loader"
libraries=$(list_libraries "$binary") || fail "$interp could not list the libraries of $binary"
missing=$(echo "$libraries" | grep 'not found' || true)
[ -z "$missing" ] || fail "unresolved libraries: $missing"
echo "$libraries" | while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue  # the vdso and the loader line
  cp -L "$path" "$stage/lib/$name"
done

cp "$binary" "$stage/bootstrap"
"$STRIP" --strip-unneeded "$stage/bootstrap"
# $ORIGIN needs /proc (the loader reads /proc/self/exe); TASK_ROOT/lib is the fallback without it.
patchelf --set-interpreter "$task_root/lib/$loader" --force-rpath --set-rpath "\$ORIGIN/lib:$task_root/lib" \
  "$stage/bootstrap"
chmod 0755 "$stage/bootstrap"
chmod 0644 "$stage"/lib/*
chmod 0755 "$stage/lib/$loader"

# The packaged binary checks the configuration it will load (through the bundled loader,
# so this also proves the binary starts with the bundled libraries).
if [ "$no_config" = 0 ]; then
  [ -f "$config" ] || fail "no configuration $config"
  if ! env -u LD_LIBRARY_PATH -u LD_PRELOAD "${RUN[@]}" "$stage/lib/$loader" "$stage/bootstrap" lambda --check "$config"; then
    fail "configuration $config is invalid: not packaged"
  fi
  cp "$config" "$stage/eventbarrier.json"
  chmod 0644 "$stage/eventbarrier.json"
fi

mkdir -p "$(dirname "$out")"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$out_abs"
entries=(bootstrap lib)
[ "$no_config" = 1 ] || entries+=(eventbarrier.json)
(cd "$stage" && zip -q -X -r "$out_abs" "${entries[@]}")
if [ -n "$keep_stage" ]; then rm -rf "$keep_stage"; cp -a "$stage" "$keep_stage"; fi

bash "$here/check-lambda-package.sh" --task-root "$task_root" "$out_abs"
echo "package-lambda: $out ($(du -k "$out_abs" | cut -f1) KiB)"
