#include "hakmem/box/large/large.h"

#include <pthread.h>
#include <string.h>

#include "hakmem/box/os/os.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/superslab/superslab.h"

#define CACHE_MAX 16
/* Whatever the policy (SPEED keeps everything else): a freed mapping is kept for a request of
 * about its size, and many big ones that are not asked for again would only hold memory (a buffer
 * grown to 64 MiB over and over kept 16 of them resident, 1 GiB). */
#define CACHE_MAX_BYTES ((size_t)64 << 20)

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_large_t* g_cache; /* freed mappings, most recent first */
static unsigned g_cached;
static size_t g_cached_bytes;
static uint64_t g_live_blocks, g_live_bytes;

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* Offset of the user pointer from the header for an alignment: the header is 64 bytes, and an
 * alignment of 2 MiB or more puts the user pointer at the start of the second chunk. */
static size_t user_offset(size_t align) {
  if (align <= HAK_LARGE_HEADER) return HAK_LARGE_HEADER;
  return align < HAK_SS_SIZE ? align : HAK_SS_SIZE;
}

/* The smallest cached mapping of at least need bytes that wastes at most about half of itself. */
static hak_large_t* cache_take(size_t need) {
  hak_large_t** best = NULL;
  for (hak_large_t** link = &g_cache; *link; link = &(*link)->next) {
    size_t m = (*link)->map_size;
    if (m >= need && m <= 2 * need + HAK_SS_SIZE && (!best || m < (*best)->map_size)) best = link;
  }
  if (!best) return NULL;
  hak_large_t* h = *best;
  *best = h->next;
  g_cached--;
  g_cached_bytes -= h->map_size;
  hak_release_retained_add(HAK_RETAINED_LARGE, -(int64_t)h->retained);
  return h;
}

void* hak_large_alloc(size_t size, size_t align, int zero) {
  if (align < 16) align = 16;
  size_t off = user_offset(align);
  if (size > ((size_t)1 << HAK_ADDR_BITS) - off - HAK_SS_SIZE) return NULL;
  /* At least one byte past the user pointer: with an offset of 2 MiB, size 0 would otherwise map
   * only the header's chunk and put the user pointer just past the mapping. */
  size_t need = round_up(off + (size ? size : 1), HAK_SS_SIZE);
  hak_large_t* h = NULL;
  int fresh = 0;
  if (align < HAK_SS_SIZE) {
    pthread_mutex_lock(&g_lock);
    h = cache_take(need);
    pthread_mutex_unlock(&g_lock);
    if (h) hak_release_committed(h->map_size - h->retained);
  }
  if (!h) {
    /* For alignments beyond 2 MiB, over-map so the user pointer (header + 2 MiB) lands aligned. */
    size_t extra = align > HAK_SS_SIZE ? align : 0;
    uint8_t* raw = hak_os_map_aligned(need + extra, HAK_SS_SIZE);
    if (!raw) return NULL;
    uint8_t* base = raw;
    if (extra) {
      uintptr_t user = round_up((uintptr_t)raw + HAK_SS_SIZE, align);
      base = (uint8_t*)(user - HAK_SS_SIZE);
      hak_os_unmap(raw, (size_t)(base - raw));
      hak_os_unmap(base + need, (size_t)(raw + need + extra - (base + need)));
    }
    h = (hak_large_t*)base;
    h->map_size = need;
    fresh = 1;
    hak_release_committed(need);
    hak_registry_set((uintptr_t)base, need, HAK_REGION_LARGE, HAK_REGION_LARGE_TAIL);
  }
  h->user = (uint8_t*)h + off;
  h->size = h->map_size - off;
  h->next = NULL;
  if (zero && !fresh) memset(h->user, 0, size);
  __atomic_store_n(&h->magic, HAK_LARGE_LIVE, __ATOMIC_RELEASE);
  __atomic_fetch_add(&g_live_blocks, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&g_live_bytes, h->map_size, __ATOMIC_RELAXED);
  hak_release_in_use_add((int64_t)h->map_size);
  return h->user;
}

hak_large_t* hak_large_lookup(const void* p) {
  uintptr_t a = (uintptr_t)p;
  if (a < HAK_SS_SIZE || hak_region_kind(a - 1) != HAK_REGION_LARGE) return NULL;
  hak_large_t* h = (hak_large_t*)((a - 1) & ~(uintptr_t)(HAK_SS_SIZE - 1));
  return h->user == (const uint8_t*)p ? h : NULL;
}

static void unmap(hak_large_t* h) {
  hak_registry_set((uintptr_t)h, h->map_size, HAK_REGION_NONE, HAK_REGION_NONE);
  hak_os_unmap(h, h->map_size);
}

