/* bench/floor/floor.c: "floor", the reference row of the bench tables. Not an allocator to use.
 *
 * The least work a malloc/free pair can do on the benches' small blocks: one free list per 16-byte
 * class in each thread, found from the address with no lookup (class c lives in its own fixed
 * span), no checks, no statistics, memory never given back, remote frees kept by the thread that
 * frees them. What the workload loop costs with such an allocator is the ceiling of any ratio
 * against a real allocator on that workload: a real allocator's row can approach floor's, not pass
 * it by much. Blocks above 8 KiB, calloc of more, and everything aligned (posix_memalign and
 * friends, not replaced here) are glibc's, and so is a block when its class's span is used up;
 * free and realloc tell the two apart by address. The spans are reserved with MAP_NORESERVE: only
 * the pages touched count.
 * malloc_usable_size is not replaced: never call it on a floor block. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

#define FLOOR_PUBLIC __attribute__((visibility("default")))
#define FLOOR_MAX 8192u                      /* larger requests go to glibc */
#define FLOOR_CLASSES (FLOOR_MAX / 16u + 1u) /* class c: blocks of 16 * c bytes (class 0: 16) */
#define FLOOR_SPAN_SHIFT 26                  /* 64 MiB of address space per class, 32 GiB in all */
#define FLOOR_CHUNK (64u * 1024u)            /* a thread takes this much of a span at a time */
/* A fixed address: free computes the class from p with constants only. Far from the heap, the
 * executable and the mmap area of a 47-bit address space. */
#define FLOOR_BASE 0x600000000000ull
#define FLOOR_BYTES ((uint64_t)FLOOR_CLASSES << FLOOR_SPAN_SHIFT)

static uint64_t floor_carved[FLOOR_CLASSES]; /* bytes of each span handed to threads */
static int floor_mapped;

#define FLOOR_TLS static __thread __attribute__((tls_model("initial-exec")))
FLOOR_TLS void *floor_head[FLOOR_CLASSES];
FLOOR_TLS char *floor_bump[FLOOR_CLASSES];
FLOOR_TLS char *floor_bump_end[FLOOR_CLASSES];

static void floor_die(const char *what) {
  char msg[160];
  int n = snprintf(msg, sizeof msg, "floor: %s (errno %d)\n", what, errno);
  if (write(2, msg, (size_t)n) < 0) abort();
  abort();
}

/* The spans, reserved at the first carve (which can come before constructors run). */
static void floor_map(void) {
  static char once;
  if (__atomic_load_n(&floor_mapped, __ATOMIC_ACQUIRE)) return;
  while (__atomic_test_and_set(&once, __ATOMIC_ACQUIRE)) {
  }
  if (!floor_mapped) {
    void *a = mmap((void *)FLOOR_BASE, FLOOR_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (a != (void *)FLOOR_BASE) floor_die("cannot reserve its spans at 0x600000000000");
    __atomic_store_n(&floor_mapped, 1, __ATOMIC_RELEASE);
  }
  __atomic_clear(&once, __ATOMIC_RELEASE);
}

/* Slow path of malloc: a new block of class c from the thread's chunk, a new chunk when it is
 * used up, glibc when the span is. */
__attribute__((noinline)) static void *floor_carve(size_t c) {
  size_t size = c ? c * 16u : 16u;
  if (floor_bump_end[c] - floor_bump[c] < (ptrdiff_t)size) {
    floor_map();
    uint64_t off = __atomic_fetch_add(&floor_carved[c], FLOOR_CHUNK, __ATOMIC_RELAXED);
    if (off + FLOOR_CHUNK > (1ull << FLOOR_SPAN_SHIFT)) return __libc_malloc(size);
    floor_bump[c] = (char *)(FLOOR_BASE + ((uint64_t)c << FLOOR_SPAN_SHIFT) + off);
    floor_bump_end[c] = floor_bump[c] + FLOOR_CHUNK;
  }
  void *p = floor_bump[c];
  floor_bump[c] += size;
  return p;
}

static inline int floor_owns(void *p) { return (uint64_t)p - FLOOR_BASE < FLOOR_BYTES; }
static inline size_t floor_class_of(void *p) { return ((uint64_t)p - FLOOR_BASE) >> FLOOR_SPAN_SHIFT; }

FLOOR_PUBLIC void *malloc(size_t n) {
  if (__builtin_expect(n > FLOOR_MAX, 0)) return __libc_malloc(n);
  size_t c = (n + 15u) >> 4;
  void *p = floor_head[c];
  if (__builtin_expect(p != NULL, 1)) {
    floor_head[c] = *(void **)p;
    return p;
  }
  return floor_carve(c);
}

FLOOR_PUBLIC void free(void *p) {
  if (__builtin_expect(floor_owns(p), 1)) {
    size_t c = floor_class_of(p);
    *(void **)p = floor_head[c];
    floor_head[c] = p;
    return;
  }
  __libc_free(p);
}

FLOOR_PUBLIC void *calloc(size_t n, size_t m) {
  size_t bytes;
  if (__builtin_mul_overflow(n, m, &bytes) || bytes > FLOOR_MAX) return __libc_calloc(n, m);
  void *p = malloc(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

FLOOR_PUBLIC void *realloc(void *p, size_t n) {
  if (p == NULL || !floor_owns(p)) return __libc_realloc(p, n);
  size_t c = floor_class_of(p);
  size_t have = c ? c * 16u : 16u;
  void *q = malloc(n);
  if (q == NULL) return NULL;
  memcpy(q, p, n < have ? n : have);
  free(p);
  return q;
}
