#include "hakmem/box/front/front.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hakmem/box/central/central.h"
#include "hakmem/box/fault/fault.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/route/route.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/thread/thread.h"
#include "hakmem/box/zero/zero.h"

__thread hak_tcache_t hak_tc;

static pthread_key_t g_exit_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static unsigned g_storage_slots; /* sum of the cache capacities */
static unsigned g_storage_class; /* the class a thread's bin storage is allocated from */

static void thread_exit(void* unused);
static unsigned central_refill(unsigned cls, void** out, unsigned n);
static void central_flush(unsigned cls, void* const* blocks, unsigned n);
static void safe_storage(void* p, int taken);
HAK_INLINE int safe_alloc(void* p, size_t cls, size_t size);

static void key_init(void) {
  pthread_key_create(&g_exit_key, thread_exit);
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) g_storage_slots += hak_class_info[cls].cache_max;
  g_storage_class = hak_class_of(g_storage_slots * sizeof(void*));
}

/* Starts the calling thread's cache. Returns 0 when the thread has exited (its caches are gone
 * and it works directly with the central box) or when memory is exhausted. */
static HAK_NOINLINE int thread_start(void) {
  if (hak_tc.state == HAK_THREAD_ACTIVE) return 1;
  if (hak_tc.state == HAK_THREAD_EXITED) return 0;
  hak_thread_process_init();
  pthread_once(&g_key_once, key_init);
  hak_central_thread_start(); /* first: the storage comes from a slab of this thread's own */
  void* storage;
  if (!hak_central_refill(g_storage_class, &storage, 1)) {
    hak_front_trim();
    if (!hak_central_refill(g_storage_class, &storage, 1)) return 0;
  }
  if (HAK_CFG_CHECK_FREE) safe_storage(storage, 1);
  HAK_VG_UNDEFINED(storage, g_storage_slots * sizeof(void*)); /* its link may have been closed */
  hak_tc.storage = storage;
  void** at = storage;
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    hak_tc.base[cls] = hak_tc.top[cls] = at;
    hak_tc.cap[cls] = hak_class_info[cls].cache_cap;
    hak_tc.end[cls] = at + hak_tc.cap[cls];
    at += hak_class_info[cls].cache_max;
  }
  hak_tc.state = HAK_THREAD_ACTIVE;
  /* Non-NULL value: the destructor runs at thread exit. May allocate: the cache is ready. */
  pthread_setspecific(g_exit_key, &hak_tc);
  return 1;
}

/* One past the last slot of the bin of cls, where its remote batch starts. */
static void** bin_limit(unsigned cls) { return hak_tc.base[cls] + hak_tc.cap[cls]; }

static void flush_remote(unsigned cls) {
  void** end = hak_tc.end[cls];
  unsigned n = (unsigned)(bin_limit(cls) - end);
  if (!n) return;
  central_flush(cls, end, n);
  hak_tc.end[cls] = bin_limit(cls);
  if (HAK_CFG_STATS) hak_tc.stats[0].flushes[cls]++;
}

static void flush_bins(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    unsigned n = (unsigned)(hak_tc.top[cls] - hak_tc.base[cls]);
    if (n) central_flush(cls, hak_tc.base[cls], n);
    hak_tc.top[cls] = hak_tc.base[cls];
    flush_remote(cls);
  }
  if (HAK_CFG_STATS) hak_stats_merge_thread(&hak_tc.stats[0]);
}

static void thread_exit(void* unused) {
  (void)unused;
  if (hak_tc.state != HAK_THREAD_ACTIVE) return;
  flush_bins();
  void* storage = hak_tc.storage;
  memset(hak_tc.top, 0, sizeof hak_tc.top);
  memset(hak_tc.base, 0, sizeof hak_tc.base);
  memset(hak_tc.end, 0, sizeof hak_tc.end);
  memset(hak_tc.cap, 0, sizeof hak_tc.cap);
  hak_tc.storage = NULL;
  hak_tc.state = HAK_THREAD_EXITED;
  hak_central_thread_exit();
  if (HAK_CFG_CHECK_FREE) safe_storage(storage, 0);
  hak_central_flush(g_storage_class, &storage, 1);
}

void hak_front_trim(void) {
  if (hak_tc.state == HAK_THREAD_ACTIVE) flush_bins();
  hak_central_drain();
  hak_ss_trim();
  hak_large_trim();
  hak_release_forget();
}

