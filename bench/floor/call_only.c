/* bench/floor/call_only.c: "call-only", a reference row of //bench:floor_ladder. Not an allocator.
 *
 * malloc and free that do nothing but return: every request up to 1040 bytes gets the same static
 * block, and free of that block returns at once. So its row is the workload loop and the calls
 * alone: the most any allocator's row could reach on mixed (at --max 1040 or less), what is left
 * after the floor's pop and push shows how much of an allocator's time the workload leaves to win.
 * Every live block aliases the others, which mixed's loop does not mind (it writes and reads bytes
 * of its blocks, never relies on their values), but any other program does (a shell that keeps two
 * small blocks loops forever): so it aliases only in the bench's workload binaries, decided once
 * at load time from the program's name, and everywhere else (valgrind's launcher script under
 * tools/instr_per_op --preload, say) every call is glibc's. That costs one byte compare per call.
 * Larger requests, calloc and realloc of other blocks are glibc's. */
#define _GNU_SOURCE
#include <errno.h> /* program_invocation_short_name */
#include <stddef.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

#define CALL_ONLY_PUBLIC __attribute__((visibility("default")))
#define CALL_ONLY_MAX 1040u /* mixed's default --max */

static _Alignas(64) unsigned char call_only_block[CALL_ONLY_MAX];
static unsigned char call_only_on; /* 1 in a bench workload binary of mixed's loop */

/* bench.bzl names them <suite>__<variant>; call-only is a variant of floor_ladder only. Set before
 * main: glibc sets the name before it runs constructors. */
__attribute__((constructor)) static void call_only_init(void) {
  call_only_on = strncmp(program_invocation_short_name, "floor_ladder__", 14) == 0;
}

CALL_ONLY_PUBLIC void *malloc(size_t n) {
  if (__builtin_expect(call_only_on && n <= CALL_ONLY_MAX, 1)) return call_only_block;
  return __libc_malloc(n);
}

CALL_ONLY_PUBLIC void free(void *p) {
  if (__builtin_expect(p == call_only_block, 1)) return;
  __libc_free(p);
}

CALL_ONLY_PUBLIC void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }

CALL_ONLY_PUBLIC void *realloc(void *p, size_t n) {
  if (p != call_only_block) return __libc_realloc(p, n);
  void *q = __libc_malloc(n ? n : 1);
  if (q) memcpy(q, call_only_block, n < CALL_ONLY_MAX ? n : CALL_ONLY_MAX);
  return q;
}
