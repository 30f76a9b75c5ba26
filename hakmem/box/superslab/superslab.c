#include "hakmem/box/superslab/superslab.h"

#include <pthread.h>
#include <string.h>

#include "hakmem/box/os/os.h"
#include "hakmem/box/release/release.h"

#define SS_MAGIC 0x5355504552534c42ull /* "SUPERSLB" */
#define HEADER_MASK ((1u << HAK_SS_HEADER_PAGES) - 1)
#define ALL_PAGES 0xffffffffu
#define USABLE_PAGES (ALL_PAGES & ~HEADER_MASK)

_Static_assert(sizeof(hak_superslab_t) <= HAK_PAGE_SIZE, "header fits in the first page");
_Static_assert(HAK_PAGE_SIZE % HAK_SLAB_ALIGN == 0, "slabs start as aligned as size_class promises");
_Static_assert(HAK_PAGE_SIZE + HAK_SS_PAGES * HAK_MAX_SLAB_BLOCKS * HAK_SS_BLOCK_BYTES <=
                   HAK_SS_HEADER_PAGES * HAK_PAGE_SIZE,
               "per-block bytes fit in the header pages");
_Static_assert(HAK_OS_PAGES_PER_PAGE == 16, "purged[] has one bit per OS page");

/* page-aligned: for madvise */
uint64_t hak_region_bits[HAK_REGISTRY_SIZE / 64] __attribute__((aligned(4096)));
uint8_t hak_region_fast[HAK_FAST_CHUNKS] __attribute__((aligned(4096)));
uintptr_t hak_fast_first_chunk = (uintptr_t)1 << 63;
static int g_registry_advised;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static hak_superslab_t* g_list; /* every SuperSlab, newest first */
static uint64_t g_superslabs, g_slabs, g_retained, g_empty_superslabs;
static uint64_t g_class_slabs[HAK_NCLASSES];

/* g_retained changes under g_lock; the release box sees the same deltas. */
static void retained_add(int64_t delta) {
  g_retained += (uint64_t)delta;
  hak_release_retained_add(HAK_RETAINED_PAGES, delta);
}

void hak_registry_set(uintptr_t base, size_t size, unsigned kind) {
  size_t first = base >> HAK_SS_SHIFT, n = size >> HAK_SS_SHIFT;
  /* Before the map's first write (a writer racing with the first may write before the advice:
   * harmless but for 2 MiB of RSS): where THP is "always", each of the few words written, near the
   * end of the 8 MiB map, could make 2 MiB of it resident. */
  if (!__atomic_load_n(&g_registry_advised, __ATOMIC_ACQUIRE) &&
      !__atomic_exchange_n(&g_registry_advised, 1, __ATOMIC_ACQ_REL))
  {
    hak_os_no_huge_pages(hak_region_bits, sizeof hak_region_bits);
    hak_os_no_huge_pages(hak_region_fast, sizeof hak_region_fast);
    /* The window: 3 TiB below the first chunk registered, 1 TiB above (within the space). */
    size_t below = HAK_FAST_CHUNKS - HAK_FAST_CHUNKS / 4, top = HAK_REGISTRY_SIZE - HAK_FAST_CHUNKS;
    size_t start = first > below ? first - below : 0;
    __atomic_store_n(&hak_fast_first_chunk, start < top ? start : top, __ATOMIC_RELEASE);
  }
  for (size_t c = first; c < first + n; c++) {
    uint64_t bit = 1ull << (c % 64);
    if (kind == HAK_REGION_SUPERSLAB) __atomic_fetch_or(&hak_region_bits[c / 64], bit, __ATOMIC_RELEASE);
    else __atomic_fetch_and(&hak_region_bits[c / 64], ~bit, __ATOMIC_RELEASE);
    uintptr_t i = c - hak_fast_first_chunk;
    if (i < HAK_FAST_CHUNKS) __atomic_store_n(&hak_region_fast[i], (uint8_t)(kind == HAK_REGION_SUPERSLAB), __ATOMIC_RELEASE);
  }
}

static size_t pages_bytes(uint32_t mask) { return (size_t)__builtin_popcount(mask) * HAK_PAGE_SIZE; }