/* Blocks from the central box; when it finds no memory (the OS refused a new SuperSlab), what
 * hakmem keeps goes back first (other classes' empty slabs, free large spans) and it tries
 * once more: a program that freed its memory can allocate again without malloc_trim. */
static unsigned refill_or_trim(unsigned cls, void** out, unsigned n) {
  unsigned got = central_refill(cls, out, n);
  if (got) return got;
  hak_front_trim();
  return central_refill(cls, out, n);
}

void* hak_front_large_alloc(size_t size, size_t align, int zero) {
  if (HAK_CFG_CHECK_FREE) hak_fault_install(); /* safe: the guard pages' faults get a name */
  void* p = hak_large_alloc(size, align, zero);
  if (!p && size <= ((size_t)1 << HAK_ADDR_BITS)) { /* beyond the address space: no retry */
    hak_front_trim();
    p = hak_large_alloc(size, align, zero);
  }
  if (p && HAK_CFG_VALGRIND) {
    HAK_VG_MALLOC(p, hak_large_lookup(p)->size);
    if (zero) HAK_VG_DEFINED(p, size);
  }
  return p;
}

static void* alloc_refill(unsigned cls, size_t size);

static int safe_alloc_slow(void* p, unsigned cls, size_t size);

/* Safe: p failed malloc's check. Hands it out after all (a block never handed out before), or
 * the program gets another block. Out of line and reached by a tail call, so that malloc needs no
 * stack frame and the compiler does not turn the retry into a loop set up on every malloc. */
static HAK_NOINLINE HAK_COLD void* alloc_checked_slow(void* p, unsigned cls, size_t size) {
  if (safe_alloc_slow(p, cls, size)) return p;
  return hak_front_alloc_class(cls, size);
}

/* A block leaving the thread cache for the program. */
HAK_INLINE void* handed_out(void* p, size_t cls, size_t size) {
  if (HAK_CFG_CHECK_FREE && HAK_UNLIKELY(!safe_alloc(p, cls, size))) return alloc_checked_slow(p, (unsigned)cls, size);
  if (HAK_CFG_STATS) hak_stats_count_alloc(&hak_tc.stats[0], p, cls);
  HAK_VG_MALLOC(p, hak_class_size(cls) - HAK_CANARY_BYTES);
  return p;
}

/* Hands out one block of class cls. Every call it makes is a tail call, so that the common case
 * (safe profile's malloc) needs no stack frame. */
void* hak_front_alloc_class(size_t cls, size_t size) {
  void** top = hak_tc.top[cls];
  if (HAK_UNLIKELY(top == hak_tc.base[cls])) return alloc_refill((unsigned)cls, size);
  void* p = *--top;
  hak_tc.top[cls] = top;
  return handed_out(p, cls, size);
}

/* The bin of cls is empty: refill it from the central box and take a block. */
static HAK_NOINLINE void* alloc_refill(unsigned cls, size_t size) {
  if (HAK_UNLIKELY(!thread_start())) {
    /* An exited thread (or no memory for its cache) works with the central box directly. */
    void* p;
    if (!refill_or_trim(cls, &p, 1)) goto oom;
    return handed_out(p, cls, size);
  }
  unsigned batch = hak_class_info[cls].batch;
  if ((unsigned)(hak_tc.end[cls] - hak_tc.base[cls]) < batch) flush_remote(cls); /* room for a batch */
  unsigned n = refill_or_trim(cls, hak_tc.base[cls], batch);
  if (!n) goto oom;
  /* The bin pops its top first: reversed, the batch goes out in the order the central box listed
   * it, a carved run in ascending addresses, so that a program walking what it allocated walks
   * memory forwards as the hardware prefetches it (CPython's dict rebuild 1.16x -> 0.97-1.01x
   * tcmalloc's time, lua 1.23-1.30x -> 1.18-1.20x jemalloc's: docs/perf.md, "Block order"). */
  for (void **lo = hak_tc.base[cls], **hi = lo + n - 1; lo < hi; lo++, hi--) {
    void* t = *lo;
    *lo = *hi;
    *hi = t;
  }
  hak_tc.top[cls] = hak_tc.base[cls] + n;
  if (HAK_CFG_STATS) hak_tc.stats[0].refills[cls]++;
  return hak_front_alloc_class(cls, size);
oom:
  errno = ENOMEM;
  return NULL;
}

