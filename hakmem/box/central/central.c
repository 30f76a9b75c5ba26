#include "hakmem/box/central/central.h"

#include <pthread.h>
#include <string.h>

#include "hakmem/box/os/os.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/report/report.h"
#include "hakmem/config/valgrind.h"

#define TRANSFER_MAX 256
#define TOUCHED_MAX 64 /* slabs an eager flush remembers for the purge */

typedef struct central_class {
  pthread_mutex_t lock;
  hak_slab_t* partial; /* slabs with free, purged or uncarved blocks */
  hak_slab_t* spare;   /* one empty slab kept for reuse (not under LEAN) */
  unsigned ntransfer;
  uint64_t dirty;          /* sum of the slabs' dirty counts */
  int64_t due;             /* bytes of the slabs whose purge is due (purge_due) */
  int64_t retained;        /* bytes reported to the release box: transfer + spare */
  int64_t retained_free;   /* and: due (free blocks) */
  int64_t in_use;          /* bytes handed to thread caches, exact */
  int64_t in_use_reported; /* and as reported to the release box */
  void* transfer[TRANSFER_MAX];
} __attribute__((aligned(64))) central_class_t;

static central_class_t g_central[HAK_NCLASSES];

/* A class lock spins a little before it sleeps: a refill or flush holds it for one batch, and with
 * the spin nearly all futex sleeps and wake-ups went away (docs/memory.md, "Thread caches"). (Not
 * glibc's adaptive mutex type: its initializer would move g_central, 110 KiB, from .bss to .data.) */
#define CLASS_LOCK_SPINS 100

