#include "hakmem/box/large/large.h"

#include <pthread.h>
#include <string.h>

#include "hakmem/box/os/os.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/superslab/superslab.h"

#define PAGE HAK_OS_PAGE
/* Page map: a root of one entry per GiB (1 MiB of untouched .bss), leaves of one word per 4 KiB
 * page mapped on first use (2 MiB of address space each, a few pages of it touched). */
#define PM_LEAF_SHIFT 30
#define PM_ROOT_ENTRIES ((size_t)1 << (HAK_ADDR_BITS - PM_LEAF_SHIFT))
#define PM_LEAF_ENTRIES ((size_t)1 << (PM_LEAF_SHIFT - HAK_OS_PAGE_SHIFT))
#define PM_LEAF_BYTES (PM_LEAF_ENTRIES * sizeof(uintptr_t))
/* A page map entry is a descriptor (on the first and the last page of its span), MARK(bytes) on
 * the first page of a freed block of that size now inside another span (a second free of it is a
 * double free; kept when the pages go back to the OS), or 0. Descriptors are 8-byte aligned: the low bit tells them apart. */
#define MARK(bytes) ((((uintptr_t)(bytes) >> HAK_OS_PAGE_SHIFT) << 1) | 1)
#define MARK_BYTES(e) (((e) >> 1) << HAK_OS_PAGE_SHIFT)
/* Free spans by size: pages 1..7 exactly, then four bins per power of two (bin_of). */
#define NBINS 140
#define BIN_WORDS ((NBINS + 63) / 64)
#define POOL_BYTES ((size_t)64 << 10)
typedef struct pool {
  struct pool* next;
  size_t n;
  hak_large_t d[];
} pool_t;

static uintptr_t* g_pm[PM_ROOT_ENTRIES];
static uintptr_t* g_spare_leaves; /* mapped ahead of a resize, linked through their first word */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_large_t* g_bins[NBINS];
static uint64_t g_nonempty[BIN_WORDS];
static hak_large_t *g_oldest, *g_newest; /* free spans by the time they were freed */
static hak_large_t* g_unused;            /* descriptors */
static pool_t* g_pools;
static uint64_t g_free_spans, g_free_bytes, g_meta_bytes;
static uint64_t g_live_blocks, g_live_bytes; /* atomics: read without the lock */

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* safe: a guard page after every block, freed blocks quarantined (large.h). */
#define GUARDED HAK_CFG_CHECK_FREE
#define GUARD_BYTES (GUARDED ? PAGE : 0)
static hak_large_t* g_quarantine[HAK_LARGE_QUARANTINE]; /* read by the fault handler without the lock */
static unsigned g_quarantine_next;
static size_t g_quarantine_bytes; /* address space held, guards included */

/* ---- page map ---------------------------------------------------------------------------- */

static uintptr_t pm_get(uintptr_t a) {
  size_t r = a >> PM_LEAF_SHIFT;
  if (r >= PM_ROOT_ENTRIES) return 0;
  uintptr_t* leaf = __atomic_load_n(&g_pm[r], __ATOMIC_ACQUIRE);
  return leaf ? __atomic_load_n(&leaf[(a >> HAK_OS_PAGE_SHIFT) & (PM_LEAF_ENTRIES - 1)], __ATOMIC_ACQUIRE) : 0;
}

/* Under the lock, in a range pm_cover made sure of. */
static void pm_set(uintptr_t a, uintptr_t v) {
  uintptr_t* leaf = g_pm[a >> PM_LEAF_SHIFT];
  __atomic_store_n(&leaf[(a >> HAK_OS_PAGE_SHIFT) & (PM_LEAF_ENTRIES - 1)], v, __ATOMIC_RELEASE);
}