void* hak_front_malloc_zero(void) {
  void* p = hak_zero_alloc();
  if (!p) return hak_front_alloc_class(hak_class_of(HAK_CANARY_BYTES), 0);
  hak_fault_install();
  return p;
}

void* hak_front_malloc_slow(size_t size) {
  if (HAK_LIKELY(size <= HAK_SMALL_MAX - HAK_CANARY_BYTES)) return hak_front_alloc_class(hak_class_of(size + HAK_CANARY_BYTES), size);
  hak_thread_process_init();
  void* p = hak_front_large_alloc(size, 16, 0);
  if (!p) errno = ENOMEM;
  return p;
}

void hak_front_free_slow(void* p, unsigned cls) {
  if (cls >= HAK_NCLASSES) {
    /* A SuperSlab page without a slab: the header, or a page freed since. */
    hak_report_error(HAK_ERR_INVALID_POINTER, p, "free", -1, 0);
    return;
  }
  if (HAK_UNLIKELY(!thread_start())) {
    HAK_VG_FREE(p);
    central_flush(cls, &p, 1);
    return;
  }
  void** base = hak_tc.base[cls];
  unsigned batch = hak_class_info[cls].batch, cap = hak_tc.cap[cls];
  if (hak_tc.top[cls] == hak_tc.end[cls]) {
    /* Full: a bin of the thread's own blocks only grows (front.h); else the remote batch goes to
     * the central box when it fills half the bin or more, else the stack's oldest half. */
    if (hak_tc.end[cls] == bin_limit(cls) && cap < hak_class_info[cls].cache_max) {
      cap = 2 * cap < hak_class_info[cls].cache_max ? 2 * cap : hak_class_info[cls].cache_max;
      hak_tc.cap[cls] = (uint16_t)cap;
      hak_tc.end[cls] = bin_limit(cls);
    } else if (bin_limit(cls) - hak_tc.end[cls] >= batch) {
      flush_remote(cls);
    } else {
      unsigned half = (unsigned)(hak_tc.top[cls] - base) / 2; /* a grown bin flushes more at once */
      if (half < batch) half = batch;
      unsigned keep = (unsigned)(hak_tc.top[cls] - base) - half;
      central_flush(cls, base, half);
      memmove(base, base + half, keep * sizeof(void*));
      hak_tc.top[cls] = base + keep;
      if (HAK_CFG_STATS) hak_tc.stats[0].flushes[cls]++;
    }
  }
  hak_front_cache_freed(p, hak_free_info_of((uintptr_t)p), cls); /* there is room now */
}

/* Blocks of other threads' slabs go to the central box in batches, never out of this cache again:
 * that thread may be writing their neighbours in the same cache line. */
void hak_front_free_remote(void* p, unsigned cls) {
  void** end = hak_tc.end[cls];
  if (HAK_LIKELY(end != hak_tc.top[cls])) { /* also false before the thread starts, and for no class */
    *--end = p;
    hak_tc.end[cls] = end;
    return;
  }
  hak_front_free_slow(p, cls);
}

void hak_front_free_other(void* p, const char* func) {
  if (!p) return;
  if (hak_region_kind((uintptr_t)p) == HAK_REGION_SUPERSLAB) {
    hak_front_free_in_superslab(p, func);
    return;
  }
  hak_route_t r = hak_route(p);
  if (r.kind == HAK_ROUTE_LARGE) {
    HAK_VG_FREE(p);
    hak_large_free(r.large);
    return;
  }
  if (r.kind == HAK_ROUTE_ZERO) {
    if (hak_zero_free(p)) return;
    r = hak_route_bad(HAK_ERR_DOUBLE_FREE, -1, 0); /* another thread freed it meanwhile */
  }
  /* A foreign pointer may be the process's first call: the error mode comes from the environment. */
  hak_thread_process_init();
  hak_route_report(&r, p, func);
}