static void class_lock(central_class_t* c) {
  for (int i = 0; i < CLASS_LOCK_SPINS; i++) {
    if (!pthread_mutex_trylock(&c->lock)) return;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  pthread_mutex_lock(&c->lock);
}

/* ---- owner ids -------------------------------------------------------------------------------- */

#define OWNER_IDS 65536 /* uint16_t; id 0 means none and is never live */

__thread uint16_t hak_central_self;

static pthread_mutex_t g_owner_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_owner_live[OWNER_IDS / 64]; /* bit id: a live thread has it; written under g_owner_lock */
static unsigned g_owner_next = 1;

static int owner_live(unsigned id) {
  return __atomic_load_n(&g_owner_live[id / 64], __ATOMIC_RELAXED) >> (id % 64) & 1;
}

static void owner_set_live(unsigned id, int on) {
  uint64_t w = g_owner_live[id / 64], bit = 1ull << (id % 64);
  __atomic_store_n(&g_owner_live[id / 64], on ? w | bit : w & ~bit, __ATOMIC_RELAXED);
}

void hak_central_thread_start(void) {
  if (hak_central_self) return; /* a start that failed later (no memory for the cache) is retried */
  pthread_mutex_lock(&g_owner_lock);
  /* Round robin: an exited thread's id is not given out again at once, so that its slabs go to
   * whichever threads need them rather than all to the next new thread. */
  for (unsigned i = 1; i < OWNER_IDS; i++) {
    unsigned id = g_owner_next;
    g_owner_next = id == OWNER_IDS - 1 ? 1 : id + 1;
    if (!owner_live(id)) {
      owner_set_live(id, 1);
      hak_central_self = (uint16_t)id;
      break;
    }
  }
  pthread_mutex_unlock(&g_owner_lock);
}

void hak_central_thread_exit(void) {
  if (!hak_central_self) return;
  pthread_mutex_lock(&g_owner_lock);
  owner_set_live(hak_central_self, 0);
  pthread_mutex_unlock(&g_owner_lock);
  hak_central_self = 0;
}

/* Whether the calling thread (owner id self) may carve slab s: its own, unowned, or an exited
 * thread's. */
static int carvable(const hak_slab_t* s, unsigned self) {
  unsigned owner = hak_page_info(s)->owner;
  return owner == self || !owner_live(owner);
}

/* Makes self the owner of slab s (class lock held): in the free info of every page, which free()
 * reads. */
static void adopt(hak_slab_t* s, unsigned self) {
  hak_free_info_t* info = hak_page_info(s);
  if (info->owner == self) return;
  for (unsigned i = 0; i < s->npages; i++) __atomic_store_n(&info[i].owner, (uint16_t)self, __ATOMIC_RELAXED);
}

/* ---- the purge state of a slab (superslab header, under the class lock) ----------------------- */

static unsigned head_of(hak_slab_t* s) { return hak_slab_index(s); }

static int page_purged(hak_superslab_t* ss, unsigned h, unsigned q) {
  return ss->purged[h + q / HAK_OS_PAGES_PER_PAGE] >> (q % HAK_OS_PAGES_PER_PAGE) & 1;
}

static void set_page_purged(hak_superslab_t* ss, unsigned h, unsigned q, int on) {
  uint16_t bit = (uint16_t)(1u << (q % HAK_OS_PAGES_PER_PAGE));
  uint16_t* w = &ss->purged[h + q / HAK_OS_PAGES_PER_PAGE];
  *w = on ? (uint16_t)(*w | bit) : (uint16_t)(*w & ~bit);
}

static uint32_t block_index(const hak_slab_t* s, unsigned cls, const void* p) {
  return hak_class_block_index(cls, (size_t)((const uint8_t*)p - s->start));
}

static void dirty_add(central_class_t* c, hak_superslab_t* ss, unsigned h, int delta) {
  if (delta < 0 && (unsigned)-delta > ss->dirty[h]) delta = -(int)ss->dirty[h];
  ss->dirty[h] = (uint16_t)(ss->dirty[h] + delta);
  c->dirty += (uint64_t)(int64_t)delta;
}

/* A block is being handed out: its OS pages must not stay marked purged (the invariant), and
 * they count as committed again (they fault back in when the program touches the block). */
static void unpurge_block(hak_slab_t* s, size_t off) {
  unsigned q0 = (unsigned)(off >> HAK_OS_PAGE_SHIFT), q1 = (unsigned)((off + s->block_size - 1) >> HAK_OS_PAGE_SHIFT);
  hak_superslab_t* ss = hak_ss_of(s);
  unsigned h = head_of(s);
  for (unsigned q = q0; q <= q1; q++) {
    if (!page_purged(ss, h, q)) continue;
    set_page_purged(ss, h, q, 0);
    ss->npurged[h]--;
    hak_release_committed(HAK_OS_PAGE);
  }
}

/* Forgets the free and purge state of a slab that became empty. */
static void reset_slab(central_class_t* c, hak_slab_t* s) {
  hak_superslab_t* ss = hak_ss_of(s);
  unsigned h = head_of(s);
  memset(ss->free_bits[h], 0, ((size_t)s->carved + 63) / 64 * sizeof(uint64_t));
  s->nfree = 0;
  s->scan = 0;
  s->carved = 0;
  dirty_add(c, ss, h, -(int)ss->dirty[h]);
  ss->npurged[h] = 0;
  for (unsigned i = 0; i < s->npages; i++) ss->purged[h + i] = 0;
}

/* ---- lists and accounting --------------------------------------------------------------------- */

static unsigned transfer_limit(unsigned cls, int eager) {
  if (eager) return 0; /* blocks go straight back to their slabs */
  unsigned limit = 4u * hak_class_info[cls].cache_cap;
  return limit < TRANSFER_MAX ? limit : TRANSFER_MAX;
}

static size_t slab_bytes(const hak_slab_t* s) { return (size_t)s->npages * HAK_PAGE_SIZE; }

/* An eager flush purges a slab it touched once this many bytes were freed into it since its last
 * purge (a purge scans the slab's bitmap, page by page: not at every block), and, once at most a
 * quarter of it is in use, as soon as an eighth of its free blocks were freed since (so that a
 * slab kept by a few cached blocks keeps only their pages, while the scans cost a bounded amount
 * per block freed: at every touch, a slab emptied by many small flushes was scanned once per flush). */
#define EAGER_PURGE_BYTES ((size_t)16 << 10)

static int purge_due(hak_slab_t* s) {
  size_t blocks = hak_ss_of(s)->dirty[head_of(s)], dirty = blocks * s->block_size;
  return dirty >= EAGER_PURGE_BYTES ||
         (dirty && (size_t)s->used * s->block_size * 4 <= slab_bytes(s) && blocks * 8 >= (size_t)(s->capacity - s->used));
}

/* What a slab adds to its class's due bytes: its dirty bytes once a purge is due. Below that (at
 * most 16 KiB of a slab more than a quarter used) free blocks are not counted as retained: no
 * release is asked for memory that a purge would most likely not find in whole pages. */
static int64_t due_of(hak_slab_t* s) {
  return purge_due(s) ? (int64_t)hak_ss_of(s)->dirty[head_of(s)] * s->block_size : 0;
}

/* The release box's counters are shared by every thread: a class reports a change of its own
 * counts once it reaches this many bytes, or when a count falls to 0 (so that an emptied class is
 * exact). Reporting every refill and flush cost larson 2-3 % in cache-line transfers; the release
 * box's view is off by less than 3 x this per class, and the stats read the exact counts. */
#define ACCOUNT_GRANULE ((int64_t)32 << 10)

/* The change of a count since it was last reported, when it is due (then it counts as reported),
 * else 0 (which the release box's adders skip). */
static int64_t due_change(int64_t now, int64_t* reported) {
  int64_t d = now - *reported;
  if (d < ACCOUNT_GRANULE && d > -ACCOUNT_GRANULE && (now != 0 || !d)) return 0;
  *reported = now;
  return d;
}

static int64_t transfer_bytes(const central_class_t* c, unsigned cls) {
  return (int64_t)(c->ntransfer * hak_class_size(cls) + (c->spare ? slab_bytes(c->spare) : 0));
}

/* Reports the class's retained bytes (transfer cache, free blocks due for a purge, spare) and the
 * bytes it has handed out to the release box. */
static void account(central_class_t* c, unsigned cls) {
  hak_release_retained_add(HAK_RETAINED_BLOCKS, due_change(transfer_bytes(c, cls), &c->retained));
  hak_release_retained_add(HAK_RETAINED_FREE, due_change(c->due, &c->retained_free));
  hak_release_in_use_add(due_change(c->in_use, &c->in_use_reported));
}

static void list_push(central_class_t* c, hak_slab_t* s) {
  s->prev = NULL;
  s->next = c->partial;
  if (c->partial) c->partial->prev = s;
  c->partial = s;
  s->listed = 1;
}

static void list_remove(central_class_t* c, hak_slab_t* s) {
  if (s->prev) s->prev->next = s->next;
  else c->partial = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = NULL;
  s->listed = 0;
}

/* Takes up to n blocks from one slab: its free blocks, lowest address first, then fresh blocks
 * (when carve is set), which lie above every carved one. */
static unsigned slab_take(central_class_t* c, hak_slab_t* s, void** out, unsigned n, int carve) {
  hak_superslab_t* ss = hak_ss_of(s);
  unsigned h = head_of(s);
  uint64_t* bits = ss->free_bits[h];
  uint8_t* start = s->start;
  const size_t bs = s->block_size;
  unsigned got = 0;
  if (s->nfree) {
    unsigned w = s->scan, words = ((unsigned)s->carved + 63) / 64;
    while (got < n && w < words) {
      uint64_t x = bits[w];
      for (; x && got < n; x &= x - 1) out[got++] = start + ((size_t)w * 64 + (unsigned)__builtin_ctzll(x)) * bs;
      bits[w] = x;
      if (!x) w++; /* else the batch is full */
    }
    s->scan = (uint16_t)w;
    s->nfree = (uint16_t)(s->nfree - got);
    dirty_add(c, ss, h, -(int)got); /* clamped at the slab's dirty count */
    if (HAK_UNLIKELY(ss->npurged[h]))
      for (unsigned i = 0; i < got; i++) unpurge_block(s, (size_t)((uint8_t*)out[i] - start));
  }
  while (carve && got < n && s->carved < s->capacity) {
    size_t off = (size_t)s->carved * bs;
    if (HAK_UNLIKELY(ss->npurged[h])) unpurge_block(s, off);
    s->carved++;
    out[got++] = start + off;
  }
  s->used = (uint16_t)(s->used + got);
  return got;
}

/* Whether every block in [first, last] is free: uncarved, or marked in bits. */
static int all_free(const uint64_t* bits, uint32_t first, uint32_t last, uint32_t carved) {
  if (last >= carved) {
    if (first >= carved) return 1;
    last = carved - 1;
  }
  for (uint32_t i = first; i <= last; i++) {
    if ((i & 63) == 0 && i + 63 <= last) {
      if (bits[i >> 6] != ~0ull) return 0;
      i += 63;
      continue;
    }
    if (!(bits[i >> 6] >> (i & 63) & 1)) return 0;
  }
  return 1;
}

/* Decommits the OS pages of a live slab that only free blocks overlap (free in the bitmap, or
 * never carved). Invariant: only free blocks overlap a purged page (handing out a block un-purges
 * its pages). Free blocks stay in the bitmap: nothing of theirs is read or kept in their memory. */
static void purge_slab(central_class_t* c, hak_slab_t* s) {
  hak_superslab_t* ss = hak_ss_of(s);
  unsigned h = head_of(s);
  const uint64_t* bits = ss->free_bits[h];
  const uint32_t bs = s->block_size, carved = s->carved;
  const size_t end = (size_t)s->capacity * bs;
  const unsigned nq = (unsigned)((end + HAK_OS_PAGE - 1) >> HAK_OS_PAGE_SHIFT);
  uint16_t added[HAK_SS_PAGES] = {0};
  unsigned newly = 0;
  for (unsigned q = 0; q < nq; q++) {
    if (page_purged(ss, h, q)) continue;
    size_t lo = (size_t)q << HAK_OS_PAGE_SHIFT, hi = lo + HAK_OS_PAGE < end ? lo + HAK_OS_PAGE : end;
    if (!all_free(bits, (uint32_t)(lo / bs), (uint32_t)((hi - 1) / bs), carved)) continue;
    set_page_purged(ss, h, q, 1);
    added[q / HAK_OS_PAGES_PER_PAGE] |= (uint16_t)(1u << (q % HAK_OS_PAGES_PER_PAGE));
    newly++;
    if (HAK_CFG_CHECK_FREE) /* the poison of the blocks over it is gone: no block keeps a FREED state */
      for (uint32_t i = (uint32_t)(lo / bs); i <= (uint32_t)((hi - 1) / bs); i++) s->states[i] = HAK_BLOCK_NEVER;
  }
  dirty_add(c, ss, h, -(int)ss->dirty[h]);
  if (!newly) return;
  ss->npurged[h] = (uint16_t)(ss->npurged[h] + newly);
  /* Decommit the newly purged pages in runs (pages purged before are already decommitted). */
#define ADDED(q) (added[(q) / HAK_OS_PAGES_PER_PAGE] >> ((q) % HAK_OS_PAGES_PER_PAGE) & 1)
  for (unsigned q = 0; q < nq;) {
    if (!ADDED(q)) {
      q++;
      continue;
    }
    unsigned r = q;
    while (r < nq && ADDED(r)) r++;
    hak_os_decommit(s->start + ((size_t)q << HAK_OS_PAGE_SHIFT), (size_t)(r - q) << HAK_OS_PAGE_SHIFT);
    hak_release_returned((size_t)(r - q) << HAK_OS_PAGE_SHIFT);
    q = r;
  }
#undef ADDED
}

static void purge(central_class_t* c, hak_slab_t* s) {
  int64_t before = due_of(s);
  purge_slab(c, s);
  c->due += due_of(s) - before;
}

/* Returns n blocks of class cls to their slab s (class lock held): one account for the run, since
 * a thread cache flushes blocks of a few slabs in runs. A block already free in the bitmap (a
 * double free that reached the slab) is not counted twice. Returns 1 when the slab became empty
 * and went to the spare or back to the superslab box. */
static int slab_put(central_class_t* c, hak_slab_t* s, unsigned cls, void* const* blocks, unsigned n) {
  hak_superslab_t* ss = hak_ss_of(s);
  unsigned h = head_of(s);
  uint64_t* bits = ss->free_bits[h];
  int64_t before = due_of(s);
  unsigned put = 0, scan = s->scan;
  for (unsigned i = 0; i < n; i++) {
    uint32_t b = block_index(s, cls, blocks[i]);
    uint64_t bit = 1ull << (b & 63);
    if (HAK_UNLIKELY(bits[b >> 6] & bit)) continue;
    bits[b >> 6] |= bit;
    if (b >> 6 < scan) scan = b >> 6;
    put++;
  }
  s->scan = (uint16_t)scan;
  s->nfree = (uint16_t)(s->nfree + put);
  s->used = (uint16_t)(s->used - put);
  dirty_add(c, ss, h, (int)put);
  if (s->used == 0) {
    /* Empty: forget the carving so the pages are not touched again, keep one spare per class. */
    if (s->listed) list_remove(c, s);
    reset_slab(c, s);
    c->due -= before;
    /* Carved anew later: no block keeps a FREED state (its poison may be gone with the pages). */
    if (HAK_CFG_CHECK_FREE) memset(s->states, HAK_BLOCK_NEVER, s->capacity);
    if (!c->spare && !hak_release_eager_warm()) {
      c->spare = s;
    } else {
      hak_ss_slab_free(s);
    }
    return 1;
  }
  if (!s->listed) list_push(c, s);
  c->due += due_of(s) - before;
  return 0;
}

static hak_slab_t* slab_of(void* p) { return hak_slab_head(hak_page_of((uintptr_t)p)); }

/* Whether slab s has free carved blocks (purged or not). */
static int has_free(const hak_slab_t* s) { return s->nfree != 0; }

/* The partial slab a refill of the calling thread takes blocks from: the first it may carve
 * (*carve = 1), else the first with free blocks, whoever owns it (*carve = 0: its free and purged
 * blocks only), so that free blocks are reused before a new slab is carved (with threads that pass
 * blocks to each other, they gather in every thread's slabs: docs/memory.md); or NULL. One pass
 * over the whole list: it is short while few threads share a class. */
static hak_slab_t* refill_slab(central_class_t* c, unsigned self, int* carve) {
  hak_slab_t* reusable = NULL;
  for (hak_slab_t* s = c->partial; s; s = s->next) {
    if (carvable(s, self)) {
      *carve = 1;
      return s;
    }
    if (!reusable && has_free(s)) reusable = s;
  }
  *carve = 0;
  return reusable;
}

unsigned hak_central_refill(unsigned cls, void** out, unsigned n) {
  central_class_t* c = &g_central[cls];
  unsigned self = hak_central_self;
  class_lock(c);
  unsigned got = n < c->ntransfer ? n : c->ntransfer;
  c->ntransfer -= got;
  memcpy(out, &c->transfer[c->ntransfer], got * sizeof(void*));
  while (got < n) {
    int carve;
    hak_slab_t* s = refill_slab(c, self, &carve);
    if (!s) {
      s = c->spare ? c->spare : hak_ss_slab_alloc(cls);
      c->spare = NULL;
      carve = 1;
      if (s) list_push(c, s);
      else if (!(s = c->partial)) break; /* out of memory: a live thread's slab rather than none */
    }
    if (carve) adopt(s, self);
    int64_t before = due_of(s);
    got += slab_take(c, s, out + got, n - got, carve);
    c->due += due_of(s) - before;
    if (!has_free(s) && s->carved == s->capacity) list_remove(c, s);
  }
  c->in_use += (int64_t)got * (int64_t)hak_class_size(cls);
  account(c, cls);
  pthread_mutex_unlock(&c->lock);
  return got;
}

/* Purges the class's dirty partial slabs. */
static void purge_class(central_class_t* c) {
  if (!c->dirty) return;
  for (hak_slab_t* s = c->partial; s; s = s->next)
    if (hak_ss_of(s)->dirty[head_of(s)]) purge(c, s);
}

/* Returns the transfer cache's blocks to their slabs. */
static void drain_transfer(central_class_t* c) {
  unsigned cls = (unsigned)(c - g_central);
  while (c->ntransfer) {
    void* p = c->transfer[--c->ntransfer];
    slab_put(c, slab_of(p), cls, &p, 1);
  }
}

/* The transfer cache's blocks back to their slabs, the spare slab back to the superslab box. */
static void drop_caches(central_class_t* c) {
  drain_transfer(c);
  if (c->spare) hak_ss_slab_free(c->spare);
  c->spare = NULL;
}

/* Purges the class's slabs whose purge is due, until none is (they are counted in c->due). */
static void purge_due_slabs(central_class_t* c) {
  for (hak_slab_t* s = c->partial; s && c->due > 0;) {
    hak_slab_t* next = s->next;
    if (purge_due(s)) purge(c, s);
    s = next;
  }
}

/* Over the budget: the other classes give back their transfer caches and spares and purge their
 * due slabs (one lock at a time, after the caller's). */
static void release_others(unsigned cls) {
  for (unsigned k = 0; k < HAK_NCLASSES; k++) {
    central_class_t* c = &g_central[k];
    if (k == cls || (!__atomic_load_n(&c->ntransfer, __ATOMIC_RELAXED) && !__atomic_load_n(&c->spare, __ATOMIC_RELAXED) &&
                     __atomic_load_n(&c->due, __ATOMIC_RELAXED) <= 0))
      continue;
    class_lock(c);
    drop_caches(c);
    purge_due_slabs(c);
    account(c, k);
    pthread_mutex_unlock(&c->lock);
  }
}

void hak_central_flush(unsigned cls, void* const* blocks, unsigned n) {
  central_class_t* c = &g_central[cls];
  /* Eager (LEAN, or BALANCED over its budget): no transfer caching, no spare, purge. */
  int eager = hak_release_eager_warm();
  hak_slab_t* touched[TOUCHED_MAX];
  unsigned ntouched = 0;
  class_lock(c);
  unsigned limit = transfer_limit(cls, eager);
  unsigned room = c->ntransfer < limit ? limit - c->ntransfer : 0;
  unsigned k = n < room ? n : room;
  memcpy(&c->transfer[c->ntransfer], blocks, k * sizeof(void*));
  c->ntransfer += k;
  if (eager) {
    drop_caches(c);
  }
  for (unsigned i = k, run; i < n; i += run) {
    hak_slab_t* s = slab_of(blocks[i]);
    for (run = 1; i + run < n && slab_of(blocks[i + run]) == s;) run++; /* a run of one slab's blocks */
    unsigned t = 0;
    while (t < ntouched && touched[t] != s) t++;
    if (slab_put(c, s, cls, blocks + i, run)) {
      /* Gone (spare or superslab, maybe another class's by now): forget it. */
      if (t < ntouched) touched[t] = touched[--ntouched];
      continue;
    }
    if (!eager || t < ntouched) continue;
    if (ntouched == TOUCHED_MAX) {
      for (t = 0; t < ntouched; t++)
        if (purge_due(touched[t])) purge(c, touched[t]);
      ntouched = 0;
    }
    touched[ntouched++] = s;
  }
  for (unsigned t = 0; t < ntouched; t++)
    if (purge_due(touched[t])) purge(c, touched[t]);
  if (eager) purge_due_slabs(c); /* those it did not touch, freed while within the budget */
  c->in_use -= (int64_t)n * (int64_t)hak_class_size(cls);
  account(c, cls);
  pthread_mutex_unlock(&c->lock);
  if (eager && hak_release_policy() == HAK_RELEASE_BALANCED) release_others(cls);
}

/* Everything the class keeps without a program's block: transfer cache, spare, free pages. */
static void release_class(central_class_t* c, unsigned cls) {
  drop_caches(c);
  purge_class(c);
  account(c, cls);
}

void hak_central_drain(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    central_class_t* c = &g_central[cls];
    class_lock(c);
    release_class(c, cls);
    pthread_mutex_unlock(&c->lock);
  }
}