/* Unmaps cached mappings, oldest first, while the release policy is eager (over its budget). */
static void release_over_budget(void) {
  for (;;) {
    pthread_mutex_lock(&g_lock);
    hak_large_t* h = NULL;
    if (g_cache && hak_release_eager()) {
      /* The oldest mapping goes first. */
      hak_large_t** link = &g_cache;
      while ((*link)->next) link = &(*link)->next;
      h = *link;
      *link = NULL;
      g_cached--;
      g_cached_bytes -= h->map_size;
      hak_release_retained_add(HAK_RETAINED_LARGE, -(int64_t)h->retained);
    }
    pthread_mutex_unlock(&g_lock);
    if (!h) return;
    hak_release_returned(h->retained);
    unmap(h);
  }
}

void hak_large_free(hak_large_t* h) {
  __atomic_fetch_sub(&g_live_blocks, 1, __ATOMIC_RELAXED);
  __atomic_fetch_sub(&g_live_bytes, h->map_size, __ATOMIC_RELAXED);
  hak_release_in_use_add(-(int64_t)h->map_size);
  h->magic = HAK_LARGE_FREED;
  /* Committed within the budget; beyond it BALANCED keeps the mapping with its pages decommitted
   * (all but the header's), LEAN unmaps it. */
  int committed = hak_release_keep_region(0, h->map_size);
  int keep = committed || hak_release_policy() == HAK_RELEASE_BALANCED;
  pthread_mutex_lock(&g_lock);
  if (keep && g_cached < CACHE_MAX && g_cached_bytes + h->map_size <= CACHE_MAX_BYTES) {
    if (!committed) {
      /* or khugepaged could fill it back in around the header */
      hak_os_no_huge_pages(h, h->map_size);
      hak_os_decommit((uint8_t*)h + HAK_OS_PAGE, h->map_size - HAK_OS_PAGE);
      hak_release_returned(h->map_size - HAK_OS_PAGE);
    }
    h->next = g_cache;
    h->retained = committed ? h->map_size : HAK_OS_PAGE;
    g_cache = h;
    g_cached++;
    g_cached_bytes += h->map_size;
    hak_release_retained_add(HAK_RETAINED_LARGE, (int64_t)h->retained);
    h = NULL;
  }
  pthread_mutex_unlock(&g_lock);
  if (h) {
    hak_release_returned(h->map_size);
    unmap(h);
  }
  release_over_budget();
}

void* hak_large_grow(hak_large_t* h, size_t size) {
  size_t off = (size_t)(h->user - (uint8_t*)h), old = h->map_size;
  if (size > ((size_t)1 << HAK_ADDR_BITS) - off - HAK_SS_SIZE) return NULL;
  size_t need = round_up(off + size, HAK_SS_SIZE);
  pthread_mutex_lock(&g_lock);
  hak_large_t* cached = cache_take(need);
  pthread_mutex_unlock(&g_lock);
  /* A cached mapping's pages under the moved ones are replaced; the rest stay as they are. */
  uint8_t* to = cached ? (uint8_t*)cached : hak_os_map_aligned(need, HAK_SS_SIZE);
  if (!to) return NULL;
  if (cached) need = cached->map_size;
  /* Off the registry before the range is unmapped: another thread's new mapping may land there. */
  hak_registry_set((uintptr_t)h, old, HAK_REGION_NONE, HAK_REGION_NONE);
  if (!hak_os_move(h, old, to)) {
    hak_registry_set((uintptr_t)h, old, HAK_REGION_LARGE, HAK_REGION_LARGE_TAIL);
    if (cached) {
      unmap(cached);
    } else {
      hak_os_unmap(to, need);
    }
    return NULL;
  }
  h = (hak_large_t*)to;
  h->map_size = need;
  h->size = need - off;
  h->user = to + off;
  hak_registry_set((uintptr_t)to, need, HAK_REGION_LARGE, HAK_REGION_LARGE_TAIL);
  __atomic_fetch_add(&g_live_bytes, need - old, __ATOMIC_RELAXED);
  hak_release_in_use_add((int64_t)(need - old));
  return h->user;
}

void hak_large_trim(void) {
  pthread_mutex_lock(&g_lock);
  hak_large_t* list = g_cache;
  for (hak_large_t* h = list; h; h = h->next) hak_release_retained_add(HAK_RETAINED_LARGE, -(int64_t)h->retained);
  g_cache = NULL;
  g_cached = 0;
  g_cached_bytes = 0;
  pthread_mutex_unlock(&g_lock);
  while (list) {
    hak_large_t* next = list->next;
    unmap(list);
    list = next;
  }
}

void hak_large_counters_get(hak_large_counters_t* out) {
  pthread_mutex_lock(&g_lock);
  out->cached_maps = g_cached;
  out->cached_bytes = g_cached_bytes;
  pthread_mutex_unlock(&g_lock);
  out->live_blocks = __atomic_load_n(&g_live_blocks, __ATOMIC_RELAXED);
  out->live_bytes = __atomic_load_n(&g_live_bytes, __ATOMIC_RELAXED);
}

void hak_large_fork_prepare(void) { pthread_mutex_lock(&g_lock); }
void hak_large_fork_parent(void) { pthread_mutex_unlock(&g_lock); }
void hak_large_fork_child(void) { pthread_mutex_init(&g_lock, NULL); }
