/* front box: the hot path. Thread-local per-class caches and the malloc/free fast paths.
 *
 * A thread cache is one stack of block pointers per class ("bin"): malloc pops, free pushes.
 * malloc(n <= 1 KiB): one table load for the class, one pop. free(p): one registry byte, one page
 * entry byte for the class, one push, whichever thread allocated p. Everything else (refill and
 * flush in batches with the central box, sizes above 1 KiB, large blocks, thread start and exit,
 * errors) is behind one unlikely branch in a separate non-inlined function.
 * A zeroed bin (top == base == end == NULL) fails both checks, so a new thread's first malloc and
 * free reach the slow path, which starts the thread's cache: no "initialised?" test on the fast
 * path. The bin of HAK_CLASS_NONE is never set up, so a pointer into a page without a slab also
 * falls to the slow path. Thread-local state uses the initial-exec TLS model.
 * Profiles: safe adds a validation call to both fast paths; observe adds counters. Both are
 * compile-time constants, absent from fast and balanced. */
#ifndef HAKMEM_BOX_FRONT_H
#define HAKMEM_BOX_FRONT_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/box/size_class/size_class.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/config/profile.h"

/* The safe profile reserves the last 8 bytes of every small block for a canary. */
#define HAK_CANARY_BYTES (HAK_CFG_CANARY ? 8u : 0u)

typedef struct hak_bin {
  void** top;
  void** base;
  void** end;
  uintptr_t unused; /* 32-byte bins: the index is a shift */
} hak_bin_t;

enum { HAK_THREAD_NEW = 0, HAK_THREAD_ACTIVE = 1, HAK_THREAD_EXITED = 2 };

typedef struct hak_tcache {
  hak_bin_t bins[HAK_NCLASSES + 1];
  int state;
  void** storage;
  hak_thread_stats_t stats[HAK_CFG_STATS ? 1 : 0];
} hak_tcache_t;

extern __thread hak_tcache_t hak_tc HAK_HIDDEN;

/* Slow paths. */
HAK_HIDDEN void* hak_front_malloc_slow(size_t size);
HAK_HIDDEN void hak_front_free_slow(void* p, unsigned cls);
HAK_HIDDEN void hak_front_free_other(void* p, const char* func);
/* A block of class cls through the thread cache (aligned allocations, realloc). */
HAK_HIDDEN void* hak_front_alloc_class(unsigned cls);
/* Safe profile: validates a free (returns 0 when the block must not be cached: reported) and
 * prepares a block being handed out (state, poison check, canary; returns 0 when the block was
 * written after free: reported and quarantined, the caller takes another). */
HAK_HIDDEN int hak_front_safe_free(void* p, const char* func);
HAK_HIDDEN int hak_front_safe_alloc(void* p, unsigned cls);
/* Returns the calling thread's cached blocks to the central box (malloc_trim, stats). */
HAK_HIDDEN void hak_front_flush_thread(void);

HAK_INLINE void* hak_front_malloc(size_t size) {
  if (HAK_LIKELY(size <= HAK_TABLE_MAX - HAK_CANARY_BYTES)) {
    unsigned cls = hak_class_of_table(size + HAK_CANARY_BYTES);
    hak_bin_t* bin = &hak_tc.bins[cls];
    void** top = bin->top;
    if (HAK_LIKELY(top != bin->base)) {
      void* p = *--top;
      bin->top = top;
      if (HAK_CFG_CHECK_FREE && !hak_front_safe_alloc(p, cls)) return hak_front_malloc_slow(size);
      if (HAK_CFG_STATS) hak_stats_count_alloc(&hak_tc.stats[0], p, cls);
      return p;
    }
  }
  return hak_front_malloc_slow(size);
}

HAK_INLINE void hak_front_free_named(void* p, const char* func) {
  uintptr_t a = (uintptr_t)p;
  if (HAK_LIKELY(hak_region_kind(a) == HAK_REGION_SUPERSLAB)) {
    hak_slab_t* page = hak_page_of(a);
    unsigned cls = page->cls;
    if (HAK_CFG_CHECK_FREE && !hak_front_safe_free(p, func)) return;
    if (HAK_CFG_STATS && cls < HAK_NCLASSES) hak_stats_count_free(&hak_tc.stats[0], p, cls);
    hak_bin_t* bin = &hak_tc.bins[cls];
    void** top = bin->top;
    if (HAK_LIKELY(top != bin->end)) {
      *top = p;
      bin->top = top + 1;
      return;
    }
    hak_front_free_slow(p, cls);
    return;
  }
  hak_front_free_other(p, func);
}

HAK_INLINE void hak_front_free(void* p) { hak_front_free_named(p, "free"); }

#endif
