#!/usr/bin/env bash
# check-lambda-package.sh - checks the bundled-loader rule of a Lambda zip (or its unpacked folder):
#
#   1. bootstrap is an ELF executable (not a script) and executable;
#   2. its interpreter is the bundled loader, TASK_ROOT/lib/<loader>, and that file is in the zip;
#   3. it finds its libraries through DT_RPATH $ORIGIN/lib[:TASK_ROOT/lib] and has no DT_RUNPATH
#      (Lambda's LD_LIBRARY_PATH would otherwise win with the system's glibc);
#   4. every DT_NEEDED of every ELF file in the zip is in lib/, no library carries its own
#      RPATH/RUNPATH, no symlinks, one machine type throughout;
#   5. the loader and libc.so.6 come from the same glibc build, and no ELF file needs a
#      GLIBC_x.y symbol version newer than the bundled libc defines.
#
#   scripts/check-lambda-package.sh [--task-root /var/task] ZIP|DIR
# Exit 0 and a one-line summary when the rule holds; 1 naming the first broken rule otherwise.
set -euo pipefail

task_root=/var/task
if [ "${1:-}" = --task-root ]; then task_root=$2; shift 2; fi
target=${1:?usage: check-lambda-package.sh [--task-root DIR] ZIP|DIR}
fail() { echo "check-lambda-package: $target: $*" >&2; exit 1; }

dir=$target
if [ -f "$target" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/eb-check-XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  unzip -q "$target" -d "$dir" || fail "not a readable zip"
fi
is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# 1-3: bootstrap.
b=$dir/bootstrap
[ -f "$b" ] && [ ! -L "$b" ] || fail "no bootstrap file at the top of the zip"
[ -x "$b" ] || fail "bootstrap is not executable"
is_elf "$b" || fail "bootstrap is not an ELF binary (a shell wrapper costs ~40 ms per cold start)"
readelf -hW "$b" | grep -q 'Type:.*\(EXEC\|DYN\)' || fail "bootstrap is not an executable"
interp=$(readelf -lW "$b" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
case "$interp" in
  "$task_root"/lib/*) ;;
  *) fail "bootstrap's interpreter is '$interp', not the bundled loader under $task_root/lib/" ;;
esac
loader=lib/${interp#"$task_root"/lib/}
[ -f "$dir/$loader" ] || fail "the interpreter $interp is not in the zip ($loader)"
dynamic=$(readelf -dW "$b")
if grep -q '(RUNPATH)' <<<"$dynamic"; then
  fail "bootstrap has DT_RUNPATH: Lambda's LD_LIBRARY_PATH (/lib64, ...) would be searched first"
fi
rpath=$(sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p' <<<"$dynamic")
case "$rpath" in
  '$ORIGIN/lib' | "\$ORIGIN/lib:$task_root/lib") ;;
  *) fail "bootstrap's DT_RPATH is '$rpath', not \$ORIGIN/lib (optionally followed by $task_root/lib)" ;;
esac

# 4: every ELF file.
machine=$(readelf -hW "$b" | sed -n 's/^ *Machine: *//p')
newest_needed=GLIBC_2.0
count=0
for f in "$b" "$dir"/lib/*; do
  name=${f#"$dir"/}
  [ ! -L "$f" ] || fail "$name is a symlink (zip it as a file)"
  is_elf "$f" || fail "$name is not an ELF file"
  count=$((count + 1))
  m=$(readelf -hW "$f" | sed -n 's/^ *Machine: *//p')
  [ "$m" = "$machine" ] || fail "$name is for '$m', bootstrap for '$machine'"
  for needed in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -f "$dir/lib/$needed" ] || fail "$name needs $needed, which is not in lib/"
  done
  if [ "$f" != "$b" ] && readelf -dW "$f" | grep -qE '\((RPATH|RUNPATH)\)'; then
    fail "$name has its own RPATH/RUNPATH"
  fi
  # Only what the file needs (.gnu.version_r), not what it defines (libc's own .gnu.version_d).
  for v in $(readelf -VW "$f" | awk '/^Version needs section/ {n = 1; next} /^Version/ {n = 0} n' |
             sed -n 's/.*Name: \(GLIBC_[0-9][0-9.]*[0-9]\).*/\1/p' | sort -u); do
    newest_needed=$(printf '%s\n%s\n' "$newest_needed" "$v" | sort -V | tail -1)
  done
done

# 5: glibc.
[ -f "$dir/lib/libc.so.6" ] || fail "lib/libc.so.6 is missing: the bundled loader needs its own glibc"
libc_build=$(grep -aoE 'GNU C Library \([^)]*\) [a-z ]*release version [0-9.]*[0-9]' "$dir/lib/libc.so.6" | head -1)
ld_build=$(grep -aoE 'ld\.so \([^)]*\) [a-z ]*release version [0-9.]*[0-9]' "$dir/$loader" | head -1)
[ -n "$libc_build" ] && [ -n "$ld_build" ] || fail "cannot read the glibc build of libc.so.6 / $loader"
[ "${libc_build#GNU C Library }" = "${ld_build#ld.so }" ] ||
  fail "the loader ($ld_build) and libc.so.6 ($libc_build) come from different glibc builds"
newest_defined=$(readelf -W --dyn-syms "$dir/lib/libc.so.6" | grep -oE 'GLIBC_[0-9][0-9.]*[0-9]' | sort -uV | tail -1)
[ "$(printf '%s\n%s\n' "$newest_needed" "$newest_defined" | sort -V | tail -1)" = "$newest_defined" ] ||
  fail "an ELF file needs $newest_needed, the bundled libc defines only up to $newest_defined"

echo "check-lambda-package: ok: bootstrap ($machine), $count ELF files, interpreter $interp," \
  "glibc ${libc_build##*version } bundled, newest version needed $newest_needed"
