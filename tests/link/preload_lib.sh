# Shared by the LD_PRELOAD tests (sourced). Arguments of every test: the path of libhakmem.so (from
# the runfiles) and the profile it was built with.
#
# hakmem_run OUT ERR CMD...: runs CMD with libhakmem.so preloaded and HAKMEM_STATS=1, stdout to OUT,
# stderr to ERR; fails the test if CMD fails.
# expect_hakmem_used ERR: fails the test unless ERR shows that hakmem served the program: the stats
# table hakmem prints at exit, with the mmap calls it made (every profile but fast); in fast, which
# ignores HAKMEM_* variables, the warning saying so, which only hakmem's initialisation (at the
# first allocation) prints.
set -euo pipefail

HAKMEM_SO=$(realpath "$1")
PROFILE=$2
[ -f "$HAKMEM_SO" ] || { echo "no libhakmem.so at $1" >&2; exit 1; }
TMP=${TEST_TMPDIR:-$(mktemp -d)}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

hakmem_run() {
  local out=$1 err=$2
  shift 2
  if ! LD_PRELOAD="$HAKMEM_SO" HAKMEM_STATS=1 "$@" >"$out" 2>"$err"; then
    echo "--- stdout" >&2; tail -20 "$out" >&2
    echo "--- stderr" >&2; tail -40 "$err" >&2
    fail "$* exited with an error under LD_PRELOAD"
  fi
  if grep -q "hakmem: error" "$err"; then
    grep "hakmem: error" "$err" | head -5 >&2
    fail "hakmem reported an error in $*"
  fi
}

expect_hakmem_used() {
  local err=$1
  if [ "$PROFILE" = fast ]; then
    grep -q "hakmem: warning: the fast profile is not tunable; ignored: HAKMEM_STATS" "$err" ||
      { tail -20 "$err" >&2; fail "no sign of hakmem in the program's stderr"; }
    return 0
  fi
  grep -q "^hakmem stats (profile $PROFILE)" "$err" ||
    { tail -20 "$err" >&2; fail "hakmem printed no stats at exit: not loaded, or not the $PROFILE build"; }
  # The largest mmap count of the tables printed (one per process): hakmem mapped memory to serve.
  local mmaps
  mmaps=$(sed -n 's/.*system calls: mmap \([0-9]*\),.*/\1/p' "$err" | sort -n | tail -1)
  [ -n "$mmaps" ] && [ "$mmaps" -gt 0 ] || fail "hakmem's stats show no mapping: it served nothing"
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
