/* api box: the exported functions. Thin: each is the front box's inline fast path or a call to one
 * slow function. Built twice: as the prefixed API only, and with HAK_OVERRIDE, where the libc names
 * are aliases of the same functions (no extra call). No libc allocation header is included, so
 * the aliases carry exactly these declarations. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "hakmem/box/central/central.h"
#include "hakmem/box/env/env.h"
#include "hakmem/box/front/front.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/route/route.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/box/thread/thread.h"
#include "hakmem/config/valgrind.h"
#include "hakmem/include/hakmem.h"

#define MAX_REQUEST ((size_t)PTRDIFF_MAX)

void* hak_malloc(size_t size) { return hak_front_malloc(size); }

void hak_free(void* ptr) { hak_front_free(ptr); }

void* hak_calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total) || total > MAX_REQUEST) {
    errno = ENOMEM;
    return NULL;
  }
  if (total > HAK_SMALL_MAX - HAK_CANARY_BYTES) {
    hak_thread_process_init();
    void* p = hak_front_large_alloc(total, 16, 1);
    if (!p) errno = ENOMEM;
    return p;
  }
  void* p = hak_front_malloc(total);
  if (p) memset(p, 0, total);
  return p;
}

/* The bytes a validated block can hold. */
static size_t room_of(const hak_route_t* r) {
  return r->kind == HAK_ROUTE_SMALL ? r->block_size - HAK_CANARY_BYTES : r->block_size;
}

/* Usable bytes of validated block p: its room, or in safe the size a small block was asked for
 * (its tail holds it; a tail an overflow overwrote gives the room: free names the overflow). */
static size_t usable_of(const hak_route_t* r, const void* p) {
  if (HAK_CFG_CANARY && r->kind == HAK_ROUTE_SMALL) {
    uint64_t request = hak_tail_request((uintptr_t)p, hak_tail_load((uintptr_t)p, r->block_size));
    if (request <= room_of(r)) return request;
  }
  return room_of(r);
}

void* hak_realloc(void* ptr, size_t size) {
  if (!ptr) return hak_front_malloc(size);
  if (size == 0) {
    hak_front_free_named(ptr, "realloc");
    return NULL;
  }
  hak_route_t r = hak_route(ptr);
  if (r.kind == HAK_ROUTE_BAD) {
    hak_thread_process_init(); /* may be the first call: the error mode comes from the environment */
    hak_route_report(&r, ptr, "realloc");
    errno = EINVAL;
    return NULL;
  }
  size_t room = room_of(&r), usable = room;
  if (HAK_CFG_CANARY && r.kind == HAK_ROUTE_SMALL) { /* safe: the request, its canary checked */
    uint64_t request = hak_live_request((uintptr_t)ptr, r.block_size);
    if (request == HAK_TAIL_NOT_LIVE) {
      hak_front_free_named(ptr, "realloc"); /* names the overflow */
      errno = EINVAL;
      return NULL;
    }
    usable = request;
  }
  /* In place while the block holds the new size and would not waste more than half of itself. */
  if (size <= room && size >= room / 2) {
    if (HAK_CFG_CANARY && r.kind == HAK_ROUTE_SMALL) { /* the new size, its canary after it */
      hak_tail_store((uintptr_t)ptr, r.block_size, hak_tail_live((uintptr_t)ptr, size));
      hak_canary_rearm((uintptr_t)ptr, size, r.block_size);
    }
    return ptr;
  }
  if (size > MAX_REQUEST) {
    errno = ENOMEM;
    return NULL;
  }
  /* A large block that stays large is resized in place or moved by the OS, never copied. */
  if (r.kind == HAK_ROUTE_LARGE && size > HAK_SMALL_MAX - HAK_CANARY_BYTES) {
    void* q = hak_large_resize(r.large, size);
    if (q) {
      HAK_VG_FREE(ptr);
      HAK_VG_MALLOC(q, hak_large_lookup(q)->size);
      HAK_VG_DEFINED(q, size < usable ? size : usable); /* the contents kept */
      return q;
    }
  }
  void* q = hak_front_malloc(size);
  if (!q) return NULL;
  memcpy(q, ptr, size < usable ? size : usable);
  hak_front_free_named(ptr, "realloc");
  return q;
}

void* hak_reallocarray(void* ptr, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return hak_realloc(ptr, total);
}

static int is_pow2(size_t v) { return v && !(v & (v - 1)); }

/* Aligned allocation for a power-of-two alignment. */
static void* alloc_aligned(size_t align, size_t size) {
  if (align <= 16) return hak_front_malloc(size);
  if (size > MAX_REQUEST) {
    errno = ENOMEM;
    return NULL;
  }
  int cls = hak_class_of_aligned(size + HAK_CANARY_BYTES, align);
  if (cls >= 0) return hak_front_alloc_class((unsigned)cls, size);
  hak_thread_process_init();
  void* p = hak_front_large_alloc(size, align, 0);
  if (!p) errno = ENOMEM;
  return p;
}

int hak_posix_memalign(void** out, size_t alignment, size_t size) {
  if (!is_pow2(alignment) || alignment % sizeof(void*)) return EINVAL;
  int saved = errno;
  void* p = alloc_aligned(alignment, size);
  if (!p) return ENOMEM;
  errno = saved;
  *out = p;
  return 0;
}

void* hak_aligned_alloc(size_t alignment, size_t size) {
  if (!is_pow2(alignment)) {
    errno = EINVAL;
    return NULL;
  }
  return alloc_aligned(alignment, size);
}