unsigned hak_central_transfer_count(unsigned cls) {
  central_class_t* c = &g_central[cls];
  class_lock(c);
  unsigned n = c->ntransfer;
  pthread_mutex_unlock(&c->lock);
  return n;
}

void hak_central_totals(uint64_t* in_use, uint64_t* retained) {
  int64_t used = 0, kept = 0;
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    central_class_t* c = &g_central[cls];
    class_lock(c);
    used += c->in_use;
    kept += transfer_bytes(c, cls) + c->due;
    pthread_mutex_unlock(&c->lock);
  }
  *in_use = used > 0 ? (uint64_t)used : 0;
  *retained = kept > 0 ? (uint64_t)kept : 0;
}

void hak_central_fork_prepare(void) {
  pthread_mutex_lock(&g_owner_lock);
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) pthread_mutex_lock(&g_central[cls].lock);
}

void hak_central_fork_parent(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) pthread_mutex_unlock(&g_central[cls].lock);
  pthread_mutex_unlock(&g_owner_lock);
}

void hak_central_fork_child(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) pthread_mutex_init(&g_central[cls].lock, NULL);
  /* Only the forking thread lives on in the child: the other threads' slabs are free to adopt. */
  memset(g_owner_live, 0, sizeof g_owner_live);
  if (hak_central_self) owner_set_live(hak_central_self, 1);
  pthread_mutex_init(&g_owner_lock, NULL);
}
