#!/usr/bin/env bash
# glibc's introspection calls of a plainly linked program under LD_PRELOAD=libhakmem.so answer with
# hakmem's figures (introspection_prog.c checks them against hak_stats_get).
source tests/link/preload_lib.sh
prog=$(realpath "$3")
if "$prog" >/dev/null 2>&1; then fail "the program passes without hakmem: it cannot tell"; fi
hakmem_run "$TMP/out" "$TMP/err" "$prog"
grep -q "introspection: [0-9]* passed, 0 failed" "$TMP/out" || { cat "$TMP/out" "$TMP/err" >&2; fail "checks failed"; }
cat "$TMP/out"
echo PASS
