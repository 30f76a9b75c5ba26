#!/usr/bin/env bash
# libhakmem.so exports exactly the documented names: the libc allocation functions, glibc's
# introspection calls, the prefixed API of hakmem/include/hakmem.h and C++'s operator new and
# delete (all 20 forms), and needs no C++ runtime of its own. (Thread-local variables
# appear in its dynamic symbol table as LOCAL, for their TLS relocations: not bindable, not exported.)
source tests/link/preload_lib.sh
expected="aligned_alloc calloc free free_aligned_sized free_sized
hak_aligned_alloc hak_calloc hak_free hak_free_aligned_sized hak_free_sized hak_malloc
hak_malloc_usable_size hak_memalign hak_posix_memalign hak_profile hak_pvalloc hak_realloc
hak_reallocarray hak_stats_get hak_stats_print hak_trim hak_valloc
mallinfo mallinfo2 malloc malloc_info malloc_stats malloc_trim malloc_usable_size mallopt
memalign posix_memalign pvalloc realloc reallocarray valloc
_Znwm _Znam _ZnwmRKSt9nothrow_t _ZnamRKSt9nothrow_t _ZnwmSt11align_val_t _ZnamSt11align_val_t
_ZnwmSt11align_val_tRKSt9nothrow_t _ZnamSt11align_val_tRKSt9nothrow_t
_ZdlPv _ZdaPv _ZdlPvRKSt9nothrow_t _ZdaPvRKSt9nothrow_t _ZdlPvm _ZdaPvm
_ZdlPvSt11align_val_t _ZdaPvSt11align_val_t _ZdlPvSt11align_val_tRKSt9nothrow_t
_ZdaPvSt11align_val_tRKSt9nothrow_t _ZdlPvmSt11align_val_t _ZdaPvmSt11align_val_t"
expected=$(echo $expected | tr ' ' '\n' | sort)
actual=$(nm -D --defined-only --extern-only "$HAKMEM_SO" | awk '{print $3}' | sort)
if [ "$actual" != "$expected" ]; then
  diff <(echo "$expected") <(echo "$actual") >&2 || true
  fail "libhakmem.so exports other names than the documented ones (< documented, > exported)"
fi
if readelf -d "$HAKMEM_SO" | grep -q 'NEEDED.*libstdc++'; then
  fail "libhakmem.so needs libstdc++: every preloaded C program would load it"
fi
echo "exports: $(echo "$actual" | wc -l) names"
echo PASS
