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
 * malloc_usable_size is not replaced: never call it on a floor block.
 *
 * Ladder steps: each macro, set to 1, adds one piece of the work that hakmem-fast's fast paths do,
 * so that //bench:floor_ladder (bench/floor/BUILD.bazel builds one variant per step) shows what
 * each piece costs and how much of hakmem's distance to the floor they explain.
 *   FLOOR_STACKS  the bins are bounded stacks of block pointers (128 slots per class, as hakmem's),
 *                 not lists linked through the blocks; a full stack spills onto the list.
 *   FLOOR_CHECKS  free validates as hakmem's does: the 47-bit check, a registry byte per 2 MiB,
 *                 the class and owner from a 4-byte info per 64 KiB chunk (a load instead of
 *                 arithmetic), the owner compared with the thread's id.
 *   FLOOR_TABLE   malloc's class from a table indexed by n up to 1 KiB (as hakmem's), not
 *                 (n + 15) >> 4.
 *   FLOOR_FLAT    instead of FLOOR_CHECKS, a design hakmem does not have (yet): the 4-byte infos
 *                 of every 64 KiB of the 47-bit address space in one flat table (8 GiB reserved,
 *                 touched only where spans are), so that free's one load both validates p (an
 *                 info with the thread's id as owner) and gives its class; anything else goes out
 *                 of line, where the address decides. FLOOR_FLAT=2: the same table in two
 *                 levels, without the 8 GiB: a root of 2048 pointers in .bss, one per 64 GiB of
 *                 address space, each to a 4 MiB leaf of infos mapped when a span is carved there,
 *                 or to one shared leaf of zeros. */
#ifndef FLOOR_STACKS
#define FLOOR_STACKS 0
#endif
#ifndef FLOOR_CHECKS
#define FLOOR_CHECKS 0
#endif
#ifndef FLOOR_TABLE
#define FLOOR_TABLE 0
#endif
#ifndef FLOOR_FLAT
#define FLOOR_FLAT 0
#endif
#if FLOOR_CHECKS && FLOOR_FLAT
#error "FLOOR_CHECKS and FLOOR_FLAT are two ways of the same check: choose one"
#endif

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

#if FLOOR_STACKS
#define FLOOR_STACK_SLOTS 128
/* Class c's stack is [floor_base[c], floor_end[c]) with its next free slot at floor_top[c]; all
 * three are NULL (empty and full at once) until the class's first slow path. */
FLOOR_TLS void **floor_top[FLOOR_CLASSES];
FLOOR_TLS void **floor_base[FLOOR_CLASSES];
FLOOR_TLS void **floor_end[FLOOR_CLASSES];
#endif

#if FLOOR_CHECKS || FLOOR_FLAT
typedef struct {
  uint16_t cls, owner;
} floor_info_t;
#define FLOOR_NO_ID 0xffffu /* a thread's id until its first carve; no info has it as owner */
static uint16_t floor_threads;
FLOOR_TLS uint16_t floor_self = FLOOR_NO_ID; /* the thread's id (from 1), at its first carve */
#endif
#if FLOOR_CHECKS
static uint8_t floor_registry[1u << 26]; /* 1 for each 2 MiB of the 47-bit space a span holds */
static floor_info_t floor_info[FLOOR_BYTES / FLOOR_CHUNK]; /* one per chunk handed to a thread */
#endif
#if FLOOR_FLAT == 1
#define FLOOR_FLAT_BYTES ((sizeof(floor_info_t)) << (47 - 16))
static floor_info_t *floor_flat; /* [2^31], one per 64 KiB; mapped with the spans */
static inline floor_info_t *floor_info_at(uint64_t a) { return &floor_flat[a >> 16]; }
#elif FLOOR_FLAT == 2
#define FLOOR_LEAF_SHIFT 36 /* a leaf covers 64 GiB */
#define FLOOR_LEAF_ENTRIES (1u << (FLOOR_LEAF_SHIFT - 16))
#define FLOOR_ROOT_ENTRIES (1u << (47 - FLOOR_LEAF_SHIFT))
static floor_info_t floor_zero_leaf[FLOOR_LEAF_ENTRIES]; /* never written */
static floor_info_t *floor_root[FLOOR_ROOT_ENTRIES] = {[0 ... FLOOR_ROOT_ENTRIES - 1] = floor_zero_leaf};
static inline floor_info_t *floor_info_at(uint64_t a) {
  return &floor_root[a >> FLOOR_LEAF_SHIFT][(a >> 16) & (FLOOR_LEAF_ENTRIES - 1)];
}
#endif

