/* hakmem: a general-purpose malloc.
 *
 * Three ways to use it (see README.md):
 *   //hakmem:hakmem        static library: linking it replaces malloc, free, ... in the program;
 *   //hakmem:libhakmem.so  the same for LD_PRELOAD;
 *   //hakmem:api           only the prefixed functions below; the process keeps its own malloc
 *                          (tests under AddressSanitizer, fuzzers, side-by-side use).
 * The hak_* functions have the semantics of their libc namesakes (glibc's for edge cases). */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HAK_API __attribute__((visibility("default")))

HAK_API void* hak_malloc(size_t size);
HAK_API void hak_free(void* ptr);
HAK_API void* hak_calloc(size_t count, size_t size);
HAK_API void* hak_realloc(void* ptr, size_t size);
HAK_API void* hak_reallocarray(void* ptr, size_t count, size_t size);
HAK_API int hak_posix_memalign(void** out, size_t alignment, size_t size);
HAK_API void* hak_aligned_alloc(size_t alignment, size_t size);
HAK_API void* hak_memalign(size_t alignment, size_t size);
HAK_API void* hak_valloc(size_t size);
HAK_API void* hak_pvalloc(size_t size);
HAK_API size_t hak_malloc_usable_size(const void* ptr);
HAK_API void hak_free_sized(void* ptr, size_t size);
HAK_API void hak_free_aligned_sized(void* ptr, size_t alignment, size_t size);
/* Returns cached memory to the OS now (malloc_trim). Returns 1 when memory was released. */
HAK_API int hak_trim(size_t pad);
/* The profile this library was built with: "fast", "balanced", "safe" or "observe". */
HAK_API const char* hak_profile(void);

/* Statistics. Per-class traffic counters (allocs, frees, remote frees, refills, flushes, bytes in
 * use) count only in the observe profile (zero elsewhere; a thread's counts are merged when it
 * flushes its cache, exits, or calls hak_stats_get itself); slabs, memory and system-call figures
 * are kept in every profile. */
#define HAK_STATS_CLASSES 52

typedef struct hak_class_stats {
  uint64_t block_size;
  uint64_t allocs;       /* blocks handed out */
  uint64_t frees;        /* blocks given back */
  uint64_t refills;      /* thread-cache refills from the central lists */
  uint64_t flushes;      /* thread-cache flushes to the central lists */
  uint64_t remote_frees; /* frees by a thread other than the one that allocated the block */
  uint64_t slabs;        /* slabs of this class live now (every profile) */
  uint64_t in_use_bytes; /* (allocs - frees) * block_size */
} hak_class_stats_t;

typedef struct hak_stats {
  hak_class_stats_t classes[HAK_STATS_CLASSES];
  uint64_t allocs, frees;       /* sums over the classes (observe) */
  uint64_t large_live_blocks;   /* blocks above 256 KiB alive now */
  uint64_t large_live_bytes;    /* bytes mapped for them */
  uint64_t large_cached_bytes;  /* free large spans kept committed for reuse */
  uint64_t superslabs;          /* 2 MiB regions mapped now */
  uint64_t slabs;               /* slabs in use now */
  uint64_t retained_bytes;      /* empty slab pages kept committed for reuse */
  uint64_t bytes_mapped;        /* everything hakmem has mapped now: SuperSlabs, large spans, meta_bytes */
  uint64_t mmap_calls, munmap_calls, madvise_calls, mremap_calls;
  uint64_t rss_bytes;           /* the process's resident set now */
  uint64_t bytes_in_use;        /* small blocks held by the program (observe) + large blocks' mappings */
  uint64_t free_block_bytes;    /* free blocks kept in slabs not yet purged, transfer caches, spare slabs */
  uint64_t retained_total_bytes; /* retained_bytes + free_block_bytes + large_cached_bytes */
  uint64_t release_budget;      /* what the policy may keep now (SIZE_MAX: SPEED) */
  uint32_t release_policy;      /* 0 LEAN, 1 BALANCED, 2 SPEED */
  uint32_t reserved;
  uint64_t meta_bytes;          /* mapped for metadata outside the SuperSlabs (the large blocks' page map and descriptors) */
} hak_stats_t;

/* Fills *out (the calling thread's cached counters are merged first). */
HAK_API void hak_stats_get(hak_stats_t* out);
/* Prints the stats as a table. */
HAK_API void hak_stats_print(FILE* out);

#ifdef __cplusplus
}
#endif

#endif