void* hak_memalign(size_t alignment, size_t size) {
  /* glibc: a non-power-of-two alignment is rounded up; an impossible one is EINVAL. */
  if (alignment > MAX_REQUEST / 2 + 1) {
    errno = EINVAL;
    return NULL;
  }
  if (!is_pow2(alignment)) {
    size_t a = 1;
    while (a < alignment) a <<= 1;
    alignment = a;
  }
  return alloc_aligned(alignment, size);
}

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

void* hak_valloc(size_t size) { return alloc_aligned(page_size(), size); }

void* hak_pvalloc(size_t size) {
  size_t page = page_size();
  if (size > MAX_REQUEST - page) {
    errno = ENOMEM;
    return NULL;
  }
  return alloc_aligned(page, (size + page - 1) & ~(page - 1));
}

size_t hak_malloc_usable_size(const void* ptr) {
  if (!ptr) return 0;
  hak_route_t r = hak_route(ptr);
  if (r.kind == HAK_ROUTE_BAD) {
    hak_thread_process_init();
    hak_route_report(&r, ptr, "malloc_usable_size");
    return 0;
  }
  return usable_of(&r, ptr);
}

/* An aligned operator delete without a size: only the alignment is checked. */
#define SIZE_UNKNOWN SIZE_MAX

/* Whether block p could have been asked for with size bytes: a small block's requested size
 * exactly (its tail holds it; an overflowed tail is named by the free instead); a large block's
 * size is known to the page: no more than it holds and, for an unaligned request, not less than
 * half of it (realloc keeps a block that shrinks to half of it). */
static int size_fits_block(const hak_route_t* r, const void* p, size_t size, size_t alignment) {
  if (size == SIZE_UNKNOWN) return 1;
  if (r->kind == HAK_ROUTE_SMALL) {
    uint64_t request = hak_live_request((uintptr_t)p, r->block_size);
    return request == HAK_TAIL_NOT_LIVE || request == size;
  }
  size_t room = room_of(r);
  return size <= room && (alignment > 16 || size >= room / 2);
}

/* safe: a size (and alignment) that the block was not asked for is reported, and the block is not
 * freed. */
static void free_checked_size(void* ptr, size_t size, size_t alignment, const char* func) {
  if (HAK_CFG_CHECK_FREE && ptr) {
    hak_route_t r = hak_route(ptr);
    if (r.kind != HAK_ROUTE_BAD &&
        (!size_fits_block(&r, ptr, size, alignment) || (alignment > 16 && (uintptr_t)ptr % alignment))) {
      hak_report_error(HAK_ERR_SIZE_MISMATCH, ptr, func, r.cls, r.block_size);
      return;
    }
  }
  hak_front_free_named(ptr, func);
}

void hak_free_sized(void* ptr, size_t size) { free_checked_size(ptr, size, 0, "free_sized"); }

void hak_free_aligned_sized(void* ptr, size_t alignment, size_t size) {
  free_checked_size(ptr, size, alignment, "free_aligned_sized");
}

#ifdef HAK_OVERRIDE
/* C++'s sized and aligned operator delete (new_delete.cc); size 0: unsized. */
HAK_HIDDEN void hak_api_delete(void* ptr, size_t size, size_t alignment);
void hak_api_delete(void* ptr, size_t size, size_t alignment) {
  if (size || alignment > 16) free_checked_size(ptr, size ? size : SIZE_UNKNOWN, alignment, "operator delete");
  else hak_front_free_named(ptr, "operator delete");
}
#endif

int hak_trim(size_t pad) {
  (void)pad;
  hak_front_trim();
  return 1;
}

const char* hak_profile(void) { return HAK_PROFILE_NAME; }

void hak_stats_get(hak_stats_t* out) {
  if (HAK_CFG_STATS && hak_tc.state == HAK_THREAD_ACTIVE) hak_stats_merge_thread(&hak_tc.stats[0]);
  hak_stats_collect(out);
}

void hak_stats_print(FILE* out) {
  hak_stats_t s;
  hak_stats_get(&s);
  hak_stats_write(&s, out);
}

/* HAKMEM_STATS=1: the report at exit, on the descriptor the stats box duplicated from stderr. */
__attribute__((destructor)) static void stats_at_exit(void) {
  if (!HAK_CFG_ENV_TUNING || !hak_env()->stats_at_exit) return;
  hak_stats_t s;
  hak_stats_get(&s);
  hak_stats_report_at_exit(&s);
}

#ifdef HAK_OVERRIDE
#define HAK_ALIAS(name, target) __typeof__(target) name __attribute__((alias(#target), visibility("default")))
HAK_ALIAS(malloc, hak_malloc);
HAK_ALIAS(free, hak_free);
HAK_ALIAS(calloc, hak_calloc);
HAK_ALIAS(realloc, hak_realloc);
HAK_ALIAS(reallocarray, hak_reallocarray);
HAK_ALIAS(posix_memalign, hak_posix_memalign);
HAK_ALIAS(aligned_alloc, hak_aligned_alloc);
HAK_ALIAS(memalign, hak_memalign);
HAK_ALIAS(valloc, hak_valloc);
HAK_ALIAS(pvalloc, hak_pvalloc);
HAK_ALIAS(malloc_usable_size, hak_malloc_usable_size);
HAK_ALIAS(free_sized, hak_free_sized);
HAK_ALIAS(free_aligned_sized, hak_free_aligned_sized);
HAK_ALIAS(malloc_trim, hak_trim);
#endif