#if FLOOR_TABLE
/* floor_class_table[n] = (n + 15) >> 4 for n <= 1 KiB. */
#define FLOOR_R4(c) c, c, c, c
#define FLOOR_R16(c) FLOOR_R4(c), FLOOR_R4(c), FLOOR_R4(c), FLOOR_R4(c)
#define FLOOR_R64(k) FLOOR_R16(4 * k + 1), FLOOR_R16(4 * k + 2), FLOOR_R16(4 * k + 3), FLOOR_R16(4 * k + 4)
static const uint8_t floor_class_table[1025] = {
    0,          FLOOR_R64(0),  FLOOR_R64(1),  FLOOR_R64(2),  FLOOR_R64(3),  FLOOR_R64(4),
    FLOOR_R64(5),  FLOOR_R64(6),  FLOOR_R64(7),  FLOOR_R64(8),  FLOOR_R64(9),  FLOOR_R64(10),
    FLOOR_R64(11), FLOOR_R64(12), FLOOR_R64(13), FLOOR_R64(14), FLOOR_R64(15)};
#endif

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
#if FLOOR_FLAT == 1
    void *t = mmap(NULL, FLOOR_FLAT_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED) floor_die("cannot reserve its flat table of infos");
    floor_flat = t;
#endif
    __atomic_store_n(&floor_mapped, 1, __ATOMIC_RELEASE);
  }
  __atomic_clear(&once, __ATOMIC_RELEASE);
}

#if FLOOR_FLAT == 2
/* The leaf of a's 64 GiB, mapped now if it was the zero leaf (a carve; racing carves keep one). */
static void floor_leaf_make(uint64_t a) {
  floor_info_t **slot = &floor_root[a >> FLOOR_LEAF_SHIFT];
  floor_info_t *zero = floor_zero_leaf;
  if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) != zero) return;
  void *leaf = mmap(NULL, sizeof floor_zero_leaf, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (leaf == MAP_FAILED) floor_die("cannot map a leaf of its info table");
  if (!__atomic_compare_exchange_n(slot, &zero, leaf, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    munmap(leaf, sizeof floor_zero_leaf);
}
#endif

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
#if FLOOR_CHECKS || FLOOR_FLAT
    if (floor_self == FLOOR_NO_ID) floor_self = __atomic_add_fetch(&floor_threads, 1, __ATOMIC_RELAXED);
#endif
#if FLOOR_FLAT == 2
    floor_leaf_make((uint64_t)floor_bump[c]);
#endif
#if FLOOR_FLAT
    *floor_info_at((uint64_t)floor_bump[c]) = (floor_info_t){(uint16_t)c, floor_self};
#endif
#if FLOOR_CHECKS
    __atomic_store_n(&floor_registry[(uint64_t)floor_bump[c] >> 21], 1, __ATOMIC_RELEASE);
    floor_info[((uint64_t)floor_bump[c] - FLOOR_BASE) / FLOOR_CHUNK] =
        (floor_info_t){(uint16_t)c, floor_self};
#endif
  }
  void *p = floor_bump[c];
  floor_bump[c] += size;
  return p;
}

static inline int floor_owns(void *p) { return (uint64_t)p - FLOOR_BASE < FLOOR_BYTES; }
static inline size_t floor_class_of(void *p) { return ((uint64_t)p - FLOOR_BASE) >> FLOOR_SPAN_SHIFT; }

static inline void floor_list_push(void *p, size_t c) {
  *(void **)p = floor_head[c];
  floor_head[c] = p;
}

