#include "hakmem/box/front/front.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "hakmem/box/central/central.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/route/route.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/thread/thread.h"

__thread hak_tcache_t hak_tc;

static pthread_key_t g_exit_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static unsigned g_storage_slots; /* sum of the cache capacities */
static unsigned g_storage_class; /* the class a thread's bin storage is allocated from */

static void thread_exit(void* unused);
static void safe_storage(void* p, int taken);

static void key_init(void) {
  pthread_key_create(&g_exit_key, thread_exit);
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) g_storage_slots += hak_class_info[cls].cache_cap;
  g_storage_class = hak_class_of(g_storage_slots * sizeof(void*));
}

/* Starts the calling thread's cache. Returns 0 when the thread has exited (its caches are gone
 * and it works directly with the central box) or when memory is exhausted. */
static HAK_NOINLINE int thread_start(void) {
  if (hak_tc.state == HAK_THREAD_ACTIVE) return 1;
  if (hak_tc.state == HAK_THREAD_EXITED) return 0;
  hak_thread_process_init();
  pthread_once(&g_key_once, key_init);
  void* storage;
  if (!hak_central_refill(g_storage_class, &storage, 1)) return 0;
  if (HAK_CFG_CHECK_FREE) safe_storage(storage, 1);
  hak_tc.storage = storage;
  void** at = storage;
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    hak_bin_t* bin = &hak_tc.bins[cls];
    bin->base = bin->top = at;
    at += hak_class_info[cls].cache_cap;
    bin->end = at;
  }
  hak_tc.state = HAK_THREAD_ACTIVE;
  /* Non-NULL value: the destructor runs at thread exit. May allocate: the cache is ready. */
  pthread_setspecific(g_exit_key, &hak_tc);
  return 1;
}

static void flush_bins(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    hak_bin_t* bin = &hak_tc.bins[cls];
    unsigned n = (unsigned)(bin->top - bin->base);
    if (n) hak_central_flush(cls, bin->base, n);
    bin->top = bin->base;
  }
  if (HAK_CFG_STATS) hak_stats_merge_thread(&hak_tc.stats[0]);
}

static void thread_exit(void* unused) {
  (void)unused;
  if (hak_tc.state != HAK_THREAD_ACTIVE) return;
  flush_bins();
  void* storage = hak_tc.storage;
  memset(hak_tc.bins, 0, sizeof hak_tc.bins);
  hak_tc.storage = NULL;
  hak_tc.state = HAK_THREAD_EXITED;
  if (HAK_CFG_CHECK_FREE) safe_storage(storage, 0);
  hak_central_flush(g_storage_class, &storage, 1);
}

void hak_front_flush_thread(void) {
  if (hak_tc.state == HAK_THREAD_ACTIVE) flush_bins();
}

/* Hands out one block of class cls, refilling the bin from the central box when it is empty. */
void* hak_front_alloc_class(unsigned cls) {
  hak_bin_t* bin = &hak_tc.bins[cls];
  void* p;
  if (HAK_UNLIKELY(bin->top == bin->base)) {
    if (HAK_UNLIKELY(!thread_start())) {
      if (!hak_central_refill(cls, &p, 1)) goto oom;
      goto out;
    }
    unsigned n = hak_central_refill(cls, bin->base, hak_class_info[cls].batch);
    if (!n) goto oom;
    bin->top = bin->base + n;
    if (HAK_CFG_STATS) hak_tc.stats[0].refills[cls]++;
  }
  p = *--bin->top;
out:
  if (HAK_CFG_CHECK_FREE && !hak_front_safe_alloc(p, cls)) return hak_front_alloc_class(cls); /* quarantined */
  if (HAK_CFG_STATS) hak_stats_count_alloc(&hak_tc.stats[0], p, cls);
  return p;
oom:
  errno = ENOMEM;
  return NULL;
}

void* hak_front_malloc_slow(size_t size) {
  if (HAK_LIKELY(size <= HAK_SMALL_MAX - HAK_CANARY_BYTES)) return hak_front_alloc_class(hak_class_of(size + HAK_CANARY_BYTES));
  hak_thread_process_init();
  void* p = hak_large_alloc(size, 16, 0);
  if (!p) errno = ENOMEM;
  return p;
}

void hak_front_free_slow(void* p, unsigned cls) {
  if (cls >= HAK_NCLASSES) {
    /* A SuperSlab page without a slab: the header, or a page freed since. */
    hak_report_error(HAK_ERR_INVALID_POINTER, p, "free", -1, 0);
    return;
  }
  hak_bin_t* bin = &hak_tc.bins[cls];
  if (HAK_UNLIKELY(!thread_start())) {
    hak_central_flush(cls, &p, 1);
    return;
  }
  if (bin->top == bin->end) {
    /* Full: the oldest half goes back to the central box. */
    unsigned batch = hak_class_info[cls].batch;
    unsigned keep = (unsigned)(bin->top - bin->base) - batch;
    hak_central_flush(cls, bin->base, batch);
    memmove(bin->base, bin->base + batch, keep * sizeof(void*));
    bin->top = bin->base + keep;
    if (HAK_CFG_STATS) hak_tc.stats[0].flushes[cls]++;
  }
  *bin->top++ = p;
}

