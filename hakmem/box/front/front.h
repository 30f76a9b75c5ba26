/* front box: the hot path. Thread-local per-class caches and the malloc/free fast paths.
 *
 * A thread cache is one stack of block pointers per class ("bin"): malloc pops, free pushes.
 * malloc(n <= 256 KiB): the class from one table load (n <= 1 KiB) or from the highest bit of n,
 * one pop. free(p): one registry byte, the class and owner of p's page (its free info), one push
 * when the calling thread owns p's slab. A block of a slab another thread owns joins the bin's
 * remote batch, which goes to the central box, so that this thread never hands it out again: two
 * threads would write one cache line (passive false sharing). Everything else (refill and flush in batches with the
 * central box, remote batches, large blocks, thread start and exit, errors) is behind one unlikely
 * branch in a separate non-inlined function.
 * A zeroed bin (top == base == end == NULL) fails both checks, so a new thread's first malloc and
 * free reach the slow path, which starts the thread's cache: no "initialised?" test on the fast
 * path. The bin of HAK_CLASS_NONE is never set up, so a pointer into a page without a slab also
 * falls to the slow path. Thread-local state uses the initial-exec TLS model.
 * Profiles: in safe both fast paths end in one tail call to the checking version (front.c);
 * observe adds counters. Both are compile-time constants, absent from fast and balanced. */
#ifndef HAKMEM_BOX_FRONT_H
#define HAKMEM_BOX_FRONT_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/box/central/central.h"
#include "hakmem/box/size_class/size_class.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/config/profile.h"
#include "hakmem/config/valgrind.h"

/* The safe profile reserves the last 8 bytes of every small block for its tail word, which holds
 * the block's allocated/freed state while a thread has it and the size the program asked for, and
 * puts a canary right after that size (route.h, hak_tail_live and hak_canary_arm). */
#define HAK_CANARY_BYTES (HAK_CFG_CANARY ? 8u : 0u)
/* ... and poisons a freed block's usable bytes, checked when the block is handed out again: all
 * of them in blocks of up to HAK_POISON_WHOLE_MAX bytes, the first and last HAK_POISON_EDGE bytes
 * in larger ones. hakmem keeps nothing in a free block (the central box's slabs keep bitmaps).
 * Every free writes the poison and every malloc reads it: the bounds are a cost chosen from
 * measurements (docs/perf.md, "Safe: the requested size and whole-block poison"). */
#define HAK_POISON_WHOLE_MAX 1024u
#define HAK_POISON_EDGE 64u

enum { HAK_THREAD_NEW = 0, HAK_THREAD_ACTIVE = 1, HAK_THREAD_EXITED = 2 };

/* The bin of class c has cap[c] slots from base[c]: the stack [base[c], end[c]) with its next
 * free slot at top[c], and the remote batch [end[c], base[c] + cap[c]), filled downwards (end[c]
 * moves) until it meets the stack. Three arrays rather than an array of bins: the fast paths
 * address %fs:top(,cls,8) directly, with no shift to scale the class and no bin address to rebuild
 * for the store. cap[c] starts at the class's cache_cap and doubles, up to its cache_max (the
 * storage has that many slots), when the thread's own frees overflow the bin while it holds no
 * remote batch: a program freeing a batch of blocks at once keeps them for its next batch instead
 * of passing each through the central box. Remote frees never grow a bin. */
typedef struct hak_tcache {
  void** top[HAK_NCLASSES + 1];
  void** base[HAK_NCLASSES + 1];
  void** end[HAK_NCLASSES + 1];
  uint16_t cap[HAK_NCLASSES + 1];
  int state;
  void** storage;
  hak_thread_stats_t stats[HAK_CFG_STATS ? 1 : 0];
} hak_tcache_t;

extern __thread hak_tcache_t hak_tc HAK_HIDDEN;

/* Slow paths. */
HAK_HIDDEN void* hak_front_malloc_slow(size_t size);
HAK_HIDDEN void hak_front_free_slow(void* p, unsigned cls);
/* p's slab is another thread's: into the remote batch. */
HAK_HIDDEN void hak_front_free_remote(void* p, unsigned cls);
HAK_HIDDEN void hak_front_free_other(void* p, const char* func);
/* A block of class cls for a request of size bytes, through the thread cache (aligned
 * allocations, malloc's slow path; in safe, every small malloc: it also checks the block for writes
 * after free and arms its tail and canary for size). size_t: the class indexes the bins with no
 * zero-extension. */
