#!/usr/bin/env bash
# A normally linked C++ program (std::string, std::map, threads) under LD_PRELOAD=libhakmem.so; it
# checks its results, and with HAKT_EXPECT_HAKMEM=1 that hakmem owns its strings.
source tests/link/preload_lib.sh
prog=$(realpath "$3")

# Without hakmem first: the program itself is right, and it would notice hakmem missing.
"$prog" >"$TMP/out.plain" || fail "the workload fails without hakmem"
if HAKT_EXPECT_HAKMEM=1 "$prog" >/dev/null 2>&1; then fail "the workload does not notice hakmem's absence"; fi

hakmem_run "$TMP/out" "$TMP/err" env HAKT_EXPECT_HAKMEM=1 "$prog"
expect_eq "output" "$(cat "$TMP/out")" "cxx workload OK"
expect_hakmem_used "$TMP/err"
echo PASS
