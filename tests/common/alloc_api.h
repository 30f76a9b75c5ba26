/* The allocation API under test, as one set of names (ta_malloc, ta_free, ...), so that one test
 * source builds twice:
 *   HAKT_DROPIN undefined: the prefixed functions of //hakmem:api (hak_malloc, ...); the process
 *                          keeps glibc's malloc, so this variant runs under AddressSanitizer;
 *   HAKT_DROPIN defined:   the libc names (malloc, ...), replaced by //hakmem:hakmem when the test
 *                          links it: what a program using hakmem as a drop-in sees.
 * The hak_* functions (stats, trim, usable size) are available in both variants.
 * Tests are built with -fno-builtin so that the compiler neither removes allocations nor assumes
 * anything about what malloc returns: every call reaches the allocator. */
#ifndef HAKMEM_TESTS_COMMON_ALLOC_API_H
#define HAKMEM_TESTS_COMMON_ALLOC_API_H

#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#include "hakmem/include/hakmem.h"

#ifdef HAKT_DROPIN
extern "C" {
/* C23, not declared by glibc 2.36; hakmem defines them. */
void free_sized(void* ptr, size_t size);
void free_aligned_sized(void* ptr, size_t alignment, size_t size);
}
#define HAKT_CALL(name) ::name
#define HAKT_VARIANT "dropin"
#define HAKT_TRIM(pad) ::malloc_trim(pad)
#else
#define HAKT_CALL(name) ::hak_##name
#define HAKT_VARIANT "api"
#define HAKT_TRIM(pad) ::hak_trim(pad)
#endif

static inline void* ta_malloc(size_t n) { return HAKT_CALL(malloc)(n); }
static inline void ta_free(void* p) { HAKT_CALL(free)(p); }
static inline void* ta_calloc(size_t n, size_t s) { return HAKT_CALL(calloc)(n, s); }
static inline void* ta_realloc(void* p, size_t n) { return HAKT_CALL(realloc)(p, n); }
static inline void* ta_reallocarray(void* p, size_t n, size_t s) { return HAKT_CALL(reallocarray)(p, n, s); }
static inline int ta_posix_memalign(void** out, size_t a, size_t n) { return HAKT_CALL(posix_memalign)(out, a, n); }
static inline void* ta_aligned_alloc(size_t a, size_t n) { return HAKT_CALL(aligned_alloc)(a, n); }
static inline void* ta_memalign(size_t a, size_t n) { return HAKT_CALL(memalign)(a, n); }
static inline void* ta_valloc(size_t n) { return HAKT_CALL(valloc)(n); }
static inline void* ta_pvalloc(size_t n) { return HAKT_CALL(pvalloc)(n); }
static inline size_t ta_usable_size(void* p) { return HAKT_CALL(malloc_usable_size)(p); }
static inline void ta_free_sized(void* p, size_t n) { HAKT_CALL(free_sized)(p, n); }
static inline void ta_free_aligned_sized(void* p, size_t a, size_t n) { HAKT_CALL(free_aligned_sized)(p, a, n); }
static inline int ta_trim(size_t pad) { return HAKT_TRIM(pad); }

/* Whether the tests run under AddressSanitizer (then they do less work: it is slower). */
#if defined(__SANITIZE_ADDRESS__)
#define HAKT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAKT_ASAN 1
#endif
#endif
#ifndef HAKT_ASAN
#define HAKT_ASAN 0
#endif

#endif