static uintptr_t* leaf_map(void) {
  uintptr_t* leaf = hak_os_map(PM_LEAF_BYTES);
  if (!leaf) return NULL;
  hak_os_no_huge_pages(leaf, PM_LEAF_BYTES); /* or THP "always" makes it all resident */
  g_meta_bytes += PM_LEAF_BYTES;
  return leaf;
}

/* Under the lock: leaves for every page of [a, a + size), from the spares first. 0 when the OS
 * refuses one (nothing is set then but leaves, which stay). */
static int pm_cover(uintptr_t a, size_t size) {
  for (size_t r = a >> PM_LEAF_SHIFT; r <= (a + size - 1) >> PM_LEAF_SHIFT; r++) {
    if (g_pm[r]) continue;
    uintptr_t* leaf = g_spare_leaves;
    if (leaf) {
      g_spare_leaves = (uintptr_t*)leaf[0];
      leaf[0] = 0;
    } else if (!(leaf = leaf_map())) {
      return 0;
    }
    __atomic_store_n(&g_pm[r], leaf, __ATOMIC_RELEASE);
  }
  return 1;
}

static void span_mark(hak_large_t* h) {
  pm_set((uintptr_t)h->user, (uintptr_t)h);
  pm_set((uintptr_t)h->user + h->size - PAGE, (uintptr_t)h);
}

/* ---- descriptors and free spans (under the lock) ------------------------------------------ */

static hak_large_t* desc_new(void) {
  if (!g_unused) {
    pool_t* pool = hak_os_map(POOL_BYTES);
    if (!pool) return NULL;
    g_meta_bytes += POOL_BYTES;
    pool->n = (POOL_BYTES - sizeof *pool) / sizeof(hak_large_t);
    pool->next = g_pools;
    g_pools = pool;
    for (size_t i = 0; i < pool->n; i++) {
      pool->d[i].next = g_unused;
      g_unused = &pool->d[i];
    }
  }
  hak_large_t* d = g_unused;
  g_unused = d->next;
  memset(d, 0, sizeof *d);
  return d;
}

static void desc_free(hak_large_t* d) {
  d->magic = 0;
  d->next = g_unused;
  g_unused = d;
}

static unsigned bin_of(size_t pages) {
  if (pages < 8) return (unsigned)pages;
  unsigned lg = 63u - (unsigned)__builtin_clzll(pages);
  return (lg - 1) * 4 + (unsigned)((pages >> (lg - 2)) & 3);
}

static void free_insert(hak_large_t* h) {
  unsigned b = bin_of(h->size >> HAK_OS_PAGE_SHIFT);
  h->bin = b;
  h->prev = NULL;
  h->next = g_bins[b];
  if (h->next) h->next->prev = h;
  g_bins[b] = h;
  g_nonempty[b / 64] |= 1ull << (b % 64);
  h->older = g_newest;
  h->newer = NULL;
  if (g_newest) g_newest->newer = h;
  else g_oldest = h;
  g_newest = h;
  g_free_spans++;
  g_free_bytes += h->size;
  hak_release_retained_add(HAK_RETAINED_LARGE, (int64_t)h->size);
}

static void free_remove(hak_large_t* h) {
  if (h->prev) h->prev->next = h->next;
  else g_bins[h->bin] = h->next;
  if (h->next) h->next->prev = h->prev;
  if (!g_bins[h->bin]) g_nonempty[h->bin / 64] &= ~(1ull << (h->bin % 64));
  if (h->older) h->older->newer = h->newer;
  else g_oldest = h->newer;
  if (h->newer) h->newer->older = h->older;
  else g_newest = h->older;
  g_free_spans--;
  g_free_bytes -= h->size;
  hak_release_retained_add(HAK_RETAINED_LARGE, -(int64_t)h->size);
}

/* A free span of at least bytes: the first that fits in its size's bin (most recently freed
 * first), else any of the next bin that has one (all of them fit). */