/* ---- safe profile ----------------------------------------------------------------------------
 * A block's state byte changes only when it moves between the central box and a thread (refill:
 * OUT, or FRESH if never handed out; flush: FREED) or is quarantined; while a thread has it, its
 * tail word says whether the program has it (hak_tail_live with the requested size, written at
 * malloc with the canary after that size, both checked at free) or a thread cache (hak_tail_cached,
 * written at free with the poison, both checked at malloc). So the fast paths touch the block
 * only, not the state bytes' line; the error paths read the state byte to name the error. */

#define POISON_WORD 0xdbdbdbdbdbdbdbdbull
_Static_assert(POISON_WORD == 0x0101010101010101ull * (POISON_WORD & 0xff), "one byte repeated (the vector compare)");
_Static_assert(HAK_POISON_EDGE % 16 == 0 && HAK_POISON_EDGE + 8 <= HAK_POISON_WHOLE_MAX, "edges of whole vectors, inside the block");

/* Poison in n bytes at b (n a multiple of 8): 64 bytes a step, then 16, then a word. Volatile
 * stores: the compiler would turn the loop into a call to memset, and the call costs safe's free a
 * stack frame and more than the stores. */
#if defined(__SSE2__)
typedef __m128i __attribute__((aligned(1))) hak_vec_t;
#endif
HAK_INLINE void poison_span_fill(uint8_t* b, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i poison = _mm_set1_epi8((char)(POISON_WORD & 0xff));
  volatile hak_vec_t* v = (volatile hak_vec_t*)b;
  for (; i + 64 <= n; i += 64) {
    v[i / 16] = poison;
    v[i / 16 + 1] = poison;
    v[i / 16 + 2] = poison;
    v[i / 16 + 3] = poison;
  }
  for (; i + 16 <= n; i += 16) v[i / 16] = poison;
  if (i < n) *(volatile hak_word_t*)(b + i) = POISON_WORD; /* n % 16 is 0 or 8: a word at most */
#else
  for (; i < n; i += 8) *(volatile hak_word_t*)(b + i) = POISON_WORD;
#endif
}

/* Whether the n bytes at b hold only poison: the differences OR-ed together, one test at the end. */
HAK_INLINE int poison_span_intact(const uint8_t* b, size_t n) {
  size_t i = 0;
  uint64_t diff = 0;
#if defined(__SSE2__)
  const __m128i poison = _mm_set1_epi8((char)(POISON_WORD & 0xff));
  __m128i acc = _mm_setzero_si128(), acc2 = _mm_setzero_si128();
  for (; i + 64 <= n; i += 64) {
    acc = _mm_or_si128(acc, _mm_xor_si128(_mm_loadu_si128((const __m128i*)(b + i)), poison));
    acc2 = _mm_or_si128(acc2, _mm_xor_si128(_mm_loadu_si128((const __m128i*)(b + i + 16)), poison));
    acc = _mm_or_si128(acc, _mm_xor_si128(_mm_loadu_si128((const __m128i*)(b + i + 32)), poison));
    acc2 = _mm_or_si128(acc2, _mm_xor_si128(_mm_loadu_si128((const __m128i*)(b + i + 48)), poison));
  }
  for (; i + 16 <= n; i += 16) acc = _mm_or_si128(acc, _mm_xor_si128(_mm_loadu_si128((const __m128i*)(b + i)), poison));
  acc = _mm_or_si128(acc, acc2);
  diff = (uint64_t)(_mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128())) ^ 0xffff);
  if (i < n) diff |= *(const hak_word_t*)(b + i) ^ POISON_WORD; /* n % 16 is 0 or 8: a word at most */
#else
  for (; i < n; i += 8) diff |= *(const hak_word_t*)(b + i) ^ POISON_WORD;
#endif
  return diff == 0;
}

/* A freed block's poison: its usable bytes (all of them up to HAK_POISON_WHOLE_MAX, else both
 * edges). */
HAK_INLINE void poison_fill(uint8_t* b, size_t bs) {
  size_t usable = bs - HAK_CANARY_BYTES;
  if (HAK_LIKELY(bs <= HAK_POISON_WHOLE_MAX)) {
    poison_span_fill(b, usable);
    return;
  }
  poison_span_fill(b, HAK_POISON_EDGE);
  poison_span_fill(b + usable - HAK_POISON_EDGE, HAK_POISON_EDGE);
}