void hak_front_free_other(void* p, const char* func) {
  if (!p) return;
  hak_route_t r = hak_route(p);
  if (r.kind == HAK_ROUTE_LARGE) {
    hak_large_free(r.large);
    return;
  }
  /* A foreign pointer may be the process's first call: the error mode comes from the environment. */
  hak_thread_process_init();
  hak_route_report(&r, p, func);
}

/* ---- safe profile ---------------------------------------------------------------------------- */

#define POISON_WORD 0xdbdbdbdbdbdbdbdbull
#define POISON_FROM 8  /* the first word may hold a free-list link */
#define POISON_TO 72   /* poison at most this far into a block: a bounded cost per free */

static uint64_t g_canary_secret = 0x9e3779b97f4a7c15ull;

static uint64_t canary_of(const void* block) {
  uint64_t x = (uint64_t)(uintptr_t)block ^ g_canary_secret;
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 29);
}

/* Words of poison after the first word (usable sizes are multiples of 8). */
static size_t poison_words(size_t bs) {
  size_t usable = bs - HAK_CANARY_BYTES;
  size_t end = usable < POISON_TO ? usable : POISON_TO;
  return end > POISON_FROM ? (end - POISON_FROM) / 8 : 0;
}

/* The common case (blocks of 80 bytes and more) has a constant size, which the compiler turns into
 * a few vector stores and compares instead of a loop. */
static const uint64_t k_poison[(POISON_TO - POISON_FROM) / 8] = {
    POISON_WORD, POISON_WORD, POISON_WORD, POISON_WORD, POISON_WORD, POISON_WORD, POISON_WORD, POISON_WORD};

static void poison_fill(uint8_t* b, size_t words) {
  if (HAK_LIKELY(words == sizeof k_poison / 8)) memcpy(b + POISON_FROM, k_poison, sizeof k_poison);
  else memcpy(b + POISON_FROM, k_poison, words * 8);
}

static int poison_intact(const uint8_t* b, size_t words) {
  if (HAK_LIKELY(words == sizeof k_poison / 8)) return memcmp(b + POISON_FROM, k_poison, sizeof k_poison) == 0;
  return memcmp(b + POISON_FROM, k_poison, words * 8) == 0;
}

int hak_front_safe_free(void* p, const char* func) {
  hak_route_t r = hak_route(p);
  if (r.kind != HAK_ROUTE_SMALL) {
    hak_route_report(&r, p, func);
    return 0;
  }
  uint8_t* b = p;
  if (HAK_CFG_CANARY) {
    uint64_t canary;
    memcpy(&canary, b + r.block_size - 8, 8);
    if (canary != canary_of(p)) {
      r.slab->states[r.index] = HAK_BLOCK_QUARANTINED;
      hak_report_error(HAK_ERR_OVERFLOW, p, func, r.cls, r.block_size);
      return 0;
    }
  }
  r.slab->states[r.index] = HAK_BLOCK_FREED;
  if (HAK_CFG_POISON_FREE) poison_fill(b, poison_words(r.block_size));
  return 1;
}

/* A thread cache's storage block comes from and goes back to the central box directly, not
 * through safe_alloc / safe_free; its state must follow all the same, or a block that served as
 * storage (its poison overwritten by cache slots) and was freed before is taken for one written
 * after free when the program is handed it later. */
static void safe_storage(void* p, int taken) {
  hak_slab_t* s = hak_slab_head(hak_page_of((uintptr_t)p));
  uint32_t index = hak_class_block_index(g_storage_class, (size_t)((uint8_t*)p - s->start));
  s->states[index] = taken ? HAK_BLOCK_ALLOCATED : HAK_BLOCK_FREED;
  if (!taken && HAK_CFG_POISON_FREE) poison_fill(p, poison_words(hak_class_size(g_storage_class)));
}

int hak_front_safe_alloc(void* p, unsigned cls) {
  hak_slab_t* s = hak_slab_head(hak_page_of((uintptr_t)p));
  size_t bs = hak_class_size(cls);
  uint32_t index = hak_class_block_index(cls, (size_t)((uint8_t*)p - s->start));
  uint8_t* b = p;
  if (HAK_CFG_POISON_FREE && s->states[index] == HAK_BLOCK_FREED) {
    if (!poison_intact(b, poison_words(bs))) {
      /* Written after it was freed: named, and never handed out again (report mode goes on). */
      s->states[index] = HAK_BLOCK_QUARANTINED;
      hak_report_error(HAK_ERR_WRITE_AFTER_FREE, p, "malloc", (int)cls, bs);
      return 0;
    }
  }
  s->states[index] = HAK_BLOCK_ALLOCATED;
  if (HAK_CFG_CANARY) {
    uint64_t canary = canary_of(p);
    memcpy(b + bs - 8, &canary, 8);
  }
  return 1;
}