static hak_large_t* free_take(size_t bytes) {
  unsigned b = bin_of(bytes >> HAK_OS_PAGE_SHIFT);
  for (hak_large_t* h = g_bins[b]; h; h = h->next)
    if (h->size >= bytes) return h;
  for (unsigned w = (b + 1) / 64; w < BIN_WORDS; w++) {
    uint64_t m = g_nonempty[w];
    if (w == (b + 1) / 64) m &= ~0ull << ((b + 1) % 64);
    if (m) return g_bins[w * 64 + (unsigned)__builtin_ctzll(m)];
  }
  return NULL;
}

static hak_large_t* free_at(uintptr_t e) {
  hak_large_t* h = (hak_large_t*)e;
  return e && !(e & 1) && h->magic == HAK_LARGE_FREED ? h : NULL;
}

/* Makes h's pages a free span, merged with the free spans on either side. mark: what its first
 * page's entry becomes if it ends up inside the span on its left. */
static void free_add(hak_large_t* h, uintptr_t mark) {
  uintptr_t start = (uintptr_t)h->user, end = start + h->size;
  h->magic = HAK_LARGE_FREED;
  hak_large_t* l = free_at(pm_get(start - PAGE));
  if (l && (uintptr_t)l->user + l->size != start) l = NULL;
  hak_large_t* r = free_at(pm_get(end));
  if (r && (uintptr_t)r->user != end) r = NULL;
  /* Entries that stop being boundaries are cleared first; span_mark writes the new ones last. */
  if (r) {
    free_remove(r);
    pm_set(end - PAGE, 0);
    pm_set(end, r->freed_size ? MARK(r->freed_size) : 0);
    h->size += r->size;
    desc_free(r);
  }
  if (l) {
    free_remove(l);
    pm_set(start - PAGE, 0);
    pm_set(start, mark);
    l->size += h->size;
    desc_free(h);
    h = l;
  }
  span_mark(h);
  free_insert(h);
}

/* Whether the free spans exceed what the release policy keeps (under the lock). */
static int over_policy(void) {
  return g_oldest && !hak_release_keep_spans(g_free_bytes, __atomic_load_n(&g_live_bytes, __ATOMIC_RELAXED));
}

/* Takes the oldest free spans off while the policy is exceeded (all of them when all is set):
 * a list (through next) for unmap_list, to unmap without the lock. */
static hak_large_t* take_released(int all) {
  hak_large_t* list = NULL;
  while (g_oldest && (all || over_policy())) {
    hak_large_t* h = g_oldest;
    free_remove(h);
    /* Off the map; a freed block's start keeps its mark: freeing it again, even after its pages
     * went back to the OS, is reported as the double free it is. */
    pm_set((uintptr_t)h->user + h->size - PAGE, 0);
    pm_set((uintptr_t)h->user, h->freed_size ? MARK(h->freed_size) : 0);
    h->magic = 0;
    h->next = list;
    list = h;
  }
  return list;
}

static void unmap_list(hak_large_t* list) {
  if (!list) return;
  for (hak_large_t* h = list; h; h = h->next) {
    hak_os_unmap(h->user, h->size);
    hak_release_returned(h->size);
  }
  pthread_mutex_lock(&g_lock);
  while (list) {
    hak_large_t* next = list->next;
    desc_free(list);
    list = next;
  }
  pthread_mutex_unlock(&g_lock);
}

/* ---- blocks ------------------------------------------------------------------------------- */

