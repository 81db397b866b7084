#!/usr/bin/env bash
# `make format-check` (and the format_check test in make test): clang-format, configured by
# .clang-format, over every C++ file in src/ tests/ bench/ fuzz/; a file that would change fails.
# Files formatted before the check existed are listed in scripts/format-pending.txt and are
# skipped: the tree is not reformatted at once (others edit it at the same time). Format a
# listed file's changed lines with `make format` (git clang-format: changed lines only); when a
# listed file comes out clean, this script says so: drop it from the list, the check then holds it.
#
# Usage: format-check.sh [SOURCE_DIR]    exit 0 clean, 1 a file would change,
#                                        77 no clang-format (a failure when CI is set)
set -euo pipefail
ROOT="$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
if ! command -v "$CLANG_FORMAT" >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "format-check: FAIL: $CLANG_FORMAT not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  echo "SKIP: $CLANG_FORMAT not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
cd "$ROOT"
declare -A pending=()
while read -r line; do
  line="${line%%#*}"; line="${line//[[:space:]]/}"
  [ -n "$line" ] && pending["$line"]=1
done < scripts/format-pending.txt

bad=() now_clean=() checked=0
while IFS= read -r -d '' f; do
  f="${f#./}"
  clean=1
  "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || clean=0
  if [ -n "${pending[$f]:-}" ]; then
    [ "$clean" = 1 ] && now_clean+=("$f")
  else
    checked=$((checked + 1))
    [ "$clean" = 1 ] || bad+=("$f")
  fi
done < <(find src tests bench fuzz -type f \( -name '*.cc' -o -name '*.h' \) -print0 | sort -z)

for f in "${now_clean[@]}"; do
  echo "format-check: $f is formatted now: drop it from scripts/format-pending.txt"
done
if [ ${#bad[@]} -gt 0 ]; then
  for f in "${bad[@]}"; do
    echo "format-check: $f is not formatted; what clang-format would change:"
    "$CLANG_FORMAT" "$f" | diff -u "$f" - | sed 's/^/  /' | head -40 || true
  done
  echo "format-check: FAIL: ${#bad[@]} file(s) not formatted: 'make format' formats the lines you changed"
  exit 1
fi
echo "format-check: $checked files formatted; ${#pending[@]} pending in scripts/format-pending.txt"
