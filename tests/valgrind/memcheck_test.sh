#!/usr/bin/env bash
# A program linked with hakmem's valgrind build (--config=valgrind) under valgrind's memcheck: it
# reports leaks, reads and writes after free and uninitialised reads of hakmem's blocks as it does
# with glibc's malloc, and nothing for a clean program.
set -euo pipefail
prog=$(realpath "$1")
T=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
check() {  # check MODE PATTERN...: memcheck's log of MODE contains every pattern
  local mode=$1; shift
  valgrind --tool=memcheck --leak-check=full --log-file="$T/$mode.log" "$prog" "$mode" >/dev/null 2>&1 || true
  for pat in "$@"; do
    grep -q -- "$pat" "$T/$mode.log" || { cat "$T/$mode.log" >&2; fail "$mode: no '$pat' in memcheck's report"; }
  done
  passed=$((passed + 1))
}
check clean "ERROR SUMMARY: 0 errors" "All heap blocks were freed -- no leaks are possible\|definitely lost: 0 bytes"
check leak "96 bytes in 1 blocks are definitely lost"
check uaf "Invalid read of size 1" "Invalid write of size 1" "inside a block of size 96 free'd"
check uninit "depends on uninitialised value\|contains uninitialised byte"
echo "memcheck: $passed passed, 0 failed"