static void live_add(int64_t blocks, int64_t bytes) {
  __atomic_fetch_add(&g_live_blocks, (uint64_t)blocks, __ATOMIC_RELAXED);
  __atomic_fetch_add(&g_live_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
  hak_release_in_use_add(bytes);
}

/* Under the lock: bytes at an align boundary of free span h (which holds them) become a live
 * block; the pages before and after stay free. NULL (h unchanged) without descriptors. */
static hak_large_t* carve(hak_large_t* h, size_t bytes, size_t align) {
  uintptr_t start = (uintptr_t)h->user, end = start + h->size;
  uintptr_t at = round_up(start, align);
  hak_large_t *front = NULL, *back = NULL;
  if (at > start && !(front = desc_new())) return NULL;
  if (at + bytes < end && !(back = desc_new())) {
    if (front) desc_free(front);
    return NULL;
  }
  free_remove(h);
  if (front) {
    front->user = (uint8_t*)start;
    front->size = at - start;
    front->freed_size = h->freed_size;
    front->magic = HAK_LARGE_FREED;
    span_mark(front);
    free_insert(front);
  }
  if (back) {
    back->user = (uint8_t*)(at + bytes);
    back->size = end - (at + bytes);
    back->magic = HAK_LARGE_FREED;
    span_mark(back);
    free_insert(back);
  }
  h->user = (uint8_t*)at;
  h->size = bytes;
  h->freed_size = 0;
  h->magic = HAK_LARGE_LIVE;
  span_mark(h);
  return h;
}

void* hak_large_alloc(size_t size, size_t align, int zero) {
  if (size > ((size_t)1 << HAK_ADDR_BITS) || align > ((size_t)1 << HAK_ADDR_BITS)) return NULL;
  if (align < PAGE) align = PAGE;
  size_t bytes = round_up(size ? size : 1, PAGE);
  hak_large_t* h = NULL;
  if (!GUARDED) {
    pthread_mutex_lock(&g_lock);
    h = free_take(bytes + align - PAGE);
    if (h) h = carve(h, bytes, align);
    pthread_mutex_unlock(&g_lock);
    if (h) hak_release_reused();
  }
  int fresh = !h;
  if (!h) {
    size_t map = bytes + (GUARDED ? PAGE : 0);
    uint8_t* base = align > PAGE ? hak_os_map_aligned(map, align) : hak_os_map(map);
    if (!base) return NULL;
    if (GUARDED && !hak_os_protect(base + bytes, PAGE, 0)) {
      hak_os_unmap(base, map);
      return NULL;
    }
    pthread_mutex_lock(&g_lock);
    h = pm_cover((uintptr_t)base, bytes) ? desc_new() : NULL;
    if (h) {
      h->user = base;
      h->size = bytes;
      h->magic = HAK_LARGE_LIVE;
      span_mark(h);
    }
    pthread_mutex_unlock(&g_lock);
    if (!h) {
      hak_os_unmap(base, map);
      return NULL;
    }
    /* safe maps every block anew and decommits every freed one: counted as the policy's commits
     * and returns, a program's large blocks would earn a hold that only the small blocks' boxes
     * use, as empty memory kept (lua's budget at exit: 65.8 MiB instead of 8.6). */
    if (!GUARDED) hak_release_committed(bytes);
  }
  live_add(1, (int64_t)(h->size + GUARD_BYTES)); /* the address space it holds */
  if (zero && !fresh) memset(h->user, 0, size);
  return h->user;
}

hak_large_t* hak_large_lookup(const void* p) {
  uintptr_t a = (uintptr_t)p, e;
  if (a & (PAGE - 1) || !(e = pm_get(a)) || (e & 1)) return NULL;
  hak_large_t* h = (hak_large_t*)e;
  return h->user == (const uint8_t*)p ? h : NULL;
}

hak_large_verdict_t hak_large_diagnose(const void* p, size_t* size) {
  uintptr_t a = (uintptr_t)p;
  hak_large_verdict_t v = HAK_LARGE_NOT_OURS;
  *size = 0;
  pthread_mutex_lock(&g_lock);
  /* Inside a live block first: what the address is now, whatever was freed there before. */
  for (pool_t* pool = g_pools; pool && v == HAK_LARGE_NOT_OURS; pool = pool->next)
    for (size_t i = 0; i < pool->n; i++) {
      hak_large_t* d = &pool->d[i];
      if (d->magic == HAK_LARGE_LIVE && a > (uintptr_t)d->user && a < (uintptr_t)d->user + d->size) {
        *size = d->size;
        v = HAK_LARGE_INTERIOR;
        break;
      }
    }
  uintptr_t e = v != HAK_LARGE_NOT_OURS || a & (PAGE - 1) ? 0 : pm_get(a);
  hak_large_t* h = (hak_large_t*)e;
  if (e & 1) {
    *size = MARK_BYTES(e);
    v = HAK_LARGE_WAS_FREED;
  } else if (e && h->user == (const uint8_t*)p && h->magic == HAK_LARGE_FREED && h->freed_size) {
    *size = h->freed_size;
    v = HAK_LARGE_WAS_FREED;
  }
  pthread_mutex_unlock(&g_lock);
  return v;
}

/* safe: h's pages go back and become inaccessible, h waits in the quarantine; the oldest blocks
 * leave it (their ranges, guards included, are unmapped) while it holds more than
 * HAK_LARGE_QUARANTINE blocks or HAK_LARGE_QUARANTINE_BYTES of address space. A bigger block is
 * unmapped at once (its range faults until the OS maps something else there). */
static void quarantine(hak_large_t* h) {
  uint8_t* user = h->user;
  size_t size = h->size, span = size + PAGE;
  hak_os_decommit(user, size); /* not a release under the policy: no hold is earned by it */
  hak_os_protect(user, size, 0);
  hak_large_t* out = NULL; /* leaving, through next */
  pthread_mutex_lock(&g_lock);
  h->freed_size = size;
  h->magic = HAK_LARGE_FREED; /* its page map entries stay: a second free is a double free */
  if (span > HAK_LARGE_QUARANTINE_BYTES) {
    h->next = NULL;
    out = h;
  } else {
    /* h takes the oldest slot; older blocks leave too while the bytes are over the bound. */
    unsigned at = g_quarantine_next;
    for (unsigned k = 0; k < HAK_LARGE_QUARANTINE; k++) {
      unsigned i = (at + k) % HAK_LARGE_QUARANTINE;
      hak_large_t* old = g_quarantine[i];
      if (k && g_quarantine_bytes + span <= HAK_LARGE_QUARANTINE_BYTES) break;
      if (!old) continue;
      __atomic_store_n(&g_quarantine[i], NULL, __ATOMIC_RELEASE);
      g_quarantine_bytes -= old->size + PAGE;
      g_free_bytes -= old->size + PAGE;
      old->next = out;
      out = old;
    }
    __atomic_store_n(&g_quarantine[at], h, __ATOMIC_RELEASE);
    g_quarantine_next = (at + 1) % HAK_LARGE_QUARANTINE;
    g_quarantine_bytes += span;
    g_free_bytes += span;
  }
  for (hak_large_t* o = out; o; o = o->next) {
    pm_set((uintptr_t)o->user + o->size - PAGE, 0);
    pm_set((uintptr_t)o->user, MARK(o->size));
    o->magic = 0;
  }
  pthread_mutex_unlock(&g_lock);
  for (hak_large_t* o = out; o; o = o->next) hak_os_unmap(o->user, o->size + PAGE);
  if (!out) return;
  pthread_mutex_lock(&g_lock);
  while (out) {
    hak_large_t* next = out->next;
    desc_free(out);
    out = next;
  }
  pthread_mutex_unlock(&g_lock);
}

void hak_large_free(hak_large_t* h) {
  live_add(-1, -(int64_t)(h->size + GUARD_BYTES));
  if (GUARDED) {
    quarantine(h);
    return;
  }
  pthread_mutex_lock(&g_lock);
  h->freed_size = h->size;
  free_add(h, MARK(h->size));
  hak_large_t* released = take_released(0);
  pthread_mutex_unlock(&g_lock);
  unmap_list(released);
}

/* safe: block h grows into a new guarded block without a copy: its pages move over the new
 * block's start and its old range, left mapped and empty, is quarantined like a freed block (an
 * access through the old pointer is a named use after free). NULL (realloc copies) when the OS
 * cannot move pages that way; it is not asked again. */
static int g_move_refused;

static void* guarded_grow(hak_large_t* h, size_t size) {
  if (__atomic_load_n(&g_move_refused, __ATOMIC_RELAXED)) return NULL;
  void* q = hak_large_alloc(size, PAGE, 0);
  if (!q) return NULL;
  if (!hak_os_move_keep_range(h->user, h->size, q)) {
    __atomic_store_n(&g_move_refused, 1, __ATOMIC_RELAXED);
    hak_large_free(hak_large_lookup(q));
    return NULL;
  }
  hak_large_free(h);
  return q;
}

void* hak_large_resize(hak_large_t* h, size_t size) {
  if (size > ((size_t)1 << HAK_ADDR_BITS)) return NULL;
  size_t bytes = round_up(size, PAGE), old = h->size;
  uintptr_t start = (uintptr_t)h->user, end = start + old;
  if (bytes == old) return h->user;
  if (GUARDED) return bytes > old ? guarded_grow(h, size) : NULL; /* a shrink: realloc copies */
  pthread_mutex_lock(&g_lock);
  if (bytes < old) { /* the tail becomes a free span */
    hak_large_t* tail = desc_new();
    hak_large_t* released = NULL;
    if (tail) {
      h->size = bytes;
      span_mark(h);
      tail->user = (uint8_t*)(start + bytes);
      tail->size = old - bytes;
      free_add(tail, 0);
      live_add(0, -(int64_t)(old - bytes));
      released = take_released(0);
    }
    pthread_mutex_unlock(&g_lock);
    unmap_list(released);
    return h->user; /* without a descriptor the block stays as it was: still big enough */
  }
  hak_large_t* r = free_at(pm_get(end));
  size_t more = bytes - old;
  if (r && (uintptr_t)r->user == end && r->size >= more) { /* into the free span that follows */
    free_remove(r);
    pm_set(end - PAGE, 0);
    pm_set(end, r->freed_size ? MARK(r->freed_size) : 0);
    if (r->size > more) {
      r->user += more;
      r->size -= more;
      r->freed_size = 0;
      span_mark(r);
      free_insert(r);
    } else {
      desc_free(r);
    }
    h->size = bytes;
    span_mark(h);
    pthread_mutex_unlock(&g_lock);
    live_add(0, (int64_t)more);
    return h->user;
  }
  /* Into a free span that holds the new size: the pages move over its start (no copy), the rest of
   * it keeps its committed pages. The block leaves the map while it moves: another thread may map
   * the old range at once. */
  hak_large_t* to = free_take(bytes);
  if (to) to = carve(to, bytes, PAGE);
  if (to) {
    pm_set(start, 0);
    pm_set(end - PAGE, 0);
    pthread_mutex_unlock(&g_lock);
    int moved = hak_os_move(h->user, old, to->user);
    pthread_mutex_lock(&g_lock);
    if (moved) {
      desc_free(h);
      pthread_mutex_unlock(&g_lock);
      live_add(0, (int64_t)more);
      hak_release_reused();
      return to->user;
    }
    span_mark(h); /* (two mappings under it: the OS cannot move it) */
    to->freed_size = 0;
    free_add(to, 0);
  }
  /* Moved by the OS to where it finds room. Leaves for wherever it lands are mapped first (a moved
   * block must be found). */
  size_t want = bytes / ((size_t)1 << PM_LEAF_SHIFT) + 2, have = 0;
  for (uintptr_t* l = g_spare_leaves; l; l = (uintptr_t*)l[0]) have++;
  for (; have < want; have++) {
    uintptr_t* leaf = leaf_map();
    if (!leaf) {
      pthread_mutex_unlock(&g_lock);
      return NULL;
    }
    leaf[0] = (uintptr_t)g_spare_leaves;
    g_spare_leaves = leaf;
  }
  pm_set(start, 0);
  pm_set(end - PAGE, 0);
  pthread_mutex_unlock(&g_lock);
  uint8_t* q = hak_os_resize(h->user, old, bytes);
  pthread_mutex_lock(&g_lock);
  if (q) {
    pm_cover((uintptr_t)q, bytes); /* from the spares: cannot fail */
    h->user = q;
    h->size = bytes;
  }
  span_mark(h);
  pthread_mutex_unlock(&g_lock);
  if (!q) return NULL;
  live_add(0, (int64_t)more);
  hak_release_committed(more);
  return q;
}

void hak_large_trim(void) {
  pthread_mutex_lock(&g_lock);
  hak_large_t* released = take_released(1);
  hak_large_t* quarantined = NULL; /* safe: its pages went back at the free; the ranges go now */
  for (unsigned i = 0; i < HAK_LARGE_QUARANTINE; i++) {
    hak_large_t* q = g_quarantine[i];
    if (!q) continue;
    __atomic_store_n(&g_quarantine[i], NULL, __ATOMIC_RELEASE);
    g_quarantine_bytes -= q->size + PAGE;
    g_free_bytes -= q->size + PAGE;
    pm_set((uintptr_t)q->user + q->size - PAGE, 0);
    pm_set((uintptr_t)q->user, MARK(q->size));
    q->magic = 0;
    q->next = quarantined;
    quarantined = q;
  }
  pthread_mutex_unlock(&g_lock);
  unmap_list(released);
  for (hak_large_t* q = quarantined; q; q = q->next) hak_os_unmap(q->user, q->size + PAGE);
  pthread_mutex_lock(&g_lock);
  while (quarantined) {
    hak_large_t* next = quarantined->next;
    desc_free(quarantined);
    quarantined = next;
  }
  pthread_mutex_unlock(&g_lock);
}

hak_large_fault_kind_t hak_large_fault(uintptr_t addr, const void** block, size_t* size) {
  if (!GUARDED) return HAK_LARGE_NO_FAULT;
  uintptr_t page = addr & ~(uintptr_t)(PAGE - 1);
  uintptr_t e = page >= PAGE ? pm_get(page - PAGE) : 0; /* the last page of a live block before a guard */
  hak_large_t* h = (hak_large_t*)e;
  if (e && !(e & 1) && __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == HAK_LARGE_LIVE &&
      (uintptr_t)h->user + h->size == page) {
    *block = h->user;
    *size = h->size;
    return HAK_LARGE_OVERFLOW;
  }
  for (unsigned i = 0; i < HAK_LARGE_QUARANTINE; i++) {
    hak_large_t* q = __atomic_load_n(&g_quarantine[i], __ATOMIC_ACQUIRE);
    if (q && addr >= (uintptr_t)q->user && addr < (uintptr_t)q->user + q->freed_size + PAGE) {
      *block = q->user;
      *size = q->freed_size;
      return HAK_LARGE_FREED_ACCESS;
    }
  }
  return HAK_LARGE_NO_FAULT;
}

void hak_large_counters_get(hak_large_counters_t* out) {
  pthread_mutex_lock(&g_lock);
  out->free_spans = g_free_spans;
  out->free_bytes = g_free_bytes;
  out->meta_bytes = g_meta_bytes;
  pthread_mutex_unlock(&g_lock);
  out->live_blocks = __atomic_load_n(&g_live_blocks, __ATOMIC_RELAXED);
  out->live_bytes = __atomic_load_n(&g_live_bytes, __ATOMIC_RELAXED);
}

void hak_large_fork_prepare(void) { pthread_mutex_lock(&g_lock); }
void hak_large_fork_parent(void) { pthread_mutex_unlock(&g_lock); }
void hak_large_fork_child(void) { pthread_mutex_init(&g_lock, NULL); }