static hak_superslab_t* ss_new(void) {
  hak_superslab_t* ss = hak_os_map_aligned(HAK_SS_SIZE, HAK_SS_SIZE);
  if (!ss) return NULL;
  /* Before the first touch: pages become resident 64 KiB at a time, as slabs are carved, and stay
   * decommitted when the release policy decommits them (docs/memory.md, huge pages). */
  hak_os_no_huge_pages(ss, HAK_SS_SIZE);
  for (unsigned i = 0; i < HAK_SS_PAGES; i++) {
    hak_ss_info(ss, i)->cls = HAK_CLASS_NONE;
    ss->pages[i].head = (uint8_t)i;
  }
  ss->magic = SS_MAGIC;
  ss->free_pages = USABLE_PAGES;
  ss->committed = 0;
  ss->next = g_list;
  g_list = ss;
  g_superslabs++;
  g_empty_superslabs++;
  hak_registry_set((uintptr_t)ss, HAK_SS_SIZE, HAK_REGION_SUPERSLAB);
  return ss;
}

static void ss_unmap(hak_superslab_t* ss) {
  hak_superslab_t** link = &g_list;
  while (*link != ss) link = &(*link)->next;
  *link = ss->next;
  retained_add(-(int64_t)pages_bytes(ss->committed));
  hak_release_returned(pages_bytes(ss->committed));
  g_superslabs--;
  g_empty_superslabs--;
  hak_registry_set((uintptr_t)ss, HAK_SS_SIZE, HAK_REGION_NONE);
  hak_os_unmap(ss, HAK_SS_SIZE);
}

/* First run of n free pages in ss, or -1. */
static int find_run(uint32_t free_pages, unsigned n) {
  uint32_t run = free_pages;
  for (unsigned i = 1; i < n && run; i++) run &= free_pages >> i;
  return run ? __builtin_ctz(run) : -1;
}

static uint32_t run_mask(unsigned first, unsigned n) {
  return (n >= 32 ? ALL_PAGES : ((1u << n) - 1)) << first;
}

/* Decommits the committed free pages of ss (in runs: one system call each). */
static void decommit_free_pages(hak_superslab_t* ss) {
  for (uint32_t m = ss->committed; m;) {
    unsigned i = (unsigned)__builtin_ctz(m);
    unsigned len = 0;
    while (i + len < HAK_SS_PAGES && (m >> (i + len) & 1)) len++;
    hak_os_decommit((uint8_t*)ss + (size_t)i * HAK_PAGE_SIZE, (size_t)len * HAK_PAGE_SIZE);
    m &= ~run_mask(i, len);
  }
  retained_add(-(int64_t)pages_bytes(ss->committed));
  hak_release_returned(pages_bytes(ss->committed));
  ss->committed = 0;
}

hak_slab_t* hak_ss_slab_alloc(unsigned cls) {
  const hak_class_info_t* info = &hak_class_info[cls];
  unsigned n = info->slab_pages;
  pthread_mutex_lock(&g_lock);
  hak_superslab_t* ss;
  int first = -1;
  /* Prefer pages still committed (no faults, and the idle memory they are counted as shrinks
   * instead of being decommitted while other pages fault in), then SuperSlabs already in use, so
   * that empty ones can be returned. */
  for (ss = g_list; ss; ss = ss->next)
    if ((first = find_run(ss->free_pages & ss->committed, n)) >= 0) break;
  if (!ss)
    for (ss = g_list; ss; ss = ss->next)
      if (ss->free_pages != USABLE_PAGES && (first = find_run(ss->free_pages, n)) >= 0) break;
  if (!ss)
    for (ss = g_list; ss; ss = ss->next)
      if ((first = find_run(ss->free_pages, n)) >= 0) break;
  if (!ss && (ss = ss_new())) first = find_run(ss->free_pages, n);
  if (!ss) {
    pthread_mutex_unlock(&g_lock);
    return NULL;
  }
  uint32_t mask = run_mask((unsigned)first, n);
  if (ss->free_pages == USABLE_PAGES) g_empty_superslabs--;
  ss->free_pages &= ~mask;
  retained_add(-(int64_t)pages_bytes(ss->committed & mask));
  size_t faulting = pages_bytes(mask & ~ss->committed); /* fresh or decommitted: faulted in as carved */
  ss->committed &= ~mask;
  g_slabs++;
  g_class_slabs[cls]++;
  pthread_mutex_unlock(&g_lock);
  hak_release_committed(faulting);

  hak_slab_t* slab = &ss->pages[first];
  slab->npages = (uint8_t)n;
  slab->listed = 0;
  slab->magic = HAK_SLAB_MAGIC;
  slab->used = 0;
  slab->carved = 0;
  slab->capacity = info->blocks;
  slab->block_size = info->block_size;
  slab->nfree = 0;
  slab->scan = 0;
  slab->prev = slab->next = NULL;
  slab->start = (uint8_t*)ss + (size_t)first * HAK_PAGE_SIZE;
  slab->states = HAK_SS_BLOCK_BYTES ? (uint8_t*)ss + HAK_PAGE_SIZE +
                                          (size_t)first * HAK_MAX_SLAB_BLOCKS * HAK_SS_BLOCK_BYTES
                                    : NULL;
  if (HAK_CFG_CHECK_FREE) memset(slab->states, HAK_BLOCK_NEVER, info->blocks);
  ss->dirty[first] = 0;
  ss->npurged[first] = 0;
  for (unsigned i = 0; i < n; i++) ss->purged[first + i] = 0;
  for (unsigned i = 0; i < n; i++) {
    ss->pages[first + i].head = (uint8_t)first;
    __atomic_store_n(&hak_ss_info(ss, first + i)->owner, 0, __ATOMIC_RELAXED); /* the central box gives it one */
    /* The class byte is what free() trusts: publish it last. */
    __atomic_store_n(&hak_ss_info(ss, first + i)->cls, (uint8_t)cls, __ATOMIC_RELEASE);
  }
  return slab;
}

