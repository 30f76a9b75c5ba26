#!/usr/bin/env bash
# //:install into a temporary prefix, then used as a user would, outside Bazel: a C and a C++ program
# built with pkg-config (linking the static library replaces their malloc and new), and the launcher
# running python3 under each profile's library.
set -euo pipefail
T=${TEST_TMPDIR:-$(mktemp -d)}
P=$T/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

install/install --prefix "$P" >"$T/install.out" || fail "install failed: $(cat "$T/install.out")"
for f in lib/libhakmem.so lib/libhakmem-fast.so lib/libhakmem-safe.so lib/libhakmem-observe.so \
         lib/libhakmem.a include/hakmem.h lib/pkgconfig/hakmem.pc bin/hakmem; do
  [ -s "$P/$f" ] || fail "$f not installed"
done
export PKG_CONFIG_PATH=$P/lib/pkgconfig
flags=$(pkg-config --cflags --libs hakmem) || fail "pkg-config does not know hakmem"

# A program whose malloc is hakmem's: the blocks it allocates show in hakmem's own figures.
cat >"$T/prog.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hakmem.h>
int main(void) {
  enum { N = 1000 };
  void* p[N];
  for (int i = 0; i < N; i++) memset(p[i] = malloc(100), i, 100);
  hak_stats_t s;
  hak_stats_get(&s);
  int ok = s.bytes_in_use >= N * 100;
  for (int i = 0; i < N; i++) free(p[i]);
  printf("%s %s\n", hak_profile(), ok ? "served" : "not served");
  return !ok;
}
C
cat >"$T/prog.cc" <<'CC'
#include <cstdio>
#include <map>
#include <string>
#include <vector>
#include <hakmem.h>
int main() {
  std::map<std::string, std::vector<int>> m;
  for (int i = 0; i < 2000; i++) m["key" + std::to_string(i)].assign(25, i);
  hak_stats_t s;
  hak_stats_get(&s);
  bool ok = s.bytes_in_use >= 2000 * 100 && m["key1999"][24] == 1999;
  std::printf("%s %s\n", hak_profile(), ok ? "served" : "not served");
  return ok ? 0 : 1;
}
CC
cc -O2 -o "$T/prog_c" "$T/prog.c" $flags || fail "cc with pkg-config"
[ "$("$T/prog_c")" = "balanced served" ] || fail "C program: $("$T/prog_c")"
c++ -O2 -o "$T/prog_cc" "$T/prog.cc" $flags || fail "c++ with pkg-config"
[ "$("$T/prog_cc")" = "balanced served" ] || fail "C++ program: $("$T/prog_cc")"

# The launcher: each profile's library serves python3 (its stats table names the profile; fast
# ignores HAKMEM_* variables and says so).
for profile in fast balanced safe observe; do
  out=$("$P/bin/hakmem" --profile "$profile" --stats -- python3 -c 'print(1)' 2>"$T/err") || fail "launcher, $profile"
  [ "$out" = 1 ] || fail "python3 under --profile $profile printed '$out'"
  if [ "$profile" = fast ]; then
    grep -q "fast profile is not tunable" "$T/err" || fail "no sign of hakmem-fast: $(head -3 "$T/err")"
  else
    grep -q "^hakmem stats (profile $profile)" "$T/err" || fail "no stats from hakmem-$profile: $(head -3 "$T/err")"
  fi
done
LD_PRELOAD=/nonexistent/keep.so "$P/bin/hakmem" -- sh -c 'echo "$LD_PRELOAD"' >"$T/pre" 2>/dev/null
[ "$(cat "$T/pre")" = "$P/lib/libhakmem.so:/nonexistent/keep.so" ] || fail "LD_PRELOAD not kept: $(cat "$T/pre")"
if "$P/bin/hakmem" --profile nope -- true 2>"$T/err"; then fail "an unknown profile was accepted"; fi
grep -q "unknown profile 'nope'" "$T/err" || fail "unclear message: $(cat "$T/err")"
echo "install: 10 passed, 0 failed"