HAK_HIDDEN void* hak_front_alloc_class(size_t cls, size_t size);
/* Safe profile's malloc(0): a block of the zero box (its faults named), else the smallest class's. */
HAK_HIDDEN void* hak_front_malloc_zero(void);
/* Safe profile's free of p, in a SuperSlab page with page entry page and free info info: validates
 * it (reported and not cached when bad), checks its canary, poisons it and caches it. */
HAK_HIDDEN void hak_front_safe_free(void* p, hak_slab_t* page, const hak_free_info_t* info, const char* func);
/* Gives back to the OS everything hakmem keeps without a block of the program in it: the calling
 * thread's cache, the transfer caches and spares, free pages, empty SuperSlabs, free large spans
 * (malloc_trim; and once before an allocation fails for want of memory). */
HAK_HIDDEN void hak_front_trim(void);
/* A large block (hak_large_alloc), after hak_front_trim and a second try when the OS refuses. */
HAK_HIDDEN void* hak_front_large_alloc(size_t size, size_t align, int zero);

HAK_INLINE void* hak_front_malloc(size_t size) {
  size_t cls; /* size_t: the class indexes the bins with no zero-extension */
  if (HAK_LIKELY(size <= HAK_TABLE_MAX - HAK_CANARY_BYTES)) cls = hak_class_of_table(size + HAK_CANARY_BYTES);
  else if (HAK_LIKELY(size <= HAK_SMALL_MAX - HAK_CANARY_BYTES)) cls = hak_class_of_large(size + HAK_CANARY_BYTES);
  else return hak_front_malloc_slow(size);
  if (HAK_CFG_CHECK_FREE) /* one tail call: pop and checks (malloc(0): the zero box) */
    return HAK_LIKELY(size) ? hak_front_alloc_class(cls, size) : hak_front_malloc_zero();
  void** top = hak_tc.top[cls];
  if (HAK_LIKELY(top != hak_tc.base[cls])) {
    void* p = *--top;
    hak_tc.top[cls] = top;
    if (HAK_CFG_STATS) hak_stats_count_alloc(&hak_tc.stats[0], p, cls);
    HAK_VG_MALLOC(p, hak_class_size(cls) - HAK_CANARY_BYTES);
    return p;
  }
  return hak_front_malloc_slow(size);
}

/* Freed block p of class cls, on the page with free info info: onto the stack when the calling
 * thread owns its slab, else into the remote batch (free's fast path, and safe's after its checks). */
HAK_INLINE void hak_front_cache_freed(void* p, const hak_free_info_t* info, size_t cls) {
  HAK_VG_FREE(p);
  if (HAK_UNLIKELY(__atomic_load_n(&info->owner, __ATOMIC_RELAXED) != hak_central_self)) {
    hak_front_free_remote(p, (unsigned)cls);
    return;
  }
  void** top = hak_tc.top[cls];
  if (HAK_LIKELY(top != hak_tc.end[cls])) {
    *top = p;
    hak_tc.top[cls] = top + 1;
    return;
  }
  hak_front_free_slow(p, (unsigned)cls);
}

/* free of p, which the registry says is in a SuperSlab. */
HAK_INLINE void hak_front_free_in_superslab(void* p, const char* func) {
  uintptr_t a = (uintptr_t)p;
  if (HAK_CFG_CHECK_FREE) { /* one tail call: validation, then the same push */
    hak_slab_t* page = hak_page_of(a);
    hak_front_safe_free(p, page, hak_free_info_of(a), func);
    return;
  }
  const hak_free_info_t* info = hak_free_info_of(a);
  size_t cls = info->cls; /* size_t: indexes the bins with no zero-extension */
  if (HAK_CFG_STATS && cls < HAK_NCLASSES) hak_stats_count_free(&hak_tc.stats[0], p, hak_page_of(a), (unsigned)cls);
  hak_front_cache_freed(p, info, cls);
}

HAK_INLINE void hak_front_free_named(void* p, const char* func) {
  if (HAK_LIKELY(hak_region_fast_superslab((uintptr_t)p))) {
    hak_front_free_in_superslab(p, func);
    return;
  }
  hak_front_free_other(p, func); /* large, foreign, or a SuperSlab outside the fast window */
}

HAK_INLINE void hak_front_free(void* p) { hak_front_free_named(p, "free"); }

#endif