void hak_ss_slab_free(hak_slab_t* slab) {
  hak_superslab_t* ss = (hak_superslab_t*)((uintptr_t)slab & ~(uintptr_t)(HAK_SS_SIZE - 1));
  unsigned first = (unsigned)(slab - ss->pages), n = slab->npages;
  uint32_t mask = run_mask(first, n);
  unsigned cls = __atomic_load_n(&hak_ss_info(ss, first)->cls, __ATOMIC_RELAXED);
  slab->magic = 0;
  for (unsigned i = 0; i < n; i++) {
    __atomic_store_n(&hak_ss_info(ss, first + i)->cls, (uint8_t)HAK_CLASS_NONE, __ATOMIC_RELEASE);
    ss->pages[first + i].head = (uint8_t)(first + i);
  }
  pthread_mutex_lock(&g_lock);
  g_slabs--;
  if (cls < HAK_NCLASSES) g_class_slabs[cls]--;
  ss->free_pages |= mask;
  size_t bytes = (size_t)n * HAK_PAGE_SIZE;
  if (hak_release_keep(bytes)) {
    ss->committed |= mask;
    retained_add((int64_t)bytes);
  } else {
    hak_os_decommit(slab->start, bytes);
    hak_release_returned(bytes);
    /* The budget shrinks with the memory in use: pages kept earlier may now be beyond it. */
    for (hak_superslab_t* o = g_list; o && g_retained && hak_release_eager(); o = o->next)
      if (o->committed) decommit_free_pages(o);
  }
  if (ss->free_pages == USABLE_PAGES) {
    g_empty_superslabs++;
    if (!hak_release_keep_region((unsigned)g_empty_superslabs - 1, 0)) ss_unmap(ss);
  }
  pthread_mutex_unlock(&g_lock);
}

void hak_ss_trim(void) {
  pthread_mutex_lock(&g_lock);
  hak_superslab_t* next;
  for (hak_superslab_t* ss = g_list; ss; ss = next) {
    next = ss->next;
    if (ss->free_pages == USABLE_PAGES) {
      ss_unmap(ss);
      continue;
    }
    decommit_free_pages(ss);
  }
  pthread_mutex_unlock(&g_lock);
}

void hak_ss_counters_get(hak_ss_counters_t* out) {
  pthread_mutex_lock(&g_lock);
  out->superslabs = g_superslabs;
  out->slabs = g_slabs;
  out->retained_bytes = g_retained;
  for (unsigned c = 0; c < HAK_NCLASSES; c++) out->class_slabs[c] = g_class_slabs[c];
  pthread_mutex_unlock(&g_lock);
}

void hak_ss_fork_prepare(void) { pthread_mutex_lock(&g_lock); }
void hak_ss_fork_parent(void) { pthread_mutex_unlock(&g_lock); }
void hak_ss_fork_child(void) { pthread_mutex_init(&g_lock, NULL); }