HAK_INLINE int poison_intact(const uint8_t* b, size_t bs) {
  size_t usable = bs - HAK_CANARY_BYTES;
  if (HAK_LIKELY(bs <= HAK_POISON_WHOLE_MAX)) return poison_span_intact(b, usable);
  return poison_span_intact(b, HAK_POISON_EDGE) && poison_span_intact(b + usable - HAK_POISON_EDGE, HAK_POISON_EDGE);
}

/* The state byte of block p of class cls. */
static uint8_t* state_of(void* p, unsigned cls) {
  hak_slab_t* s = hak_slab_head(hak_page_of((uintptr_t)p));
  return &s->states[hak_class_block_index(cls, (size_t)((uint8_t*)p - s->start))];
}

/* Blocks that came from the central box into the thread: OUT (their tail and poison are from
 * their free). One carved anew or whose pages were purged (NEVER) becomes FRESH, untouched (its page
 * may not be resident yet): malloc's check fails on it and its slow path hands it out. Only a stale
 * cached tag (its slab was emptied and carved anew) is cleared, so that the check cannot pass it. */
static void safe_refilled(void** blocks, unsigned n, unsigned cls) {
  size_t bs = hak_class_size(cls);
  for (unsigned i = 0; i < n; i++) {
    uintptr_t a = (uintptr_t)blocks[i];
    uint8_t* state = state_of(blocks[i], cls);
    if (*state != HAK_BLOCK_NEVER) {
      *state = HAK_BLOCK_OUT;
      continue;
    }
    if (hak_tail_load(a, bs) == hak_tail_cached(a)) hak_tail_store(a, bs, 0);
    *state = HAK_BLOCK_FRESH;
  }
}

/* Blocks about to go back to the central box (before: another thread may take them at once). A
 * FRESH one has neither tail nor poison: it stays a block never handed out. */
static void safe_flushing(void* const* blocks, unsigned n, unsigned cls) {
  for (unsigned i = 0; i < n; i++) {
    uint8_t* state = state_of(blocks[i], cls);
    *state = *state == HAK_BLOCK_FRESH ? HAK_BLOCK_NEVER : HAK_BLOCK_FREED;
  }
}

static unsigned central_refill(unsigned cls, void** out, unsigned n) {
  unsigned got = hak_central_refill(cls, out, n);
  if (HAK_CFG_CHECK_FREE) safe_refilled(out, got, cls);
  return got;
}

static void central_flush(unsigned cls, void* const* blocks, unsigned n) {
  if (HAK_CFG_CHECK_FREE) safe_flushing(blocks, n, cls);
  hak_central_flush(cls, blocks, n);
}

/* Whether p sits in the calling thread's cache of class cls: its stack or its remote batch (the
 * slots between them are stale). */
static int in_own_cache(const void* p, unsigned cls) {
  for (void** at = hak_tc.base[cls]; at < hak_tc.top[cls]; at++)
    if (*at == p) return 1;
  for (void** at = hak_tc.end[cls]; hak_tc.base[cls] && at < bin_limit(cls); at++)
    if (*at == p) return 1;
  return 0;
}

/* A free that failed validation, or whose tail is not the live tag: routed again (with the state
 * byte) to name the error. A block the route takes for allocated had its canary overwritten, unless
 * it is in this thread's cache (freed, then its tail overwritten: a double free). */
static HAK_NOINLINE HAK_COLD void safe_free_rejected(void* p, const char* func) {
  hak_route_t r = hak_route(p);
  if (r.kind == HAK_ROUTE_SMALL && in_own_cache(p, (unsigned)r.cls)) r = hak_route_bad(HAK_ERR_DOUBLE_FREE, r.cls, r.block_size);
  if (r.kind == HAK_ROUTE_SMALL) {
    r.slab->states[r.index] = HAK_BLOCK_QUARANTINED; /* never handed out again */
    hak_report_error(HAK_ERR_OVERFLOW, p, func, r.cls, r.block_size);
    return;
  }
  hak_route_report(&r, p, func);
}

/* Block p of class cls (bs bytes) passed the route's checks: its tail must be a live tag and the
 * canary after the request intact (else an overflow, or a double free). Marks it freed (tag and
 * poison) and caches it. */
