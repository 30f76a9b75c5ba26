#!/usr/bin/env bash
# //bench:programs end to end, one round of two programs: every variant's output equals glibc's
# (the runner stops otherwise), hakmem's library is really preloaded, and the table is complete.
set -euo pipefail
out=$(bench/programs/programs.sh --runs 1 --programs sqlite,redis --variants glibc,hakmem-balanced 2>&1) || {
  echo "$out"
  exit 1
}
echo "$out"
for row in "sqlite   glibc" "sqlite   hakmem-balanced" "redis    glibc" "redis    hakmem-balanced" \
           "#   hakmem-balanced"; do
  grep -q "^$row " <<<"$out" || { echo "FAIL: no row '$row'"; exit 1; }
done
echo PASS
