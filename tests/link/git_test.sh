#!/usr/bin/env bash
# git under LD_PRELOAD=libhakmem.so (inherited by every git subprocess): init, add and commit a few
# thousand files, change some, commit, log, diff, gc (threaded pack-objects) and fsck.
source tests/link/preload_lib.sh

export HOME="$TMP/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" \
  GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
mkdir -p "$HOME"
repo="$TMP/repo"
rm -rf "$repo"
mkdir -p "$repo"
cd "$repo"
# 30 directories of 100 files, each file unique (its first line names it), 1 to 20 lines long.
for d in $(seq 0 29); do mkdir -p "dir$d"; done
awk 'BEGIN {
  for (d = 0; d < 30; d++) for (f = 0; f < 100; f++) {
    name = "dir" d "/f" f ".txt"
    printf "file %d/%d\n", d, f > name
    for (l = 1; l <= f % 20 + 1; l++) printf "line %d\n", l > name
    close(name)
  }
}'

g() { hakmem_run "$TMP/out" "$TMP/err.$1" git "$@"; cat "$TMP/err.$1" >>"$TMP/err.all"; }
: >"$TMP/err.all"
g init -q .
git config user.name "hakmem test"
git config user.email "test@hakmem.invalid"
git config gc.auto 0
g add -A
g commit -q -m "3000 files"
for d in $(seq 0 9); do for f in $(seq 0 9); do echo changed >>"dir$d/f$f.txt"; done; done
g commit -q -a -m "100 changed"
g ls-files
expect_eq "files tracked" "$(wc -l <"$TMP/out")" "3000"
g log --oneline
expect_eq "commits" "$(wc -l <"$TMP/out")" "2"
g diff --stat HEAD~1 HEAD
expect_eq "diff" "$(tail -1 "$TMP/out" | sed 's/^ *//')" "100 files changed, 100 insertions(+)"
g gc -q
g fsck --strict
g count-objects -v
expect_eq "objects after gc" "$(sed -n 's/^in-pack: //p' "$TMP/out")" "$((3000 + 100 + 31 + 11 + 2))"
g show HEAD~1:dir7/f42.txt
expect_eq "file content" "$(head -1 "$TMP/out")" "file 7/42"
expect_hakmem_used "$TMP/err.all"
echo PASS
