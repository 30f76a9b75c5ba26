#!/usr/bin/env bash
# cxx_new_delete (every form of operator new and delete) under LD_PRELOAD=libhakmem.so: each
# operator is bound to libhakmem.so, and the program's checks hold. Without hakmem it runs too.
source tests/link/preload_lib.sh
prog=$(realpath "$3")

"$prog" >"$TMP/out.plain" || fail "the program fails without hakmem"
hakmem_run "$TMP/out" "$TMP/err" env HAKT_EXPECT=preload "$prog"
expect_eq "output" "$(cat "$TMP/out")" "cxx_new_delete OK"
# The dynamic linker's own account: the program's operator new and sized delete bind to hakmem.
LD_DEBUG=bindings LD_PRELOAD="$HAKMEM_SO" "$prog" >/dev/null 2>"$TMP/bindings" || fail "the program fails under LD_DEBUG"
for sym in _Znwm _ZdlPvm _ZnwmSt11align_val_t; do
  grep -E "to [^ ]*$(basename "$HAKMEM_SO") .*\`$sym'" "$TMP/bindings" >/dev/null ||
    fail "$sym is not bound to libhakmem.so: $(grep "\`$sym'" "$TMP/bindings" | head -2)"
done
echo PASS