HAK_INLINE void safe_free_valid(void* p, const hak_free_info_t* info, size_t cls, size_t bs, const char* func) {
  uintptr_t a = (uintptr_t)p;
  if (HAK_UNLIKELY(hak_live_request(a, bs) == HAK_TAIL_NOT_LIVE)) {
    safe_free_rejected(p, func);
    return;
  }
  hak_tail_store(a, bs, hak_tail_cached(a));
  if (HAK_CFG_POISON_FREE) poison_fill(p, bs);
  hak_front_cache_freed(p, info, cls);
}

/* A page of a slab of several pages (or of none): the route's checks, from the head page. */
static HAK_NOINLINE void safe_free_pages(void* p, hak_slab_t* page, const hak_free_info_t* info, const char* func) {
  hak_route_t r = hak_route_block((uintptr_t)p, page);
  if (HAK_UNLIKELY(r.kind != HAK_ROUTE_SMALL)) {
    safe_free_rejected(p, func);
    return;
  }
  safe_free_valid(p, info, (size_t)r.cls, r.block_size, func);
}

void hak_front_safe_free(void* p, hak_slab_t* page, const hak_free_info_t* info, const char* func) {
  /* The fast path found p's page. A page of a one-page class is its slab's head: hak_route_block's
   * checks, with no head to look up. */
  uintptr_t a = (uintptr_t)p;
  size_t cls = __atomic_load_n(&info->cls, __ATOMIC_ACQUIRE); /* size_t: indexes with no zero-extension */
  if (HAK_UNLIKELY(cls >= HAK_NCLASSES_ONE_PAGE)) {
    safe_free_pages(p, page, info, func);
    return;
  }
  if (HAK_UNLIKELY(!hak_slab_is(page, cls)) || HAK_UNLIKELY(hak_slab_block_at(page, cls, a) >= page->capacity)) {
    safe_free_rejected(p, func);
    return;
  }
  safe_free_valid(p, info, cls, hak_class_size(cls), func);
}

/* A thread cache's storage block comes from and goes back to the central box directly, not
 * through safe_alloc / safe_free; its state must follow all the same: taken, its slots overwrite
 * the tail (the route takes it for allocated); given back, it is a freed block (tail and poison),
 * or a later malloc would take it for one written after free. */
static void safe_storage(void* p, int taken) {
  uint8_t* state = state_of(p, g_storage_class);
  size_t bs = hak_class_size(g_storage_class);
  if (!taken) {
    hak_tail_store((uintptr_t)p, bs, hak_tail_cached((uintptr_t)p));
    if (HAK_CFG_POISON_FREE) poison_fill(p, bs);
  }
  *state = taken ? HAK_BLOCK_OUT : HAK_BLOCK_FREED;
}

/* A block popped from the cache failed malloc's check. FRESH (never handed out: no tail nor
 * poison yet) goes out now. Otherwise it was written after free: named and never handed out again,
 * unless a free quarantined it already (an overflow named while it sat here). Returns 1 to hand
 * it out. */
static int safe_alloc_slow(void* p, unsigned cls, size_t size) {
  uint8_t* state = state_of(p, cls);
  if (*state == HAK_BLOCK_FRESH) {
    *state = HAK_BLOCK_OUT;
    hak_tail_store((uintptr_t)p, hak_class_size(cls), hak_tail_live((uintptr_t)p, size));
    hak_canary_arm((uintptr_t)p, size, hak_class_size(cls));
    return 1;
  }
  if (*state == HAK_BLOCK_QUARANTINED) return 0;
  *state = HAK_BLOCK_QUARANTINED;
  hak_report_error(HAK_ERR_WRITE_AFTER_FREE, p, "malloc", (int)cls, hak_class_size(cls));
  return 0;
}

/* Safe profile: prepares a block being handed out for a request of size bytes (poison and tail
 * checks, live tag, canary). Returns 0 when the checks fail: the caller goes to safe_alloc_slow. */
HAK_INLINE int safe_alloc(void* p, size_t cls, size_t size) {
  uintptr_t a = (uintptr_t)p;
  size_t bs = hak_class_size(cls);
  uint64_t tail = hak_tail_load(a, bs);
  if (HAK_UNLIKELY(tail != hak_tail_cached(a)) || (HAK_CFG_POISON_FREE && HAK_UNLIKELY(!poison_intact(p, bs)))) return 0;
  hak_tail_store(a, bs, hak_tail_live(a, size));
  hak_canary_arm(a, size, bs);
  return 1;
}
