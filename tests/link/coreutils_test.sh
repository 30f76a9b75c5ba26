#!/usr/bin/env bash
# coreutils under LD_PRELOAD=libhakmem.so: ls, sort and du give the same output as without hakmem,
# and HAKMEM_STATS=1 prints the table although they close stderr at exit (close_stdout): hakmem
# writes it to a duplicate of stderr taken at initialisation.
source tests/link/preload_lib.sh

seq 1 20000 | awk '{ print ($1 * 7919) % 20011 " line " $1 }' >"$TMP/in.txt"
for cmd in "ls -la /usr/lib" "sort -n $TMP/in.txt" "du -s /usr/share/doc"; do
  # shellcheck disable=SC2086
  $cmd >"$TMP/want" 2>/dev/null
  # shellcheck disable=SC2086
  hakmem_run "$TMP/out" "$TMP/err" $cmd
  cmp -s "$TMP/want" "$TMP/out" || fail "$cmd: output differs under hakmem"
  expect_hakmem_used "$TMP/err"
done
echo PASS