#if FLOOR_STACKS
static void floor_stack_init(size_t c) {
  void **slots = __libc_malloc(FLOOR_STACK_SLOTS * sizeof(void *));
  if (!slots) floor_die("cannot allocate a stack of block pointers");
  floor_base[c] = floor_top[c] = slots;
  floor_end[c] = slots + FLOOR_STACK_SLOTS;
}

/* Slow path of malloc: the stack of class c is empty (or not made yet). */
__attribute__((noinline)) static void *floor_refill(size_t c) {
  if (!floor_base[c]) floor_stack_init(c);
  void *p = floor_head[c];
  if (p) {
    floor_head[c] = *(void **)p;
    return p;
  }
  return floor_carve(c);
}

/* Slow path of free: the stack of class c is full (or not made yet). */
__attribute__((noinline)) static void floor_spill(void *p, size_t c) {
  if (!floor_base[c]) {
    floor_stack_init(c);
    *floor_top[c]++ = p;
    return;
  }
  floor_list_push(p, c);
}
#endif

FLOOR_PUBLIC void *malloc(size_t n) {
  size_t c;
#if FLOOR_TABLE
  if (__builtin_expect(n <= 1024, 1)) {
    c = floor_class_table[n];
  } else {
    if (n > FLOOR_MAX) return __libc_malloc(n);
    c = (n + 15u) >> 4;
  }
#else
  if (__builtin_expect(n > FLOOR_MAX, 0)) return __libc_malloc(n);
  c = (n + 15u) >> 4;
#endif
#if FLOOR_STACKS
  void **top = floor_top[c];
  if (__builtin_expect(top != floor_base[c], 1)) {
    floor_top[c] = top - 1;
    return top[-1];
  }
  return floor_refill(c);
#else
  void *p = floor_head[c];
  if (__builtin_expect(p != NULL, 1)) {
    floor_head[c] = *(void **)p;
    return p;
  }
  return floor_carve(c);
#endif
}

/* Freed block p of class c into the thread's cache. */
static inline void floor_cache(void *p, size_t c) {
#if FLOOR_STACKS
  void **top = floor_top[c];
  if (__builtin_expect(top != floor_end[c], 1)) {
    *top = p;
    floor_top[c] = top + 1;
    return;
  }
  floor_spill(p, c);
#else
  floor_list_push(p, c);
#endif
}

#if FLOOR_CHECKS
/* Another thread's block: the floor keeps it (onto this thread's list), out of line as hakmem's
 * remote free is. */
__attribute__((noinline)) static void floor_free_other(void *p, size_t c) { floor_list_push(p, c); }
#endif

#if FLOOR_FLAT
/* Spans and flat table mapped before the first free (a free can come before any malloc). */
__attribute__((constructor)) static void floor_map_early(void) { floor_map(); }

/* Not the calling thread's block: another thread's is kept (onto this thread's list), anything
 * else is glibc's. */
__attribute__((noinline)) static void floor_free_other(void *p) {
  if (floor_owns(p)) floor_list_push(p, floor_class_of(p));
  else __libc_free(p);
}
#endif

FLOOR_PUBLIC void free(void *p) {
#if FLOOR_FLAT
  uint64_t a = (uint64_t)p;
  if (__builtin_expect(!(a >> 47), 1)) {
    floor_info_t info = *floor_info_at(a);
    if (__builtin_expect(info.owner == floor_self, 1)) {
      floor_cache(p, info.cls);
      return;
    }
  }
  floor_free_other(p);
#else
#if FLOOR_CHECKS
  uint64_t a = (uint64_t)p;
  if (__builtin_expect(!(a >> 47) && floor_registry[a >> 21] == 1, 1)) {
    const floor_info_t *info = &floor_info[(a - FLOOR_BASE) / FLOOR_CHUNK];
    size_t c = info->cls;
    if (__builtin_expect(info->owner != floor_self, 0)) {
      floor_free_other(p, c);
      return;
    }
#else
  if (__builtin_expect(floor_owns(p), 1)) {
    size_t c = floor_class_of(p);
#endif
    floor_cache(p, c);
    return;
  }
  __libc_free(p);
#endif
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
