#!/usr/bin/env bash
# Smoke test of a bench_suite() runner (bench/bench.bzl): tiny runs of every variant, in both
# modes, and the failure paths (crash, timeout, no RESULT line, bad workload flag).
# usage: smoke_test.sh RUNNER FAIL_WORKLOAD VARIANTS(comma-separated) [workload flags...]
set -uo pipefail
runner=$1 fail_bin=$2 variants=$3
shift 3
flags=("$@")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
status=0

fail() { echo "FAIL: $*" >&2; status=1; }

# run NAME ARGS...: runs the runner, stdout to $tmp/NAME.out, stderr to $tmp/NAME.err; sets rc.
run() {
  local name=$1
  shift
  "$runner" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
}

# median_of FILE VARIANT: the median column of VARIANT's row in the table (empty if no row).
median_of() { awk -v v="$2" '$1 == v { print $3; exit }' "$1"; }

# check_table NAME VARIANT...: one row per variant, each with a positive median.
check_table() {
  local name=$1 v m
  shift
  local rows
  rows=$(grep -vc '^#\|^variant ' "$tmp/$name.out")
  [ "$rows" -eq "$#" ] || fail "$name: $rows table rows, want $# ($*)"
  for v in "$@"; do
    m=$(median_of "$tmp/$name.out" "$v")
    awk -v m="$m" 'BEGIN { exit !(m + 0 > 0) }' || fail "$name: variant $v has median '$m'"
  done
}

IFS=, read -r -a expected <<<"$variants"

# 1. Every variant, linked, with all outputs.
run linked --runs 1 "${flags[@]}" --csv "$tmp/s.csv" --raw-csv "$tmp/r.csv" --png "$tmp/p.png"
[ "$rc" -eq 0 ] || fail "linked: exit status $rc: $(cat "$tmp/linked.err")"
grep -q '^# bench .* (linked) | workload=' "$tmp/linked.out" || fail "linked: no header line"
check_table linked "${expected[@]}"
[ "$(head -1 "$tmp/s.csv" | cut -d, -f1-5)" = "suite,mode,variant,runs,median_mops" ] ||
  fail "csv: bad header: $(head -1 "$tmp/s.csv")"
[ "$(tail -n +2 "$tmp/s.csv" | wc -l)" -eq "${#expected[@]}" ] || fail "csv: want one row per variant"
[ "$(tail -n +2 "$tmp/r.csv" | wc -l)" -eq "${#expected[@]}" ] || fail "raw csv: want one row per run"
[ "$(head -c 8 "$tmp/p.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
  fail "png: $tmp/p.png is not a PNG"

# 2. The transition really links each peer: its binary needs the peer's library, glibc's none.
"$runner" --list >"$tmp/list" || fail "--list failed"
while IFS=$'\t' read -r v bin _; do
  libs=$(ldd "$bin" 2>&1)
  case $v in
    mimalloc | tcmalloc | jemalloc)
      grep -q "lib$v" <<<"$libs" || fail "variant $v: $bin does not link lib$v" ;;
    glibc)
      ! grep -q 'mimalloc\|tcmalloc\|jemalloc' <<<"$libs" || fail "glibc variant links a peer" ;;
  esac
done <"$tmp/list"

# 3. --preload: one binary, each variant's library in LD_PRELOAD.
run preload --preload --runs 1 "${flags[@]}"
[ "$rc" -eq 0 ] || fail "preload: exit status $rc: $(cat "$tmp/preload.err")"
grep -q '^# bench .* (preload)' "$tmp/preload.out" || fail "preload: no header line"
check_table preload "${expected[@]}"
[ "$("$runner" --preload --list | cut -f2 | sort -u | wc -l)" -eq 1 ] ||
  fail "preload: variants do not share one binary"

# 4. A variant that crashes: the others' rows are complete, the failure is named, exit 1.
first=${expected[0]}
run crash --runs 2 "${flags[@]}" --bin "crash=$fail_bin" --variants "$first,crash"
[ "$rc" -eq 1 ] || fail "crash: exit status $rc, want 1"
[ "$(grep -vc '^#\|^variant ' "$tmp/crash.out")" -eq 2 ] || fail "crash: want 2 table rows"
[ "$(median_of "$tmp/crash.out" crash)" = FAILED ] || fail "crash: its row does not say FAILED"
awk -v m="$(median_of "$tmp/crash.out" "$first")" 'BEGIN { exit !(m + 0 > 0) }' ||
  fail "crash: $first has no median"
grep -q 'FAILED: variant crash .*signal 6' "$tmp/crash.err" || fail "crash: no signal in report"
grep -q 'aborting on purpose' "$tmp/crash.err" || fail "crash: no stderr tail in report"

# 5. A variant that hangs is killed at --timeout.
BENCH_TEST_FAIL=hang run hang --runs 1 --timeout 1 --bin "hang=$fail_bin" --variants hang
[ "$rc" -eq 1 ] || fail "hang: exit status $rc, want 1"
grep -q 'FAILED: variant hang .*timed out after 1 s' "$tmp/hang.err" || fail "hang: no timeout report"

# 6. Exit status 0 without a RESULT line is a failure too.
BENCH_TEST_FAIL=silent run silent --runs 1 --bin "silent=$fail_bin" --variants silent
[ "$rc" -eq 1 ] || fail "silent: exit status $rc, want 1"
grep -q 'no RESULT line' "$tmp/silent.err" || fail "silent: no report of the missing RESULT"

# 7. A workload flag every variant rejects fails every variant, with the workload's message.
run badflag --runs 1 --variants "$first" --ops 0
[ "$rc" -eq 1 ] || fail "badflag: exit status $rc, want 1"
grep -q 'exit status 2' "$tmp/badflag.err" && grep -q -- '--ops must be > 0' "$tmp/badflag.err" ||
  fail "badflag: report lacks the exit status or the workload's message"

# 8. Runner misuse exits 2; relative outputs land in BUILD_WORKING_DIRECTORY (bazel run).
run unknown --variants no-such-variant
[ "$rc" -eq 2 ] || fail "unknown variant: exit status $rc, want 2"
mkdir -p "$tmp/wd"
BUILD_WORKING_DIRECTORY=$tmp/wd run relpath --runs 1 "${flags[@]}" --variants "$first" --csv rel.csv
[ -s "$tmp/wd/rel.csv" ] || fail "relative --csv did not land in BUILD_WORKING_DIRECTORY"

if [ "$status" -ne 0 ]; then
  echo "--- linked table:"; cat "$tmp/linked.out"
  echo "--- crash table:"; cat "$tmp/crash.out"; cat "$tmp/crash.err"
fi
[ "$status" -eq 0 ] && echo "PASS"
exit "$status"
